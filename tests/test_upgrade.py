"""Upgrading nikola-tts: a site narrated by an earlier release rebuilds with nothing re-synthesized.

The earlier release is the real one, taken from this repository's history and put first on the
build's PYTHONPATH; the upgrade is the same site built again with this checkout.
"""

from __future__ import annotations

import json

import pytest
from releases import build_with, release_at
from sites import POST, widget_of

# The last commit whose cache has the first layout: manifests and sidecars without a format
# number, failures in failed/<lang>/*.json and last_failures.json.
FIRST_LAYOUT = "ecbe3da31f3df8dc624452fa63640f5c725b9c4c"


@pytest.fixture(scope="module")
def first_release(tmp_path_factory):
    """nikola_tts, templates and assets as FIRST_LAYOUT had them, in a folder of their own."""
    return release_at(FIRST_LAYOUT, tmp_path_factory.mktemp("first-release"))


@pytest.fixture
def upgraded(site, first_release):
    """A site with two posts, narrated by the first release, then built again by this one."""
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.write_post("ferry.md", "The Ferry", "The ferry leaves at dawn.\n\nGulls follow it out of the harbour.")
    build_with(site, first_release)
    manifests = sorted((site.root / "tts_cache" / "manifests" / "en").glob("*.json"))
    assert manifests and all("format" not in json.loads(p.read_text()) for p in manifests)  # the first layout
    before = {p.name: p.stat().st_mtime_ns for p in site.output(".").glob("*_tts.mp3")}
    assert len(before) == 2
    site.reset_log()
    site.build()
    return site, before


def test_upgrade_synthesizes_nothing_and_loads_no_engine(upgraded):
    site, _ = upgraded
    assert site.synthesized() == []
    assert site.engine_loads() == 0


def test_upgrade_keeps_the_published_mp3s_as_they_were(upgraded):
    site, before = upgraded
    assert {p.name: p.stat().st_mtime_ns for p in site.output(".").glob("*_tts.mp3")} == before


def test_upgrade_stores_the_wav_segments_as_flac_with_the_same_samples(site, first_release):
    from nikola_tts.audio.pcm import Audio
    from nikola_tts.cache.segments import SegmentStore

    site.write_post("ferry.md", "The Ferry", "The ferry leaves at dawn.\n\nGulls follow it out of the harbour.")
    build_with(site, first_release)
    segments = site.root / "tts_cache" / "segments"
    wavs = {p.stem: Audio.from_wav_bytes(p.read_bytes()) for p in segments.glob("*/*.wav")}
    assert len(wavs) == 3
    proc = site.build()
    assert "stored 3 segments as FLAC instead of WAV" in proc.stderr
    assert not list(segments.glob("*/*.wav"))
    store = SegmentStore(segments)
    assert {key: store.load(key) for key in wavs} == wavs


def test_upgrade_keeps_the_players_on_the_pages(upgraded):
    site, _ = upgraded
    for slug in ("night-garden", "ferry"):
        widget = widget_of(site.html(f"posts/{slug}/index.html"))
        assert widget.select_one("audio")["src"].endswith(f"{slug}_tts.mp3")


def test_after_the_upgrade_an_edit_synthesizes_only_the_edited_paragraph(upgraded):
    site, _ = upgraded
    site.write_post("ferry.md", "The Ferry", "The ferry leaves at dawn.\n\nGulls follow it all the way out.")
    site.build()
    assert [entry["text"] for entry in site.synthesized()] == ["Gulls follow it all the way out."]


def test_a_failure_recorded_by_the_first_release_is_retried_and_its_old_records_swept(site, first_release):
    site.set_conf('TTS_ENGINE = "tts_test_engines:FailingEspeak"\n')
    site.write_post("bad.md", "Bad", "This paragraph says KABOOM and fails.")
    assert build_with(site, first_release, check=False).returncode != 0
    cache = site.root / "tts_cache"
    assert list((cache / "failed").rglob("*.json")) and (cache / "last_failures.json").exists()
    site.write_post("bad.md", "Bad", "This paragraph is fine now.")
    site.build()
    assert not (cache / "failed").exists() and not (cache / "last_failures.json").exists()
    assert widget_of(site.html("posts/bad/index.html")) is not None


def test_a_manifest_of_format_2_reads_each_segments_written_text_as_its_spoken_text():
    from nikola_tts.cache.manifest import FORMAT, Manifest

    segment = {"key": "ab" * 32, "text": "The ferry leaves at dawn.", "kind": "paragraph", "pause_after": 0.6}
    data = {"format": 2, "id": "en:posts/ferry.md", "source": "posts/ferry.md", "lang": "en", "voice": "en-us",
            "language": "en", "engine": "espeak", "identity": "espeak-ng|voice=en-us|wpm=175",
            "tags": {"title": "The Ferry", "artist": "A", "album": "B", "language": "en"},
            "encode": {"bitrate": "64k", "loudness": -16.0}, "output": "output/ferry_tts.mp3",
            "href": "/ferry_tts.mp3", "segments": [segment]}
    manifest = Manifest.from_json(data)
    [spoken] = manifest.segments
    assert spoken.written == spoken.text and (spoken.language, spoken.engine, spoken.voice) == ("", "", "")
    assert manifest.to_json()["format"] == FORMAT and manifest.to_json()["segments"][0]["written"] == spoken.text
    assert Manifest.from_json(manifest.to_json()) == manifest
