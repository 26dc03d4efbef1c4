"""A post's MP3 is encoded in the narration task, as soon as the post's narration is complete and a
few posts at a time (nikola_tts/ahead.py); publishing the post then finds its parts and joins them."""

from __future__ import annotations

import json

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
