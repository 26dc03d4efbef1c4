"""Publish one post's narration: its cached segments joined, encoded to MP3, recorded in its sidecar.

Never raises for a post's own failure: the sidecar records it (status "failed"), audio
published before stays online, and the next build retries.
"""

from __future__ import annotations

import logging
import os
import time

from nikola_tts.cache.manifest import Manifest
from nikola_tts.cache.segments import SegmentStore
from nikola_tts.cache.sidecar import EMPTY, FAILED, OK, Sidecar, read_sidecar, write_sidecar
from nikola_tts.errors import TTSError
from nikola_tts.files import unlink_quietly
from nikola_tts.plan import NarrationPlan
from nikola_tts.words import audio_length, counted

log = logging.getLogger("tts")
LONG_AUDIO_SECONDS = 300  # posts this long take seconds to encode: their assembly is announced


def publish(manifest: Manifest, plan: NarrationPlan, force: bool = False) -> Sidecar:
    """Make the post's MP3 (unless the one published already matches, and not forced: re-narrated
    segments keep their keys) and return its sidecar."""
    previous = read_sidecar(plan.sidecar_path)
    digest = manifest.digest
    if not manifest.segments:
        unlink_quietly(plan.output)  # the post lost its prose: its old audio would be a lie
        return _record(plan, Sidecar(EMPTY, digest))
    if not force and previous and previous.status == OK and previous.digest == digest and os.path.exists(plan.output):
        return previous  # the same segments, tags and encoding: the MP3 on disk is this one
    store = SegmentStore(plan.cache.segments)
    try:
        duration = _encode(manifest, plan, store)
    except (TTSError, ValueError, OSError) as exc:
        return _record_failure(plan, digest, previous, str(exc) or type(exc).__name__)
    return _record(plan, Sidecar(OK, digest, href=manifest.href, duration=round(duration, 3)))


def _encode(manifest: Manifest, plan: NarrationPlan, store: SegmentStore) -> float:
    from nikola_tts.audio.join import join_with_pauses
    from nikola_tts.audio.mp3 import encode_mp3, require_ffmpeg
    from nikola_tts.synthesis import failed_segments

    missing = [s for s in manifest.segments if not store.has(s.key)]
    if missing:
        reasons = failed_segments(plan.cache)
        reason = next((reasons[s.key] for s in missing if s.key in reasons), "not synthesized yet")
        raise TTSError(f"{len(missing)} of {len(manifest.segments)} segments missing: {reason}")
    require_ffmpeg()
    audio = join_with_pauses((store.load(s.key), s.pause_after) for s in manifest.segments)
    started = time.monotonic()
    if audio.seconds >= LONG_AUDIO_SECONDS:  # seconds of work: say what is going on
        log.info(f"{plan.source} ({plan.lang}): {audio_length(audio.seconds)} of audio from "
                 f"{counted(len(manifest.segments), 'segment')}: measuring its loudness and encoding the MP3")
    duration = encode_mp3(audio, plan.output, manifest.tags, bitrate=manifest.encoding.bitrate,
                          loudness=manifest.encoding.loudness, tmp_dir=plan.cache.tmp)
    if audio.seconds >= LONG_AUDIO_SECONDS:
        log.info(f"{plan.source} ({plan.lang}): published {plan.output} in {time.monotonic() - started:.0f} s")
    return duration


def _record(plan: NarrationPlan, sidecar: Sidecar) -> Sidecar:
    write_sidecar(plan.sidecar_path, sidecar)
    return sidecar


def _record_failure(plan: NarrationPlan, digest: str, previous: Sidecar | None, error: str) -> Sidecar:
    if previous and previous.has_audio and os.path.exists(plan.output):
        # Keep serving the audio published earlier until the new one succeeds.
        return _record(plan, Sidecar(FAILED, digest, href=previous.href, duration=previous.duration, error=error))
    return _record(plan, Sidecar(FAILED, digest, error=error))


def unpublish(plan: NarrationPlan) -> bool:
    """Remove a silenced post's audio (opted out, made a draft...). True if anything was removed."""
    removed = os.path.exists(plan.output) or os.path.exists(plan.sidecar_path)
    for path in (plan.output, plan.sidecar_path):
        unlink_quietly(path)
    return removed
