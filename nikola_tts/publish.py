"""Assemble a post's MP3 from cached segments and record what was published.

The sidecar (a small JSON per post and language) is what the page render reads: the audio's
URL and its duration as measured on the encoded file. The page task depends on it, so a new
duration re-renders the page and nothing else does.
"""

from __future__ import annotations

import os

from nikola_tts.cache import SegmentCache
from nikola_tts.errors import TTSError
from nikola_tts.files import _unlink_quietly, atomic_write_json, read_json

LAST_FAILURES = "last_failures.json"


def assemble(manifest: dict, spec: dict) -> dict:
    """Publish one post's MP3; returns its sidecar (also written). Never raises for a post's own failure."""
    from nikola_tts.audio.join import join_with_pauses
    from nikola_tts.audio.mp3 import Tags, encode_mp3, require_ffmpeg

    previous = read_json(spec["sidecar"], {}) or {}
    cache = SegmentCache(spec["cache_folder"])
    segments = manifest["segments"]
    if not segments:
        _unlink_quietly(spec["output"])  # the post lost its prose: its old audio would be a lie
        return _record(spec, {"status": "empty", "digest": manifest["digest"]})
    missing = [s for s in segments if not cache.has(s["key"])]
    try:
        if missing:
            reasons = read_json(os.path.join(spec["cache_folder"], LAST_FAILURES), {}) or {}
            reason = next((reasons[s["key"]] for s in missing if s["key"] in reasons), "not synthesized yet")
            raise TTSError(f"{len(missing)} of {len(segments)} segments missing: {reason}")
        require_ffmpeg()
        audio = join_with_pauses((cache.load(s["key"]), s["pause_after"]) for s in segments)
        tags = Tags(**manifest["tags"])
        duration = encode_mp3(audio, spec["output"], tags, bitrate=manifest["encode"]["bitrate"],
                              loudness=manifest["encode"]["loudness"],
                              tmp_dir=os.path.join(spec["cache_folder"], "tmp"))
    except (TTSError, ValueError, OSError) as exc:
        return _record_failure(spec, manifest, previous, str(exc) or type(exc).__name__)
    return _record(spec, {"status": "ok", "digest": manifest["digest"], "href": manifest["href"],
                          "duration": round(duration, 3)})


def _record(spec: dict, sidecar: dict) -> dict:
    if read_json(spec["sidecar"]) != sidecar:
        atomic_write_json(spec["sidecar"], sidecar)
    _unlink_quietly(spec["failure"])
    return sidecar


def _record_failure(spec: dict, manifest: dict, previous: dict, error: str) -> dict:
    sidecar = {"status": "failed", "digest": manifest["digest"], "error": error}
    if previous.get("href") and os.path.exists(spec["output"]):
        # Keep serving the audio published earlier until the new one succeeds.
        sidecar.update(href=previous["href"], duration=previous.get("duration"))
    atomic_write_json(spec["sidecar"], sidecar)
    atomic_write_json(spec["failure"], {"post": spec["source"], "lang": spec["lang"], "error": error})
    return sidecar


def unpublish(spec: dict) -> bool:
    """Remove a silenced post's audio (opted out, made a draft...). True if anything was removed."""
    removed = os.path.exists(spec["output"]) or os.path.exists(spec["sidecar"])
    for path in (spec["output"], spec["sidecar"], spec["failure"]):
        _unlink_quietly(path)
    return removed


def is_current(spec: dict) -> bool:
    """doit uptodate check: the sidecar reflects a finished narration (failures are retried)."""
    sidecar = read_json(spec["sidecar"])
    return bool(sidecar) and sidecar.get("status") in ("ok", "empty")
