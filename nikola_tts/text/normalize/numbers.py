"""Numbers as words in the post's language, through num2words (cardinals, ordinals, years,
decimals, currency names) with the few choices num2words leaves to its caller.

Why num2words: pure Python, 160 kB, about fifty languages, fast enough to speak a whole blog in
milliseconds; NeMo's grammars need pynini and minutes of compiling, WeTextProcessing covers three
languages. It is imported only when a post's text is normalized, never by an unchanged build.
"""

from __future__ import annotations

import re
from functools import lru_cache

# What separates a decimal's digits in speech, where num2words says "point" for every language.
DECIMAL_WORD = {"en": "point", "es": "coma", "fr": "virgule", "it": "virgola", "pt": "vírgula", "de": "Komma",
                 "nl": "komma", "pl": "przecinek", "ru": "запятая", "uk": "кома", "cs": "celá", "ca": "coma",
                 "ro": "virgulă", "sv": "komma", "da": "komma", "no": "komma", "fi": "pilkku", "tr": "virgül"}
# Languages that write 3,5 for three and a half (and 1.000 for a thousand); the others write 3.5.
DECIMAL_COMMA = frozenset({"es", "fr", "it", "pt", "de", "nl", "pl", "ru", "uk", "cs", "ca", "ro", "sv", "da", "no",
                           "fi", "tr", "sk", "sl", "hu", "lt", "lv", "id", "el"})


def library_code(language: str) -> str | None:
    """num2words' code for a language ("pt_br" -> "pt_BR", "en_us" -> "en"), or None if it has none."""
    from num2words import CONVERTER_CLASSES

    code = str(language).replace("-", "_")
    primary, _, region = code.partition("_")
    for candidate in (f"{primary.lower()}_{region.upper()}" if region else "", primary.lower()):
        if candidate and candidate in CONVERTER_CLASSES:
            return candidate
    return None


def _english(language: str) -> bool:
    return language.split("_")[0] == "en"


@lru_cache(maxsize=4096)
def cardinal(number: int, language: str = "en") -> str:
    from num2words import num2words

    words = num2words(number, lang=library_code(language) or "en")
    if _english(language) and language not in ("en_gb", "en_au", "en_ie", "en_nz", "en_in"):
        words = words.replace(" and ", " ")  # American: "six hundred two", as the listener expects
    return words.replace(",", "")


@lru_cache(maxsize=1024)
def ordinal(number: int, language: str = "en") -> str:
    from num2words import num2words

    try:
        words = num2words(number, lang=library_code(language) or "en", to="ordinal")
    except NotImplementedError:
        return cardinal(number, language)
    return words.replace(" and ", " ").replace(",", "") if _english(language) else words


@lru_cache(maxsize=1024)
def year(number: int, language: str = "en") -> str:
    """English reads years in pairs ("nineteen eighty-five", "twenty twenty-six", "two thousand
    seven"); most languages read them as plain numbers."""
    if not _english(language):
        return cardinal(number, language)
    from num2words import num2words

    return num2words(number, lang="en", to="year").replace(" and ", " ").replace("oh-", "oh ")


def digits(text: str, language: str = "en") -> str:
    """Each digit on its own: "033" -> "zero three three"."""
    return " ".join(cardinal(int(d), language) for d in text)


def decimal(integer: str, fraction: str, language: str = "en") -> str:
    """A decimal from its written parts: "3", "91" -> "three point nine one"."""
    word = DECIMAL_WORD.get(language.split("_")[0])
    whole = cardinal(int(integer or "0"), language)
    if word is None:  # num2words knows this language's decimal word
        from num2words import num2words

        return num2words(float(f"{integer or 0}.{fraction}"), lang=library_code(language) or "en")
    if len(fraction) <= 2 and not fraction.startswith("0") and not _english(language):
        return f"{whole} {word} {cardinal(int(fraction), language)}"  # "tres coma cincuenta"
    return f"{whole} {word} {digits(fraction, language)}"


def plural(words: str) -> str:
    """The plural of a spoken number or letter: "forty" -> "forties", "six" -> "sixes", "U" -> "U's"."""
    if len(words) == 1:
        return words + "'s"
    if words.endswith("y"):
        return words[:-1] + "ies"
    if words.endswith(("x", "s", "ch", "sh")):
        return words + "es"
    return words + "s"


def integer(text: str) -> int:
    """A written integer without its group separators: "3,840" -> 3840, "1.000" -> 1000."""
    return int(re.sub(r"[,.\u00a0\u202f' ]", "", text))
