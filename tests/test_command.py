"""`nikola tts`: --dry-run, --regenerate-all, and narrating named posts."""

from __future__ import annotations

import re

from sites import POST, probe_duration, widget_of


def two_posts(site):
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.write_post("ferry.md", "Morning Ferry", "The ferry leaves at dawn, when the harbour is still grey.")


def test_dry_run_lists_stale_posts_with_estimates_and_synthesizes_nothing(site):
    two_posts(site)
    proc = site.run("tts", "--dry-run")
    out = proc.stdout + proc.stderr
    assert "posts/night-garden.md" in out and "posts/ferry.md" in out
    assert re.search(r"Total: 2 post\(s\), [\d,]+ characters to synthesize, ~[\d.]+ min of audio, ~\d+ \w+ to synthesize",
                     out), out
    assert site.synthesized() == []
    assert not site.output("ferry_tts.mp3").exists()


def test_dry_run_after_a_build_says_nothing_is_stale(site):
    two_posts(site)
    site.build()
    proc = site.run("tts", "--dry-run")
    assert "Nothing is stale" in proc.stdout + proc.stderr


def test_dry_run_after_an_edit_lists_only_the_edited_post(site):
    two_posts(site)
    site.build()
    site.write_post("ferry.md", "Morning Ferry", "The ferry leaves at noon, when the harbour is busy.")
    out = site.run("tts", "--dry-run").stdout
    assert "posts/ferry.md" in out and "posts/night-garden.md" not in out
    assert re.search(r"posts/ferry\.md\s+en\s+1/2", out), out  # one of its two segments (title, paragraph)


def test_tts_narrates_only_the_named_post(site):
    two_posts(site)
    site.run("tts", "ferry")
    assert site.output("ferry_tts.mp3").exists()
    assert not site.output("night-garden_tts.mp3").exists()
    assert {e["text"] for e in site.synthesized()} == {"Morning Ferry",
                                                        "The ferry leaves at dawn, when the harbour is still grey."}


def test_tts_accepts_a_source_path(site):
    two_posts(site)
    site.run("tts", "posts/night-garden.md")
    assert site.output("night-garden_tts.mp3").exists()
    assert not site.output("ferry_tts.mp3").exists()


def test_tts_with_an_unknown_post_names_the_fix(site):
    two_posts(site)
    proc = site.run("tts", "no-such-post", check=False)
    assert proc.returncode != 0
    assert "no narrated post matches no-such-post" in proc.stderr


def test_regenerate_all_renarrates_everything_despite_the_cache(site):
    two_posts(site)
    site.build()
    first = sorted(e["text"] for e in site.synthesized())
    site.reset_log()
    site.run("tts", "--regenerate-all")
    assert sorted(e["text"] for e in site.synthesized()) == first


def test_regenerate_all_then_build_updates_the_page_duration(site):
    two_posts(site)
    site.build()
    site.set_conf("TTS_SPEED = 0.5\n")  # slower speech: longer audio after re-narration
    site.run("tts", "--regenerate-all")
    site.build()
    seconds = probe_duration(site.output("ferry_tts.mp3"))
    footer = widget_of(site.html("posts/ferry/index.html")).select_one(".audio-widget-footer").get_text()
    assert footer.startswith(f"{round(seconds)} sec") or footer.startswith(f"{round(seconds / 60)} min")


def test_narrated_post_pages_update_after_nikola_tts_and_build(site):
    two_posts(site)
    site.run("tts")
    site.reset_log()
    site.build()
    assert site.synthesized() == []
    assert widget_of(site.html("posts/ferry/index.html")) is not None
