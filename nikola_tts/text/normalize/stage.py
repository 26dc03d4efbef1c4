"""The normalization stage: Blocks as written -> Blocks as spoken, each with its changes.

Per block: its language (the post's, or another one identify.py is sure of), the author's
lexicon for that language, then the rules for that language where TTS_NORMALIZE is on and a
normalizer exists for it. The lexicon wins where both would read the same words.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from nikola_tts.text.blocks import LEXICON, Block
from nikola_tts.text.normalize import lexicon as lex
from nikola_tts.text.normalize.identify import identify, primary
from nikola_tts.text.normalize.options import NormalizeOptions
from nikola_tts.text.normalize.rewrite import Context, Rule, rewrite

log = logging.getLogger("tts")
_NOTED: set[str] = set()  # one note per build process, not one per post


def note_once(message: str) -> None:
    if message not in _NOTED:
        _NOTED.add(message)
        log.info(message)


def normalize_blocks(blocks: list[Block], options: NormalizeOptions) -> list[Block]:
    spoken = []
    for block in blocks:
        other = identify(block.text, options.language) if options.identify and block.kind != "notice" else None
        language = other or options.language
        rules = []
        lexicon = _lexicon_rule(options.lexicon, primary(language), None if other else options.phonemes)
        if lexicon is not None:
            rules.append(lexicon)
        if options.enabled(language):
            rules.extend(normalizer_rules(language))
        if not rules:
            spoken.append(Block(block.kind, block.text, other or ""))
            continue
        text, changes = rewrite(block.text, rules, Context(block.kind, primary(language)))
        spoken.append(Block(block.kind, text, other or "", changes))
    return spoken


def normalizer_rules(language: str) -> list[Rule]:
    """The rules for a language; none (with a note in the build log, once) where no library covers it."""
    from nikola_tts.text.normalize.numbers import library_code
    from nikola_tts.text.normalize.rules import rules_for

    if library_code(language) is None:
        note_once(f"no text normalizer for language {language!r}: its numbers and symbols are read as written")
        return []
    return rules_for(language.replace("-", "_").lower())


@lru_cache(maxsize=64)
def _lexicon_rule(entries: tuple[lex.Entry, ...], language: str, alphabet: str | None) -> Rule | None:
    chosen = lex.for_language(entries, language)
    pattern = lex.lexicon_pattern(chosen)
    if pattern is None:
        return None
    exact = {e.written: e for e in chosen if not e.any_case}
    any_case = {e.written: e for e in chosen if e.any_case}
    for entry in chosen:
        if lex.say(entry, alphabet) is None:
            note_once(f"lexicon entry {entry.written!r} ({entry.origin}) has phonemes in {entry.alphabet or 'no alphabet'}"
                      f" only, which this engine does not take: give it an alias; it is read as written")

    def speak(match, context):
        entry = exact.get(match.group()) or any_case.get(match.group().lower())
        return lex.say(entry, alphabet) if entry else None

    return Rule("lexicon", pattern, speak, LEXICON)
