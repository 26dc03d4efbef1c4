"""The layout of the cache folder, in one place.

    tts_cache/
      segments/ab/<key>.flac         one per spoken segment (segments.py; .wav before FLAC)
      manifests/<lang>/<post>.json   a post's segments in order (manifest.py)
      published/<lang>/<post>.json   a post's sidecar: its audio, or why it has none (sidecar.py)
      encoded/<lang>/<post>/         its MP3's encoded parts, for the next edit (encoded.py)
      failed_segments.json           the last synthesis pass's failed segments and why
      stats.json                     how fast each engine ran here, for estimates
      unused.json                    since when each segment no post speaks has been unused (prune.py)
      tmp/                           work in progress of the MP3 encoder

Every file is written atomically through a `.tmp-*` sibling; a killed build can leave those
behind, and `sweep()` removes them (and the files of older layouts) at the start of a build.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

TEMP_PREFIX = ".tmp-"  # files.py writes through siblings named so; nothing else starts with it
_RETIRED = ("failed", "last_failures.json")  # failure records of the first layout, now in the sidecars


def _file_name(source_path: str) -> str:
    return source_path.replace(os.sep, "__").replace("/", "__")


@dataclass(frozen=True)
class CacheFolder:
    root: str

    @property
    def segments(self) -> str:
        return os.path.join(self.root, "segments")

    def manifest(self, lang: str, source_path: str) -> str:
        return os.path.join(self.root, "manifests", lang, _file_name(source_path) + ".json")

    def sidecar(self, lang: str, source_path: str) -> str:
        return os.path.join(self.root, "published", lang, _file_name(source_path) + ".json")

    def encoded(self, lang: str, source_path: str) -> str:
        return os.path.join(self.root, "encoded", lang, _file_name(source_path))

    def encoded_folders(self) -> list[str]:
        folder = Path(self.root, "encoded")
        if not folder.is_dir():
            return []
        return sorted(str(p) for p in folder.glob("*/*") if p.is_dir() and not p.name.startswith(TEMP_PREFIX))

    @property
    def failed_segments(self) -> str:
        return os.path.join(self.root, "failed_segments.json")

    @property
    def stats(self) -> str:
        return os.path.join(self.root, "stats.json")

    @property
    def unused(self) -> str:
        return os.path.join(self.root, "unused.json")

    def manifest_files(self) -> list[str]:
        return self._records("manifests")

    def sidecar_files(self) -> list[str]:
        return self._records("published")

    def _records(self, kind: str) -> list[str]:
        """The JSON records of one kind, every language (no temp files)."""
        folder = Path(self.root, kind)
        if not folder.is_dir():
            return []
        return sorted(str(p) for p in folder.glob("*/*.json") if not p.name.startswith(TEMP_PREFIX))

    @property
    def tmp(self) -> str:
        return os.path.join(self.root, "tmp")

    def sweep(self) -> int:
        """Remove what a killed build left half-written, and the retired files of older layouts.
        Returns how many things went. Only a build that owns the folder may call it."""
        root = Path(self.root)
        if not root.is_dir():
            return 0
        removed = 0
        for name in _RETIRED:
            path = root / name
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
            elif path.exists():
                path.unlink(missing_ok=True)
                removed += 1
        for dirpath, dirnames, filenames in os.walk(root):
            for name in [d for d in dirnames if d.startswith(TEMP_PREFIX)]:
                shutil.rmtree(os.path.join(dirpath, name), ignore_errors=True)
                dirnames.remove(name)
                removed += 1
            for name in filenames:
                if name.startswith(TEMP_PREFIX):
                    Path(dirpath, name).unlink(missing_ok=True)
                    removed += 1
        return removed
