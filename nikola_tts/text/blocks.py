"""The unit of the text stage: a Block of prose in page order, what extraction turns into Blocks
(ExtractOptions), the spans normalization says differently (Change), and the tidying every block gets.

Extraction makes Blocks, normalization (written -> spoken) rewrites their text, segmentation cuts
them into engine-sized Segments; all three import this module and none imports another.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    """A span of written text that is said differently: where it is in the spoken text, what was
    written there, and who decided (LEXICON or NORMALIZER)."""

    start: int  # offset in the spoken text
    spoken: str
    written: str
    source: str


LEXICON, NORMALIZER = "lexicon", "normalizer"
# Phonemes from the author's lexicon travel in spoken text between these marks; an engine that
# takes phonemes turns them into its own syntax (engines/base.py inline_phonemes).
PHONEMES_OPEN, PHONEMES_CLOSE = "\u27e6", "\u27e7"


@dataclass(frozen=True)
class Block:
    """One unit of prose, in page order. kind is a key of PAUSE_AFTER.

    text is what is spoken; after normalization, changes say where it differs from what was
    written, and language is the block's own spoken language where it is not the post's ("")."""

    kind: str
    text: str
    language: str = ""
    changes: tuple[Change, ...] = ()

    @property
    def written(self) -> str:
        return self.written_span(0, len(self.text))

    def written_span(self, start: int, end: int) -> str:
        """The written text behind text[start:end]. A change cut by either end counts whole where
        the span ends and not at all where it starts, so consecutive spans share no written word."""
        out, at = [], start
        for change in self.changes:
            c_start, c_end = change.start, change.start + len(change.spoken)
            if c_end <= start and not (c_start == c_end == start):
                continue
            if c_start >= end and not (c_start == c_end == end == len(self.text)):
                break
            if c_start < start:  # begun in the span before, which said it
                at = max(at, c_end)
                continue
            out.append(self.text[at:c_start])
            out.append(change.written)
            at = c_end
        if at < end:
            out.append(self.text[at:end])
        return "".join(out)


@dataclass(frozen=True)
class ExtractOptions:
    read_image_alt: bool = False  # speak <img alt> and <figcaption> text
    table_phrase: str = ""  # "" = skip tables silently; else Block("notice", phrase) where a table was
    code_phrase: str = ""  # same for <pre> / block code
    skip_classes: tuple[str, ...] = ("tts-skip",)
    read_inline_code: bool = True  # inline <code> inside a sentence is read as words


_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\u200e\u200f"))
_WHITESPACE = re.compile(r"\s+")
_LOPSIDED_DASH = re.compile(r"(?<=\S)(?: —|— )(?=\S)")
# A space before closing punctuation, left behind by inline tags or removed footnote markers.
# Only when the punctuation ends a word, so " .NET" keeps its space.
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)\]}]+)(?=\s|$|[\"'’”])")


def tidy(text: str) -> str:
    """Text as a listener should get it: one space between words, no invisible characters."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE).replace("…", "...")
    text = _WHITESPACE.sub(" ", text)
    text = _LOPSIDED_DASH.sub(" — ", text)
    return _SPACE_BEFORE_PUNCT.sub(r"\1", text).strip()
