"""The build steps, as plain functions of picklable arguments (doit actions, and `nikola tts`).

extract (per post) -> synthesize (one pass for the whole site) -> assemble (per post) -> report
"""

from __future__ import annotations

import glob
import logging
import os

from nikola_tts.cache import SegmentCache
from nikola_tts.errors import TTSError
from nikola_tts.files import atomic_write_json, read_json
from nikola_tts.manifest import load_manifest, write_manifest
from nikola_tts.publish import LAST_FAILURES, assemble, unpublish
from nikola_tts.settings import Settings
from nikola_tts.synthesize import Job

log = logging.getLogger("tts")


def extract_step(spec: dict) -> bool:
    write_manifest(spec)
    return True


def pending_jobs(manifests: list[dict], cache: SegmentCache, force: bool = False) -> list[Job]:
    """The segments to synthesize: those missing from the cache (or all of them, when forced)."""
    jobs: dict[str, Job] = {}
    for manifest in manifests:
        for seg in manifest["segments"]:
            if seg["key"] in jobs:
                jobs[seg["key"]].owners.add(manifest["id"])
            elif force or not cache.has(seg["key"]):
                jobs[seg["key"]] = Job(seg["key"], seg["text"], manifest["voice"], manifest["language"],
                                       manifest["engine"], {manifest["id"]})
    return list(jobs.values())


def synthesize_step(manifest_paths: list[str], settings: Settings, force: bool = False) -> bool:
    """Synthesize every missing segment; failures are recorded per segment, never raised."""
    from nikola_tts.engines import create_engine
    from nikola_tts.settings import engine_options
    from nikola_tts.synthesize import synthesize

    cache = SegmentCache(settings.cache_folder)
    manifests = [m for m in (load_manifest(p) for p in manifest_paths) if m]
    jobs = pending_jobs(manifests, cache, force)
    failures_path = os.path.join(settings.cache_folder, LAST_FAILURES)
    if not jobs:
        atomic_write_json(failures_path, {})
        return True
    failed = {}
    try:
        from nikola_tts.audio.mp3 import require_ffmpeg

        require_ffmpeg()  # before an hour of synthesis, not after it
    except TTSError as exc:
        log.error(str(exc))
        failed = {job.key: str(exc) for job in jobs}
        jobs = []
    by_engine: dict[str, list] = {}
    for job in jobs:
        by_engine.setdefault(job.engine, []).append(job)
    for name, group in by_engine.items():  # one engine (one model load) per TTS_ENGINE in use
        try:
            engine = create_engine(name, engine_options(settings))
            report = synthesize(group, engine, cache, log, stats_path=os.path.join(settings.cache_folder, "stats.json"))
            failed.update(report.failed)
        except TTSError as exc:
            log.error(str(exc))
            failed.update({job.key: str(exc) for job in group})
    atomic_write_json(failures_path, failed)
    return True


def assemble_step(spec: dict) -> bool:
    manifest = load_manifest(spec["manifest"])
    if manifest is None:
        log.error(f"{spec['source']} ({spec['lang']}): no narration manifest; run `nikola build` again")
        return False
    sidecar = assemble(manifest, spec)
    if sidecar["status"] == "failed":
        log.error(f"{spec['source']} ({spec['lang']}): narration failed: {sidecar['error']} "
                  "(it is retried on the next build)")
    return True


def unpublish_step(spec: dict) -> bool:
    if unpublish(spec):
        log.info(f"{spec['source']} ({spec['lang']}): {spec['reason']}, removed {spec['output']}")
    return True


def failures(cache_folder: str) -> list[dict]:
    paths = sorted(glob.glob(os.path.join(cache_folder, "failed", "*", "*.json")))
    return [f for f in (read_json(p) for p in paths) if f]


def report_step(cache_folder: str, continue_on_error: bool):
    """End of the narration: the build fails if any post failed, unless TTS_CONTINUE_ON_ERROR."""
    failed = failures(cache_folder)
    if not failed:
        return True
    summary = f"narration failed for {len(failed)} post(s); they are retried on the next build"
    if continue_on_error:
        log.warning(summary + " (TTS_CONTINUE_ON_ERROR is on, so the build goes on)")
        return True
    from doit.exceptions import TaskFailed

    return TaskFailed(summary + ". Set TTS_CONTINUE_ON_ERROR = True to publish the rest anyway.")
