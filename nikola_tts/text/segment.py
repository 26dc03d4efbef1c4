"""What gets spoken: blocks of prose from a page, and the segments an engine synthesizes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nikola_tts.text.blocks import Block, tidy

# Seconds of silence after each kind of block: a listener needs a beat after a heading.
PAUSE_AFTER = {
    "title": 1.2,
    "heading": 0.9,
    "paragraph": 0.6,
    "quote": 0.6,
    "item": 0.35,
    "caption": 0.5,
    "notice": 0.6,  # a configured phrase standing in for a skipped table or code block
}
PAUSE_WITHIN_BLOCK = 0.25  # between the sentence-split pieces of one long paragraph


@dataclass(frozen=True)
class Segment:
    """Text small enough for one engine call, with the silence that follows it."""

    text: str  # as spoken
    kind: str
    pause_after: float
    block: int | None = None  # which of the blocks it reads (their index, page order); None: the title
    written: str = ""  # the same words as written on the page; by default the spoken text
    language: str = ""  # its block's own language, where it is not the post's

    def __post_init__(self):
        if not self.written:
            object.__setattr__(self, "written", self.text)



# Sentence ends: Latin/Arabic/Devanagari terminators need whitespace after them (so 3.14 and
# example.com stay whole); CJK full-width ones do not, since those scripts put no space there.
_SENTENCE_END = re.compile(r"""[.!?…؟۔।]+["'”’»)\]]*\s+|[。！？]+[」』）”’]*\s*""")
_CLAUSE_END = re.compile(r"[;:,،؛]\s+|[，、；：]\s*")
_WORD_GAP = re.compile(r"\s+")
# Abbreviations that (almost) never end a sentence, even before a capital: "Dr. Smith", "vs. Rust".
_NEVER_FINAL = {
    "mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "vs", "e.g", "i.e", "cf", "viz",
    "fig", "figs", "eq", "vol", "approx", "al",
}


def _is_sentence_end(text: str, match: re.Match[str]) -> bool:
    mark = match.group()
    if mark[0] in "。！？":
        return True
    if text[match.end()].islower():  # "e.g. the", "etc. and", "Yahoo! is"
        return False
    if mark[0] != "." or mark.startswith(".."):
        return True
    word = text[text.rfind(" ", 0, match.start()) + 1:match.start()].lstrip("([{\"'“‘«").lower()
    is_initial = len(word) == 1 and word.isalpha()  # "J. R. R. Tolkien"
    return word not in _NEVER_FINAL and not is_initial


def _split_at(pattern: re.Pattern[str], text: str, sentences: bool = False) -> list[tuple[str, str]]:
    """Cut text after each match of pattern: (piece, separator) pairs, the separator " " or ""."""
    pieces, start = [], 0
    for match in pattern.finditer(text):
        if match.end() >= len(text) or (sentences and not _is_sentence_end(text, match)):
            continue
        piece = text[start:match.end()]
        pieces.append((piece.rstrip(), " " if piece[-1].isspace() else ""))
        start = match.end()
    pieces.append((text[start:], ""))
    return pieces


_SPLITTERS = (
    lambda text: _split_at(_SENTENCE_END, text, sentences=True),
    lambda text: _split_at(_CLAUSE_END, text),
    lambda text: _split_at(_WORD_GAP, text),
)


def _pieces(text: str, max_chars: int, level: int = 0) -> list[tuple[str, str]]:
    """Greedily pack the units of splitter `level` into pieces <= max_chars; units too long go a level finer."""
    if len(text) <= max_chars:
        return [(text, "")]
    if level == len(_SPLITTERS):  # one unbroken run of characters: cut it
        return [(text[i:i + max_chars], "") for i in range(0, len(text), max_chars)]
    out: list[tuple[str, str]] = []
    can_grow = False  # the pieces of a too-long unit are not merged with their neighbours
    for unit, sep in _SPLITTERS[level](text):
        if len(unit) > max_chars:
            finer = _pieces(unit, max_chars, level + 1)
            out.extend(finer[:-1] + [(finer[-1][0], sep)])
            can_grow = False
        elif can_grow and len(out[-1][0]) + len(out[-1][1]) + len(unit) <= max_chars:
            out[-1] = (out[-1][0] + out[-1][1] + unit, sep)
        else:
            out.append((unit, sep))
            can_grow = True
    return out


def split_sentences(text: str) -> list[str]:
    """The sentences of text, stripped. Joined by single spaces they give back normalized text,
    except around CJK sentence ends, which take no space."""
    text = text.strip()
    return [piece for piece, _ in _split_at(_SENTENCE_END, text, sentences=True)] if text else []


MIN_MAX_CHARS = 20  # the shortest piece limit: a few words, so a long paragraph is never read word by word


def split_into_segments(blocks: list[Block], max_chars: int, title: str | None = None) -> list[Segment]:
    """One Segment per block, or several where a block is longer than max_chars: split at sentence
    ends, then at , ; : then between words, and only as a last resort inside a word."""
    if max_chars < MIN_MAX_CHARS:
        raise ValueError(f"max_chars must be at least {MIN_MAX_CHARS}, got {max_chars}")
    title = tidy(title or "")
    numbered: list[tuple[int | None, Block]] = [(None, Block("title", title))] if title else []
    numbered += list(enumerate(blocks))
    segments = []
    for index, block in numbered:
        spans = _spans(block.text, [piece for piece, _ in _pieces(block.text.strip(), max_chars)])
        for i, (start, end) in enumerate(spans):
            pause = PAUSE_AFTER[block.kind] if i == len(spans) - 1 else PAUSE_WITHIN_BLOCK
            text = block.text[start:end]
            written = tidy(block.written_span(start, end)) if block.changes else ""
            segments.append(Segment(text, block.kind, pause, index, written, block.language))
    return segments


def _spans(text: str, pieces: list[str]) -> list[tuple[int, int]]:
    """Where each (non-blank) piece lies in text; the pieces are in order and do not overlap."""
    spans, cursor = [], 0
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        start = text.find(piece, cursor)
        spans.append((start, start + len(piece)))
        cursor = start + len(piece)
    return spans
