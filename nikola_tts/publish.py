"""Publish one post's narration: its cached segments joined, encoded to MP3, its transcript and
chapters beside it, all recorded in its sidecar.

Never raises for a post's own failure: the sidecar records it (status "failed"), audio
published before stays online, and the next build retries.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

from nikola_tts.cache.manifest import Manifest, SpokenSegment
from nikola_tts.cache.segments import SegmentStore
from nikola_tts.cache.sidecar import EMPTY, FAILED, OK, Sidecar, read_sidecar, write_sidecar
from nikola_tts.errors import TTSError
from nikola_tts.files import atomic_write_bytes, unlink_quietly
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
        for path in (plan.output, *plan.companions):  # the post lost its prose: its old audio would be a lie
            unlink_quietly(path)
        return _record(plan, Sidecar(EMPTY, digest))
    store = SegmentStore(plan.cache.segments)
    if not force and _published(manifest, plan, previous):
        if all(os.path.exists(path) for path in plan.companions):
            return previous  # the same segments, tags and encoding: the MP3 on disk is this one
        # Published before timings were recorded (or its transcript was deleted): the segments'
        # lengths give them, without encoding again.
        return _time_published(manifest, plan, store, previous)
    try:
        return _record(plan, _encode(manifest, plan, store, force))
    except (TTSError, ValueError, OSError) as exc:
        return _record_failure(plan, digest, previous, str(exc) or type(exc).__name__)


def announcer(manifest: Manifest, plan: NarrationPlan) -> Callable[[float, str], None]:
    """What encoding a long post's MP3 says it is doing: `announce(seconds of audio, doing)`."""
    name = plan.name

    def announce(seconds: float, doing: str) -> None:
        if seconds >= LONG_AUDIO_SECONDS:  # seconds of work: say what is going on
            log.info(f"{name}: {audio_length(seconds)} of audio from {counted(len(manifest.segments), 'segment')}: "
                     f"{doing}")

    return announce


def needs_mp3(manifest: Manifest, plan: NarrationPlan) -> bool:
    """Whether publishing this post encodes an MP3 (not forced): it has prose, and the MP3 on disk
    is not of these segments, tags and encoding."""
    return bool(manifest.segments) and not _published(manifest, plan, read_sidecar(plan.sidecar_path))


def say_if_off_target(name: str, loudness: float, target: float) -> None:
    """Said once, when the MP3's parts are encoded: later builds keep that gain (assemble.py)."""
    from nikola_tts.audio.mp3 import LOUDNESS_TOLERANCE, SILENT_LUFS

    if abs(loudness - target) > LOUDNESS_TOLERANCE and loudness > SILENT_LUFS:
        log.warning(f"{name}: its MP3 is at {loudness:.1f} LUFS, as near the {target:g} LUFS of TTS_LOUDNESS "
                    "as its gain search got")


def missing_segments(manifest: Manifest, store: SegmentStore) -> list[SpokenSegment]:
    """The post's segments not in the cache (failed, or not narrated yet): its MP3 waits for them."""
    return [s for s in manifest.segments if not store.has(s.key)]


def _published(manifest: Manifest, plan: NarrationPlan, previous: Sidecar | None) -> bool:
    return bool(previous) and previous.status == OK and previous.digest == manifest.digest and \
        os.path.exists(plan.output)


def _encode(manifest: Manifest, plan: NarrationPlan, store: SegmentStore, force: bool) -> Sidecar:
    from nikola_tts.assemble import assemble
    from nikola_tts.audio.mp3 import require_ffmpeg
    from nikola_tts.cache.encoded import PartStore
    from nikola_tts.synthesis import failed_segments

    missing = missing_segments(manifest, store)
    if missing:
        reasons = failed_segments(plan.cache)
        reason = next((reasons[s.key] for s in missing if s.key in reasons), "not synthesized yet")
        raise TTSError(f"{len(missing)} of {len(manifest.segments)} segments missing: {reason}")
    require_ffmpeg()
    name, started = plan.name, time.monotonic()
    made = assemble(manifest.segments, store, PartStore(plan.cache.encoded(plan.lang, plan.source)), plan.output,
                    manifest.tags, manifest.encoding, plan.cache.tmp, fresh=force, announce=announcer(manifest, plan))
    if made.seconds >= LONG_AUDIO_SECONDS:
        encoded = f"{made.encoded} of {counted(made.parts, 'part')} encoded" if made.encoded else \
            f"its {counted(made.parts, 'part')} ready"
        log.info(f"{name}: published {plan.output} in {time.monotonic() - started:.0f} s ({encoded})")
    if made.encoded:
        say_if_off_target(name, made.loudness, manifest.encoding.loudness)
    return _with_companions(manifest, plan, Sidecar(OK, manifest.digest, href=manifest.href,
                                                    duration=round(made.duration, 3)), made.spans)


def _time_published(manifest: Manifest, plan: NarrationPlan, store: SegmentStore, previous: Sidecar) -> Sidecar:
    from nikola_tts.audio.join import spans_of

    try:
        lengths = [store.length(s.key) for s in manifest.segments]
    except (OSError, EOFError, ValueError):
        return previous  # the cache lost some segments: the audio stays, untimed, until re-narrated
    spans = spans_of([(n, s.pause_after) for (n, _), s in zip(lengths, manifest.segments)], lengths[0][1])
    return _record(plan, _with_companions(manifest, plan, previous, spans))


def _with_companions(manifest: Manifest, plan: NarrationPlan, sidecar: Sidecar, spans) -> Sidecar:
    """Write the transcript and chapters beside the MP3; return the sidecar with its timings."""
    import dataclasses

    from nikola_tts.transcript import chapters_json, chapters_vtt, timings, transcript_vtt

    timed = timings(manifest, spans)
    duration = sidecar.duration or spans[-1].end
    files = plan.companions
    atomic_write_bytes(files.transcript, transcript_vtt(timed.cues).encode("utf-8"))
    # Always written, even with no headings (one chapter: the title), so every target exists.
    chapters = timed.chapters or _whole(manifest)
    atomic_write_bytes(files.chapters_vtt, chapters_vtt(chapters, duration).encode("utf-8"))
    atomic_write_bytes(files.chapters_json, chapters_json(chapters, duration).encode("utf-8"))
    return dataclasses.replace(sidecar, heard=timed.heard, page_blocks=timed.page_blocks, chapters=timed.chapters)


def _whole(manifest: Manifest):
    from nikola_tts.cache.sidecar import Chapter

    return (Chapter(0.0, manifest.tags.title),)


def _record(plan: NarrationPlan, sidecar: Sidecar) -> Sidecar:
    write_sidecar(plan.sidecar_path, sidecar)
    return sidecar


def _record_failure(plan: NarrationPlan, digest: str, previous: Sidecar | None, error: str) -> Sidecar:
    if previous and previous.has_audio and os.path.exists(plan.output):
        # Keep serving the audio published earlier (with its timings) until the new one succeeds.
        return _record(plan, Sidecar(FAILED, digest, href=previous.href, duration=previous.duration, error=error,
                                     heard=previous.heard, page_blocks=previous.page_blocks,
                                     chapters=previous.chapters))
    return _record(plan, Sidecar(FAILED, digest, error=error))


def unpublish(plan: NarrationPlan) -> bool:
    """Remove a silenced post's audio (opted out, made a draft...). True if anything was removed."""
    paths = (plan.output, *plan.companions, plan.sidecar_path)
    removed = any(os.path.exists(path) for path in paths)
    for path in paths:
        unlink_quietly(path)
    return removed
