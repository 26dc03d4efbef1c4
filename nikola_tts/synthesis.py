"""One synthesis pass: every missing segment of every stale post, batched through its engine.

Finished segments go into the segment store as they arrive, so an interrupted or failing pass
loses only what was still in flight; the next build retries whatever is missing. What failed
is written to the cache folder's failed_segments.json, where publishing finds the reason.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from nikola_tts.cache.folder import CacheFolder
from nikola_tts.cache.manifest import Manifest, SpokenSegment
from nikola_tts.cache.segments import SegmentStore
from nikola_tts.engines.base import Engine, Request
from nikola_tts.errors import TTSError, one_line
from nikola_tts.files import atomic_write_json, read_json
from nikola_tts.progress import Progress
from nikola_tts.words import counted

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
    problems: list = field(default_factory=list)  # TTS_CONTINUE_ON_ERROR: what stopped an engine, one line each


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


def start_early(manifest: Manifest, settings) -> None:
    """Start loading the engines that will speak manifest's missing segments (engines/early.py), as
    soon as its post is extracted: a model then loads while Nikola builds the rest."""
    from nikola_tts.engines import early
    from nikola_tts.settings import engine_options

    options = engine_options(settings)
    names = {seg.engine or manifest.engine for seg in manifest.segments}
    if all(early.started(name, options) for name in names):  # a backlog: checked once, not for every post
        return
    jobs = pending_jobs([manifest], SegmentStore(CacheFolder(settings.cache_folder).segments))
    for name in sorted({job.engine for job in jobs}):
        missing = sum(job.engine == name for job in jobs)
        early.start(name, options, f"{manifest.source} ({manifest.lang}) has {counted(missing, 'segment')} to narrate")


def synthesize_all(manifests: list[Manifest], settings, force: bool = False,
                   post_done: Callable[[str], None] | None = None) -> PassReport:
    """Synthesize every missing segment, one engine (one model load) per TTS_ENGINE in use;
    post_done(post id) is told of each post whose last missing segment has been through its engine.

    A segment that fails is recorded, never raised. An engine that cannot run here, or a voice it
    cannot speak, is a problem of the whole build: it raises TTSError (one line that says what to
    do) before that engine speaks a word, after recording its segments as failed. Engines that
    may not run here go first, so that such a build stops before any other engine works. With
    TTS_CONTINUE_ON_ERROR the pass goes on instead, and report.problems holds those lines.
    """
    from nikola_tts.engines import create_engine, early
    from nikola_tts.settings import engine_options

    folder = CacheFolder(settings.cache_folder)
    store = SegmentStore(folder.segments)
    jobs = pending_jobs(manifests, store, force)
    finishing = _Finishing(jobs, post_done)
    report = PassReport()
    if jobs:
        from nikola_tts.audio.mp3 import require_ffmpeg

        try:
            require_ffmpeg()  # before an hour of synthesis, not after it
        except TTSError as exc:
            _give_up(report, jobs, str(exc), str(exc), settings, folder)
            jobs = []
    by_engine: dict[str, list] = {}
    for job in jobs:
        by_engine.setdefault(job.engine, []).append(job)
    options = engine_options(settings)
    engines = {}
    for name in by_engine:
        try:
            engines[name] = early.take(name, options) or create_engine(name, options)
        except TTSError as exc:
            _give_up(report, by_engine[name], str(exc), str(exc), settings, folder)
    early.close_untaken()
    # Engines that may not run here go first, so that one that cannot stops the build before the others work.
    order = sorted(engines, key=lambda name: engines[name].unavailable_reason(options) is None)
    for name in order:
        engine, group = engines[name], by_engine[name]
        try:
            part = synthesize(group, engine, store, settings, finishing.settled)
        except TTSError as exc:
            _give_up(report, group, getattr(exc, "reason", str(exc)), str(exc), settings, folder)
            continue
        report.segments += part.segments
        report.audio_seconds += part.audio_seconds
        report.failed.update(part.failed)
        report.problems += part.problems
        if part.audio_seconds > 0:
            record_speed(folder.stats, engine.name, part,
                         sum(len(j.text) for j in group if j.key not in part.failed))
    atomic_write_json(folder.failed_segments, report.failed)
    return report


def _give_up(report: PassReport, jobs, reason: str, message: str, settings, folder: CacheFolder) -> None:
    """jobs cannot be synthesized in this build: record them, then stop the build unless told to go on."""
    report.failed.update({job.key: reason for job in jobs})
    if not settings.continue_on_error:
        atomic_write_json(folder.failed_segments, report.failed)
        raise TTSError(message)
    report.problems.append(message)


class _Finishing:
    """Each post's segments still to come, over every engine: a post is done when the last is settled."""

    def __init__(self, jobs: list[SynthesisJob], post_done: Callable[[str], None] | None):
        self.remaining = Counter(owner for job in jobs for owner in job.owners)
        self.post_done = post_done

    def settled(self, job: SynthesisJob) -> None:
        for owner in job.owners:
            self.remaining[owner] -= 1
            if self.remaining[owner] == 0 and self.post_done:
                self.post_done(owner)


def synthesize(jobs: list[SynthesisJob], engine: Engine, store: SegmentStore, settings,
               settled: Callable[[SynthesisJob], None] | None = None) -> PassReport:
    """Run jobs through one engine, storing each segment as it arrives. Raises TTSError (naming what
    to do) when the engine cannot run here or cannot speak one of the voices, before any segment."""
    from nikola_tts.readiness import unusable

    report = PassReport()
    if not jobs:
        return report
    started = time.monotonic()
    name = jobs[0].engine
    try:
        engine.load()
    except TTSError as exc:
        engine.close()
        # The engine's cheap reason is the cause in its shortest words (load's error adds its own fixes).
        reason = engine.unavailable_reason(engine.options) or one_line(exc)
        raise unusable(name, engine.name, reason, settings) from None
    try:
        groups = _speakable(jobs, engine, report, settings)
        if groups:
            _speak(groups, engine, store, report, settled)
    finally:
        engine.close()
    report.wall_seconds = time.monotonic() - started
    return report


def _speakable(jobs, engine: Engine, report: PassReport, settings) -> list[list[SynthesisJob]]:
    """jobs by voice: those the engine can speak. A voice it cannot speak raises TTSError, or with
    TTS_CONTINUE_ON_ERROR fails its segments and goes into report.problems."""
    groups, refused = _voice_groups(jobs, engine)
    for group, message in refused:
        if not settings.continue_on_error:
            raise TTSError(message)
        report.failed.update({job.key: message for job in group})
        report.problems.append(message)
    return groups


def _speak(groups, engine: Engine, store: SegmentStore, report: PassReport,
           settled: Callable[[SynthesisJob], None] | None) -> None:
    """Every job through the engine, each segment stored as it arrives, with progress; settled(job)
    is told of each one done (stored or failed)."""
    jobs = [job for group in groups for job in group]
    remaining = defaultdict(int)
    for job in jobs:
        for owner in job.owners:
            remaining[owner] += 1
    from nikola_tts.engines import fallback_note

    note = fallback_note(engine.name)  # the demo's engine_or_fallback: why not the engines before it
    log.info(f"narrating {counted(len(jobs), 'segment')} of {counted(len(remaining), 'post')} with {engine.describe()}"
             + (f" (not {note})" if note else ""))
    progress = Progress(len(jobs), sum(len(j.text) for j in jobs), len(remaining), log)

    def write(job: SynthesisJob, result) -> None:
        """In one of the storing pool's threads, beside the others."""
        if not isinstance(result, Exception):
            store.store(job.key, result)

    def settle(job: SynthesisJob, result) -> None:
        """In the settling thread, once its audio is written, in the order the engine gave them."""
        done = 0
        if isinstance(result, Exception):
            report.failed[job.key] = one_line(result)
        else:
            report.segments += 1
            report.audio_seconds += result.seconds
        for owner in job.owners:
            remaining[owner] -= 1
            done += remaining[owner] == 0
        progress.segment_done(len(job.text), 0.0 if isinstance(result, Exception) else result.seconds, done)
        if settled:
            settled(job)

    storing = _Storing(write, settle)
    try:
        for batch in _batches(groups, engine):
            requests = [Request(j.text, j.voice, j.language) for j in batch]
            for index, result in engine.synthesize(requests):
                storing.put(batch[index], result)
    finally:
        try:
            storing.close()  # what the engine gave is stored, even when the pass stops
        finally:
            progress.finish()


class _Storing:
    """Segments stored while the engine makes the next ones: a FLAC encode and write is tens of milliseconds
    of CPU per segment (libsndfile leaves the GIL), which a GPU pass otherwise spends with its decoder waiting
    for the caller. They are written by a few threads at once, where the machine has the cores (a GPU's
    segments arrive faster than one thread encodes them: in a scratch build on an H100, 1.5 s of the decoding
    after the last frame was the caller's time with the segments, this queue's waits included; one thread here
    stores 170 corpus-length segments in 1.8 s), and settled in one thread, in the order the engine gave them.
    A failure to store stops the pass at the next segment handed over, and close() raises it."""

    DEPTH = 32  # segments waiting at most (a backlog's audio is not all held in memory)

    def __init__(self, write: Callable, settle: Callable, writers: int | None = None):
        import queue
        import threading
        from concurrent.futures import ThreadPoolExecutor

        self.write, self.settle = write, settle
        self.pool = ThreadPoolExecutor(writers or storing_threads(), thread_name_prefix="tts-store")
        self.queue: queue.Queue = queue.Queue(self.DEPTH)
        self.error: BaseException | None = None
        self.stopped = threading.Event()  # a write failed: the writes not begun yet are not made
        self.thread = threading.Thread(target=self._run, name="tts-settle", daemon=True)
        self.thread.start()

    def put(self, job: SynthesisJob, result) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put((job, result, self.pool.submit(self._write, job, result)))

    def _write(self, job: SynthesisJob, result) -> None:
        if self.stopped.is_set():
            return
        try:
            self.write(job, result)
        except BaseException:
            self.stopped.set()
            raise

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            job, result, written = item
            try:
                written.result()
                if self.error is None:
                    self.settle(job, result)
            except BaseException as exc:  # noqa: BLE001 (raised in the pass's own thread)
                if self.error is None:
                    self.error = exc

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        self.pool.shutdown(wait=True)
        if self.error is not None:
            raise self.error


def storing_threads(cpus: int | None = None) -> int:
    """Threads that write segments: one a core beside the engine's own, four at most (a segment takes
    about 10 ms of a core; four keep ahead of a GPU), so that a machine of two cores keeps one."""
    cpus = cpus or os.cpu_count() or 1
    return max(1, min(4, cpus - 1))


def _voice_groups(jobs, engine) -> tuple[list, list]:
    """Jobs by voice and language, each voice checked before any is spoken: (groups to speak,
    [(group, why) for each voice the engine cannot speak, naming the posts that ask for it])."""
    groups = defaultdict(list)
    for job in jobs:
        groups[(job.voice, job.language)].append(job)
    speakable, refused = [], []
    for (voice, language), group in groups.items():
        try:
            engine.check_voice(voice, language)
        except TTSError as exc:
            posts = sorted({owner.split(":", 1)[-1] for job in group for owner in job.owners})
            named = ", ".join(posts[:3]) + (f" and {len(posts) - 3} more" if len(posts) > 3 else "")
            refused.append((group, f"{exc} (asked for by {named})"))
            continue
        speakable.append(group)
    return speakable, refused


def _batches(groups, engine):
    """Each voice's jobs by length, so a batch's members finish together."""
    for group in groups:
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
