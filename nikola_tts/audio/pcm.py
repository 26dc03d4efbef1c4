"""PCM audio as it flows between engines, the segment cache and assembly.

One representation everywhere keeps the seams simple: mono, signed 16-bit little-endian
samples and their rate. Engines that compute floats convert once, at their edge.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass


@dataclass(frozen=True)
class Audio:
    samples: bytes  # mono, int16 little-endian
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / 2 / self.sample_rate

    def to_wav_bytes(self) -> bytes:
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.sample_rate)
            w.writeframes(self.samples)
        return buf.getvalue()

    @classmethod
    def from_wav_bytes(cls, data: bytes) -> "Audio":
        with wave.open(io.BytesIO(data), "rb") as w:
            if w.getsampwidth() != 2:
                raise ValueError("expected 16-bit PCM WAV")
            frames = w.readframes(w.getnframes())
            if w.getnchannels() != 1:
                frames = _downmix(frames, w.getnchannels())
            return cls(frames, w.getframerate())

    @classmethod
    def silence(cls, seconds: float, sample_rate: int) -> "Audio":
        return cls(b"\x00\x00" * int(round(seconds * sample_rate)), sample_rate)


def _downmix(frames: bytes, channels: int) -> bytes:
    import array

    pcm = array.array("h", frames)
    mono = array.array("h", (sum(pcm[i:i + channels]) // channels for i in range(0, len(pcm), channels)))
    return mono.tobytes()
