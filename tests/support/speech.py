"""The text stage's normalization, called as the build calls it, for the specification tables."""

from __future__ import annotations

import pytest

from nikola_tts.text.blocks import Block
from nikola_tts.text.normalize.options import NormalizeOptions
from nikola_tts.text.normalize.stage import normalize_blocks


def spoken(written: str, language: str = "en", kind: str = "paragraph", **options) -> str:
    """What is said for `written` in a block of `kind` in a post in `language`."""
    options.setdefault("identify", False)  # the tables specify the rules; identification has its own tests
    [block] = normalize_blocks([Block(kind, written)], NormalizeOptions(language=language, **options))
    return block.text


def rows(table):
    """A table of (written, said) rows as the parameters of a test, each row named by what is written."""
    return pytest.mark.parametrize("written, said", table, ids=[written for written, _ in table])
