"""A post's MP3 is encoded in the narration task, as soon as the post's narration is complete and a
few posts at a time (nikola_tts/ahead.py); publishing the post then finds its parts and joins them."""

from __future__ import annotations

import json
import os
import shutil
import sys

import pytest

POSTS = {
    "tides.md": ("Tides", "The tide turns twice a day. Fishermen learn its hours before they learn to row."),
    "kites.md": ("Kites", "A kite climbs on the wind it leans against. Children learn this before physics does."),
}


def write_posts(site) -> None:
    for name, (title, body) in POSTS.items():
        site.write_post(name, title, body)


def parts_of(site) -> dict[str, dict]:
    """Each post's parts index (tts_cache/encoded/<lang>/<post>/), by post folder name."""
    return {index.parent.name: json.loads(index.read_text(encoding="utf-8"))
            for index in (site.root / "tts_cache" / "encoded" / "en").glob("*/*.json")}


def test_the_narration_task_encodes_every_posts_mp3_before_any_is_published(site):
    write_posts(site)
    site.build("render_tts:synthesize")
    indexes = parts_of(site)
    assert len(indexes) == len(POSTS)
    for index in indexes.values():
        assert index["gain_db"] is not None and index["parts"]
    assert not site.output("tides_tts.mp3").exists() and not site.output("kites_tts.mp3").exists()


def test_publishing_joins_the_parts_encoded_ahead_without_encoding_them_again(site):
    write_posts(site)
    site.build("render_tts:synthesize")
    encoded = {path: path.stat().st_mtime_ns for path in (site.root / "tts_cache" / "encoded").rglob("*.mp3")}
    site.build()
    assert site.output("tides_tts.mp3").exists() and site.output("kites_tts.mp3").exists()
    assert {path: path.stat().st_mtime_ns for path in (site.root / "tts_cache" / "encoded").rglob("*.mp3")} == encoded


def test_a_post_whose_narration_is_unchanged_is_not_encoded_ahead_when_another_is_narrated(site):
    write_posts(site)
    site.build()
    kept = {path: path.stat().st_mtime_ns for path in (site.root / "tts_cache" / "encoded").rglob("*kites*/*")}
    assert len(kept) >= 2  # its index and its parts
    site.write_post("tides.md", "Tides", "The tide turns twice a day, and the harbour empties with it.")
    site.build()
    assert {path: path.stat().st_mtime_ns for path in (site.root / "tts_cache" / "encoded").rglob("*kites*/*")} == kept


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux's")
def test_the_mp3s_encoded_ahead_are_encoded_below_the_narrations_cpu_priority(site, tmp_path):
    """While a GPU narrates, the MP3s encoded ahead take every core: their encoders yield to the narration
    (nice +10), where publishing's own ffmpeg runs keep the build's priority."""
    real = shutil.which("ffmpeg")
    runs = tmp_path / "ffmpeg-runs.txt"
    wrapper = tmp_path / "bin" / "ffmpeg"
    wrapper.parent.mkdir()
    # the real ffmpeg, after writing down the niceness it runs at (field 19 of /proc/PID/stat) and its arguments
    wrapper.write_text(f'#!/bin/sh\necho "$(cut -d" " -f19 /proc/$$/stat) $*" >> {runs}\nexec {real} "$@"\n')
    wrapper.chmod(0o755)
    write_posts(site)
    site.build(env_extra={"PATH": f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}"})
    niceness = [(int(line.split(" ", 1)[0]), line) for line in runs.read_text().splitlines()]
    encodes = {nice for nice, line in niceness if "libmp3lame" in line}
    published = {nice for nice, line in niceness if "-f concat" in line and "narration.mp3" in line}  # assemble.py
    assert len(published) == 1 and encodes == {min(19, published.pop() + 10)}
