"""The doit task graph of one `nikola build`.

    render_posts (Nikola) ──► extract:<post> ──► synthesize ──► assemble:<post> ──► page render
                                 (manifest)      (one pass,       (MP3 + sidecar)    (Nikola; depends
                                                  all posts)                          on the sidecar)

The report of failed posts runs last (tts_report plugin), after every page is rendered.
A single synthesis task batches the stale segments of every post and keeps `-n N` workers
from loading a model more than once; per-post tasks before and after it stay incremental.
"""

from __future__ import annotations

import os
import shutil

from nikola_tts import resource_dir
from nikola_tts.publish import is_current
from nikola_tts.files import read_json
from nikola_tts.steps import assemble_step, extract_step, failures, report_step, synthesize_step, unpublish_step

CSS_NAME = "nikola_tts.css"


def _no_failures(cache_folder):
    return not failures(cache_folder)


def _nothing_published(spec):
    return not (os.path.exists(spec["output"]) or os.path.exists(spec["sidecar"]))


def _copy(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)


def _publishes_audio(spec) -> bool:
    """Declare the MP3 as a target unless the last narration found no prose (so `nikola check -f` agrees)."""
    sidecar = read_json(spec["sidecar"]) or {}
    return sidecar.get("status") != "empty" and not (sidecar.get("status") == "failed" and not sidecar.get("href"))


def generate(basename: str, settings, narrated: list[dict], silenced: list[dict], output_folder: str,
             config_changed):
    """Yield doit task dicts. config_changed is Nikola's utils.config_changed."""
    synth_name = f"{basename}:synthesize"
    for spec in narrated:
        yield {
            "basename": basename,
            "name": f"extract:{spec['id']}",
            "file_dep": [spec["fragment"]],
            "targets": [spec["manifest"]],
            "actions": [(extract_step, [spec])],
            "uptodate": [config_changed(spec, f"nikola_tts:extract:{spec['id']}")],
            "clean": True,
        }
    yield {
        "basename": basename,
        "name": "synthesize",
        "file_dep": [spec["manifest"] for spec in narrated],
        "actions": [(synthesize_step, [[spec["manifest"] for spec in narrated], settings])],
        "uptodate": [(_no_failures, [settings.cache_folder])],
    }
    for spec in narrated:
        yield {
            "basename": basename,
            "name": f"assemble:{spec['id']}",
            "file_dep": [spec["manifest"]],
            "task_dep": [synth_name],
            "targets": [spec["sidecar"]] + ([spec["output"]] if _publishes_audio(spec) else []),
            "actions": [(assemble_step, [spec])],
            "uptodate": [(is_current, [spec])],
        }
    for spec in silenced:
        yield {
            "basename": basename,
            "name": f"unpublish:{spec['id']}",
            "actions": [(unpublish_step, [spec])],
            "uptodate": [(_nothing_published, [spec])],
        }
    if settings.widget_css and narrated:
        src = os.path.join(resource_dir("assets"), "css", CSS_NAME)
        dst = os.path.join(output_folder, "assets", "css", CSS_NAME)
        yield {
            "basename": basename,
            "name": "css",
            "file_dep": [src],
            "targets": [dst],
            "actions": [(_copy, [src, dst])],
        }


def report_task(basename: str, settings) -> dict:
    """Runs after every page is rendered (a LateTask), so one failed post leaves the site whole."""
    return {
        "basename": basename,
        "name": "failures",
        "actions": [(report_step, [settings.cache_folder, settings.continue_on_error])],
        "uptodate": [(_no_failures, [settings.cache_folder])],
    }
