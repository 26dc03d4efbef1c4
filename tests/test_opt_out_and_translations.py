"""Which posts speak: opt-outs, drafts, per-post voices and translations."""

from __future__ import annotations

import json

from sites import POST, probe_duration, widget_of


def test_opted_out_post_gets_no_audio_and_no_widget(site):
    site.write_post("quiet.md", "Quiet", "Nothing to hear here, on purpose.", tts="no")
    site.build()
    assert not site.output("quiet_tts.mp3").exists()
    assert widget_of(site.html("posts/quiet/index.html")) is None
    assert site.synthesized() == []


def test_opting_out_removes_the_published_mp3_and_keeps_check_clean(site):
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.write_post("other.md", "Other", "Another post keeps its audio.")
    site.build()
    assert site.output("night-garden_tts.mp3").exists()
    site.write_post("night-garden.md", "The Night Garden", POST, tts="no")
    site.build()
    assert not site.output("night-garden_tts.mp3").exists()
    assert site.output("other_tts.mp3").exists()
    assert widget_of(site.html("posts/night-garden/index.html")) is None
    check = site.run("check", "-f", check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def test_turning_narration_back_on_reuses_the_cache(site):
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.build()
    site.write_post("night-garden.md", "The Night Garden", POST, tts="no")
    site.build()
    site.reset_log()
    site.write_post("night-garden.md", "The Night Garden", POST, tts="yes")
    site.build()
    assert site.synthesized() == []
    assert site.output("night-garden_tts.mp3").exists()
    assert widget_of(site.html("posts/night-garden/index.html")) is not None


def test_yaml_false_opts_out(site):
    path = site.root / "posts" / "yaml.md"
    path.write_text("---\ntitle: Yaml\nslug: yaml\ndate: 2026-01-02 10:00:00 UTC\ntts: false\n---\n\nNot read.\n",
                    encoding="utf-8")
    site.build()
    assert not site.output("yaml_tts.mp3").exists()


def test_drafts_and_private_posts_are_not_narrated(site):
    site.write_post("draft.md", "Draft", "Unfinished thoughts.", status="draft")
    site.write_post("secret.md", "Secret", "For my eyes only.", status="private")
    site.build()
    assert site.synthesized() == []


def test_drafts_are_narrated_when_configured(site):
    site.set_conf("TTS_NARRATE_DRAFTS = True\n")
    site.write_post("draft.md", "Draft", "Unfinished thoughts.", status="draft")
    site.build()
    assert sorted(e["text"] for e in site.synthesized()) == ["Draft", "Unfinished thoughts."]


def test_per_post_voice_overrides_the_site_voice(site):
    site.write_post("one.md", "One", "The same sentence, spoken twice.")
    site.write_post("two.md", "Two", "The same sentence, spoken twice.", tts_voice="en-us+f2")
    site.build()
    texts = [e["text"] for e in site.synthesized()]
    assert texts.count("The same sentence, spoken twice.") == 2  # a different voice is a different segment
    manifest = json.loads(next((site.root / "tts_cache" / "manifests" / "en").glob("*two.md.json")).read_text())
    assert manifest["voice"] == "en-us+f2"


def test_each_translation_gets_its_own_audio_and_widget(make_site):
    site = make_site(translations={"en": "", "es": "./es"})
    site.write_post("boat.md", "The Boat", "The boat leaves at noon from the old pier.")
    (site.root / "posts" / "boat.es.md").write_text(
        "<!--\n.. title: El barco\n.. slug: boat\n.. date: 2026-01-02 10:00:00 UTC\n-->\n\n"
        "El barco sale a mediodía del muelle viejo.\n", encoding="utf-8")
    site.build()
    assert probe_duration(site.output("boat_tts.mp3")) > 1
    assert probe_duration(site.output("es/boat_tts.mp3")) > 1
    en = widget_of(site.html("posts/boat/index.html"))
    es = widget_of(site.html("es/posts/boat/index.html"))
    assert en.select_one("audio")["src"] == "../../boat_tts.mp3"
    assert es.select_one("audio")["src"] == "../../boat_tts.mp3"  # from /es/posts/boat/ to /es/boat_tts.mp3
    assert es.select_one(".audio-widget-label").get_text() == "Escucha este artículo"
    assert "El barco sale a mediodía del muelle viejo." in [e["text"] for e in site.synthesized()]


def test_untranslated_post_page_in_other_language_plays_the_original(make_site):
    site = make_site(translations={"en": "", "es": "./es"})
    site.write_post("boat.md", "The Boat", "The boat leaves at noon from the old pier.")
    site.build()
    assert not site.output("es/boat_tts.mp3").exists()
    widget = widget_of(site.html("es/posts/boat/index.html"))
    assert widget.select_one("audio")["src"] == "../../../boat_tts.mp3"


def test_each_language_can_have_its_own_engine(make_site):
    site = make_site(translations={"en": "", "es": "./es"})
    site.set_conf('TTS_ENGINE = {"en": "tts_test_engines:CountingEspeak", "es": "espeak"}\n'
                  'TTS_VOICE = {"en": "en-us", "es": "es"}\n')
    site.write_post("boat.md", "The Boat", "The boat leaves at noon from the old pier.")
    (site.root / "posts" / "boat.es.md").write_text(
        "<!--\n.. title: El barco\n.. slug: boat\n.. date: 2026-01-02 10:00:00 UTC\n-->\n\n"
        "El barco sale a mediodía del muelle viejo.\n", encoding="utf-8")
    site.build()
    spoken = [e["text"] for e in site.synthesized()]  # only the counting engine logs
    assert "The boat leaves at noon from the old pier." in spoken
    assert "El barco sale a mediodía del muelle viejo." not in spoken
    assert probe_duration(site.output("es/boat_tts.mp3")) > 1


def test_untranslated_post_under_another_language_speaks_of_its_audio_in_the_audio_language(make_site):
    site = make_site(translations={"en": "", "es": "./es"})
    site.write_post("boat.md", "The Boat", "The boat leaves at noon from the old pier.")
    site.build()
    widget = widget_of(site.html("es/posts/boat/index.html"))
    assert widget["lang"] == "en"  # English narration, so English words (and screen readers read them so)
    assert widget.select_one(".audio-widget-label").get_text() == "Listen to this article"
    assert widget.select_one(".audio-widget-footer").get_text().endswith("AI-generated narration")
