"""Where each segment is heard: recorded at assembly, published as a WebVTT transcript and chapters
beside the MP3, and written onto the page's paragraphs (real builds, real espeak-ng and ffmpeg)."""

from __future__ import annotations

import array
import html
import json
import subprocess

import pytest
import webvtt
from bs4 import BeautifulSoup
from sites import BuiltSite, widget_of

from nikola_tts.audio.join import LEAD_IN_SECONDS, join_timed, spans_of
from nikola_tts.audio.mp3 import Tags, encode_mp3
from nikola_tts.audio.pcm import Audio

POST = """\
Owls & larks keep &lt;different&gt; hours in the garden.

## Moths

Moths circle the lantern in slow spirals.

- Bats above the pond.
- Frogs below it.

## Dawn

Blackbirds begin before the sky is light.
"""


def click(rate: int, seconds: float, at: float) -> Audio:
    samples = array.array("h", bytes(2 * int(seconds * rate)))
    start = int(at * rate)
    for i in range(start, start + rate // 100):
        samples[i] = 20000 if (i // 5) % 2 else -20000
    return Audio(samples.tobytes(), rate)


def first_loud_sample(mp3, rate: int) -> float:
    pcm = subprocess.run(["ffmpeg", "-v", "error", "-i", str(mp3), "-f", "s16le", "-ac", "1", "-ar", str(rate), "-"],
                         capture_output=True, check=True).stdout
    samples = array.array("h", pcm)
    return next(i for i, v in enumerate(samples) if abs(v) > 5000) / rate


# --- assembly ------------------------------------------------------------------------------------


def test_spans_start_after_the_lead_in_and_leave_out_the_pauses():
    a, b = Audio.silence(1.0, 24000), Audio.silence(0.5, 24000)
    spans = join_timed([(a, 0.6), (b, 0.9)]).spans
    assert spans[0].start == pytest.approx(LEAD_IN_SECONDS) and spans[0].end == pytest.approx(LEAD_IN_SECONDS + 1.0)
    assert spans[1].start == pytest.approx(spans[0].end + 0.6) and spans[1].end == pytest.approx(spans[1].start + 0.5)


def test_spans_from_lengths_alone_match_the_joined_audio():
    parts = [(Audio.silence(s, 22050), p) for s, p in ((0.71, 0.35), (1.3333, 1.2), (0.05, 0.0))]
    joined = join_timed(parts)
    assert spans_of([(len(a.samples) // 2, p) for a, p in parts], 22050) == joined.spans
    assert joined.spans[-1].end == pytest.approx(joined.audio.seconds)


@pytest.mark.parametrize("rate", [22050, 24000, 16000, 10000])  # 10000 Hz is resampled to 24000 for MP3
def test_a_sound_is_heard_in_the_mp3_where_its_span_says(tmp_path, rate):
    """The encoder's delay and padding are in the MP3's header, and decoders drop them: no offset."""
    joined = join_timed([(Audio.silence(0.8, rate), 0.4), (click(rate, 1.0, 0.0), 0.0)])
    mp3 = tmp_path / "click.mp3"
    encode_mp3(joined.audio, mp3, Tags("t", "a", "b"))
    heard = first_loud_sample(mp3, 24000 if rate == 10000 else rate)
    assert heard == pytest.approx(joined.spans[1].start, abs=0.002)


# --- what a build publishes ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    site = BuiltSite(tmp_path_factory.mktemp("timings") / "site")
    site.write_post("garden.md", "The Garden", POST)
    site.build()
    return site


def manifest(site) -> dict:
    return json.loads(next((site.root / "tts_cache" / "manifests" / "en").glob("*garden*.json")).read_text())


def test_transcript_has_one_cue_per_segment_in_the_words_of_the_page(built):
    segments = manifest(built)["segments"]
    captions = webvtt.read(str(built.output("garden_tts.vtt")))
    assert [html.unescape(c.text) for c in captions] == [s["written"] for s in segments]
    assert captions[1].text == "Owls &amp; larks keep &lt;different&gt; hours in the garden."  # escaped, as WebVTT wants


def test_cues_are_in_order_within_the_audio(built):
    from sites import probe_duration

    captions = webvtt.read(str(built.output("garden_tts.vtt")))
    times = [(c.start_in_seconds + c.start_time.milliseconds / 1000, c.end_in_seconds + c.end_time.milliseconds / 1000)
             for c in captions]
    assert times[0][0] == pytest.approx(LEAD_IN_SECONDS, abs=0.002)
    assert all(start < end <= next_start for (start, end), (next_start, _) in zip(times, times[1:]))
    assert times[-1][1] <= probe_duration(built.output("garden_tts.mp3"))


def test_chapters_are_the_title_then_each_heading(built):
    chapters = json.loads(built.output("garden_tts.chapters.json").read_text())
    assert chapters["version"] == "1.2.0"
    assert [c["title"] for c in chapters["chapters"]] == ["The Garden", "Moths", "Dawn"]
    starts = [c["startTime"] for c in chapters["chapters"]]
    assert starts[0] == 0 and starts == sorted(starts)
    cues = {html.unescape(c.text): c.start for c in webvtt.read(str(built.output("garden_tts.vtt")))}
    vtt_chapters = webvtt.read(str(built.output("garden_tts.chapters.vtt")))
    assert [c.text for c in vtt_chapters] == ["The Garden", "Moths", "Dawn"]
    assert [c.start for c in vtt_chapters][1:] == [cues["Moths"], cues["Dawn"]]


def test_each_narrated_block_on_the_page_carries_its_start_and_end(built):
    soup = BeautifulSoup(built.html("posts/garden/index.html"), "html.parser")
    body = soup.select_one("div.e-content")
    marked = body.select("[data-tts-start]")
    cues = [c for c in webvtt.read(str(built.output("garden_tts.vtt")))][1:]  # the title is not in the body
    assert [el.name for el in marked] == ["p", "h3", "p", "li", "li", "h3", "p"]
    for element, cue in zip(marked, cues):
        assert " ".join(element.get_text().split()) == html.unescape(cue.text)
        assert element["data-tts-start"] == f"{float(cue.start_in_seconds + cue.start_time.milliseconds / 1000):.3f}"
    assert widget_of(str(soup)).select("[data-tts-start]") == []


def test_code_blocks_and_unread_elements_get_no_marks(make_site):
    site = make_site()
    site.write_post("code.md", "Code", "Read this.\n\n```\nnot this\n```\n\nAnd this.")
    site.build()
    body = BeautifulSoup(site.html("posts/code/index.html"), "html.parser").select_one("div.e-content")
    assert [el.name for el in body.select("[data-tts-start]")] == ["p", "p"]
    assert body.select_one("pre").get("data-tts-start") is None


def test_the_feed_gets_the_plain_player_and_no_marks(built):
    rss = built.html("rss.xml")
    description = BeautifulSoup(BeautifulSoup(rss, "xml").find("item").find("description").get_text(), "html.parser")
    assert description.select_one(".audio-widget audio") is not None
    assert description.select(".audio-widget-controls, [data-tts-start]") == []


def test_no_void_element_is_closed_anywhere(built):
    for path in list(built.output("").rglob("*.html")) + list(built.output("").rglob("*.xml")):
        text = path.read_text(encoding="utf-8")
        assert "</source>" not in text and "</track>" not in text, path


# --- upgrades, failures, opt-outs -----------------------------------------------------------------


def test_audio_published_before_timings_gets_them_without_encoding_again(make_site):
    site = make_site()
    site.write_post("garden.md", "The Garden", POST)
    site.build()
    sidecar_path = next((site.root / "tts_cache" / "published" / "en").glob("*.json"))
    old = json.loads(sidecar_path.read_text())
    for key in ("heard", "page_blocks", "chapters"):
        old.pop(key)
    sidecar_path.write_text(json.dumps({**old, "format": 2}))  # as the previous release wrote it
    for suffix in (".vtt", ".chapters.vtt", ".chapters.json"):
        site.output("garden_tts" + suffix).unlink()
    mp3_before = site.output("garden_tts.mp3").stat().st_mtime_ns
    site.reset_log()
    site.build()
    assert site.synthesized() == []
    assert site.output("garden_tts.mp3").stat().st_mtime_ns == mp3_before
    assert len(webvtt.read(str(site.output("garden_tts.vtt")))) == len(manifest(site)["segments"])
    assert "data-tts-start" in site.html("posts/garden/index.html")


def test_a_failed_narration_keeps_the_old_audio_but_marks_no_paragraphs(make_site):
    site = make_site()
    site.set_conf('TTS_ENGINE = "tts_test_engines:FailingEspeak"\nTTS_CONTINUE_ON_ERROR = True\n')
    site.write_post("garden.md", "The Garden", POST)
    site.build()
    site.write_post("garden.md", "The Garden", POST.replace("Owls", "KABOOM owls"))
    site.build()
    page = site.html("posts/garden/index.html")
    assert widget_of(page).select_one("audio") is not None and site.output("garden_tts.vtt").exists()
    assert "data-tts-start" not in page  # the audio is of the text before the edit


def test_opting_out_removes_the_transcript_and_chapters_too(make_site):
    site = make_site()
    site.write_post("garden.md", "The Garden", POST)
    site.build()
    site.write_post("garden.md", "The Garden", POST, tts="no")
    site.build()
    assert sorted(p.name for p in site.output("").glob("garden_tts*")) == []
