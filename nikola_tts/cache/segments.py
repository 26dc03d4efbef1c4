"""Segment audio by key: one FLAC per (spoken text, voice identity), shared by every post.

Keys hash the exact text and the engine's identity string, so an edited paragraph gets a
new key while every untouched paragraph keeps its audio, and a voice change misses them all.

This is the one place that knows the files' format. Segments are FLAC (lossless, about half
of WAV); a cache written before FLAC holds WAVs, which are read as they are and converted
once (`convert_wavs`), so upgrading re-synthesizes nothing.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from nikola_tts.audio.pcm import Audio
from nikola_tts.cache.folder import TEMP_PREFIX
from nikola_tts.files import atomic_write_bytes, unlink_quietly

KEY_VERSION = "nikola-tts/1"
SUFFIX = ".flac"
WAV_SUFFIX = ".wav"  # the format before FLAC


def segment_key(text: str, engine_identity: str) -> str:
    data = "\n".join((KEY_VERSION, engine_identity, text)).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class StoredSegment:
    key: str
    path: Path
    size: int  # bytes on disk


@dataclass(frozen=True)
class Conversion:
    segments: int  # WAVs converted
    wav_bytes: int
    flac_bytes: int


class SegmentStore:
    def __init__(self, folder: str | Path):
        self.root = Path(folder)

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}{SUFFIX}"

    def _wav(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}{WAV_SUFFIX}"

    def has(self, key: str) -> bool:
        return self.path(key).is_file() or self._wav(key).is_file()

    def load(self, key: str) -> Audio:
        from nikola_tts.audio.flac import from_flac_bytes

        path = self.path(key)
        if path.is_file():
            return from_flac_bytes(path.read_bytes())
        return Audio.from_wav_bytes(self._wav(key).read_bytes())

    def length(self, key: str) -> tuple[int, int]:
        """(samples, sample rate) of a segment, from its file's header alone."""
        path = self.path(key)
        if path.is_file():
            from nikola_tts.audio.flac import flac_length

            return flac_length(path)
        import wave

        with wave.open(str(self._wav(key)), "rb") as w:
            return w.getnframes(), w.getframerate()

    def store(self, key: str, audio: Audio) -> None:
        from nikola_tts.audio.flac import to_flac_bytes

        atomic_write_bytes(self.path(key), to_flac_bytes(audio))
        unlink_quietly(self._wav(key))  # re-synthesized (--regenerate-all): the FLAC is the audio now

    def stored(self) -> Iterator[StoredSegment]:
        """Every stored segment file (a key converted halfway may appear twice, as WAV and FLAC)."""
        if not self.root.is_dir():
            return
        for folder in sorted(os.scandir(self.root), key=lambda e: e.name):
            if not folder.is_dir():
                continue
            for entry in os.scandir(folder.path):
                name = entry.name
                if name.startswith(TEMP_PREFIX) or not name.endswith((SUFFIX, WAV_SUFFIX)) or not entry.is_file():
                    continue
                yield StoredSegment(name.rsplit(".", 1)[0], Path(entry.path), entry.stat().st_size)

    def remove(self, key: str) -> int:
        """Delete a segment's audio; returns the bytes freed."""
        freed = 0
        for path in (self.path(key), self._wav(key)):
            try:
                freed += path.stat().st_size
                path.unlink()
            except FileNotFoundError:
                pass
        return freed

    def convert_wavs(self) -> Conversion:
        """Store every WAV segment as FLAC (the same samples), then delete the WAV."""
        from nikola_tts.audio.flac import to_flac_bytes

        converted = wav_bytes = flac_bytes = 0
        for segment in [s for s in self.stored() if s.path.suffix == WAV_SUFFIX]:
            flac = self.path(segment.key)
            if not flac.is_file():  # else a build killed mid-conversion left both: the FLAC is whole
                data = to_flac_bytes(Audio.from_wav_bytes(segment.path.read_bytes()))
                atomic_write_bytes(flac, data)
                converted += 1
                wav_bytes += segment.size
                flac_bytes += len(data)
            segment.path.unlink(missing_ok=True)
        return Conversion(converted, wav_bytes, flac_bytes)
