"""`nikola build` with nikola-tts: real sites, real espeak-ng and ffmpeg."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from sites import POST, footer_minutes, probe_duration, widget_of

def test_build_publishes_mp3_at_site_root(site):
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.build()
    assert site.output("night-garden_tts.mp3").stat().st_size > 1000
    assert probe_duration(site.output("night-garden_tts.mp3")) > 3


def test_widget_is_first_thing_in_post_body_with_exact_markup(site):
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.build()
    soup = BeautifulSoup(site.html("posts/night-garden/index.html"), "html.parser")
    body = soup.select_one("div.e-content")
    first = next(child for child in body.children if getattr(child, "name", None))
    assert first.get("class") == ["audio-widget"]
    header = first.select_one("div.audio-widget-header")
    assert header.select_one("span.audio-widget-icon").get_text() == "\U0001F3A7"
    assert header.select_one("span.audio-widget-label").get_text() == "Listen to this article"
    audio = first.select_one("audio")
    assert audio.has_attr("controls") and audio["preload"] == "metadata"
    assert audio["src"].endswith("night-garden_tts.mp3")
    assert audio.select_one("source") is None  # a void element that lxml's serializer closed with </source>
    assert re.fullmatch(r"\d+ (min|sec) · AI-generated narration", footer_minutes(first))


def test_footer_duration_is_read_from_the_encoded_file(site):
    long_post = "\n\n".join(f"Paragraph {i} tells of owls, moths and lanterns in the garden at night, "
                            "and of the long walk home through the wet grass." for i in range(20))
    site.write_post("walk.md", "A Long Walk", long_post)
    site.build()
    seconds = probe_duration(site.output("walk_tts.mp3"))
    assert seconds > 60
    footer = footer_minutes(widget_of(site.html("posts/walk/index.html")))
    assert footer.startswith(f"{round(seconds / 60)} min")


def test_code_is_not_spoken(site):
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.build()
    spoken = " ".join(entry["text"] for entry in site.synthesized())
    assert "Moths and lanterns" in spoken and "The Night Garden" in spoken
    assert "print" not in spoken


def test_widget_appears_in_rss_item_with_absolute_url(site):
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.build()
    rss = site.html("rss.xml")
    item = BeautifulSoup(rss, "xml").find("item")
    description = BeautifulSoup(item.find("description").get_text(), "html.parser")
    widget = description.select_one("div.audio-widget")
    assert widget is not None
    assert widget.select_one("audio")["src"] == "https://example.org/night-garden_tts.mp3"
    assert widget.select_one(".audio-widget-controls") is None  # no script runs in a feed: the plain player


def test_widget_stays_out_of_index_teasers(site):
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.build()
    assert widget_of(site.html("index.html")) is None


def test_widget_in_indexes_when_configured(site):
    site.set_conf("TTS_WIDGET_IN_INDEXES = True\n")
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.build()
    assert widget_of(site.html("index.html")) is not None


def test_mako_theme_renders_the_widget(make_site):
    site = make_site(theme="bootstrap4")
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.build()
    widget = widget_of(site.html("posts/night-garden/index.html"))
    assert widget.select_one(".audio-widget-label").get_text() == "Listen to this article"


def test_widget_texts_are_configurable(site):
    site.set_conf('TTS_WIDGET_LABEL = "Hear it"\nTTS_WIDGET_FOOTER = "{duration} of robot voice"\n')
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.build()
    widget = widget_of(site.html("posts/night-garden/index.html"))
    assert widget.select_one(".audio-widget-label").get_text() == "Hear it"
    assert footer_minutes(widget).endswith(" of robot voice")


def test_stylesheet_is_published_and_linked(site):
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.build()
    assert ".audio-widget" in site.html("assets/css/nikola_tts.css")
    assert "nikola_tts.css" in site.html("posts/night-garden/index.html")


def test_site_passes_nikola_check_files(site):
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.write_post("quiet.md", "Quiet", "Nothing to hear here.", tts="no")
    site.build()
    check = site.run("check", "-f", check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def test_parallel_build_narrates_every_post(site):
    for i in range(4):
        site.write_post(f"p{i}.md", f"Post {i}", f"Post number {i} is about lantern number {i}.")
    site.build("-n", "2")
    assert site.engine_loads() == 1
    for i in range(4):
        assert site.output(f"p{i}_tts.mp3").exists()
        assert widget_of(site.html(f"posts/p{i}/index.html")) is not None
