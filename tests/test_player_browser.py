"""The player in a real browser (Chromium, selenium), on a built site served with HTTP Range support.

The post's page is loaded as a listener would load it; the checks read what the browser itself
reports (audio.duration, currentTime, which paragraph carries the highlight). Screenshots of two
stock themes at desktop and phone widths go to $NIKOLA_TTS_SCREENSHOTS when it is set.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

import browser
from sites import BuiltSite

from nikola_tts.site.messages import format_duration

pytestmark = pytest.mark.skipif(bool(browser.missing()), reason=browser.missing() or "")

POST = """\
Owls hunt at the edge of the meadow, where the grass meets the old stone wall.

## Moths

Moths circle the lantern in slow spirals, drawn by a light they cannot reach.

Bats follow the moths, taking them one by one above the pond.

## Dawn

Blackbirds begin before the sky is light, one song answering another.

Foxes slip home along the hedges as the first bus goes by.

Gardeners arrive last, with coffee, to see what the night has left them.
"""


def build(root: Path, theme: str) -> BuiltSite:
    site = BuiltSite(root, theme=theme)
    site.write_post("night.md", "The Night Garden", POST)
    site.build()
    return site


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """(driver, URL of the post page, its site) on bootblog4; one browser for the module."""
    site = build(tmp_path_factory.mktemp("player") / "site", "bootblog4")
    driver = browser.chromium()
    try:
        with browser.served(site.output("")) as base:
            yield driver, base + "posts/night/", site
    finally:
        driver.quit()


def load(driver, url):
    driver.get(url)
    return driver.execute_async_script(browser.WHEN_METADATA)


def console_errors(driver, base: str) -> list:
    """The page's errors that are the player's: a theme's own requests that fail offline (web fonts,
    Disqus) and the missing favicon are not; a script error or a failed request for anything the
    player uses is."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
            and not (entry.get("source") == "network"
                     and (base not in entry["message"] or "favicon.ico" in entry["message"]))]


def sidecar(site) -> dict:
    return json.loads(next((site.root / "tts_cache" / "published" / "en").glob("*.json")).read_text())


def test_duration_in_the_browser_equals_the_footer(page):
    driver, url, site = page
    duration = load(driver, url)
    footer = driver.find_element("css selector", ".audio-widget-footer").text
    assert footer.startswith(format_duration(duration) + " ·")
    assert duration == pytest.approx(sidecar(site)["duration"], abs=0.1)


def test_playing_advances_the_time(page):
    driver, url, _ = page
    load(driver, url)
    start, end = driver.execute_async_script(browser.PLAY_FOR, 1500)
    assert end - start > 0.8


def test_listen_here_seeks_to_its_paragraph(page):
    from selenium.webdriver import ActionChains

    driver, url, _ = page
    load(driver, url)
    paragraphs = driver.find_elements("css selector", "p[data-tts-start]")
    third = paragraphs[2]
    ActionChains(driver).move_to_element(third).perform()
    button = third.find_element("css selector", ".tts-listen-here")
    assert button.get_attribute("aria-label") == "Listen from here"
    at = driver.execute_async_script(browser.SEEKED_AFTER_CLICK, "p[data-tts-start] .tts-listen-here", 2)
    assert at == pytest.approx(float(third.get_attribute("data-tts-start")), abs=0.1)


def test_highlight_follows_the_audio(page):
    driver, url, _ = page
    load(driver, url)
    marked = driver.find_elements("css selector", "[data-tts-start]")
    fifth = next(el for el in marked if el.tag_name == "p" and marked.index(el) >= 4)
    index = marked.index(fifth)
    reading = driver.execute_async_script(browser.SEEK_AND_SETTLE, float(fifth.get_attribute("data-tts-start")) + 0.05)
    assert reading == index
    assert "tts-reading" in fifth.get_attribute("class")
    assert len(driver.find_elements("css selector", ".tts-reading")) == 1


def test_speed_is_remembered_across_a_reload(page):
    from selenium.webdriver.support.ui import Select

    driver, url, _ = page
    load(driver, url)
    Select(driver.find_element("css selector", ".audio-widget-speed select")).select_by_value("1.5")
    load(driver, url)
    assert driver.find_element("css selector", ".audio-widget-speed select").get_attribute("value") == "1.5"
    assert driver.execute_script("return document.querySelector('.audio-widget audio').playbackRate") == 1.5
    Select(driver.find_element("css selector", ".audio-widget-speed select")).select_by_value("1")


def test_chapter_menu_seeks_to_the_heading(page):
    driver, url, _ = page
    load(driver, url)
    driver.find_element("css selector", ".audio-widget-chapters summary").click()
    chapters = driver.find_elements("css selector", ".audio-widget-chapters button")
    assert [c.text.split(" ", 1)[1] for c in chapters] == ["The Night Garden", "Moths", "Dawn"]
    at = driver.execute_async_script(browser.SEEKED_AFTER_CLICK, ".audio-widget-chapters button", 2)
    heading = driver.find_element("xpath", "//*[self::h2 or self::h3][contains(., 'Dawn')]")
    assert at == pytest.approx(float(heading.get_attribute("data-tts-start")), abs=0.1)


def test_skip_buttons_move_fifteen_seconds(page):
    driver, url, _ = page
    load(driver, url)
    driver.execute_script("document.querySelector('.audio-widget audio').currentTime = 2")
    at = driver.execute_async_script(browser.SEEKED_AFTER_CLICK, "[data-tts-skip='15']", 0)
    assert at == pytest.approx(17, abs=0.1)
    at = driver.execute_async_script(browser.SEEKED_AFTER_CLICK, "[data-tts-skip='-15']", 0)
    assert at == pytest.approx(2, abs=0.1)


def test_controls_are_real_labelled_buttons(page):
    driver, url, _ = page
    load(driver, url)
    for button in driver.find_elements("css selector", ".audio-widget-controls button[data-tts-skip]"):
        assert button.get_attribute("type") == "button" and button.get_attribute("aria-label")
    assert driver.find_element("css selector", ".audio-widget-speed").text.startswith("Speed")
    links = {a.text: a.get_attribute("href") for a in driver.find_elements("css selector", ".audio-widget-links a")}
    assert links["Transcript"].endswith("night_tts.vtt") and links["Download MP3"].endswith("night_tts.mp3")


def test_no_console_errors(page):
    driver, url, _ = page
    driver.get_log("browser")  # what earlier tests left
    load(driver, url)
    driver.execute_async_script(browser.PLAY_FOR, 500)
    assert console_errors(driver, url.split("/posts/")[0]) == []


def test_without_javascript_it_is_the_plain_player_and_plays(page):
    driver, url, _ = page
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        driver.get(url)
        assert not driver.find_element("css selector", ".audio-widget-controls").is_displayed()
        assert driver.find_elements("css selector", ".tts-listen-here") == []
        audio = driver.find_element("css selector", ".audio-widget audio")
        assert audio.is_displayed() and audio.get_attribute("controls") is not None
        # The native controls' play button sits at the left end of the <audio>.
        from selenium.webdriver import ActionChains

        size = audio.size
        ActionChains(driver).move_to_element_with_offset(audio, -size["width"] // 2 + 20, 0).click().perform()
        time.sleep(1.5)
        played = driver.execute_cdp_cmd("Runtime.evaluate", {
            "expression": "document.querySelector('.audio-widget audio').currentTime", "returnByValue": True})
        assert played["result"]["value"] > 0.5
    finally:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


@pytest.mark.parametrize("theme", ["bootblog4", "bootstrap4"])
def test_player_fits_desktop_and_phone_widths(tmp_path, theme):
    site = build(tmp_path / "site", theme)
    keep = os.environ.get("NIKOLA_TTS_SCREENSHOTS")
    with browser.served(site.output("")) as base:
        for name, window in (("desktop", browser.DESKTOP), ("phone", browser.PHONE)):
            driver = browser.chromium(window)
            try:
                load(driver, base + "posts/night/")
                driver.execute_async_script(browser.SEEK_AND_SETTLE, 9.0)
                widget = driver.find_element("css selector", ".audio-widget")
                controls = driver.find_element("css selector", ".audio-widget-controls")
                assert widget.is_displayed() and controls.is_displayed()
                width = driver.execute_script("return document.documentElement.clientWidth")
                for element in (widget, controls, driver.find_element("css selector", ".audio-widget audio")):
                    rect = element.rect
                    assert rect["x"] >= 0 and rect["x"] + rect["width"] <= width + 1, (name, element.tag_name, rect)
                if keep:
                    Path(keep).mkdir(parents=True, exist_ok=True)
                    driver.save_screenshot(str(Path(keep) / f"{theme}-{name}.png"))
            finally:
                driver.quit()


@pytest.mark.parametrize("theme", ["base", "base-jinja", "bootblog4-jinja", "bootstrap4-jinja"])
def test_the_player_follows_the_text_in_every_other_stock_theme(tmp_path, theme):
    site = build(tmp_path / "site", theme)
    driver = browser.chromium()
    try:
        with browser.served(site.output("")) as base:
            load(driver, base + "posts/night/")
            assert driver.find_element("css selector", ".audio-widget-controls").is_displayed()
            paragraphs = driver.find_elements("css selector", "p[data-tts-start]")
            assert len(paragraphs) == 6
            third = paragraphs[2]
            driver.execute_async_script(browser.SEEK_AND_SETTLE, float(third.get_attribute("data-tts-start")) + 0.05)
            assert "tts-reading" in third.get_attribute("class")
            assert console_errors(driver, base.rstrip("/")) == []
    finally:
        driver.quit()


def test_a_post_encoded_in_several_parts_plays_on_across_their_seams(tmp_path):
    """A long post's MP3 is its parts' frames joined (nikola_tts.audio.parts): the browser reads the
    whole length, plays through a seam, and highlights the paragraph after it on time."""
    from nikola_tts.audio.parts import split_parts
    from nikola_tts.cache.segments import SegmentStore

    site = BuiltSite(tmp_path / "site")
    site.write_post("log.md", "The Logbook", "\n\n".join(
        f"Day {n} of the voyage: the wind stood {n % 5 + 1} points east of north, and the sea was calm."
        for n in range(1, 61)))
    site.build()
    segments = json.loads(next((site.root / "tts_cache" / "manifests" / "en").glob("*.json")).read_text())["segments"]
    store = SegmentStore(site.root / "tts_cache" / "segments")
    lengths = [store.length(s["key"]) for s in segments]
    parts = split_parts([s["key"] for s in segments], [n / rate for n, rate in lengths])
    assert len(parts) >= 3
    block = segments[parts[1].start]["block"]  # the paragraph that opens the second part
    seam = next(start for b, start, _ in sidecar(site)["heard"] if b == block)
    driver = browser.chromium()
    try:
        with browser.served(site.output("")) as base:
            assert load(driver, base + "posts/log/") == pytest.approx(sidecar(site)["duration"], abs=0.1)
            driver.execute_async_script(browser.SEEK_AND_SETTLE, seam - 1.0)
            start, end = driver.execute_async_script(browser.PLAY_FOR, 2000)
            assert start < seam < end and end - start > 1.5
            marked = driver.find_elements("css selector", "[data-tts-start]")
            after = next(i for i, el in enumerate(marked) if el.get_attribute("data-tts-start") == f"{seam:.3f}")
            assert driver.execute_async_script(browser.SEEK_AND_SETTLE, seam + 0.05) == after
    finally:
        driver.quit()
