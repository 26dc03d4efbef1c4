"""Our own rules, one category each, for what no library reads: written text -> spoken words.

The same rules serve every language; words.py holds what each language says. A category whose
table is empty for a language makes no rule for it. The order of `rules_for`'s list breaks ties
between rules matching at the same place (the earlier wins); otherwise the earliest match wins.
Numbers become words through numbers.py (num2words).
"""

from __future__ import annotations

import re
from functools import lru_cache

from nikola_tts.text.blocks import NORMALIZER
from nikola_tts.text.normalize import numbers as n
from nikola_tts.text.normalize.rewrite import Rule
from nikola_tts.text.normalize.words import Words, words_for

_EMOJI = "[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\U0001F1E6-\U0001F1FF\u20E3]"
_TLDS = "com|org|net|io|dev|ai|app|co|info|me|xyz|edu|gov|tech|blog|uk|de|fr|es|it|nl|eu|ca|us|cc|ly|sh|gg|fm|tv"
_ROMAN = re.compile(r"^M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_NO_VOWEL = re.compile(r"^[^aeiouyAEIOUY]+$")
# Quick first looks (Rule.needs): most rules read numbers; a text without a digit skips them.
_DIGIT = re.compile(r"\d")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
_ANYTHING = None


def roman_value(text: str) -> int | None:
    if not text or not _ROMAN.match(text):
        return None
    total = 0
    for i, ch in enumerate(text):
        value = _ROMAN_VALUES[ch]
        total += -value if i + 1 < len(text) and _ROMAN_VALUES[text[i + 1]] > value else value
    return total or None


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def spell(letters: str) -> str:
    """An acronym letter by letter, as every engine says it: "GPU" -> "G P U"."""
    return " ".join(letters.upper())


class _Reader:
    """Numbers as this language writes and says them."""

    def __init__(self, words: Words, language: str):
        self.w = words
        self.lang = language
        self.comma = words.language in n.DECIMAL_COMMA
        if self.comma:
            self.num = r"\d{1,3}(?:[.\u00a0\u202f]\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
        else:
            self.num = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"

    def parts(self, written: str) -> tuple[str, str]:
        if self.comma:
            whole, _, fraction = written.partition(",")
        else:
            whole, _, fraction = written.partition(".")
        return re.sub(r"[^\d]", "", whole), fraction

    def value(self, written: str) -> float:
        whole, fraction = self.parts(written)
        return float(f"{whole or 0}.{fraction or 0}")

    def say(self, written: str) -> str:
        whole, fraction = self.parts(written)
        if fraction == "0" and self.w.oh:
            return f"{n.cardinal(int(whole), self.lang)} point {self.w.oh}"  # "3.0": "three point oh"
        if fraction:
            return n.decimal(whole, fraction, self.lang)
        return n.cardinal(int(whole), self.lang)

    def counting(self, written: str) -> str:
        """A number before the noun it counts: Spanish "un euro", "veintiún vatios"."""
        said = self.say(written)
        if self.w.language == "es" and not self.parts(written)[1]:
            said = re.sub(r"veintiuno$", "veintiún", re.sub(r"(?<![a-z])uno$", "un", said))
        return said

    def is_one(self, written: str) -> bool:
        return self.value(written) == 1 and not self.parts(written)[1]

    def model_number(self, digits: str) -> str:
        """Digits inside a name, as people say them: "40" forty, "570" five seventy, "4090" forty ninety."""
        if len(digits) > 1 and digits.startswith("0") or len(digits) > 4:
            return n.digits(digits, self.lang)
        value = int(digits)
        if len(digits) <= 2 or value % 100 == 0 or not self.w.decades:
            return n.cardinal(value, self.lang)
        if len(digits) == 3:
            return f"{n.cardinal(int(digits[0]), self.lang)} {self._pair(digits[1:])}"
        return f"{self._pair(digits[:2])} {self._pair(digits[2:])}"

    def _pair(self, two: str) -> str:
        if two.startswith("0"):
            return f"{self.w.oh} {n.cardinal(int(two[1]), self.lang)}" if two != "00" else "hundred"
        return n.cardinal(int(two), self.lang)


def rules_for(language: str) -> list[Rule]:
    """Every rule for a language, in tie-breaking order (see the module's docstring)."""
    return list(_rules(language))


@lru_cache(maxsize=32)
def _rules(language: str) -> tuple[Rule, ...]:
    words = words_for(language)
    r = _Reader(words, language)
    point = words.point or n.DECIMAL_WORD.get(words.language, "")  # "2.4.1": "two point four point one"
    made: list[Rule] = []

    def rule(name, pattern, needs=_DIGIT):
        def register(speak):
            made.append(Rule(name, re.compile(pattern), speak, NORMALIZER, needs))
            return speak
        return register

    # -- things not to read: emoji, math written outside math markup --------------------------
    @rule("emoji", f"{_EMOJI}+\\s*", needs=_NOT_ASCII)
    def _emoji(m, ctx):
        return ""

    @rule("math", needs=re.compile(r"[$\\]"), pattern=r"\$\$.+?\$\$|\\\(.+?\\\)|\\\[.+?\\\]|(?<![\w\\])\$(?=[^$\s\d])[^$]*?[\\^_{}][^$]*?\$(?!\d)"
                  r"|\\[a-zA-Z]+(?:\{[^{}]*\})+")
    def _math(m, ctx):
        return ""

    # -- addresses ----------------------------------------------------------------------------
    if words.dot:
        @rule("url", needs=re.compile("://"), pattern=r"\bhttps?://[^\s<>\"']*[^\s<>\"'.,;:!?)\]]")
        def _url(m, ctx):
            host = re.sub(r"^https?://(www\.)?", "", m.group()).split("/")[0].split(":")[0]
            return f" {words.dot} ".join(host.split("."))

        @rule("email", needs=re.compile("@"), pattern=r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
        def _email(m, ctx):
            user, _, host = m.group().partition("@")
            dot = f" {words.dot} "
            return f"{dot.join(user.split('.'))} {words.at} {dot.join(host.split('.'))}"

        @rule("url", needs=re.compile(r"\.[a-z]"), pattern=rf"(?<![\w@/.-])(?:www\.)?[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:{_TLDS})\b(?:/[^\s<>\"']*[^\s<>\"'.,;:!?)\]])?")
        def _domain(m, ctx):
            host = re.sub(r"^www\.", "", m.group()).split("/")[0]
            return f" {words.dot} ".join(host.split("."))

    # -- abbreviations (before anything reads their letters) ---------------------------------
    if words.abbreviations:
        @rule("abbreviation", needs=_ANYTHING, pattern=rf"(?<![\w.])(?:{_alternation(words.abbreviations)})(?![\w])")
        def _abbreviation(m, ctx):
            written = m.group()
            spoken = words.abbreviations[written]
            after = m.string[m.end():]
            if written in ("Dr.", "Prof.", "Mt.", "St.") and not re.match(r"\s+[A-Z]", after):
                return None  # "the Dr." is not "the Doctor" before nothing
            if written in ("No.", "no.", "Nos.", "p.", "pp.", "núm.", "Núm.", "n.º", "nº", "pág.", "págs.") \
                    and not re.match(r"\s*\d", after):
                return None  # "no." ends a sentence; only "No. 5" is a number
            if written in ("min.", "max.", "ft.") and not re.match(r"\s*[\d(]", after) \
                    and not re.search(r"\d\s*$", m.string[:m.start()]):
                return None
            if written.endswith(".") and (not after.strip() or re.match(r"\s+[A-Z]", after)) \
                    and written in ("etc.", "et al.", "incl."):
                spoken += "."  # the abbreviation's period also ended the sentence
            return spoken

    # -- currency ------------------------------------------------------------------------------
    if words.currencies:
        symbols = [s for s in words.currencies if not s.isalpha()]
        codes = [s for s in words.currencies if s.isalpha()]
        # "$602 billion", "$5.1B"; a lone letter only right after the digits ("$40 T-shirts" are not trillions)
        named = [m for m in words.magnitudes if len(m) > 1]
        letters = [m for m in words.magnitudes if len(m) == 1]
        magnitude = rf"(?:\s?(?P<mag>{_alternation(named)})(?![\w])|(?P<letter>{_alternation(letters)})(?![\w-]))?"
        per = rf"(?:\s?/\s?(?P<per>{_alternation(words.per)})\b)?"
        before = (rf"(?<![\w$])(?P<cur>\\?(?:{_alternation(symbols)})|(?:{_alternation(codes)})\s?)(?P<amount>{r.num})"
                  rf"{magnitude}(?:\s?(?:[-–]|{re.escape(words.to)})\s?\\?(?:{_alternation(symbols)})?(?P<upper>{r.num})"
                  rf"(?P<mag2>\s?(?:{_alternation(words.magnitudes)})(?![\w]))?)?{per}")
        after = (rf"(?<![\w.,])(?P<amount>{r.num}){magnitude}\s?(?P<cur>{_alternation(symbols)}|"
                 rf"(?:{_alternation(codes)})(?![\w])){per}")

        def money(m, ctx):
            cur = words.currencies[m.group("cur").strip().lstrip("\\")]
            amount, mag, upper = m.group("amount"), m.group("mag") or m.group("letter"), m.groupdict().get("upper")
            if mag is None and upper and m.groupdict().get("mag2"):
                mag = m.group("mag2").strip()
            rate = f" {words.per_word} {words.per[m.group('per')]}" if m.group("per") else ""
            if upper:
                return f"{r.say(amount)} {words.to} {_amount(upper, mag, cur)}{rate}"
            return _amount(amount, mag, cur) + rate

        def _amount(written, mag, cur):
            if mag:
                scale = words.magnitudes[mag]
                if mag in ("k", "K") and words.language == "en":
                    value = r.value(written) * 1000
                    if value == int(value):
                        return f"{n.cardinal(int(value), r.lang)} {cur.many}"
                return f"{r.say(written)} {scale[0] if r.is_one(written) else scale[1]} {cur.many}"
            whole, fraction = r.parts(written)
            units = int(whole or 0)
            unit_words = f"{r.counting(whole or '0')} {cur.one if units == 1 else cur.many}"
            if not fraction or int(fraction) == 0:
                return unit_words
            if len(fraction) != 2:
                return f"{r.say(written)} {cur.many}"
            cents = int(fraction)
            cent_words = f"{n.cardinal(cents, r.lang)} {cur.cent if cents == 1 else cur.cents}"
            return cent_words if units == 0 else f"{unit_words} {words.and_cents} {cent_words}"

        made.append(Rule("currency", re.compile(before), money, NORMALIZER, _DIGIT))
        made.append(Rule("currency", re.compile(after), money, NORMALIZER, _DIGIT))

    # -- percentages -----------------------------------------------------------------------------
    if words.percent:
        @rule("percent", rf"(?<![\w.,])(?P<a>{r.num})(?:\s?%?\s?(?:[-–]|{re.escape(words.to or '–')}\s)\s?(?P<b>{r.num}))?\s?%")
        def _percent(m, ctx):
            low = r.say(m.group("a"))
            if m.group("b"):
                return f"{low} {words.to} {r.say(m.group('b'))} {words.percent}"
            return f"{low} {words.percent}"

    # -- dates and times -------------------------------------------------------------------------
    if words.months:
        @rule("date", r"(?<![\w.-])(?P<y>\d{4})-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])(?![\w-])")
        def _iso_date(m, ctx):
            return _say_date(int(m.group("d")), int(m.group("m")), int(m.group("y")))

        month_names = list(words.months) + list(words.month_abbreviations)
        months = _alternation(month_names)

        def month_number(name):
            name = name.rstrip(".")
            if name in words.month_abbreviations:
                return words.month_abbreviations[name]
            return words.months.index(name) + 1

        if words.language == "en":
            @rule("date", rf"\b(?P<mon>{months})\.?\s+(?P<d>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?\b"
                          rf"(?:,?\s+(?P<y>\d{{4}})\b)?")
            def _month_day(m, ctx):
                year = f", {n.year(int(m.group('y')), r.lang)}" if m.group("y") else ""
                return f"{words.months[month_number(m.group('mon')) - 1]} {n.ordinal(int(m.group('d')), r.lang)}{year}"

            @rule("date", rf"\b(?P<d>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?\s+(?P<mon>{months})\b\.?(?:,?\s+(?P<y>\d{{4}})\b)?")
            def _day_month(m, ctx):
                year = f" {n.year(int(m.group('y')), r.lang)}" if m.group("y") else ""
                return f"the {n.ordinal(int(m.group('d')), r.lang)} of {words.months[month_number(m.group('mon')) - 1]}{year}"

        def _say_date(day, month, year):
            if words.language == "en":
                return f"{words.months[month - 1]} {n.ordinal(day, r.lang)}, {n.year(year, r.lang)}"
            return f"{n.cardinal(day, r.lang)} de {words.months[month - 1]} de {n.cardinal(year, r.lang)}"

    if words.oh:
        @rule("time", r"(?<![\w:.])(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?"
                      r"(?:\s?(?P<ap>[AaPp])\.?[Mm]\.?(?![\w]))?(?![\w:])")
        def _time(m, ctx):
            hour, minute = int(m.group("h")), int(m.group("m"))
            spoken = n.cardinal(hour, r.lang)
            if minute == 0:
                spoken += "" if m.group("ap") or hour > 12 or hour == 0 else f" {words.oclock}"
                if hour == 0 and not m.group("ap"):
                    spoken = f"{n.cardinal(0, r.lang)} hundred"
            elif minute < 10:
                spoken += f" {words.oh} {n.cardinal(minute, r.lang)}"
            else:
                spoken += f" {n.cardinal(minute, r.lang)}"
            if m.group("s"):
                spoken += f" and {n.cardinal(int(m.group('s')), r.lang)} seconds"
            if m.group("ap"):
                spoken += f" {m.group('ap').upper()} M" + _period_kept(m)
            return spoken

        @rule("time", r"(?<![\w:.])(?P<h>1[0-2]|0?[1-9])\s?(?P<ap>[AaPp])\.?[Mm]\.?(?![\w])")
        def _hour(m, ctx):
            return f"{n.cardinal(int(m.group('h')), r.lang)} {m.group('ap').upper()} M" + _period_kept(m)
    elif words.language == "es":
        @rule("time", r"(?<![\w:.])(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?![\w:])")
        def _hora(m, ctx):
            hour, minute = int(m.group("h")), int(m.group("m"))
            hours = "una" if hour in (1, 13) else n.cardinal(hour, r.lang)
            return hours if minute == 0 else f"{hours} y {n.cardinal(minute, r.lang)}"

    # -- decades, years and ordinals -------------------------------------------------------------
    if words.decades:
        @rule("decade", r"(?<![\w'’.,])(?P<y>1\d\d0|20\d0)['’]?s\b|(?<![\w])['’](?P<short>\d)0s\b")
        def _decade(m, ctx):
            if m.group("short"):
                return n.plural(n.cardinal(int(m.group("short")) * 10, r.lang))
            return n.plural(n.year(int(m.group("y")), r.lang))

    @rule("ordinal", r"(?<![\w.,])(?P<num>\d{1,3}(?:,\d{3})*|\d+)(?P<suf>st|nd|rd|th)\b"
                     if words.language == "en" else r"(?<![\w.,])(?P<num>\d+)\.?(?P<suf>[ºª°])(?![\w])")
    def _ordinal(m, ctx):
        value = int(m.group("num").replace(",", ""))
        if words.language == "en":
            return n.ordinal(value, r.lang)
        spoken = n.ordinal(value, r.lang)
        if m.group("suf") == "ª" and spoken.endswith("o"):
            spoken = spoken[:-1] + "a"  # "1.ª" -> "primera"
        return spoken

    # -- roman numerals that number something ------------------------------------------------------
    if words.roman_keywords:
        keywords = _alternation(words.roman_keywords)
        regnal = _alternation(words.regnal_names)

        @rule("roman", needs=re.compile("[IVXLC]"), pattern=rf"\b(?P<kw>{keywords})\s+(?P<r>[IVXLC]+)\b(?![\w'’])")
        def _roman_after_keyword(m, ctx):
            value = roman_value(m.group("r"))
            if value is None:
                return None
            return f"{m.group('kw')} {n.cardinal(value, r.lang)}"

        @rule("roman", needs=re.compile("[IVXLC]"), pattern=rf"\b(?P<name>{regnal})\s+(?P<r>[IVXLC]+)\b(?![\w'’])")
        def _regnal(m, ctx):
            value = roman_value(m.group("r"))
            if value is None:
                return None
            the = f"{words.regnal_the} " if words.regnal_the else ""
            ordinal = n.ordinal(value, r.lang)
            if words.language == "en":
                ordinal = ordinal[0].upper() + ordinal[1:]
            return f"{m.group('name')} {the}{ordinal}"

        @rule("roman", needs=re.compile("[IVXLC]"), pattern=r"^(?P<r>[IVXLC]+)(?P<sep>[.:)]|\s[-–—])\s")
        def _roman_heading(m, ctx):
            value = roman_value(m.group("r"))
            if ctx.kind not in ("heading", "item", "title") or value is None or (value == 1 and m.group("sep") != "."):
                return None
            number = n.cardinal(value, r.lang)
            return f"{number[0].upper()}{number[1:]}. "

        @rule("roman", needs=re.compile("[IVXLC]{2}"), pattern=r"(?<![\w'’])(?P<r>[IVXLC]{2,})(?![\w'’])")
        def _roman_in_heading(m, ctx):
            # "Results II", "Notes on Part III": in a heading, a run of two or more numerals is a number.
            value = roman_value(m.group("r"))
            if ctx.kind not in ("heading", "title") or value is None:
                return None
            return n.cardinal(value, r.lang)

    # -- names with numbers in them: models and versions -------------------------------------------
    @rule("version", r"(?<![\w.])(?:v|V(?=\d+\.\d))(?P<v>\d+(?:\.\d+)*)(?P<tail>[a-z]\d*)?(?![\w]|\.\d)")
    def _version(m, ctx):
        if not words.version:
            return None
        spoken = f" {point} ".join(_version_part(p) for p in m.group("v").split("."))
        tail = f" {m.group('tail')}" if m.group("tail") else ""
        return f"{words.version} {spoken}{tail}"

    def _version_part(part):
        if part == "0" and words.oh:
            return words.oh
        return n.cardinal(int(part), r.lang) if not part.startswith("0") or part == "0" else n.digits(part, r.lang)

    @rule("version", r"(?<![\w.])\d+(?:\.\d+){2,}(?![\w]|\.\d)")
    def _dotted(m, ctx):
        if not point:
            return None
        return f" {point} ".join(_version_part(p) for p in m.group().split("."))

    if r.comma:
        @rule("version", r"(?<![\w.,])\d+\.\d{1,2}(?![\w]|[.,]\d)")
        def _dotted_two(m, ctx):
            if not point:
                return None
            whole, _, part = m.group().partition(".")
            return f"{n.cardinal(int(whole), r.lang)} {point} {_version_part(part)}"

    if words.units:
        units = _alternation(words.units)
        per = _alternation(words.per)

        @rule("unit", rf"(?<![\w.,])(?P<a>{r.num})(?:\s?(?:[-–]|{re.escape(words.to)}\s)\s?(?P<b>{r.num}))?"
                      rf"(?:(?P<gap>\s?)(?P<u>{units})(?:/(?P<per>{per}))?|/(?P<rate>{per}))(?![\w/]|[.,]\d)")
        def _unit(m, ctx):
            unit = m.group("u")
            if m.group("rate"):  # "0.12/kWh": a rate of something the text named before
                if m.group("b"):
                    return None
                return f"{r.say(m.group('a'))} {words.per_word} {words.per[m.group('rate')]}"
            if unit in ("x", "×") and m.group("gap"):
                return None  # "4 x 4" is a size, read by the symbol rule
            if unit == "A" and m.group("gap"):
                return None  # "5 A" is more often the letter than amperes
            last = m.group("b") or m.group("a")
            singular, plural = words.units[unit]
            spoken = r.counting(m.group("a")) if not m.group("b") else r.say(m.group("a"))
            if m.group("b"):
                spoken += f" {words.to} {r.counting(m.group('b'))}"
            spoken += f" {singular if r.is_one(last) else plural}"
            if m.group("per"):
                spoken += f" {words.per_word} {words.per[m.group('per')]}"
            return spoken

        @rule("unit", needs=re.compile("/"), pattern=r"(?<![\w/])(?P<u>tok|tokens|it|GB|MB|TB|frames|requests|ops|samples|words)/(?P<per>s|sec|h|hr)\b")
        def _rate(m, ctx):
            name = {"tok": "tokens", "it": "iterations", "GB": "gigabytes", "MB": "megabytes", "TB": "terabytes"}
            unit = name.get(m.group("u"), m.group("u"))
            if words.language != "en":
                return None
            return f"{unit} {words.per_word} {words.per[m.group('per')]}"

    if words.language == "en":
        @rule("unit", r"(?<![\w.])x(?P<lanes>1|2|4|8|16|32)\b")
        def _lanes(m, ctx):
            return f"by {n.cardinal(int(m.group('lanes')), r.lang)}"

        @rule("acronym", needs=re.compile("[A-Z]{2}"), pattern=r"\b(?P<pre>[a-z](?=[A-Z]{2}))?(?P<a>[A-Z]{2,})(?P<s>s|['’]s)\b")
        def _acronym_plural(m, ctx):
            # Engines read "GPUs" as one word ("gee-pus"); letters they cannot say as a word
            # (three or fewer, or no vowel) are spelled. "CUDA's", "ASICs" are words already.
            letters = m.group("a")
            if roman_value(letters) is not None and ctx.kind in ("heading", "title"):
                return None
            if len(letters) > 3 and not _NO_VOWEL.match(letters):
                return None
            return f"{m.group('pre') + ' ' if m.group('pre') else ''}{spell(letters)}'s"  # "vCPUs": "v C P U's"

    # Names and model strings: letters and digits in one token (P40, RTX4090, x86-64, Qwen3-TTS, 1.7B).
    @rule("model", r"(?<![\w.+-])(?=[\w.:+-]*\d)(?=[\w.:+-]*[A-Za-z])[A-Za-z0-9]+(?:[-_.:][A-Za-z0-9]+)*\+?(?![\w])")
    def _model(m, ctx):
        token = m.group()
        if re.fullmatch(r"\d+[a-z]{1,2}", token) and words.language == "en":
            return None  # "4th" is an ordinal, read elsewhere
        counted = re.fullmatch(r"(?P<n>\d+)(?P<rest>(?:-[^\W\d_]+)+)", token)
        if counted:  # "120-billion", "276-character", "2016-era": a number before words
            number = counted.group("n")
            said = n.year(int(number), r.lang) if words.decades and _looks_like_year(number) else \
                n.cardinal(int(number), r.lang)
            return f"{said}{counted.group('rest').replace('-', ' ')}"
        return _say_token(token)

    def _say_token(token):
        plus = token.endswith("+")
        token = token.rstrip("+")
        out = []
        pieces = re.split(r"([-_.:])", token)
        for i, piece in enumerate(pieces):
            if piece in ("-", "_", ":"):
                continue
            if piece == ".":
                before, after = pieces[i - 1], pieces[i + 1] if i + 1 < len(pieces) else ""
                if before[-1:].isdigit() and after[:1].isdigit():
                    out.append(point)
                elif words.dot:
                    out.append(words.dot)
                continue
            out.append(_say_piece(piece, i > 0 and pieces[i - 1] == "." and pieces[i - 2][-1:].isdigit()))
        spoken = " ".join(p for p in out if p)
        return f"{spoken} {words.plus}" if plus and words.plus else spoken

    def _say_piece(piece, after_point):
        runs = re.findall(r"\d+|[A-Z]+(?:[a-z]+)?|[a-z]+", piece)
        spoken = []
        for j, run in enumerate(runs):
            if run.isdigit():
                if after_point:
                    spoken.append(n.digits(run, r.lang) if len(run) > 1 else n.cardinal(int(run), r.lang))
                    after_point = False
                else:
                    spoken.append(r.model_number(run))
                continue
            is_last = j == len(runs) - 1
            if run == "s" and is_last and j > 0:
                spoken[-1] = n.plural(spoken[-1])  # P40s, T4s
                continue
            previous = runs[j - 1] if j else ""
            if previous.isdigit() and run in words.units and run not in ("s", "h", "g", "x", "m", "A", "B"):
                spoken.append(words.units[run][0 if previous == "1" else 1])  # "12Hz"
                continue
            if previous.isdigit() and run == "x" and words.units:
                spoken.append(words.units["x"][1])
                continue
            if run.isupper() and len(run) <= 5 or (len(run) <= 4 and _NO_VOWEL.match(run)):
                spoken.append(spell(run) if len(run) > 1 else run)
            elif run[0].isupper() and run[1:].islower() or run.islower():
                spoken.append(run)
            else:  # "CustomVoice", "GDDRx": split where the case changes
                spoken.append(" ".join(spell(p) if p.isupper() else p for p in re.findall(r"[A-Z][a-z]+|[A-Z]+(?![a-z])|[a-z]+", run)))
        return " ".join(spoken)

    @rule("model", rf"\b(?P<name>[A-Z]{{2,}}\+?|Radeon|GeForce|Ryzen|Xeon|Core|Threadripper|Epyc|Snapdragon|Quadro|Tesla|"
                   rf"Pixel|Galaxy|Mac|Xbox|PlayStation)\s(?P<n>[1-9]\d{{2,3}})(?![\w%]|[.,]\d|\s?(?:{_alternation(words.units) or 'x'})\b)")
    def _product_number(m, ctx):
        if not words.decades:
            return None
        name = m.group("name")
        if name.endswith("+"):
            name = f"{name[:-1]} {words.plus}"
        return f"{name} {r.model_number(m.group('n'))}"

    # -- symbols ---------------------------------------------------------------------------------
    @rule("symbol", needs=re.compile(r"\+"), pattern=r"(?<=\d)\s?\+\s?(?=\d)|(?<![\w+])\+(?=\d)|(?<=[A-Za-z])\+\+?(?![\w+])|(?<=\b[A-Z])\+(?=[A-Z]\b)")
    def _plus(m, ctx):
        if not words.plus:
            return None
        before = m.string[:m.start()]
        if m.group().strip() == "+" and (before[-1:].isdigit() or m.string[m.end():m.end() + 1].isalpha()):
            return f" {words.plus} "
        if m.group() == "++":
            return f" {words.plus} {words.plus}"
        return f" {words.plus} " if m.group() == "+" and before[-1:].isalpha() else f"{words.plus} "

    @rule("symbol", r"(?<![\w])~\s?(?=\d)|≈\s?(?=\d)")
    def _about(m, ctx):
        return f"{words.about} " if words.about else None

    @rule("symbol", r"\s?[×✕]\s?(?=\d)")
    def _times(m, ctx):
        return f" {words.times} " if words.times else None

    if words.signs:
        @rule("symbol", rf"\s?(?:{_alternation(words.signs)})\s?", needs=_ANYTHING)
        def _sign(m, ctx):
            sign = m.group().strip()
            if sign == "=" and m.group() != " = ":
                return None  # "a=b" in prose is code, not an equation to read
            if sign == "&" and not re.search(r"[\w\s]$", m.string[:m.start()] or " "):
                return None
            spoken = words.signs[sign]
            return f" {spoken} " if spoken else " "

    @rule("symbol", r"(?<![\w#])#(?=\d)")
    def _hash(m, ctx):
        return f"{words.number} " if words.number else None

    # -- fractions, ranges and plain numbers -------------------------------------------------------
    @rule("fraction", r"(?<![\w/.,])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?![\w/]|[.,]\d)")
    def _fraction(m, ctx):
        a, b = int(m.group("a")), int(m.group("b"))
        if b < 2 or a == 0 or a >= 100:
            return None
        if b in words.fractions:
            name = words.fractions[b][0 if a == 1 else 1]
        elif b <= 10 and words.language in ("en", "es"):
            name = n.ordinal(b, r.lang)
            if a != 1:
                name = n.plural(name) if words.language == "en" else name + "s"
        else:
            return f"{n.cardinal(a, r.lang)} {words.over} {n.cardinal(b, r.lang)}" if words.over else None
        first = "un" if words.language == "es" and a == 1 else n.cardinal(a, r.lang)
        return f"{first} {name}"

    @rule("fraction", needs=_NOT_ASCII, pattern=r"(?P<w>\d+)?\s?(?P<f>[½⅓⅔¼¾⅕⅛])")
    def _vulgar(m, ctx):
        table = {"½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅛": (1, 8)}
        a, b = table[m.group("f")]
        if words.language != "en":
            return None
        part = {(1, 2): "a half", (1, 3): "a third", (2, 3): "two thirds", (1, 4): "a quarter",
                (3, 4): "three quarters", (1, 5): "a fifth", (1, 8): "an eighth"}[(a, b)]
        if m.group("w"):
            return f"{n.cardinal(int(m.group('w')), r.lang)} and {part}"
        return part.replace("a half", "one half")

    if words.to:
        @rule("range", rf"(?<![\w.,/-])(?P<a>{r.num})\s?(?P<dash>–|—|-(?=\d))\s?(?P<b>{r.num})(?![\w]|[.,]\d|-\d|/)")
        def _range(m, ctx):
            a, b = m.group("a"), m.group("b")
            if words.decades and _looks_like_year(a) and (_looks_like_year(b) or len(b) == 2):
                if len(b) == 2:
                    b = a[:2] + b
                return f"{n.year(int(a), r.lang)} {words.to} {n.year(int(b), r.lang)}"
            return f"{r.say(a)} {words.to} {r.say(b)}"

    if words.decades:
        @rule("year", r"(?<![\w.,$€£#/-])(?P<y>1[1-9]\d\d|20\d\d)(?![\w%]|[.,]\d|\s?(?:%|\+))")
        def _year(m, ctx):
            after = m.string[m.end():]
            before = m.string[:m.start()].split()
            previous = before[-1].lower().strip("(,") if before else ""
            counted = re.match(r"\s+[a-z]+s\b", after) and previous not in _YEAR_WORDS
            if counted or re.match(r"\s?(?:[-–]|to)\s?\d", after):
                return None
            return n.year(int(m.group("y")), r.lang)

    @rule("number", rf"(?<![\w.,])(?P<sign>[-−–](?=\d))?(?P<n>{r.num})(?P<plus>\+)?(?![\w]|[.,]\d)")
    def _number(m, ctx):
        written = m.group("n")
        if m.group("sign"):
            before = m.string[:m.start()]
            if before and not before[-1].isspace() and before[-1] not in "(":
                return None
        spoken = r.say(written)
        if m.group("sign") and words.minus:
            spoken = f"{words.minus} {spoken}"
        if m.group("plus") and words.more_than:
            spoken = f"{words.more_than} {spoken}"
        return spoken

    return tuple(made)


def _period_kept(match: re.Match) -> str:
    """The period of "3 p.m." that also ends its sentence."""
    after = match.string[match.end():]
    return "." if match.group().endswith(".") and (not after.strip() or re.match(r"\s+[A-Z]", after)) else ""


_YEAR_WORDS = {"in", "since", "by", "from", "of", "until", "till", "before", "after", "circa", "during", "year",
               "early", "late", "mid", "summer", "winter", "spring", "fall", "autumn", "around", "through"}


def _looks_like_year(text: str) -> bool:
    return bool(re.fullmatch(r"1[1-9]\d\d|20\d\d", text))
