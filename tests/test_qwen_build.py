"""`nikola build` with TTS_ENGINE = "qwen": a real site narrated by the tiny random Qwen3-TTS
checkpoint (tests/support/tiny_qwen.py), loaded from a folder as any TTS_MODEL folder is."""

from __future__ import annotations

import importlib.util
import re

import pytest

from bs4 import BeautifulSoup
from sites import error_lines, probe_duration

if any(importlib.util.find_spec(name) is None for name in ("torch", "transformers", "qwen_tts")):
    pytest.skip("torch, transformers and qwen-tts are needed for the Qwen3-TTS builds", allow_module_level=True)


ONE_THREAD = {"OMP_NUM_THREADS": "1"}  # tiny matrices: threads only add contention



def test_build_narrates_with_qwen_and_a_rebuild_imports_no_torch(site, tiny_model):
    site.set_conf(f'TTS_ENGINE = "qwen"\nTTS_MODEL = {str(tiny_model)!r}\nTTS_VOICE = None\n')
    site.write_post("ferry.md", "Ferry", "It leaves at dawn.\n\nGulls sleep.")
    proc = site.build(env_extra=ONE_THREAD)
    log = proc.stdout + proc.stderr
    assert "Qwen3-TTS: loaded tiny-qwen3-tts#" in log and "Qwen3-TTS: warmed up in" in log
    assert "with Qwen3-TTS tiny-qwen3-tts#" in log and "on cpu, float32 (CPU), sdpa attention" in log
    assert probe_duration(site.output("ferry_tts.mp3")) > 5  # three segments, each cut at its limit
    assert BeautifulSoup(site.html("posts/ferry/index.html"), "html.parser").select_one("div.audio-widget")

    proc = site.build(python_flags=("-X", "importtime"), env_extra=ONE_THREAD)
    imported = set(re.findall(r"import time:\s*\d+ \|\s*\d+ \|\s*(\S+)", proc.stderr))
    assert "nikola_tts.engines.qwen.source" in imported  # the engine named the segments ...
    assert not {m for m in imported if m.split(".")[0] in ("torch", "transformers", "qwen_tts")}  # ... lightly
    assert "render_tts:synthesize" not in proc.stdout + proc.stderr


def test_offline_without_the_model_is_a_one_line_error(site, tmp_path):
    site.set_conf('TTS_ENGINE = "qwen"\nTTS_MODEL = "nobody/no-such-qwen-model"\nTTS_VOICE = None\n')
    site.write_post("ferry.md", "Ferry", "It leaves at dawn.")
    hub = str(tmp_path / "empty-hub-cache")
    proc = site.build(check=False, env_extra={"HF_HUB_OFFLINE": "1", "HF_HOME": hub, "HF_HUB_CACHE": hub})
    assert proc.returncode != 0
    fix = ("TTS_ENGINE \"qwen\" (the default) cannot narrate on this machine: the model 'nobody/no-such-qwen-model' "
           "is not downloaded yet. To narrate here, download its model once with "
           "`huggingface-cli download nobody/no-such-qwen-model`")
    (error,) = error_lines(proc)
    assert fix in error
    assert "Traceback" not in proc.stderr
    assert not site.output("ferry_tts.mp3").exists()


def test_tts_fast_true_narrates_through_the_fast_paths_slots_on_cpu_without_transformers(site, tiny_model):
    site.set_conf(f'TTS_ENGINE = "qwen"\nTTS_MODEL = {str(tiny_model)!r}\nTTS_VOICE = None\nTTS_FAST = True\n')
    site.write_post("ferry.md", "Ferry", "It leaves at dawn.\n\nGulls sleep.")
    proc = site.build(python_flags=("-X", "importtime"), env_extra=ONE_THREAD)
    log = proc.stdout + proc.stderr
    assert "fast path without CUDA graphs on this device (TTS_FAST = True)" in log
    assert "on cpu, float32 (CPU), fast path" in log
    assert probe_duration(site.output("ferry_tts.mp3")) > 5
    imported = set(re.findall(r"import time:\s*\d+ \|\s*\d+ \|\s*(\S+)", proc.stderr))
    assert "nikola_tts.engines.qwen.fast.speech" in imported  # the fast path's own speech decoder spoke ...
    assert not {m for m in imported if m.split(".")[0] in ("transformers", "qwen_tts")}  # ... without upstream's


EARLY = re.compile(r"Qwen3-TTS tiny-qwen3-tts#\w+: loading while Nikola builds the rest \((.+)\)")


def test_the_first_stale_post_starts_the_model_loading_before_the_synthesis_task(site, tiny_model):
    site.set_conf(f'TTS_ENGINE = "qwen"\nTTS_MODEL = {str(tiny_model)!r}\nTTS_VOICE = None\nTTS_FAST = True\n')
    site.write_post("ferry.md", "Ferry", "It leaves at dawn.", date="2026-01-02 10:00:00 UTC")
    site.write_post("gulls.md", "Gulls", "Gulls sleep.", date="2026-01-03 10:00:00 UTC")
    log = site.build(env_extra=ONE_THREAD).stderr
    (why,) = EARLY.findall(log)  # one load, started by whichever post was extracted first
    assert re.fullmatch(r"posts/(ferry|gulls)\.md \(en\) has 2 segments to narrate", why)
    assert log.index("loading while Nikola builds the rest") < log.index("narrating 4 segments of 2 posts")
    assert log.count("Qwen3-TTS: loaded tiny-qwen3-tts#") == 1  # the synthesis task narrated with that load
    assert probe_duration(site.output("ferry_tts.mp3")) > 1 and probe_duration(site.output("gulls_tts.mp3")) > 1


def test_an_edit_outside_the_narrated_words_starts_no_model(site, tiny_model):
    site.set_conf(f'TTS_ENGINE = "qwen"\nTTS_MODEL = {str(tiny_model)!r}\nTTS_VOICE = None\nTTS_FAST = True\n')
    site.write_post("ferry.md", "Ferry", "It leaves at dawn.")
    site.build(env_extra=ONE_THREAD)
    site.write_post("ferry.md", "Ferry", "It leaves at dawn.\n\n```\nprint('never read aloud')\n```")
    proc = site.build(python_flags=("-X", "importtime"), env_extra=ONE_THREAD)
    assert "render_tts:extract:en:posts/ferry.md" in proc.stdout + proc.stderr  # the post was read again ...
    imported = set(re.findall(r"import time:\s*\d+ \|\s*\d+ \|\s*(\S+)", proc.stderr))
    assert not {m for m in imported if m.split(".")[0] == "torch"}  # ... and nothing was loaded for it
    assert not EARLY.findall(proc.stderr)


def test_a_build_with_worker_processes_loads_the_model_once_in_the_synthesis_task(site, tiny_model):
    site.set_conf(f'TTS_ENGINE = "qwen"\nTTS_MODEL = {str(tiny_model)!r}\nTTS_VOICE = None\nTTS_FAST = True\n')
    site.write_post("ferry.md", "Ferry", "It leaves at dawn.")
    log = site.build("-n", "2", env_extra=ONE_THREAD).stderr
    assert not EARLY.findall(log)  # an extract in a worker process would load a model nothing uses
    assert log.count("Qwen3-TTS: loaded tiny-qwen3-tts#") == 1
    assert probe_duration(site.output("ferry_tts.mp3")) > 1
