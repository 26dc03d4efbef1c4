"""One synthesis pass: every missing segment of every stale post, batched through one engine.

Finished segments go into the cache as they arrive, so an interrupted or failing pass loses
only what was still in flight; the next build retries whatever is missing.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

from nikola_tts.cache import SegmentCache
from nikola_tts.engines import Engine, Request
from nikola_tts.errors import TTSError, one_line
from nikola_tts.files import atomic_write_json, read_json
from nikola_tts.progress import Progress


@dataclass
class Job:
    key: str
    text: str
    voice: str
    language: str
    engine: str = ""  # the TTS_ENGINE name that speaks it
    owners: set = field(default_factory=set)  # the posts that speak this segment


@dataclass
class Report:
    segments: int = 0
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0
    failed: dict = field(default_factory=dict)  # key -> one-line reason


def synthesize(jobs: list[Job], engine: Engine, cache: SegmentCache, log: logging.Logger,
               stats_path=None) -> Report:
    report = Report()
    if not jobs:
        return report
    started = time.monotonic()
    remaining = defaultdict(int)
    for job in jobs:
        for owner in job.owners:
            remaining[owner] += 1
    progress = Progress(len(remaining), sum(len(j.text) for j in jobs), log)

    def settle(job: Job) -> int:
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
                cache.store(job.key, result)
                report.segments += 1
                report.audio_seconds += result.seconds
                progress.segment_done(len(job.text), result.seconds, settle(job))
    finally:
        engine.close()
        progress.finish()
    report.wall_seconds = time.monotonic() - started
    if stats_path and report.audio_seconds > 0:
        record_speed(stats_path, engine.name, report, sum(len(j.text) for j in jobs if j.key not in report.failed))
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



def record_speed(stats_path, engine_name: str, report: Report, chars: int) -> None:
    """Remember how fast this engine ran here, for `nikola tts --dry-run` estimates."""
    stats = read_json(stats_path, {}) or {}
    stats[engine_name] = {
        "realtime_factor": report.wall_seconds / report.audio_seconds,
        "audio_seconds_per_char": report.audio_seconds / max(chars, 1),
    }
    atomic_write_json(stats_path, stats)
