"""What normalizing one post needs to know, decided once per build (it travels in the post's
NarrationPlan, so a change to any of it re-reads the post)."""

from __future__ import annotations

from dataclasses import dataclass

from nikola_tts.text.normalize.lexicon import Entry


@dataclass(frozen=True)
class NormalizeOptions:
    language: str = "en"  # the post's spoken language
    normalize: tuple[tuple[str, bool], ...] = ()  # TTS_NORMALIZE per language; a language not named: `default`
    default: bool = True
    lexicon: tuple[Entry, ...] = ()  # TTS_LEXICON's entries, then the post's own (the later wins)
    phonemes: str | None = None  # the phoneme alphabet the post's engine takes ("ipa", "x-espeak"), if any
    identify: bool = True  # find blocks in other languages

    def enabled(self, language: str) -> bool:
        """Whether text in `language` is normalized (TTS_NORMALIZE's lookup: exact, primary, default)."""
        code = str(language).replace("-", "_")
        table = dict(self.normalize)
        for key in (language, code, code.split("_")[0]):
            if key in table:
                return bool(table[key])
        return self.default
