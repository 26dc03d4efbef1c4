"""The podcast feed (TTS_PODCAST) and the MP3 as enclosure of Nikola's own RSS items: real builds,
the feeds checked for the specs' required elements and read with feedparser."""

from __future__ import annotations

import feedparser
import pytest
from lxml import etree
from sites import POST

ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
PODCAST = "{https://podcastindex.org/namespace/1.0}"
PODCAST_CONF = """\
TTS_PODCAST = {"artwork": "/images/cover.png", "category": "Technology", "explicit": False}
"""


@pytest.fixture
def podcast_site(make_site):
    site = make_site(extra_conf=PODCAST_CONF)
    site.write_post("night-garden.md", "The Night Garden", POST, date="2026-01-02 10:00:00 UTC")
    site.write_post("ferry.md", "The Ferry", "The ferry leaves at dawn.\n\nGulls follow it.",
                    date="2026-02-03 10:00:00 UTC", description="A ferry and its gulls.")
    site.build()
    return site


def items(site, rel="podcast.xml") -> dict:
    feed = feedparser.parse(site.output(rel).read_bytes())
    assert not feed.bozo, feed.bozo_exception
    return {entry.title: entry for entry in feed.entries}


def test_no_podcast_feed_unless_asked_for(site):
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.build()
    assert not site.output("podcast.xml").exists()


def test_feed_has_the_required_channel_elements(podcast_site):
    channel = etree.parse(str(podcast_site.output("podcast.xml"))).getroot().find("channel")
    for tag in ("title", "link", "description", "language", f"{ITUNES}author", f"{ITUNES}explicit",
                f"{ITUNES}image", f"{ITUNES}category", f"{PODCAST}guid"):
        assert channel.find(tag) is not None, tag
    assert channel.findtext("title") == "Test Blog" and channel.findtext("language") == "en"
    assert channel.find(f"{ITUNES}image").get("href") == "https://example.org/images/cover.png"
    assert channel.find(f"{ITUNES}category").get("text") == "Technology"
    assert channel.findtext(f"{ITUNES}explicit") == "false"


def test_one_item_per_narrated_post_newest_first_with_exact_enclosure_and_duration(podcast_site):
    import json

    feed = feedparser.parse(podcast_site.output("podcast.xml").read_bytes())
    assert [entry.title for entry in feed.entries] == ["The Ferry", "The Night Garden"]
    for entry, slug in zip(feed.entries, ("ferry", "night-garden")):
        mp3 = podcast_site.output(f"{slug}_tts.mp3")
        [enclosure] = entry.enclosures
        assert enclosure.href == f"https://example.org/{slug}_tts.mp3"
        assert int(enclosure.length) == mp3.stat().st_size and enclosure.type == "audio/mpeg"
        sidecar = json.loads(next((podcast_site.root / "tts_cache" / "published" / "en").glob(f"*{slug}*")).read_text())
        assert entry.itunes_duration == str(round(sidecar["duration"]))
        assert entry.id == f"https://example.org/posts/{slug}/" and entry.published_parsed is not None
    assert feed.entries[0].summary == "A ferry and its gulls."


def test_items_link_the_transcript_and_chapters_that_are_published(podcast_site):
    root = etree.parse(str(podcast_site.output("podcast.xml"))).getroot()
    for item in root.iter("item"):
        transcript, chapters = item.find(f"{PODCAST}transcript"), item.find(f"{PODCAST}chapters")
        assert transcript.get("type") == "text/vtt" and chapters.get("type") == "application/json+chapters"
        for url in (transcript.get("url"), chapters.get("url")):
            assert podcast_site.output(url.removeprefix("https://example.org/")).is_file()


def test_items_follow_the_audio(podcast_site):
    guid_before = items(podcast_site)["The Ferry"].id
    size_before = int(items(podcast_site)["The Ferry"].enclosures[0].length)
    podcast_site.write_post("ferry.md", "The Ferry", "The ferry leaves at dawn.\n\nGulls follow it all the way out.",
                            date="2026-02-03 10:00:00 UTC", description="A ferry and its gulls.")
    podcast_site.build()
    ferry = items(podcast_site)["The Ferry"]
    assert int(ferry.enclosures[0].length) == podcast_site.output("ferry_tts.mp3").stat().st_size != size_before
    assert ferry.id == guid_before  # the same episode, updated
    podcast_site.write_post("ferry.md", "The Ferry", "The ferry leaves at dawn.", tts="no")
    podcast_site.build()
    assert list(items(podcast_site)) == ["The Night Garden"]


def test_a_rebuild_with_nothing_changed_leaves_the_feed_alone(podcast_site):
    before = podcast_site.output("podcast.xml").stat().st_mtime_ns
    podcast_site.build()
    assert podcast_site.output("podcast.xml").stat().st_mtime_ns == before


def test_each_translation_gets_its_own_feed(make_site):
    site = make_site(translations={"en": "", "es": "./es"}, extra_conf="TTS_PODCAST = True\n")
    site.write_post("boat.md", "The Boat", "The boat leaves at noon from the old pier.")
    (site.root / "posts" / "boat.es.md").write_text(
        "<!--\n.. title: El barco\n.. slug: boat\n.. date: 2026-01-02 10:00:00 UTC\n-->\n\n"
        "El barco sale a mediodía del muelle viejo.\n", encoding="utf-8")
    site.build()
    spanish = feedparser.parse(site.output("es/podcast.xml").read_bytes())
    assert spanish.feed.language == "es"
    assert [e.enclosures[0].href for e in spanish.entries] == ["https://example.org/es/boat_tts.mp3"]


def test_nikolas_rss_items_carry_the_mp3_as_enclosure(podcast_site):
    feed = feedparser.parse(podcast_site.output("rss.xml").read_bytes())
    for entry in feed.entries:
        slug = entry.link.rstrip("/").rsplit("/", 1)[-1]
        [enclosure] = entry.enclosures
        assert enclosure.href == f"https://example.org/{slug}_tts.mp3"
        assert int(enclosure.length) == podcast_site.output(f"{slug}_tts.mp3").stat().st_size


def test_an_opted_out_post_has_no_enclosure_in_nikolas_rss(site):
    site.write_post("quiet.md", "Quiet", "Nothing to hear here.", tts="no")
    site.build()
    assert feedparser.parse(site.output("rss.xml").read_bytes()).entries[0].enclosures == []


@pytest.mark.parametrize("value, message", [
    ('"yes"', "TTS_PODCAST is 'yes': use True, False or a dict with any of title, description, author, email, "
              "artwork, category, explicit, language"),
    ('{"explict": True}', "TTS_PODCAST has the key 'explict': use any of title, description, author, email, "
                          "artwork, category, explicit, language"),
    ('{"explicit": "no"}', "TTS_PODCAST['explicit'] is 'no': use True or False"),
])
def test_a_bad_podcast_setting_stops_the_build_with_one_line_naming_the_fix(site, value, message):
    site.set_conf(f"TTS_PODCAST = {value}\n")
    site.write_post("night-garden.md", "The Night Garden", POST)
    result = site.build(check=False)
    assert result.returncode != 0
    assert message in result.stderr + result.stdout
    assert site.synthesized() == []
