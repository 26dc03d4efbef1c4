"""A new user's first build on a machine where the chosen engine cannot run: one message, once,
that says what to do here, before any post is narrated."""

from __future__ import annotations

from sites import POST, error_lines, widget_of

QWEN_WITHOUT_ITS_MODEL = 'TTS_ENGINE = "qwen"\nTTS_VOICE = None\n'


def no_model_here(tmp_path) -> dict:
    """An empty Hugging Face cache, downloads off: the model cannot be had on this machine."""
    return {"HF_HOME": str(tmp_path / "hf-home"), "HF_HUB_OFFLINE": "1"}


def three_posts(site):
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.write_post("ferry.md", "Morning Ferry", "The ferry leaves at dawn.")
    site.write_post("bakery.md", "The Bakery", "Bread, still warm, at seven.")


def test_an_engine_without_its_model_fails_the_build_once_with_what_to_do_here(site, tmp_path):
    site.set_conf(QWEN_WITHOUT_ITS_MODEL)
    three_posts(site)
    proc = site.build(check=False, env_extra=no_model_here(tmp_path))
    assert proc.returncode != 0
    (error,) = error_lines(proc)  # once per build, not once per post
    assert ('TTS_ENGINE "qwen" (the default) cannot narrate on this machine: '
            "the model 'Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice' is not downloaded yet. To narrate here, ") in error
    assert "huggingface-cli download Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice" in error
    assert 'set TTS_ENGINE = "piper" (a natural voice, on the CPU, offline' in error
    assert '"espeak" (robotic but clear, about 100 languages)' in error
    assert "Traceback" not in proc.stderr and "####" not in proc.stderr and "TaskFailed" not in proc.stderr


def test_an_engine_that_cannot_run_stops_the_build_before_any_post_is_published(site, tmp_path):
    site.set_conf(QWEN_WITHOUT_ITS_MODEL)
    three_posts(site)
    proc = site.build(check=False, env_extra=no_model_here(tmp_path))
    assert "narration failed" not in proc.stderr
    assert "render_tts:assemble" not in proc.stderr
    assert not list(site.root.glob("output/**/*.mp3")) and not list(site.root.glob("tts_cache/published/**/*.json"))


def test_with_continue_on_error_the_site_is_built_without_audio_and_the_reason_said_once(site, tmp_path):
    site.set_conf(QWEN_WITHOUT_ITS_MODEL + "TTS_CONTINUE_ON_ERROR = True\n")
    three_posts(site)
    proc = site.build(env_extra=no_model_here(tmp_path))
    assert sum("To narrate here, download its model" in line for line in error_lines(proc)) == 1
    assert "narration failed for 3 posts" in proc.stderr
    assert widget_of(site.html("posts/ferry/index.html")) is None
    assert not list(site.root.glob("output/**/*.mp3"))


def test_switching_to_the_engine_the_message_names_narrates_everything(site, tmp_path):
    site.set_conf(QWEN_WITHOUT_ITS_MODEL)
    three_posts(site)
    site.build(check=False, env_extra=no_model_here(tmp_path))
    site.set_conf("")  # espeak-ng, as the message offers
    site.build(env_extra=no_model_here(tmp_path))
    assert len(list(site.root.glob("output/*_tts.mp3"))) == 3


def test_nikola_tts_says_it_once_too_and_writes_nothing(site, tmp_path):
    site.set_conf(QWEN_WITHOUT_ITS_MODEL)
    three_posts(site)
    proc = site.run("tts", check=False, env_extra=no_model_here(tmp_path))
    assert proc.returncode == 1
    (error,) = error_lines(proc)
    assert 'TTS_ENGINE "qwen" (the default) cannot narrate on this machine' in error
    assert not list(site.root.glob("output/**/*.mp3")) and not list(site.root.glob("tts_cache/published/**/*.json"))
