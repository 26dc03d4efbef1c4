"""Nikola language codes -> the language names Qwen3-TTS takes.

Qwen3-TTS (12 Hz, 1.7B and 0.6B) speaks ten languages. A post's language reaches the engine as
Nikola's code for it ("en", "pt_br", "zh_cn", ...) or as TTS_LANGUAGE gives it; both the code and
the Qwen name ("English") are accepted, in any case, with "-" or "_".

| Nikola code (and regional variants)   | Qwen3-TTS language |
| ------------------------------------- | ------------------ |
| zh, zh_cn, zh_tw, zh_hk, ...          | Chinese            |
| en, en_gb, en_us, ...                 | English            |
| de                                    | German             |
| it                                    | Italian            |
| pt, pt_br                             | Portuguese         |
| es                                    | Spanish            |
| ja                                    | Japanese           |
| ko                                    | Korean             |
| fr                                    | French             |
| ru                                    | Russian            |
| anything else                         | Auto               |

"Auto" lets the model guess the language from the text. It is what upstream does when no
language is given, and the model was not trained on other languages, so expect an accent.
With a dialect voice (Eric: Sichuan, Dylan: Beijing) "Auto" and "Chinese" speak the dialect.
"""

from __future__ import annotations

AUTO = "Auto"

QWEN_LANGUAGES = ("Chinese", "English", "German", "Italian", "Portuguese", "Spanish", "Japanese", "Korean",
                  "French", "Russian")

CODES = {"zh": "Chinese", "en": "English", "de": "German", "it": "Italian", "pt": "Portuguese",
            "es": "Spanish", "ja": "Japanese", "ko": "Korean", "fr": "French", "ru": "Russian"}
_BY_NAME = {name.lower(): name for name in QWEN_LANGUAGES + (AUTO,)}


def qwen_language(language: str | None) -> str:
    """The Qwen3-TTS language name for a Nikola language code or a Qwen language name."""
    if not language:
        return AUTO
    text = str(language).strip().lower().replace("-", "_")
    if text in _BY_NAME:
        return _BY_NAME[text]
    return CODES.get(text.split("_")[0], AUTO)


def qwen_name(language: str | None) -> str | None:
    """Like qwen_language, but None (rather than "Auto") for a language Qwen3-TTS does not know."""
    name = qwen_language(language)
    return name if name != AUTO or str(language or "").strip().lower() == "auto" else None


def is_supported(language: str | None) -> bool:
    """Whether the model was trained on this language (False: it is narrated with 'Auto')."""
    return qwen_language(language) != AUTO or str(language or "").strip().lower() == "auto"
