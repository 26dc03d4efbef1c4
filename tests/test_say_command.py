"""`nikola tts --say POST`: what will be spoken, each changed span as written -> spoken, before
anything is synthesized; the dry run counts what the lexicon and the normalizer changed."""

from __future__ import annotations

BODY = "ROCm runs four P40s.\n\nThe server cost $2,500 and draws 250W."


def _site(site):
    (site.root / "lexicon.toml").write_text('"ROCm" = "rock-em"\n', encoding="utf-8")
    site.set_conf('TTS_LEXICON = ["lexicon.toml"]\n')
    site.write_post("lab.md", "Home Lab", BODY)
    return site


def test_say_shows_each_change_as_written_to_spoken(site):
    proc = _site(site).run("tts", "--say", "posts/lab.md")
    out = proc.stdout + proc.stderr
    assert "[title] Home Lab" in out
    assert "[paragraph] {ROCm → rock-em} runs four [P40s → P forties]." in out
    assert "[paragraph] The server cost [$2,500 → two thousand five hundred dollars] and draws " \
           "[250W → two hundred fifty watts]." in out
    assert "4 span(s) spoken differently from the page: 1 by the lexicon, 3 by the normalizer" in out


def test_say_synthesizes_nothing(site):
    _site(site).run("tts", "--say", "lab")
    assert site.synthesized() == []


def test_say_shows_a_paragraph_in_another_language_and_its_voice(site):
    site.write_post("jardin.md", "Garden", "Gardens are quiet at night, even in the city.\n\n"
                    "Les jardins sont plus calmes la nuit que vous ne le pensez, surtout en hiver.")
    out = site.run("tts", "--say", "jardin").stdout
    assert "[paragraph, fr: tts_test_engines:CountingEspeak voice fr] Les jardins" in out


def test_say_needs_a_post(site):
    proc = site.run("tts", "--say", check=False)
    assert proc.returncode == 2
    assert "--say needs the posts to proofread" in proc.stdout + proc.stderr


def test_dry_run_counts_the_spans_the_lexicon_and_the_normalizer_changed(site):
    out = _site(site).run("tts", "--dry-run").stdout
    assert "Spoken differently from the page: 4 spans, 1 by the lexicon and 3 by the normalizer" in out
