"""PCM audio as it flows between engines, the segment cache and assembly.

One representation everywhere keeps the seams simple: mono, signed 16-bit little-endian
samples and their rate. Engines that compute floats convert once, at their edge.
"""

from __future__ import annotations

from dataclasses import dataclass

from nikola_tts.audio import wav


@dataclass(frozen=True)
class Audio:
    samples: bytes  # mono, int16 little-endian
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / 2 / self.sample_rate

    def to_wav_bytes(self) -> bytes:
        return wav.write(self.samples, self.sample_rate)

    @classmethod
    def from_wav_bytes(cls, data: bytes) -> "Audio":
        """Any PCM or float WAV, as mono int16; WavError (a ValueError) if it is not one."""
        return cls(*wav.read(data))

    @classmethod
    def silence(cls, seconds: float, sample_rate: int) -> "Audio":
        return cls(b"\x00\x00" * int(round(seconds * sample_rate)), sample_rate)
