"""Keeping the cache small: segment audio no current manifest references goes after a grace period.

An edited paragraph, a changed voice or engine, a deleted post: each leaves segments that no
post speaks any more. They stay for TTS_PRUNE_AFTER_DAYS after they fell out of use, so that
an undo, a branch switched back or an engine tried and dropped costs nothing, then they go.
When each fell out of use is recorded in the cache folder's unused.json: a file's mtime says
when it was made, not when it stopped being needed. The manifests and sidecars of posts (or
translations) the site no longer has go at once: they are small, and a post that comes back
makes them again, while its audio waits out the grace period like any other.

`nikola tts --prune` prunes at once, whatever the grace period; its --dry-run only lists.
Pruning also converts a cache written before FLAC, once (segments.SegmentStore.convert_wavs).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from nikola_tts.cache.folder import CacheFolder
from nikola_tts.cache.manifest import load_manifest
from nikola_tts.cache.segments import Conversion, SegmentStore
from nikola_tts.files import atomic_write_json, read_json, unlink_quietly

FORMAT = 1
DAY = 86400.0


@dataclass(frozen=True)
class PruneReport:
    removed_segments: int
    removed_bytes: int
    waiting_segments: int  # unused, inside their grace period
    waiting_bytes: int
    next_due: float | None  # when the first waiting segment goes (epoch seconds)
    removed_records: tuple[str, ...]  # manifests, sidecars and encoded parts of posts the site no longer has
    kept_segments: int  # in use
    kept_bytes: int
    conversion: Conversion | None = None

    @property
    def removed_posts(self) -> int:
        """How many posts those records were of (a manifest, a sidecar and parts each)."""
        return len({(Path(p).parent.name, Path(p).name.removesuffix(".json")) for p in self.removed_records})


def _same(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def unused_since(folder: CacheFolder) -> dict[str, float]:
    data = read_json(folder.unused, None)
    if not isinstance(data, dict) or not isinstance(data.get("unused_since"), dict):
        return {}
    return {k: float(v) for k, v in data["unused_since"].items() if isinstance(v, (int, float))}


def is_due(folder: CacheFolder, grace_days: float, now: float | None = None) -> bool:
    """Whether a build's prune has work: never pruned here yet, or a segment's grace period is over."""
    if not os.path.exists(folder.unused):
        return os.path.isdir(folder.segments)
    now = time.time() if now is None else now
    return any(since + grace_days * DAY <= now for since in unused_since(folder).values())


def prune(folder: CacheFolder, manifests: list[str], sidecars: list[str], grace_days: float,
          dry_run: bool = False, now: float | None = None) -> PruneReport:
    """Remove what no post of the site uses. manifests and sidecars: the paths of every post the
    site has (narrated or silenced: an opted-out post keeps its audio for when it opts back in)."""
    now = time.time() if now is None else now
    store = SegmentStore(folder.segments)
    if not os.path.isdir(folder.root):
        return PruneReport(0, 0, 0, 0, None, (), 0, 0)
    keep = {_same(p) for p in manifests} | {_same(p) for p in sidecars}
    orphans = [p for p in folder.manifest_files() + folder.sidecar_files() if _same(p) not in keep]
    live: set[str] = set()
    encoded: set[str] = set()
    for path in manifests:
        manifest = load_manifest(path)
        if manifest:
            live.update(s.key for s in manifest.segments)
            encoded.add(_same(folder.encoded(manifest.lang, manifest.source)))
    orphans += [p for p in folder.encoded_folders() if _same(p) not in encoded]
    conversion = None
    if not dry_run:
        for path in orphans:
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                unlink_quietly(path)
        conversion = store.convert_wavs()
    before = unused_since(folder)
    since: dict[str, float] = {}
    sizes: dict[str, int] = {}
    kept = kept_bytes = 0
    for segment in store.stored():
        if segment.key in live:
            kept += 1
            kept_bytes += segment.size
            continue
        since[segment.key] = before.get(segment.key, now)
        sizes[segment.key] = sizes.get(segment.key, 0) + segment.size
    due = [key for key, t in since.items() if t + grace_days * DAY <= now]
    removed_bytes = sum(sizes[key] for key in due)
    if not dry_run:
        for key in due:
            store.remove(key)
        waiting_since = {key: t for key, t in since.items() if key not in due}
        if waiting_since != before or not os.path.exists(folder.unused):
            atomic_write_json(folder.unused, {"format": FORMAT, "unused_since": waiting_since})
    waiting = [key for key in since if key not in due]
    return PruneReport(
        removed_segments=len(due), removed_bytes=removed_bytes,
        waiting_segments=len(waiting), waiting_bytes=sum(sizes[key] for key in waiting),
        next_due=min((since[key] + grace_days * DAY for key in waiting), default=None),
        removed_records=tuple(orphans), kept_segments=kept, kept_bytes=kept_bytes, conversion=conversion,
    )
