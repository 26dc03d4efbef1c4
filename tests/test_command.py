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
    assert re.search(r"Total: 2 posts, [\d,]+ characters to synthesize, ~[\d.]+ min of audio, ~[\d.]+ \w+ to synthesize",
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


def test_dry_run_with_regenerate_all_lists_every_post_with_all_its_segments(site):
    two_posts(site)
    site.build()
    site.reset_log()
    out = site.run("tts", "--dry-run", "--regenerate-all").stdout
    assert "Narrated again with --regenerate-all" in out
    assert re.search(r"posts/ferry\.md\s+en\s+2/2", out) and re.search(r"posts/night-garden\.md\s+en\s+5/5", out), out
    assert "Total: 2 posts" in out
    assert site.synthesized() == []


def test_tts_with_nothing_stale_writes_nothing_and_says_so(site):
    two_posts(site)
    site.build()
    cache = site.root / "tts_cache"
    files = [p for p in (site.root / "output").rglob("*_tts.mp3")] + [p for p in cache.rglob("*") if p.is_file()]
    before = {p: p.stat().st_mtime_ns for p in files}
    site.reset_log()
    proc = site.run("tts")
    assert "Nothing is stale: every narrated post is up to date, and nothing was written" in proc.stderr
    assert "narrated (" not in proc.stderr
    assert site.synthesized() == []
    assert {p: p.stat().st_mtime_ns for p in files} == before


def test_tts_counts_what_it_narrated_and_what_was_up_to_date(site):
    two_posts(site)
    site.build()
    site.write_post("ferry.md", "Morning Ferry", "The ferry leaves at noon, when the harbour is busy.")
    proc = site.run("tts")
    assert "1 post narrated (1 segment synthesized" in proc.stderr
    assert "1 already up to date" in proc.stderr


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
