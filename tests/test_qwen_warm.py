"""The warm narration process (nikola_tts/engines/qwen/warm.py) on the tiny checkpoint, on CPU: a real
process started the way a build starts it, found by the next engine, stopping by itself when idle."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from conftest import import_qwen_tts_or_skip

import_qwen_tts_or_skip()
import numpy as np  # noqa: E402

from nikola_tts.engines import EngineOptions, Request, create_engine  # noqa: E402
from nikola_tts.engines.qwen import warm  # noqa: E402
from nikola_tts.errors import TTSError  # noqa: E402

REQUESTS = [Request("The ferry leaves at dawn.", "eric", "en"), Request("Gulls sleep.", "eric", "en")]


@pytest.fixture
def short_tmp(monkeypatch):
    """A short temp folder for the socket (Unix socket paths are limited to about 100 bytes)."""
    folder = tempfile.mkdtemp(prefix="ntw", dir="/tmp")
    monkeypatch.setattr(tempfile, "tempdir", folder)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the process inherits it: tiny matrices
    yield Path(folder)
    shutil.rmtree(folder, ignore_errors=True)


def engine_with(tiny_model, **extra):
    return create_engine("qwen", EngineOptions(model=str(tiny_model), extra=dict(fast=True, **extra)))


def test_the_first_build_starts_a_warm_process_and_the_next_narrates_through_it_without_loading(
        tiny_model, short_tmp, caplog):
    caplog.set_level(logging.INFO, logger="tts")
    alone = engine_with(tiny_model)
    alone.load()
    expected = dict(alone.synthesize(REQUESTS))
    alone.close()

    first = engine_with(tiny_model, warm=6)
    first.load()  # starts the process and waits for it
    path = warm.socket_path(first.options)
    try:
        assert path.exists() and path.stat().st_mode & 0o777 == 0o600
        assert first._speaker is None and first.describe().endswith(", fast path, in a warm process")
        got = dict(first.synthesize(REQUESTS))
    finally:
        first.close()
    second = engine_with(tiny_model, warm=6)
    second.load()
    try:
        assert any("narrating through the warm process" in r.getMessage() for r in caplog.records)
        assert second._speaker is None and second._placement is None  # no model, not even torch's device facts
        second.check_voice("Eric", "en")
        with pytest.raises(TTSError, match="has no voice 'Bob'"):
            second.check_voice("Bob", "en")
        again = dict(second.synthesize(REQUESTS))
    finally:
        second.close()
    for index, audio in expected.items():
        for other in (got[index], again[index]):
            ours = np.frombuffer(other.samples, "<i2").astype(int)
            theirs = np.frombuffer(audio.samples, "<i2").astype(int)
            assert other.sample_rate == audio.sample_rate and ours.shape == theirs.shape
            assert np.abs(ours - theirs).max() <= 1
    deadline = time.monotonic() + 60
    while path.exists() and time.monotonic() < deadline:  # idle for 6 s: it stops and removes its socket
        time.sleep(0.2)
    assert not path.exists()
    lines = path.with_suffix(".log").read_text().splitlines()
    ready = next(i for i, line in enumerate(lines) if "warm narration process ready at" in line)
    primed = next(i for i, line in enumerate(lines) if "slots and graphs set up ahead in" in line)
    served = [i for i, line in enumerate(lines) if "Qwen3-TTS fast path:" in line and " segments, " in line]
    assert ready < served[0] < primed  # the first build is served at once; graphs for later ones once it is quiet


def test_other_settings_get_their_own_process(tiny_model):
    one = warm.socket_path(engine_with(tiny_model, warm=60).options)
    assert warm.socket_path(engine_with(tiny_model, warm=5).options) == one  # how long it stays up is no setting
    assert warm.socket_path(engine_with(tiny_model, warm=60, seed=3).options) != one
    assert warm.socket_path(engine_with(tiny_model, warm=60, instruct="Slowly.").options) != one


def test_a_warm_process_that_cannot_start_is_reported_and_the_build_loads_the_model_itself(
        tiny_model, monkeypatch, caplog):
    def cannot_start(options, idle_seconds):
        raise TTSError("the warm narration process stopped while starting: CUDA error: no device")

    monkeypatch.setattr(warm, "connect", cannot_start)
    engine = engine_with(tiny_model, warm=60)
    with caplog.at_level(logging.WARNING, logger="tts"):
        engine.load()
    try:
        assert "no device; loading the model in this build instead" in caplog.text
        assert engine._warm is None and engine._speaker is not None
        (index, audio), = engine.synthesize(REQUESTS[1:])
        assert audio.seconds > 0
    finally:
        engine.close()


@pytest.mark.parametrize("value", [-1, "soon", True])
def test_the_warm_option_takes_seconds(tiny_model, value):
    with pytest.raises(TTSError, match=r"TTS_ENGINE_OPTIONS\['warm'\] is"):
        engine_with(tiny_model, warm=value)
