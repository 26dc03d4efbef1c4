"""The audio cache stays small: FLAC segments, and audio no post uses pruned after a grace period
(automatically) or at once (`nikola tts --prune`), never audio a post still speaks."""

from __future__ import annotations

import json
import random
import re

import pytest
from nikola_tts.cache.segments import SegmentStore
from nikola_tts.engines import EngineOptions, Request
from nikola_tts.engines.espeak import EspeakEngine
from sites import POST, REPO

FERRY = "The ferry leaves at dawn, when the harbour is still grey."
FERRY_EDITED = "The ferry leaves at noon, when the harbour is busy."


def segments(site) -> dict[str, str]:
    """key -> file suffix, for every segment in the site's cache."""
    return {p.name.split(".")[0]: p.suffix for p in (site.root / "tts_cache" / "segments").glob("*/*.*")}


def keys_of(site, source="posts__ferry.md", lang="en") -> list[str]:
    manifest = json.loads((site.root / "tts_cache" / "manifests" / lang / f"{source}.json").read_text())
    return [s["key"] for s in manifest["segments"]]


def unused_since(site) -> dict[str, float]:
    return json.loads((site.root / "tts_cache" / "unused.json").read_text())["unused_since"]


def edit_ferry(site, days_of_grace=30):
    site.set_conf(f"TTS_PRUNE_AFTER_DAYS = {days_of_grace}\n")
    site.write_post("ferry.md", "Morning Ferry", FERRY)
    site.build()
    old = keys_of(site)[1]
    site.write_post("ferry.md", "Morning Ferry", FERRY_EDITED)
    site.build()
    return old


def test_segments_are_flac_holding_exactly_what_the_engine_said(site):
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.build()
    assert set(segments(site).values()) == {".flac"}
    manifest = json.loads((site.root / "tts_cache" / "manifests" / "en" / "posts__night-garden.md.json").read_text())
    espeak = EspeakEngine(EngineOptions(voice="en-us"))
    store = SegmentStore(site.root / "tts_cache" / "segments")
    for segment in manifest["segments"]:
        assert store.load(segment["key"]) == espeak._speak(Request(segment["text"], "en-us", "en"))  # lossless


def test_a_segments_length_is_read_from_its_header_as_flac_and_as_wav(tmp_path):
    from nikola_tts.audio.pcm import Audio

    store = SegmentStore(tmp_path)
    audio = Audio(b"\x01\x00" * 22050 * 3, 22050)
    store.store("ab" * 32, audio)
    legacy = tmp_path / "cd" / ("cd" * 32 + ".wav")  # a segment of a cache from before FLAC
    legacy.parent.mkdir()
    legacy.write_bytes(Audio(b"\x01\x00" * 24000, 24000).to_wav_bytes())
    assert store.length("ab" * 32) == (22050 * 3, 22050)
    assert store.length("cd" * 32) == (24000, 24000)


def test_flac_segments_take_well_under_the_space_of_wav(site):
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.build()
    store = SegmentStore(site.root / "tts_cache" / "segments")
    stored = list(store.stored())
    wav_bytes = sum(44 + len(store.load(s.key).samples) for s in stored)
    assert sum(s.size for s in stored) < 0.7 * wav_bytes


def test_the_readmes_cache_size_per_hour_holds_for_espeak(site):
    figure = re.search(r"espeak-ng and Piper, 22 kHz: (\d+) and \d+ MB", (REPO / "README.md").read_text())
    assert figure, "the README no longer says how big the cache gets per hour"
    rng = random.Random(3)
    words = "harbour lantern meadow ferry owl bakery window river stone garden quiet evening".split()
    site.write_post("long.md", "Long", "\n\n".join(" ".join(rng.choice(words) for _ in range(60)) + "."
                                                  for _ in range(12)))
    site.build()
    store = SegmentStore(site.root / "tts_cache" / "segments")
    stored = list(store.stored())
    hours = sum(store.load(s.key).seconds for s in stored) / 3600
    assert sum(s.size for s in stored) / 1e6 / hours == pytest.approx(int(figure.group(1)), rel=0.25)


def test_an_edited_paragraphs_old_audio_waits_out_the_grace_period(site):
    old = edit_ferry(site)
    assert old in segments(site)
    assert set(unused_since(site)) == {old}


def test_a_reverted_edit_within_the_grace_period_synthesizes_nothing(site):
    old = edit_ferry(site)
    site.reset_log()
    site.write_post("ferry.md", "Morning Ferry", FERRY)
    site.build()
    assert site.synthesized() == []
    assert old not in unused_since(site)  # in use again


def test_unused_audio_goes_once_its_grace_period_is_over(site):
    old = edit_ferry(site)
    record = site.root / "tts_cache" / "unused.json"
    data = json.loads(record.read_text())
    data["unused_since"][old] -= 31 * 86400  # a month later
    record.write_text(json.dumps(data))
    proc = site.build()
    assert "removed 1 segment" in proc.stderr and "that no post has used for 30 days" in proc.stderr
    assert old not in segments(site)
    assert set(keys_of(site)) <= set(segments(site))


def test_with_no_grace_period_unused_audio_goes_in_the_same_build(site):
    old = edit_ferry(site, days_of_grace=0)
    assert old not in segments(site)
    assert set(keys_of(site)) <= set(segments(site))


def test_with_pruning_off_a_build_never_deletes_audio(site):
    old = edit_ferry(site, days_of_grace=None)
    assert old in segments(site)
    assert not (site.root / "tts_cache" / "unused.json").exists()


def test_a_rebuild_with_nothing_changed_does_not_prune(site):
    site.write_post("ferry.md", "Morning Ferry", FERRY)
    assert "render_tts:prune" in site.build().stderr  # the first build starts the record
    assert "render_tts:prune" not in site.build().stderr


def test_audio_two_posts_share_stays_when_one_of_them_is_deleted(site):
    site.set_conf("TTS_PRUNE_AFTER_DAYS = 0\n")
    site.write_post("ferry.md", "Morning Ferry", FERRY)
    site.write_post("crossing.md", "The Crossing", FERRY + "\n\nGulls follow the boat.")
    site.build()
    own, shared = keys_of(site)  # its title, and the paragraph both posts say
    (site.root / "posts" / "ferry.md").unlink()
    site.build()
    cache = site.root / "tts_cache"
    assert not (cache / "manifests" / "en" / "posts__ferry.md.json").exists()
    assert not (cache / "published" / "en" / "posts__ferry.md.json").exists()
    assert not (cache / "encoded" / "en" / "posts__ferry.md").exists()
    assert (cache / "encoded" / "en" / "posts__crossing.md").is_dir()
    assert own not in segments(site)
    assert shared in segments(site)
    assert set(keys_of(site, "posts__crossing.md")) <= set(segments(site))


def test_an_opted_out_post_keeps_its_audio_for_when_it_opts_back_in(site):
    site.set_conf("TTS_PRUNE_AFTER_DAYS = 0\n")
    site.write_post("ferry.md", "Morning Ferry", FERRY)
    site.build()
    site.write_post("ferry.md", "Morning Ferry", FERRY, tts="no")
    site.build()
    site.reset_log()
    site.write_post("ferry.md", "Morning Ferry", FERRY)
    site.build()
    assert site.synthesized() == []
    assert site.output("ferry_tts.mp3").exists()


def test_prune_dry_run_says_what_would_go_and_deletes_nothing(site):
    old = edit_ferry(site)
    proc = site.run("tts", "--prune", "--dry-run")
    assert "Would remove 1 segment (" in proc.stderr and "that no post uses; 2 segments (" in proc.stderr
    assert old in segments(site)


def test_prune_deletes_unused_audio_at_once_whatever_the_grace_period(site):
    old = edit_ferry(site)
    proc = site.run("tts", "--prune")
    assert "Removed 1 segment (" in proc.stderr
    assert old not in segments(site)
    site.reset_log()
    site.build()
    assert site.synthesized() == []


def test_prune_counts_the_posts_edited_since_the_last_build_as_they_are_now(site):
    site.write_post("ferry.md", "Morning Ferry", FERRY)
    site.build()
    old = keys_of(site)[1]
    site.write_post("ferry.md", "Morning Ferry", FERRY_EDITED)  # not built yet
    site.run("tts", "--prune")
    assert old not in segments(site)


def test_prune_takes_no_posts(site):
    site.write_post("ferry.md", "Morning Ferry", FERRY)
    proc = site.run("tts", "--prune", "ferry", check=False)
    assert proc.returncode == 2
    assert "--prune works on the whole cache: give it no posts" in proc.stderr


def test_prune_counts_a_deleted_posts_records_as_one_post(site):
    site.write_post("ferry.md", "Morning Ferry", FERRY)
    site.write_post("crossing.md", "The Crossing", FERRY + "\n\nGulls follow the boat.")
    site.build()
    (site.root / "posts" / "ferry.md").unlink()
    proc = site.run("tts", "--prune", "--dry-run")
    assert "and the records of 1 post the site no longer has" in proc.stderr
    assert "tts_cache/encoded/en/posts__ferry.md" in proc.stderr
