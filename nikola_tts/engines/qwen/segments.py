"""What both generation paths share about a segment: what to say, and its waveform checked into Audio.

Light (numpy only), so the fast path and the engine import it without transformers or qwen_tts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nikola_tts.audio.pcm import Audio
from nikola_tts.errors import SynthesisError


@dataclass(frozen=True)
class Item:
    text: str
    speaker: str  # a CustomVoice speaker name, any case
    language: str  # a Qwen3-TTS language name ("English", "Auto", ...)
    instruct: str = ""  # this item's own style instruction ("": the speaker's TTS_INSTRUCT)


def first_words(text: str, count: int = 8) -> str:
    words = text.split()
    return " ".join(words[:count]) + (" ..." if len(words) > count else "")


def to_audio(wave: np.ndarray, sample_rate: int) -> Audio:
    pcm = np.clip(np.asarray(wave, dtype=np.float32), -1.0, 1.0)
    return Audio((np.round(pcm * 32767.0)).astype("<i2").tobytes(), sample_rate)


def checked_audio(item: Item, frames: int, wave: np.ndarray, sample_rate: int) -> Audio | Exception:
    """The segment's Audio, or the error that says why there is none (no frames, NaN samples)."""
    if frames == 0 or len(wave) == 0:
        return SynthesisError(f"Qwen3-TTS produced no audio for {first_words(item.text)!r}")
    if not np.isfinite(wave).all():
        return SynthesisError(
            f"Qwen3-TTS produced invalid audio (NaN) for {first_words(item.text)!r}: with TTS_DTYPE "
            "'float16' this model overflows; use 'bfloat16' or 'float32'")
    return to_audio(wave, sample_rate)
