"""A real browser for the player's tests: the system's Chromium driven by selenium through the
system's chromedriver (no browser download), and a built site served with HTTP Range support.
See /work/shared/reference/BROWSER.md for what works on a machine like CI's."""

from __future__ import annotations

import shutil
import threading
from contextlib import contextmanager

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
DESKTOP, PHONE = (1280, 900), (390, 844)


def missing() -> str | None:
    """Why no browser test can run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install 'nikola-tts[test]')"
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        return "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
    return None


def chromium(window=DESKTOP):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--autoplay-policy=no-user-gesture-required", "--mute-audio", f"--window-size={window[0]},{window[1]}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(20)
    return driver


@contextmanager
def served(folder):
    """The folder on a local Range-answering server; yields its base URL."""
    from nikola_tts.preview import make_server

    server = make_server(str(folder), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# Scripts run in the page (execute_async_script: the last argument is the callback).
WHEN_METADATA = """
const done = arguments[arguments.length - 1], audio = document.querySelector('.audio-widget audio');
if (audio.readyState >= 1) done(audio.duration);
else audio.addEventListener('loadedmetadata', () => done(audio.duration), {once: true});
"""
SEEKED_AFTER_CLICK = """
const [selector, index] = arguments, done = arguments[arguments.length - 1];
const audio = document.querySelector('.audio-widget audio');
audio.addEventListener('seeked', () => done(audio.currentTime), {once: true});
document.querySelectorAll(selector)[index].click();
"""
SEEK_AND_SETTLE = """
const [t] = arguments, done = arguments[arguments.length - 1];
const audio = document.querySelector('.audio-widget audio');
audio.addEventListener('seeked', () => setTimeout(() => {
  const reading = document.querySelector('.tts-reading');
  done(reading ? Array.from(document.querySelectorAll('[data-tts-start]')).indexOf(reading) : -1);
}, 100), {once: true});
audio.currentTime = t;
"""
PLAY_FOR = """
const [ms] = arguments, done = arguments[arguments.length - 1];
const audio = document.querySelector('.audio-widget audio');
const from = audio.currentTime;
audio.play().then(() => setTimeout(() => { const to = audio.currentTime; audio.pause(); done([from, to]); }, ms),
                  (e) => done(String(e)));
"""
