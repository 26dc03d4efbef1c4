"""One left-to-right pass of rules over a text: every rule's matches, the earliest winning (ties to
the earlier rule), so no rule ever rewrites another's words and each change is known by its span.

A rule is a compiled pattern and a function of the match (and the block's Context) that gives
the spoken words, or None to decline (the next rule, then the next position, gets the chance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from nikola_tts.text.blocks import Change


@dataclass(frozen=True)
class Context:
    """What a rule may know about the text it reads besides the match itself."""

    kind: str  # the block's kind: "heading", "paragraph", ...
    language: str  # the spoken language, a primary code: "en", "es"


@dataclass(frozen=True)
class Rule:
    name: str  # the category, for the tests' tables and the --say report
    pattern: re.Pattern
    speak: Callable[[re.Match, Context], str | None]
    source: str  # blocks.LEXICON or blocks.NORMALIZER
    needs: re.Pattern | None = None  # what a text must contain for the rule to apply: a quick first look


def rewrite(text: str, rules: list[Rule], context: Context) -> tuple[str, tuple[Change, ...]]:
    """(spoken text, its changes). Each rule keeps its next match, searched again only once the
    pass has moved beyond it, so the pass costs about one scan of the text per rule."""
    rules = [rule for rule in rules if rule.needs is None or rule.needs.search(text)]
    upcoming: list[re.Match | None] = [rule.pattern.search(text) for rule in rules]
    out: list[str] = []
    changes: list[Change] = []
    at = 0  # written offset reached
    length = 0  # spoken length so far
    last = ""  # the last spoken character
    while True:
        best = None
        for i, match in enumerate(upcoming):
            while match is not None and match.start() < at:
                match = rules[i].pattern.search(text, at)
            upcoming[i] = match
            if match is not None and (best is None or match.start() < upcoming[best].start()):
                best = i
        if best is None:
            break
        # The earliest match whose rule accepts it; a declined match makes way at that position.
        start = upcoming[best].start()
        spoken = None
        for i in sorted((i for i, m in enumerate(upcoming) if m is not None and m.start() == start)):
            match = upcoming[i]
            spoken = rules[i].speak(match, context) if match.end() > match.start() else None
            if spoken is not None:
                break
            upcoming[i] = rules[i].pattern.search(text, start + 1)
        if spoken is None:
            continue
        start, end = match.start(), match.end()
        if not spoken:  # a deletion takes one side's spaces along, so no double space is left
            if start == at and not last.strip() or start > at and text[start - 1].isspace():
                while end < len(text) and text[end].isspace():
                    end += 1
            if end == len(text):
                while start > at and text[start - 1].isspace():
                    start -= 1
        written = text[start:end]
        plain = text[at:start]
        out.append(plain)
        length += len(plain)
        last = plain[-1:] or last
        spoken = _fit(spoken, last, text, end)
        if spoken != written:
            changes.append(Change(length, spoken, written, rules[i].source))
        out.append(spoken)
        length += len(spoken)
        last = spoken[-1:] or last
        at = end
    out.append(text[at:])
    return "".join(out), tuple(changes)


def _fit(spoken: str, last: str, text: str, end: int) -> str:
    """Spoken words never glue onto their neighbours ("P40s" -> "P forties", not "Pforties")."""
    if spoken and last.isalnum() and spoken[0].isalnum():
        spoken = " " + spoken
    if spoken and end < len(text) and text[end].isalnum() and spoken[-1].isalnum():
        spoken += " "
    if spoken.startswith(" ") and (not last or last.isspace()):
        spoken = spoken.lstrip(" ")  # no double spaces, no leading space
    if spoken.endswith(" ") and (end == len(text) or text[end].isspace() or text[end] in ",.;:!?)"):
        spoken = spoken.rstrip(" ")
    return spoken
