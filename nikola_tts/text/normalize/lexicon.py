"""The author's pronunciation lexicon: plain TOML respellings and W3C PLS lexicons, read into
Entries, and the rule that says each entry's words the author's way.

    # lexicon.toml, next to conf.py (TTS_LEXICON = ["lexicon.toml"])
    "ROCm" = "rock-em"          # whole words; this casing only
    "jevons" = "jev-ons"        # all lower case: any casing (Jevons, JEVONS)
    [es]                        # entries for one language
    "GPU" = "ge pe u"

PLS (the format Azure, Polly and ElevenLabs import): every <lexeme>'s <grapheme>s, with its
<alias> (said everywhere) and <phoneme> (said by engines that take phonemes in that alphabet:
Piper takes IPA, espeak-ng its own ASCII alphabet, "x-espeak"). The lexicon's xml:lang makes its
entries per language. A post adds entries in its metadata: `.. tts_lexicon: ROCm=rock-em; P40=P forty`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from nikola_tts.errors import TTSError
from nikola_tts.text.blocks import PHONEMES_CLOSE, PHONEMES_OPEN

PLS_NAMESPACE = "http://www.w3.org/2005/01/pronunciation-lexicon"


@dataclass(frozen=True)
class Entry:
    written: str  # the word or words as written
    spoken: str  # the respelling or alias; "" where only phonemes are given
    language: str = ""  # a primary language code ("es"); "" for every language
    phonemes: str = ""
    alphabet: str = ""  # of the phonemes: "ipa", "x-sampa", "x-espeak"
    origin: str = ""  # the file it came from, or "metadata"

    @property
    def any_case(self) -> bool:
        return self.written == self.written.lower()


def read_lexicon(path: str) -> tuple[Entry, ...]:
    """The entries of one lexicon file; a file that cannot be read is a TTSError naming the fix."""
    if not os.path.isfile(path):
        raise TTSError(f"TTS_LEXICON: {path} not found: give the path of a .toml or .pls file, relative to conf.py")
    if path.lower().endswith((".pls", ".xml")):
        return _read_pls(path)
    if path.lower().endswith(".toml"):
        return _read_toml(path)
    raise TTSError(f"TTS_LEXICON: {path}: use a .toml respelling map or a .pls (W3C PLS) lexicon")


def _read_toml(path: str) -> tuple[Entry, ...]:
    import tomllib

    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TTSError(f"TTS_LEXICON: {path} is not valid TOML ({exc}): write one entry a line, "
                       "\"word\" = \"respelling\"") from None
    entries = []
    for key, value in data.items():
        if isinstance(value, dict):
            for word, spoken in value.items():
                entries.append(_entry(path, word, spoken, language=key))
        else:
            entries.append(_entry(path, key, value))
    return tuple(entries)


def _entry(origin: str, written, spoken, language: str = "") -> Entry:
    if not isinstance(spoken, str) or not str(written).strip():
        raise TTSError(f"TTS_LEXICON: {origin}: the entry {written!r} = {spoken!r} is not a respelling: "
                       "write \"word\" = \"how to say it\" (a [language] table holds one language's entries)")
    return Entry(str(written).strip(), spoken.strip(), language=_primary(language), origin=origin)


def _read_pls(path: str) -> tuple[Entry, ...]:
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, UnicodeDecodeError) as exc:
        raise TTSError(f"TTS_LEXICON: {path} is not a PLS lexicon ({exc}): check the XML") from None
    ns = {"pls": PLS_NAMESPACE}
    if root.tag not in (f"{{{PLS_NAMESPACE}}}lexicon", "lexicon"):
        raise TTSError(f"TTS_LEXICON: {path}: the root element is <{root.tag}>, not a PLS <lexicon>")
    prefix = "pls:" if root.tag.startswith("{") else ""
    language = _primary(root.get("{http://www.w3.org/XML/1998/namespace}lang", ""))
    default_alphabet = root.get("alphabet", "ipa").lower()
    entries = []
    for lexeme in root.findall(f"{prefix}lexeme", ns):
        alias = next((e.text.strip() for e in lexeme.findall(f"{prefix}alias", ns) if e.text and e.text.strip()), "")
        phoneme_el = next((e for e in lexeme.findall(f"{prefix}phoneme", ns) if e.text and e.text.strip()), None)
        phonemes = phoneme_el.text.strip() if phoneme_el is not None else ""
        alphabet = (phoneme_el.get("alphabet") or default_alphabet).lower() if phoneme_el is not None else ""
        graphemes = [g.text.strip() for g in lexeme.findall(f"{prefix}grapheme", ns) if g.text and g.text.strip()]
        if not graphemes or not (alias or phonemes):
            raise TTSError(f"TTS_LEXICON: {path}: a <lexeme> needs a <grapheme> and an <alias> or <phoneme>")
        for grapheme in graphemes:
            entries.append(Entry(grapheme, alias, language=language, phonemes=phonemes, alphabet=alphabet,
                                 origin=path))
    return tuple(entries)


def entries_from_meta(value, origin: str = "metadata") -> tuple[Entry, ...]:
    """A post's own entries: "ROCm=rock-em; P40=P forty" (or a YAML/TOML mapping)."""
    if not value:
        return ()
    pairs = value.items() if isinstance(value, dict) else (
        part.split("=", 1) for part in re.split(r"[;\n]", str(value)) if part.strip())
    entries = []
    for pair in pairs:
        if len(pair) != 2 or not str(pair[0]).strip() or not str(pair[1]).strip():
            raise TTSError(f"{origin}: tts_lexicon entry {'='.join(map(str, pair))!r} is not word=respelling: "
                           "write e.g. `.. tts_lexicon: ROCm=rock-em; Jevons=jev-ons`")
        entries.append(Entry(str(pair[0]).strip(), str(pair[1]).strip(), origin=origin))
    return tuple(entries)


def _primary(language: str) -> str:
    return str(language or "").replace("-", "_").split("_")[0].lower()


def for_language(entries, language: str) -> list[Entry]:
    """The entries that apply in a language; a later entry for the same words wins (a post's own
    entries come last)."""
    primary = _primary(language)
    chosen: dict[tuple[str, bool], Entry] = {}
    for entry in entries:
        if entry.language in ("", primary):
            key = (entry.written.lower() if entry.any_case else entry.written, entry.any_case)
            if entry.language or key not in chosen or not chosen[key].language:
                chosen[key] = entry
    return list(chosen.values())


def lexicon_pattern(entries: list[Entry]) -> re.Pattern | None:
    """Whole words only: "ROCm" in "ROCm's" but not in "ROCmX"; longer entries first."""
    if not entries:
        return None
    parts = []
    for entry in sorted(entries, key=lambda e: len(e.written), reverse=True):
        escaped = re.escape(entry.written)
        parts.append(f"(?i:{escaped})" if entry.any_case else escaped)
    return re.compile(rf"(?<![\w])(?:{'|'.join(parts)})(?![\w])")


def say(entry: Entry, alphabet: str | None) -> str | None:
    """What an engine that takes phonemes in `alphabet` (None: none) is given for an entry; None
    where it can say nothing the author asked for (phonemes only, in an alphabet it does not take)."""
    if entry.phonemes and alphabet and entry.alphabet == alphabet:
        return f"{PHONEMES_OPEN}{entry.phonemes}{PHONEMES_CLOSE}"
    return entry.spoken or None
