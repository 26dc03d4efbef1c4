"""The unit of the text stage: a Block of prose in page order, what extraction turns into Blocks
(ExtractOptions), and the tidying every block gets.

Extraction makes Blocks, normalization (written -> spoken) rewrites their text, segmentation cuts
them into engine-sized Segments; all three import this module and none imports another.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    """One unit of prose, in page order. kind is a key of PAUSE_AFTER."""

    kind: str
    text: str


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
