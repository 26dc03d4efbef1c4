"""The doit task graph of one `nikola build`, and the actions its tasks run.

    render_posts (Nikola) ──► extract:<post> ──► synthesize ──► publish:<post> ──► page render
                                 (manifest)      (one pass,       (MP3 + sidecar)    (Nikola; depends
                                                  all posts;                          on the sidecar)
                                                  MP3 parts
                                                  encoded ahead)

The report of failed posts runs last (tts_report plugin), after every page is rendered.
A single synthesis task batches the stale segments of every post and keeps `-n N` workers
from loading a model more than once; per-post tasks before and after it stay incremental.
Actions take plans (frozen, picklable) and return True, or doit's TaskFailed for the report.
"""

from __future__ import annotations

import logging
import os
import shutil

from nikola_tts import resource_dir
from nikola_tts.cache.folder import CacheFolder
from nikola_tts.cache.manifest import load_manifest
from nikola_tts.spoken import update_manifest
from nikola_tts.cache.sidecar import EMPTY, FAILED, read_sidecar
from nikola_tts.errors import TTSError
from nikola_tts.plan import NarrationPlan, Silenced
from nikola_tts.publish import publish, unpublish
from nikola_tts.words import counted, size

CSS_NAME = "nikola_tts.css"
SCRIPT_NAME = "nikola_tts.js"
log = logging.getLogger("tts")


# -- actions ------------------------------------------------------------------------------

def extract_action(plan: NarrationPlan, settings) -> bool:
    """The post's manifest; where the synthesis task will narrate some of it, its engine starts
    loading now, while Nikola builds the rest (engines/early.py)."""
    from nikola_tts.synthesis import start_early

    manifest, changed = update_manifest(plan)
    if changed or not _is_current(plan):
        start_early(manifest, settings)
    return True


def synthesize_action(plans: list[NarrationPlan], settings):
    """One pass over every missing segment, each post's MP3 encoded ahead as its narration is complete
    (publishing then joins it). An engine that cannot run here stops the build now, with one line
    that says what to do, before any post is published (unless TTS_CONTINUE_ON_ERROR)."""
    from nikola_tts.ahead import EncodeAhead
    from nikola_tts.synthesis import synthesize_all

    posts = [(manifest, plan) for plan in plans if (manifest := load_manifest(plan.manifest_path))]
    try:
        with EncodeAhead(posts) as ahead:
            report = synthesize_all([manifest for manifest, _ in posts], settings, post_done=ahead.post_done)
            ahead.finish()
    except TTSError as exc:
        return _fail_build(str(exc))
    for problem in report.problems:
        log.error(problem)
    return True


def _fail_build(message: str):
    """Fail the build with message, logged once as our error; doit adds no banner of its own."""
    from doit.exceptions import TaskFailed

    log.error(message)
    return TaskFailed(message, report=False)


def publish_action(plan: NarrationPlan, force: bool = False) -> bool:
    manifest = load_manifest(plan.manifest_path)
    if manifest is None:
        log.error(f"{plan.name}: no narration manifest; run `nikola build` again")
        return False
    sidecar = publish(manifest, plan, force=force)
    if sidecar.status == FAILED:
        log.error(f"{plan.name}: narration failed: {sidecar.error} (it is retried on the next build)")
    return True


def podcast_action(feed) -> bool:
    from nikola_tts.site.podcast import write_feed

    write_feed(feed)
    return True


def unpublish_action(silenced: Silenced) -> bool:
    if unpublish(silenced.plan):
        log.info(f"{silenced.plan.name}: {silenced.reason}, removed {silenced.plan.output}")
    return True


def prune_action(cache, manifests: list[str], sidecars: list[str], grace_days: float) -> bool:
    from nikola_tts.cache.prune import prune

    report = prune(cache, manifests, sidecars, grace_days)
    conversion = report.conversion
    if conversion and conversion.segments:
        log.info(f"{cache.root}: stored {counted(conversion.segments, 'segment')} as FLAC instead of WAV "
                 f"({size(conversion.wav_bytes)} -> {size(conversion.flac_bytes)}); nothing was synthesized again")
    if report.removed_segments:
        log.info(f"{cache.root}: removed {counted(report.removed_segments, 'segment')} ({size(report.removed_bytes)}) "
                 f"that no post has used for {grace_days:g} days (TTS_PRUNE_AFTER_DAYS)")
    return True


def failed_plans(plans) -> list[NarrationPlan]:
    return [p for p in plans if (sidecar := read_sidecar(p.sidecar_path)) and sidecar.status == FAILED]


def report_action(plans: list[NarrationPlan], continue_on_error: bool):
    """End of the narration: the build fails if any post failed, unless TTS_CONTINUE_ON_ERROR."""
    failed = failed_plans(plans)
    if not failed:
        return True
    summary = f"narration failed for {counted(len(failed), 'post')}; they are retried on the next build"
    if continue_on_error:
        log.warning(summary + " (TTS_CONTINUE_ON_ERROR is on, so the build goes on)")
        return True
    return _fail_build(summary + ". Set TTS_CONTINUE_ON_ERROR = True to publish the rest anyway.")


# -- uptodate checks ------------------------------------------------------------------------

def _all_current(plans) -> bool:
    """Every post published (or with nothing to publish): none failed, and no record lost with a
    deleted cache, which doit's own record of the manifests cannot tell."""
    return all(_is_current(plan) for plan in plans)


def _is_current(plan: NarrationPlan) -> bool:
    """Published, or nothing to publish; a failed narration is retried."""
    sidecar = read_sidecar(plan.sidecar_path)
    return bool(sidecar) and sidecar.is_current


def _nothing_published(plan: NarrationPlan) -> bool:
    return not any(os.path.exists(path) for path in (plan.output, *plan.companions, plan.sidecar_path))


def _publishes_audio(plan: NarrationPlan) -> bool:
    """Declare the MP3 as a target unless the last narration found no prose (so `nikola check -f` agrees)."""
    sidecar = read_sidecar(plan.sidecar_path)
    return not sidecar or sidecar.has_audio or sidecar.status not in (EMPTY, FAILED)


def _prune_not_due(cache, grace_days: float) -> bool:
    from nikola_tts.cache.prune import is_due

    return not is_due(cache, grace_days)


def _copy(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)


# -- the task graph -------------------------------------------------------------------------

def generate(basename: str, settings, narrated, silenced, output_folder: str, config_changed, podcasts=()):
    """Yield doit task dicts. config_changed is Nikola's utils.config_changed; podcasts are the
    site/podcast.PodcastFeeds to write."""
    narrated = list(narrated)
    synth_name = f"{basename}:synthesize"
    for plan in narrated:
        yield {
            "basename": basename,
            "name": f"extract:{plan.id}",
            "file_dep": [plan.fragment, *plan.lexicon_files],
            "targets": [plan.manifest_path],
            "actions": [(extract_action, [plan, settings])],
            "uptodate": [config_changed(plan.as_config(), f"nikola_tts:extract:{plan.id}")],
            "clean": True,
        }
    yield {
        "basename": basename,
        "name": "synthesize",
        "file_dep": [plan.manifest_path for plan in narrated],
        "actions": [(synthesize_action, [narrated, settings])],
        "uptodate": [(_all_current, [narrated])],
    }
    for plan in narrated:
        yield {
            "basename": basename,
            "name": f"assemble:{plan.id}",
            "file_dep": [plan.manifest_path],
            "task_dep": [synth_name],
            "targets": [plan.sidecar_path] + ([plan.output, *plan.companions] if _publishes_audio(plan) else []),
            "actions": [(publish_action, [plan])],
            "uptodate": [(_is_current, [plan])],
        }
    silenced = list(silenced)
    if settings.prune_after_days is not None:
        everyone = narrated + [entry.plan for entry in silenced]  # an opted-out post keeps its audio
        cache = CacheFolder(settings.cache_folder)
        days = float(settings.prune_after_days)
        yield {
            "basename": basename,
            "name": "prune",
            "file_dep": [plan.manifest_path for plan in narrated],  # a new manifest may leave segments unused
            "task_dep": [synth_name],
            "actions": [(prune_action, [cache, [p.manifest_path for p in everyone], [p.sidecar_path for p in everyone],
                                        days])],
            "uptodate": [config_changed({"prune_after_days": days}, "nikola_tts:prune"),
                         (_prune_not_due, [cache, days])],
        }
    for entry in silenced:
        yield {
            "basename": basename,
            "name": f"unpublish:{entry.plan.id}",
            "actions": [(unpublish_action, [entry])],
            "uptodate": [(_nothing_published, [entry.plan])],
        }
    for feed in podcasts:
        yield {
            "basename": basename,
            "name": f"podcast:{feed.output}",
            # The sidecars change with the audio (its digest, duration, timings); the manifests with the words.
            "file_dep": sorted({e.sidecar for e in feed.episodes} | {e.manifest for e in feed.episodes}),
            "targets": [feed.output],
            "actions": [(podcast_action, [feed])],
            "uptodate": [config_changed(feed.as_config(), f"nikola_tts:podcast:{feed.output}")],
            "clean": True,
        }
    assets = [("css", CSS_NAME)] * bool(settings.widget_css) + [("js", SCRIPT_NAME)] * bool(settings.widget_script)
    for folder, name in assets if narrated else ():
        src = os.path.join(resource_dir("assets"), folder, name)
        dst = os.path.join(output_folder, "assets", folder, name)
        yield {
            "basename": basename,
            "name": folder,
            "file_dep": [src],
            "targets": [dst],
            "actions": [(_copy, [src, dst])],
        }


def report_task(basename: str, settings, narrated) -> dict:
    """Runs after every page is rendered (a LateTask), so one failed post leaves the site whole."""
    narrated = list(narrated)
    return {
        "basename": basename,
        "name": "failures",
        "actions": [(report_action, [narrated, settings.continue_on_error])],
        "uptodate": [(_all_current, [narrated])],
    }
