"""Re-narrating unchanged text (`nikola tts --regenerate-all`, or a cache lost and rebuilt) gives the
same audio where the engine allows it: espeak-ng always, Piper with its noise turned off, Qwen3-TTS
by its seeded per-paragraph sampling (tests/test_qwen_engine.py)."""

from __future__ import annotations

import hashlib
import importlib.util

import pytest
from sites import POST

needs_piper = pytest.mark.skipif(importlib.util.find_spec("piper") is None, reason="piper-tts is not installed")


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def renarrated(site, slug: str) -> tuple[str, str, str]:
    """The MP3's digest after a build, and after `nikola tts --regenerate-all` re-synthesized it
    all, with what that command said."""
    site.write_post(f"{slug}.md", "The Night Garden", POST)
    site.build()
    first = digest(site.output(f"{slug}_tts.mp3"))
    said = site.run("tts", "--regenerate-all")
    return first, digest(site.output(f"{slug}_tts.mp3")), said.stdout + said.stderr


def test_espeak_renarrates_unchanged_text_to_the_same_mp3(site):
    first, again, said = renarrated(site, "night-garden")
    assert "narrating 5 segments" in said  # really synthesized again: title, heading, three paragraphs
    assert first == again


@needs_piper
def test_piper_without_noise_renarrates_unchanged_text_to_the_same_mp3(site):
    site.set_conf('TTS_ENGINE = "piper"\nTTS_VOICE = None\n'
                  'TTS_ENGINE_OPTIONS = {"noise_scale": 0, "noise_w_scale": 0}\n')
    first, again, said = renarrated(site, "night-garden")
    assert "narrating 5 segments" in said
    assert first == again
