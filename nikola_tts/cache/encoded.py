"""A post's encoded parts (audio/parts.py), kept so that its next MP3 copies the frames of every
part an edit did not touch.

    tts_cache/encoded/<lang>/<post>/<part key>.mp3   a part's bare MP3 frames
    tts_cache/encoded/<lang>/<post>/parts.json       each one's frame count and loudness blocks, and the gain they share

Parts are derived data: a lost file or index means that part is encoded again, nothing more. A
part file is moved in only once whole, and the index names only parts whose file was complete.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from nikola_tts.cache.folder import TEMP_PREFIX
from nikola_tts.files import atomic_move, atomic_write_json, read_json, unlink_quietly

FORMAT = 2  # 1: frame counts alone


@dataclass(frozen=True)
class EncodedPart:
    """What an encoded part holds: its frames, and its loudness as mp3.frames_and_blocks measures them."""

    frames: int
    blocks: tuple[float, ...]
INDEX = "parts.json"
SUFFIX = ".mp3"


@dataclass(frozen=True)
class PartsIndex:
    """What the folder holds: each part, and the gain that brought the post's last MP3 to its
    target loudness."""

    parts: dict[str, EncodedPart] = field(default_factory=dict)
    gain_db: float | None = None
    gain_known: bool = False  # False: no MP3 made from these parts yet (gain_db None means silence)
    loudness: float | None = None  # the target (LUFS) the gain was found for
    # What that MP3 measured (LUFS): off the target only where the gain search could get no nearer
    # (ahead of the peak limiter, say), and then the mark a later MP3 at that gain is held to.
    reached: float | None = None

    def to_json(self) -> dict:
        data = {"format": FORMAT,
                # Blocks as one line of text: a post's index stays a few lines long in a diff.
                "parts": {key: {"frames": p.frames, "blocks": " ".join(f"{b:.1f}" for b in p.blocks)}
                          for key, p in sorted(self.parts.items())}}
        if self.gain_known:
            data["gain_db"], data["loudness"] = self.gain_db, self.loudness
            if self.reached is not None:
                data["reached"] = self.reached
        return data

    @classmethod
    def from_json(cls, data) -> "PartsIndex":
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("parts"), dict):
            return cls()  # another format: the parts are encoded again
        parts = {}
        for key, part in data["parts"].items():
            try:
                parts[str(key)] = EncodedPart(int(part["frames"]), tuple(float(b) for b in part["blocks"].split()))
            except (KeyError, TypeError, ValueError, AttributeError):
                continue  # that part is encoded again
        gain, target, reached = data.get("gain_db"), data.get("loudness"), data.get("reached")
        return cls(parts, float(gain) if isinstance(gain, (int, float)) else None,
                   "gain_db" in data and isinstance(target, (int, float)),
                   float(target) if isinstance(target, (int, float)) else None,
                   float(reached) if isinstance(reached, (int, float)) else None)

    def gain_for(self, loudness: float) -> tuple[bool, float | None]:
        """(known, gain): the gain of the last MP3, if it was found for this target."""
        return (self.gain_known and self.loudness == loudness), self.gain_db


class PartStore:
    def __init__(self, folder: str | os.PathLike):
        self.root = Path(folder)

    def path(self, key: str) -> Path:
        return self.root / f"{key}{SUFFIX}"

    def index(self) -> PartsIndex:
        return PartsIndex.from_json(read_json(self.root / INDEX))

    def get(self, index: PartsIndex, key: str) -> EncodedPart | None:
        """The part, if its file is here whole."""
        part = index.parts.get(key)
        return part if part and part.frames > 0 and self.path(key).is_file() else None

    def put(self, key: str, encoded: str | os.PathLike) -> None:
        """Move a finished part in (the index is written by record)."""
        atomic_move(encoded, self.path(key))

    def record(self, index: PartsIndex) -> None:
        atomic_write_json(self.root / INDEX, index.to_json())

    def keep_only(self, parts: dict[str, EncodedPart], gain_db: float | None, loudness: float,
                  reached: float | None = None) -> None:
        """After publishing: the parts of the MP3 just published stay, with its gain (found for the
        target `loudness`, and `reached` as measured); the rest go."""
        self.record(PartsIndex(dict(parts), gain_db, True, loudness, reached))
        for path in self.root.glob(f"*{SUFFIX}"):
            if path.stem not in parts and not path.name.startswith(TEMP_PREFIX):
                unlink_quietly(path)
