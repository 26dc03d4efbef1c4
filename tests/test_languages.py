"""Paragraphs in another language than their post's: found, and spoken by that language's engine
and voice, or left out with one warning that names the post and the setting to add."""

from __future__ import annotations

import json
import subprocess

import pytest

from nikola_tts.text.normalize.identify import identify

ARABIC = "مرحبا بكم في مدونتي، هذه فقرة مكتوبة باللغة العربية عن الحدائق في الليل."
CHINESE = "这是一个用中文写的段落，讲的是夜晚的花园和灯笼。"
FRENCH = "Les jardins sont plus calmes la nuit que vous ne le pensez, surtout en hiver."
ENGLISH = "Gardens at night are quieter than you think, especially in winter."


@pytest.mark.parametrize("text, language", [(ARABIC, "ar"), (CHINESE, "zh"), (FRENCH, "fr"),
                                            ("Привет, это абзац на русском языке.", "ru")])
def test_a_paragraph_in_another_language_is_identified(text, language):
    assert identify(text, "en") == language


@pytest.mark.parametrize("text", [ENGLISH, "Die Hard", "Individual Runs", "The Cost Argument", "Tesla P40 (CUDA)",
                                  "A g4dn.12xlarge on AWS costs $3.91 per hour.", "Results"])
def test_english_prose_and_short_headings_keep_the_posts_language(text):
    assert identify(text, "en") is None


def test_a_post_in_spanish_is_not_foreign_to_itself():
    assert identify("Este párrafo está escrito en español, como todo el artículo.", "es") is None
    assert identify(ENGLISH, "es") == "en"


def _body(*paragraphs):
    return "\n\n".join(paragraphs)


def test_a_paragraph_in_another_language_gets_that_languages_voice(site):
    site.write_post("garden.md", "Night Garden", _body(ENGLISH, ARABIC))
    site.build()
    said = {entry["text"]: (entry["voice"], entry["language"]) for entry in site.synthesized()}
    assert said[ENGLISH] == ("en-us", "en")
    assert said[ARABIC] == ("ar", "ar")


def test_a_voice_named_for_that_language_speaks_it(site):
    site.set_conf('TTS_VOICE = {"en": "en-us", "fr": "fr+f2"}\n')
    site.write_post("garden.md", "Night Garden", _body(ENGLISH, FRENCH))
    site.build()
    said = {entry["text"]: entry["voice"] for entry in site.synthesized()}
    assert said[FRENCH] == "fr+f2"


def test_a_paragraph_no_voice_speaks_is_left_out_with_one_warning(site):
    site.set_conf('TTS_ENGINE = "tts_test_engines:EnglishOnlyEspeak"\n')
    site.write_post("garden.md", "Night Garden", _body(ENGLISH, ARABIC, ARABIC + " ثانية"))
    proc = site.build()
    texts = [entry["text"] for entry in site.synthesized()]
    assert ENGLISH in texts and not any("مرحبا" in text for text in texts)
    log = proc.stdout + proc.stderr
    warnings = [line for line in log.splitlines() if "left out of the narration" in line]
    assert len(warnings) == 1
    assert "posts/garden.md" in warnings[0] and "2 paragraph(s) in language 'ar'" in warnings[0]
    assert "TTS_ENGINE" in warnings[0]


def test_language_detection_can_be_turned_off(site):
    site.set_conf('TTS_LANGUAGE_DETECTION = False\n')
    site.write_post("garden.md", "Night Garden", _body(ENGLISH, FRENCH))
    site.build()
    assert {entry["voice"] for entry in site.synthesized()} == {"en-us"}


def test_a_posts_metadata_sets_its_language_and_the_mp3_says_so(site):
    site.set_conf('TTS_VOICE = {"en": "en-us"}\n')
    site.write_post("jardin.md", "Le jardin", FRENCH, tts_language="fr")
    site.build()
    assert {(entry["voice"], entry["language"]) for entry in site.synthesized()} == {("fr", "fr")}
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format_tags=language", "-of", "json",
                            str(site.output("jardin_tts.mp3"))], capture_output=True, text=True, check=True)
    assert json.loads(probe.stdout)["format"]["tags"]["language"] == "fr"
