"""Posts and settings that could break a build, and what the blogger sees instead."""

from __future__ import annotations

import json
import os
import random
import shutil
import sys

import pytest
from sites import POST, error_lines, probe_duration, widget_of


def test_empty_post_builds_without_audio_or_widget(site):
    site.write_post("empty.md", "Empty", "")
    site.build()
    assert not site.output("empty_tts.mp3").exists()
    assert widget_of(site.html("posts/empty/index.html")) is None
    assert site.run("check", "-f", check=False).returncode == 0


def test_code_only_post_builds_without_audio(site):
    site.write_post("code.md", "Snippet", "```\nprint('hello')\n```\n")
    site.build()
    assert not site.output("code_tts.mp3").exists()
    assert widget_of(site.html("posts/code/index.html")) is None
    site.reset_log()
    site.build()
    assert site.synthesized() == []


def test_post_that_loses_its_prose_loses_its_audio(site):
    site.write_post("code.md", "Snippet", "A sentence that will go away.")
    site.build()
    assert site.output("code_tts.mp3").exists()
    site.write_post("code.md", "Snippet", "```\nprint('hello')\n```\n")
    site.build()
    assert not site.output("code_tts.mp3").exists()
    assert widget_of(site.html("posts/code/index.html")) is None


def test_hundred_thousand_character_post_is_narrated_in_segments(site):
    rng = random.Random(7)
    words = "harbour lantern meadow ferry owl bakery window river stone garden quiet evening".split()
    paragraphs = [" ".join(rng.choice(words) for _ in range(rng.randint(40, 400))) + "." for _ in range(200)]
    body = "\n\n".join(paragraphs)
    assert len(body) > 100_000
    site.set_conf("TTS_SPEED = 4.0\n")
    site.write_post("long.md", "Long", body)
    site.build()
    manifest = json.loads(next((site.root / "tts_cache" / "manifests" / "en").glob("*long.md.json")).read_text())
    assert len(manifest["segments"]) > 200
    assert max(len(s["text"]) for s in manifest["segments"]) <= 1500
    assert probe_duration(site.output("long_tts.mp3")) > 1000


def test_non_ascii_and_right_to_left_text(site):
    site.write_post("arabic.md", "مرحبا بالعالم", "هذه مقالة قصيرة عن الحدائق في الليل.\n\nCafé, naïve, Smørrebrød — “quoted”.")
    site.set_conf('TTS_VOICE = {"en": "en-us"}\n')
    site.build()
    texts = [e["text"] for e in site.synthesized()]
    assert "هذه مقالة قصيرة عن الحدائق في الليل." in texts
    assert "Café, naïve, Smørrebrød — “quoted”." in texts
    assert probe_duration(site.output("arabic_tts.mp3")) > 1


def test_slug_with_odd_characters_is_published_and_linked(site):
    site.write_post("odd.md", "Odd", "A post with an unusual slug.", slug="ça-va_2026.v1")
    site.build()
    mp3s = [p.name for p in site.output("").glob("*_tts.mp3")]
    assert len(mp3s) == 1
    page = next(site.output("posts").glob("*/index.html"))
    src = widget_of(page.read_text(encoding="utf-8")).select_one("audio")["src"]
    from urllib.parse import unquote

    assert unquote(src).endswith(mp3s[0])


def test_failing_post_keeps_other_posts_audio_fails_the_build_and_is_retried(site):
    site.set_conf('TTS_ENGINE = "tts_test_engines:FailingEspeak"\n')
    site.write_post("good.md", "Good", "This post narrates fine.")
    site.write_post("bad.md", "Bad", "This paragraph is fine.\n\nThis one goes KABOOM in the engine.")
    proc = site.build(check=False)
    assert proc.returncode != 0
    assert "posts/bad.md (en): narration failed" in proc.stderr
    assert proc.stderr.count("narration failed for 1 post; they are retried on the next build. "
                             "Set TTS_CONTINUE_ON_ERROR = True") == 1
    assert "####" not in proc.stderr and "TaskFailed" not in proc.stderr  # no doit banner after our own line
    assert site.output("good_tts.mp3").exists()
    assert not site.output("bad_tts.mp3").exists()
    assert widget_of(site.html("posts/good/index.html")) is not None
    assert widget_of(site.html("posts/bad/index.html")) is None
    # The engine is fixed: the next build retries only what failed.
    site.reset_log()
    site.set_conf("")
    site.build()
    assert [e["text"] for e in site.synthesized()] == ["This one goes KABOOM in the engine."]
    assert site.output("bad_tts.mp3").exists()


def test_continue_on_error_publishes_the_rest_and_exits_zero(site):
    site.set_conf('TTS_ENGINE = "tts_test_engines:FailingEspeak"\nTTS_CONTINUE_ON_ERROR = True\n')
    site.write_post("good.md", "Good", "This post narrates fine.")
    site.write_post("bad.md", "Bad", "This one goes KABOOM in the engine.")
    proc = site.build()
    assert "posts/bad.md (en): narration failed" in proc.stderr
    assert site.output("good_tts.mp3").exists()


def test_failed_renarration_keeps_the_audio_published_before(site):
    site.write_post("bad.md", "Bad", "A calm first version.")
    site.build()
    before = site.output("bad_tts.mp3").read_bytes()
    site.set_conf('TTS_ENGINE = "tts_test_engines:FailingEspeak"\n')
    site.write_post("bad.md", "Bad", "A second version that goes KABOOM.")
    assert site.build(check=False).returncode != 0
    assert site.output("bad_tts.mp3").read_bytes() == before
    assert widget_of(site.html("posts/bad/index.html")) is not None


def test_unknown_engine_is_a_one_line_error(site):
    site.set_conf('TTS_ENGINE = "festival"\n')
    site.write_post("good.md", "Good", "Hello.")
    proc = site.build(check=False)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and "unknown TTS_ENGINE 'festival': use one of espeak" in errors[0]
    assert "Traceback" not in proc.stderr


def test_unknown_voice_names_the_fix_before_any_work(site):
    site.set_conf('TTS_VOICE = "klingon-x"\n')
    site.write_post("good.md", "Good", "Hello there.")
    site.write_post("other.md", "Other", "Hello again.")
    proc = site.build(check=False)
    assert proc.returncode != 0
    (error,) = error_lines(proc)
    assert "espeak-ng has no voice 'klingon-x': set TTS_VOICE to one listed by `espeak-ng --voices`" in error
    assert "render_" not in proc.stderr and "of audio" not in proc.stderr  # planning stopped it: no task ran
    assert "Traceback" not in proc.stderr


def test_unknown_voice_in_a_posts_metadata_names_the_post(site):
    site.write_post("good.md", "Good", "Hello there.")
    site.write_post("odd.md", "Odd", "Hello again.", tts_voice="klingon-x")
    proc = site.build(check=False)
    (error,) = error_lines(proc)
    assert "espeak-ng has no voice 'klingon-x'" in error and "(the tts_voice of posts/odd.md)" in error
    assert site.synthesized() == []


def test_a_voice_only_the_loaded_engine_can_refuse_fails_the_build_once_naming_its_posts(site):
    site.set_conf('TTS_ENGINE = "piper"\nTTS_VOICE = "voices/missing.onnx"\n')
    site.write_post("good.md", "Good", "Hello there.")
    site.write_post("other.md", "Other", "Hello again.")
    proc = site.build(check=False)
    assert proc.returncode != 0
    (error,) = error_lines(proc)
    assert "Piper voice file " in error and "voices/missing.onnx not found: set TTS_VOICE" in error
    assert "(asked for by posts/good.md, posts/other.md)" in error
    assert "0 s of audio" not in proc.stderr and "narration failed" not in proc.stderr


BAD_SETTINGS = [
    ('TTS_BITRATE = "64"', "TTS_BITRATE is '64': use an MP3 bitrate such as '64k'"),
    ('TTS_OUTPUT = "../../{slug}_tts.mp3"', "TTS_OUTPUT is '../../{slug}_tts.mp3': it must stay inside the output folder"),
    ('TTS_OUTPUT = "{slug}-{date}.mp3"', "its only fields may be {slug} and {lang}"),
    ("TTS_LOUDNESS = 0", "TTS_LOUDNESS is 0: use integrated loudness in LUFS between -70 and -5"),
    ('TTS_READ_TITLE = "no"', "TTS_READ_TITLE is 'no': use True or False"),
    ('TTS_WIDGET_FOOTER = "{minutes} min"', "TTS_WIDGET_FOOTER is '{minutes} min': use a string whose only field is {duration}"),
    ('TTS_VOCE = "en-us+f2"', "conf.py sets TTS_VOCE, which is not a nikola-tts setting: did you mean TTS_VOICE?"),
    ("TTS_BATCH_SIZE = 0", "TTS_BATCH_SIZE is 0: use a whole number of segments, 1 or more"),
    ('TTS_DEVICE = "gpu1"', "TTS_DEVICE is 'gpu1': use 'auto', 'cpu', 'cuda', 'cuda:1' or 'mps'"),
]


@pytest.mark.parametrize("line, message", BAD_SETTINGS, ids=[line.split(" =")[0] for line, _ in BAD_SETTINGS])
def test_a_bad_setting_stops_the_build_before_any_work_with_one_line_naming_the_fix(site, line, message):
    site.set_conf(line + "\n")
    site.write_post("good.md", "Good", "Hello.")
    proc = site.build(check=False)
    assert proc.returncode != 0
    (error,) = error_lines(proc)
    assert message in error
    assert "render_" not in proc.stderr and "Traceback" not in proc.stderr
    assert not (site.root / "tts_cache").exists()


def path_with_only(tmp_path, *tools) -> dict:
    """A PATH holding Python and just these programs, as on a machine missing the others."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in tools:
        os.symlink(shutil.which(tool), bin_dir / tool)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.path.dirname(sys.executable)}"}


def test_missing_espeak_names_the_fix(site, tmp_path):
    site.write_post("good.md", "Good", "Hello there.")
    proc = site.build(check=False, env_extra=path_with_only(tmp_path, "ffmpeg", "ffprobe"))
    assert proc.returncode != 0
    (error,) = error_lines(proc)
    assert ("cannot narrate on this machine: espeak-ng is not installed. To narrate here, install it "
            "(apt-get install espeak-ng, or brew install espeak-ng)") in error
    assert "Traceback" not in proc.stderr


def test_bad_setting_is_a_one_line_error(site):
    site.set_conf('TTS_OUTPUT = "audio.mp3"\n')
    site.write_post("good.md", "Good", "Hello.")
    proc = site.build(check=False)
    assert proc.returncode != 0
    assert "TTS_OUTPUT is 'audio.mp3': it must contain {slug}" in proc.stderr


def test_missing_ffmpeg_names_the_fix_before_synthesis(site, tmp_path):
    site.write_post("good.md", "Good", "Hello there.")
    proc = site.build(check=False, env_extra=path_with_only(tmp_path, "espeak-ng"))
    assert proc.returncode != 0
    assert "ffmpeg not found: install it" in proc.stderr
    assert site.synthesized() == []
    assert "Traceback" not in proc.stderr


def test_interrupted_build_leaves_no_audio_file_and_resumes_where_it_stopped(site):
    import signal
    import subprocess
    import sys
    import time

    site.set_conf('TTS_ENGINE = "tts_test_engines:SlowEspeak"\nTTS_BATCH_SIZE = 1\n')
    paragraphs = [f"Paragraph number {i} of a post that takes a while to read." for i in range(12)]
    site.write_post("slow.md", "Slow", "\n\n".join(paragraphs))
    proc = subprocess.Popen([sys.executable, "-m", "nikola", "build"], cwd=site.root, env=site.env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(site.synthesized()) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    spoken_before_kill = {e["text"] for e in site.synthesized()}
    # The kill may land between the engine speaking a segment and the cache storing it: that one
    # segment was in flight and is retried; every segment already stored must be kept.
    stored = [p for p in site.root.glob("tts_cache/segments/*/*.flac") if not p.name.startswith(".tmp-")]
    assert 2 <= len(stored) <= len(spoken_before_kill) < 13
    assert not list(site.root.glob("output/**/*.mp3*"))  # no half-written audio anywhere in output/
    site.reset_log()
    site.set_conf('TTS_ENGINE = "tts_test_engines:SlowEspeak"\nTTS_BATCH_SIZE = 1\nTTS_ENGINE_OPTIONS["delay"] = 0\n')
    site.build()
    again = {e["text"] for e in site.synthesized()}
    assert len(again) == 13 - len(stored)  # title + 12 paragraphs, less what the cache kept
    assert len(again & spoken_before_kill) == len(spoken_before_kill) - len(stored)  # only the in-flight one
    assert probe_duration(site.output("slow_tts.mp3")) > 20


def test_a_build_killed_while_encoding_the_mp3_leaves_nothing_the_next_build_keeps(site):
    import signal
    import subprocess
    import time

    rng = random.Random(11)
    words = "harbour lantern meadow ferry owl bakery window river stone garden quiet evening".split()
    body = "\n\n".join(" ".join(rng.choice(words) for _ in range(100)) + "." for _ in range(20))
    site.write_post("long.md", "Long", body)  # about 12 minutes of speech: seconds of encoding
    proc = subprocess.Popen([sys.executable, "-m", "nikola", "build"], cwd=site.root, env=site.env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    encoding = None
    deadline = time.monotonic() + 300
    while encoding is None and proc.poll() is None and time.monotonic() < deadline:
        encoding = next((p for p in site.root.glob("tts_cache/tmp/.tmp-*/narration.mp3") if p.stat().st_size), None)
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert encoding is not None and encoding.exists()  # killed mid-encode: a truncated MP3 in the encoder's folder
    assert not list(site.root.glob("output/**/*.mp3"))
    site.reset_log()
    site.build()
    assert not list(site.root.glob("tts_cache/tmp/.tmp-*"))
    assert site.synthesized() == []  # every segment was stored before the encoder ran
    assert probe_duration(site.output("long_tts.mp3")) > 600


def test_leftovers_of_a_killed_build_are_swept_by_the_next_build(site):
    site.write_post("night-garden.md", "The Night Garden", POST)
    site.build()
    cache = site.root / "tts_cache"
    # What a SIGKILL leaves: the MP3 encoder's private folder, and atomic writes' siblings.
    encoder_leftover = cache / "tmp" / ".tmp-x1y2z3" / "narration.mp3"
    encoder_leftover.parent.mkdir(parents=True)
    encoder_leftover.write_bytes(b"ID3 half an MP3")
    segment = next(cache.glob("segments/*/*.flac"))
    segment_leftover = segment.parent / ".tmp-abc123.flac"
    segment_leftover.write_bytes(b"fLaC half a FLAC")
    sidecar_leftover = cache / "published" / "en" / ".tmp-def456.json"
    sidecar_leftover.write_text("{")
    site.build()
    assert not encoder_leftover.parent.exists()
    assert not segment_leftover.exists() and not sidecar_leftover.exists()
    assert segment.exists() and site.output("night-garden_tts.mp3").exists()


@pytest.mark.parametrize("key, value, message", [
    ("TTS_NORMALIZE", "yes", "TTS_NORMALIZE is 'yes': use True or False (or a {language: value} dict)"),
    ("TTS_NORMALIZE", {"en": 1}, "TTS_NORMALIZE['en'] is 1: use True or False"),
    ("TTS_LEXICON", [""], "TTS_LEXICON is ('',): use a file name or a list of them, e.g. ['lexicon.toml'] beside conf.py"),
    ("TTS_LANGUAGE_DETECTION", "off", "TTS_LANGUAGE_DETECTION is 'off': use True or False"),
])
def test_normalization_settings_that_cannot_work_are_one_line_errors(key, value, message):
    from nikola_tts.errors import TTSError
    from nikola_tts.settings import Settings

    with pytest.raises(TTSError) as error:
        Settings.from_config({key: value})
    assert str(error.value) == message
