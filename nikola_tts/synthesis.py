"""One synthesis pass: every missing segment of every stale post, batched through its engine.

Finished segments go into the segment store as they arrive, so an interrupted or failing pass
loses only what was still in flight; the next build retries whatever is missing. What failed
is written to the cache folder's failed_segments.json, where publishing finds the reason.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

from nikola_tts.cache.folder import CacheFolder
from nikola_tts.cache.manifest import Manifest, SpokenSegment
from nikola_tts.cache.segments import SegmentStore
from nikola_tts.engines.base import Engine, Request
from nikola_tts.errors import TTSError, one_line
from nikola_tts.files import atomic_write_json, read_json
from nikola_tts.progress import Progress

log = logging.getLogger("tts")


@dataclass(frozen=True)
class SynthesisJob:
    """One segment to synthesize, and the posts that speak it (a segment may be shared)."""

    key: str
    text: str
    voice: str
    language: str
    engine: str  # the TTS_ENGINE name that speaks it
    owners: frozenset[str]  # plan ids


@dataclass
class PassReport:
    segments: int = 0
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0
    failed: dict = field(default_factory=dict)  # key -> one-line reason


def pending_jobs(manifests: list[Manifest], store: SegmentStore, force: bool = False) -> list[SynthesisJob]:
    """The segments to synthesize: those missing from the store (or all of them, when forced)."""
    owners: dict[str, set] = {}
    first: dict[str, tuple[Manifest, SpokenSegment]] = {}
    for manifest in manifests:
        for seg in manifest.segments:
            if seg.key in owners:
                owners[seg.key].add(manifest.id)
            elif force or not store.has(seg.key):
                owners[seg.key] = {manifest.id}
                first[seg.key] = (manifest, seg)
    # A segment in another language than its post's names its own voice.
    return [SynthesisJob(key, seg.text, seg.voice or m.voice, seg.language or m.language, seg.engine or m.engine,
                         frozenset(owners[key]))
            for key, (m, seg) in first.items()]


def synthesize_all(manifests: list[Manifest], settings, force: bool = False) -> PassReport:
    """Synthesize every missing segment, one engine (one model load) per TTS_ENGINE in use.
    Failures are recorded per segment, never raised."""
    from nikola_tts.engines import create_engine
    from nikola_tts.settings import engine_options

    folder = CacheFolder(settings.cache_folder)
    store = SegmentStore(folder.segments)
    jobs = pending_jobs(manifests, store, force)
    report = PassReport()
    if jobs:
        try:
            from nikola_tts.audio.mp3 import require_ffmpeg

            require_ffmpeg()  # before an hour of synthesis, not after it
        except TTSError as exc:
            log.error(str(exc))
            report.failed = {job.key: str(exc) for job in jobs}
            jobs = []
    by_engine: dict[str, list] = {}
    for job in jobs:
        by_engine.setdefault(job.engine, []).append(job)
    for name, group in by_engine.items():
        try:
            engine = create_engine(name, engine_options(settings))
            part = synthesize(group, engine, store)
        except TTSError as exc:
            log.error(str(exc))
            report.failed.update({job.key: str(exc) for job in group})
            continue
        report.segments += part.segments
        report.audio_seconds += part.audio_seconds
        report.failed.update(part.failed)
        if part.audio_seconds > 0:
            record_speed(folder.stats, engine.name, part,
                         sum(len(j.text) for j in group if j.key not in part.failed))
    atomic_write_json(folder.failed_segments, report.failed)
    return report


def synthesize(jobs: list[SynthesisJob], engine: Engine, store: SegmentStore) -> PassReport:
    """Run jobs through one engine, storing each segment as it arrives."""
    report = PassReport()
    if not jobs:
        return report
    started = time.monotonic()
    remaining = defaultdict(int)
    for job in jobs:
        for owner in job.owners:
            remaining[owner] += 1
    progress = Progress(len(remaining), sum(len(j.text) for j in jobs), log)

    def settle(job: SynthesisJob) -> int:
        done = 0
        for owner in job.owners:
            remaining[owner] -= 1
            done += remaining[owner] == 0
        return done

    engine.load()
    log.info(f"narrating {len(jobs)} segments of {len(remaining)} posts with {engine.describe()}")
    try:
        for batch in _batches(jobs, engine, report, settle, progress):
            requests = [Request(j.text, j.voice, j.language) for j in batch]
            for index, result in engine.synthesize(requests):
                job = batch[index]
                if isinstance(result, Exception):
                    report.failed[job.key] = one_line(result)
                    progress.segment_done(len(job.text), 0.0, settle(job))
                    continue
                store.store(job.key, result)
                report.segments += 1
                report.audio_seconds += result.seconds
                progress.segment_done(len(job.text), result.seconds, settle(job))
    finally:
        engine.close()
        progress.finish()
    report.wall_seconds = time.monotonic() - started
    return report


def _batches(jobs, engine, report, settle, progress):
    """Group by voice and language, then by length, so a batch's members finish together."""
    groups = defaultdict(list)
    for job in jobs:
        groups[(job.voice, job.language)].append(job)
    for (voice, language), group in groups.items():
        try:
            engine.check_voice(voice, language)
        except TTSError as exc:
            for job in group:
                report.failed[job.key] = str(exc)
                progress.segment_done(len(job.text), 0.0, settle(job))
            continue
        group.sort(key=lambda j: len(j.text), reverse=True)
        size = max(1, engine.batch_size)
        for start in range(0, len(group), size):
            yield group[start:start + size]


def record_speed(stats_path: str, engine_name: str, report: PassReport, chars: int) -> None:
    """Remember how fast this engine ran here, for `nikola tts --dry-run` estimates."""
    stats = read_json(stats_path, {}) or {}
    stats[engine_name] = {
        "realtime_factor": report.wall_seconds / report.audio_seconds,
        "audio_seconds_per_char": report.audio_seconds / max(chars, 1),
    }
    atomic_write_json(stats_path, stats)


def failed_segments(folder: CacheFolder) -> dict:
    """The last pass's failed segments: key -> why."""
    return read_json(folder.failed_segments, {}) or {}
