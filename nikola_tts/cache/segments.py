"""Segment audio by key: one WAV per (spoken text, voice identity), shared by every post.

Keys hash the exact text and the engine's identity string, so an edited paragraph gets a
new key while every untouched paragraph keeps its audio, and a voice change misses them all.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from nikola_tts.audio.pcm import Audio
from nikola_tts.files import atomic_write_bytes

KEY_VERSION = "nikola-tts/1"


def segment_key(text: str, engine_identity: str) -> str:
    data = "\n".join((KEY_VERSION, engine_identity, text)).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


class SegmentStore:
    def __init__(self, folder: str | Path):
        self.root = Path(folder)

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.wav"

    def has(self, key: str) -> bool:
        return self.path(key).is_file()

    def load(self, key: str) -> Audio:
        return Audio.from_wav_bytes(self.path(key).read_bytes())

    def length(self, key: str) -> tuple[int, int]:
        """(samples, sample rate) of a segment, from its WAV header alone."""
        import wave

        with wave.open(str(self.path(key)), "rb") as w:
            return w.getnframes(), w.getframerate()

    def store(self, key: str, audio: Audio) -> None:
        atomic_write_bytes(self.path(key), audio.to_wav_bytes())
