"""The author's pronunciation lexicon: plain TOML respellings and W3C PLS files, whole-word and
case-aware, per language, extended by a post's metadata; its entries change exactly the
paragraphs that contain their words."""

from __future__ import annotations

import pytest
from speech import spoken

from nikola_tts.engines.base import inline_phonemes
from nikola_tts.errors import TTSError
from nikola_tts.text.normalize.lexicon import Entry, entries_from_meta, read_lexicon

PLS = """<?xml version="1.0" encoding="UTF-8"?>
<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon" alphabet="ipa" xml:lang="{lang}">
  <lexeme><grapheme>ROCm</grapheme><alias>rock-em</alias></lexeme>
  <lexeme><grapheme>Qwen</grapheme><phoneme>kwɛn</phoneme><alias>kwen</alias></lexeme>
  <lexeme><grapheme>Nginx</grapheme><grapheme>nginx</grapheme><alias>engine x</alias></lexeme>
</lexicon>
"""


@pytest.fixture
def toml_lexicon(tmp_path):
    path = tmp_path / "lexicon.toml"
    path.write_text('"ROCm" = "rock-em"\n"jevons" = "jev-ons"\n"P40" = "P forty card"\n\n[es]\n"GPU" = "ge pe u"\n',
                    encoding="utf-8")
    return read_lexicon(str(path))


@pytest.mark.parametrize("written, said", [
    ("ROCm runs here.", "rock-em runs here."),
    ("ROCm's drivers", "rock-em's drivers"),
    ("rocm is a package name", "rocm is a package name"),
    ("ROCmX is another word", "ROCmX is another word"),
    ("Jevons wrote it", "jev-ons wrote it"),
    ("JEVONS, in capitals", "jev-ons, in capitals"),
    ("Jevonsian is not Jevons", "Jevonsian is not jev-ons"),
    ("four P40 boards", "four P forty card boards"),
])
def test_toml_entries_match_whole_words_and_case(toml_lexicon, written, said):
    assert spoken(written, lexicon=toml_lexicon) == said


def test_the_lexicon_wins_over_the_normalizer(toml_lexicon):
    assert spoken("A P40 at 250W", lexicon=toml_lexicon) == "A P forty card at two hundred fifty watts"


def test_a_language_table_applies_to_that_language_only(toml_lexicon):
    assert spoken("una GPU", "es", lexicon=toml_lexicon) == "una ge pe u"
    assert spoken("a GPU", "en", lexicon=toml_lexicon) == "a GPU"


def test_pls_aliases_every_grapheme_and_keeps_phonemes(tmp_path):
    path = tmp_path / "names.pls"
    path.write_text(PLS.format(lang="en-US"), encoding="utf-8")
    entries = read_lexicon(str(path))
    assert {(e.written, e.spoken, e.language) for e in entries} >= {("ROCm", "rock-em", "en"), ("Nginx", "engine x", "en"),
                                                                     ("nginx", "engine x", "en")}
    assert next(e for e in entries if e.written == "Qwen").phonemes == "kwɛn"
    assert spoken("Qwen on ROCm behind nginx", lexicon=entries) == "kwen on rock-em behind engine x"


def test_pls_phonemes_reach_an_engine_that_takes_their_alphabet(tmp_path):
    path = tmp_path / "names.pls"
    path.write_text(PLS.format(lang="en"), encoding="utf-8")
    said = spoken("Qwen speaks", lexicon=read_lexicon(str(path)), phonemes="ipa")
    assert inline_phonemes(said) == "[[kwɛn]] speaks"


def test_pls_lexicon_of_another_language_leaves_english_alone(tmp_path):
    path = tmp_path / "names.pls"
    path.write_text(PLS.format(lang="de"), encoding="utf-8")
    assert spoken("ROCm", lexicon=read_lexicon(str(path))) == "ROCm"


def test_prose_brackets_are_never_taken_for_phonemes():
    assert inline_phonemes("a [[wiki link]] here") == "a [ [wiki link] ] here"


def test_a_posts_metadata_adds_entries_and_overrides_the_sites(toml_lexicon):
    post = entries_from_meta("ROCm=rock em; Ollama = oh-lama", "posts/x.md (tts_lexicon)")
    assert spoken("Ollama on ROCm", lexicon=toml_lexicon + post) == "oh-lama on rock em"


@pytest.mark.parametrize("content, fix", [
    ('"ROCm = "rock-em"\n', "is not valid TOML"),
    ('"ROCm" = 5\n', "is not a respelling"),
])
def test_a_broken_toml_lexicon_is_one_line_naming_the_file_and_the_fix(tmp_path, content, fix):
    path = tmp_path / "lexicon.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TTSError) as error:
        read_lexicon(str(path))
    assert str(path) in str(error.value) and fix in str(error.value) and "\n" not in str(error.value)


def test_a_missing_lexicon_file_names_the_fix(tmp_path):
    with pytest.raises(TTSError, match="not found: give the path of a .toml or .pls file"):
        read_lexicon(str(tmp_path / "nope.toml"))


def test_metadata_that_is_not_word_equals_respelling_names_the_fix():
    with pytest.raises(TTSError, match="tts_lexicon entry 'ROCm' is not word=respelling"):
        entries_from_meta("ROCm", "posts/x.md")


def test_entries_are_frozen_data():
    assert Entry("ROCm", "rock-em") == Entry("ROCm", "rock-em")


# -- in a real build --------------------------------------------------------------------------

PARAGRAPHS = [
    "William Stanley Jevons noticed that cheaper coal meant more coal burned.",
    "Efficiency gains made steam engines worth building everywhere.",
    "The same pattern shows up in computing again and again.",
]


def test_adding_one_lexicon_entry_renarrates_exactly_the_paragraphs_with_that_word(site):
    site.write_post("jevons.md", "The Paradox", "\n\n".join(PARAGRAPHS))
    site.build()
    site.reset_log()
    (site.root / "lexicon.toml").write_text('"Jevons" = "jev-ons"\n', encoding="utf-8")
    site.set_conf('TTS_LEXICON = ["lexicon.toml"]\n')
    site.build()
    assert [entry["text"] for entry in site.synthesized()] == [
        "William Stanley jev-ons noticed that cheaper coal meant more coal burned."]


def test_a_posts_own_lexicon_entry_renarrates_only_that_post(site):
    site.write_post("jevons.md", "The Paradox", "\n\n".join(PARAGRAPHS))
    site.write_post("other.md", "Other", "Jevons again, in another post.")
    site.build()
    site.reset_log()
    site.write_post("jevons.md", "The Paradox", "\n\n".join(PARAGRAPHS), tts_lexicon="Jevons=jev-ons")
    site.build()
    assert [entry["text"] for entry in site.synthesized()] == [
        "William Stanley jev-ons noticed that cheaper coal meant more coal burned."]


def test_a_broken_lexicon_stops_the_build_before_any_work(site):
    site.write_post("jevons.md", "The Paradox", PARAGRAPHS[0])
    (site.root / "lexicon.toml").write_text('"Jevons = "jev-ons"\n', encoding="utf-8")
    site.set_conf('TTS_LEXICON = "lexicon.toml"\n')
    proc = site.build(check=False)
    assert proc.returncode != 0
    assert "TTS_LEXICON:" in proc.stdout + proc.stderr and "lexicon.toml is not valid TOML" in proc.stdout + proc.stderr
    assert site.synthesized() == []


def test_phonemes_only_for_an_engine_without_phonemes_are_read_as_written_with_one_note(caplog):
    import logging

    entry = Entry("Qwen", "", phonemes="kwɛn", alphabet="ipa", origin="names.pls")
    with caplog.at_level(logging.INFO, logger="tts"):
        assert spoken("Qwen and Qwen", lexicon=(entry,), phonemes=None) == "Qwen and Qwen"
        spoken("Qwen again", lexicon=(entry,), phonemes=None)
    notes = [r.message for r in caplog.records if "has phonemes in ipa only" in r.message]
    assert len(notes) == 1 and "give it an alias" in notes[0]


def test_espeak_phonemes_reach_espeak_in_its_own_syntax(site, tmp_path):
    (site.root / "names.pls").write_text(
        '<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon" xml:lang="en">'
        '<lexeme><grapheme>Qwen</grapheme><phoneme alphabet="x-espeak">kw\'En</phoneme></lexeme></lexicon>',
        encoding="utf-8")
    site.set_conf('TTS_LEXICON = ["names.pls"]\n')
    site.write_post("qwen.md", "Models", "Qwen speaks ten languages.")
    site.build()
    said = [entry["text"] for entry in site.synthesized()]
    assert "\u27e6kw'En\u27e7 speaks ten languages." in said
    assert inline_phonemes("\u27e6kw'En\u27e7 speaks") == "[[kw'En]] speaks"
