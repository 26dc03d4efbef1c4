"""The Qwen3-TTS engine on a tiny random-weight checkpoint: the real loading, generation and
decoding code on CPU, with nothing downloaded. The model speaks noise, and never says "stop"
on its own, so every segment runs to the frame limit it is given."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys

import pytest

from conftest import import_qwen_tts_or_skip

import_qwen_tts_or_skip()
import numpy as np  # noqa: E402
import torch  # noqa: E402

from nikola_tts.audio.pcm import Audio  # noqa: E402
from nikola_tts.engines import EngineOptions, Request, create_engine  # noqa: E402
from nikola_tts.engines.qwen import generate as generation  # noqa: E402
from nikola_tts.engines.qwen.segments import Item  # noqa: E402
from nikola_tts.errors import SynthesisError, TTSError  # noqa: E402
from sites import SUPPORT  # noqa: E402
from tiny_qwen import load_engine  # noqa: E402


TEXTS = [
    "The ferry leaves at dawn, when the harbour is still grey.",
    "Hello.",
    "Crossing takes forty minutes; most passengers drink tea.",
    "On the far side, a bakery sells warm bread.",
]
LIMITS = [18, 6, 14, 10]



pytestmark = pytest.mark.usefixtures("qwen_one_thread")


@pytest.fixture(scope="module")
def engine(qwen_engine):
    return qwen_engine


@pytest.fixture(scope="module")
def greedy(tiny_model):
    engine = load_engine(tiny_model, do_sample=False, subtalker_dosample=False)
    yield engine
    engine.close()


def items(texts=TEXTS):
    return [Item(text, "eric", "English") for text in texts]


def test_loads_from_a_folder_and_speaks_24khz_int16(tiny_model, caplog):
    caplog.set_level(logging.INFO, logger="tts")
    engine = create_engine("qwen", EngineOptions(model=str(tiny_model), extra={}))
    assert engine.unavailable_reason(engine.options) is None
    engine.load()
    try:
        messages = [r.getMessage() for r in caplog.records]
        assert any(m.startswith("Qwen3-TTS: loaded tiny-qwen3-tts#") for m in messages)
        assert any(m.startswith("Qwen3-TTS: warmed up in") for m in messages)
        described = engine.describe()
        assert "tiny-qwen3-tts#" in described and "on cpu" in described and "float32" in described
        assert "sdpa attention" in described and f"batches of up to {engine.batch_size}" in described
        results = dict(engine.synthesize([Request("Good morning, harbour.", "Eric", "en"), Request("Hi.", "Eric", "en")]))
    finally:
        engine.close()
    assert engine._speaker is None and engine._plain is None
    assert sorted(results) == [0, 1]
    for audio in results.values():
        assert isinstance(audio, Audio) and audio.sample_rate == 24000
        assert len(audio.samples) % (2 * 1920) == 0  # whole 12.5 Hz frames of 16-bit mono
        pcm = np.frombuffer(audio.samples, dtype="<i2")
        assert pcm.std() > 1000 and np.abs(pcm).max() < 32767  # audible noise, not clipped
    assert results[0].seconds > results[1].seconds


@pytest.mark.parametrize("which", ["greedy", "sampled"])
def test_a_batch_gives_each_segment_the_codes_it_gets_alone(which, engine, greedy):
    speaker = (greedy if which == "greedy" else engine)._speaker
    batch = speaker.generate_codes(items(), LIMITS)
    alone = [speaker.generate_codes(items([text]), [limit])[0] for text, limit in zip(TEXTS, LIMITS)]
    reordered = speaker.generate_codes(items(TEXTS[::-1]), LIMITS[::-1])[::-1]
    for together, single, other_order, limit in zip(batch, alone, reordered, LIMITS):
        assert together.frames.shape == (limit, 16)
        assert torch.equal(together.frames, single.frames)
        assert torch.equal(together.frames, other_order.frames)
    assert len({tuple(c.frames[:, 0].tolist()) for c in batch}) == len(batch)  # not one degenerate output


def test_a_segments_audio_does_not_depend_on_its_batch(engine):
    texts = ["Good morning.", "Hi.", "Tea, then bread."]
    together = dict(engine.synthesize([Request(t, "Eric", "en") for t in texts]))
    alone = dict(engine.synthesize([Request(texts[2], "Eric", "en")]))
    a, b = np.frombuffer(together[2].samples, "<i2"), np.frombuffer(alone[0].samples, "<i2")
    assert a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).max() <= 1  # padding rounding only


def test_the_seed_decides_the_sampling(tiny_model, engine):
    other = load_engine(tiny_model, seed=7)
    try:
        first = engine._speaker.generate_codes(items(TEXTS[:1]), [12])[0].frames
        again = engine._speaker.generate_codes(items(TEXTS[:1]), [12])[0].frames
        reseeded = other._speaker.generate_codes(items(TEXTS[:1]), [12])[0].frames
    finally:
        other.close()
    assert torch.equal(first, again)
    assert not torch.equal(first, reseeded)


def test_an_instruction_changes_the_prompt(tiny_model, engine):
    styled = load_engine(tiny_model, instruct="Read it slowly, like a bedtime story.")
    try:
        plain = engine._speaker.generate_codes(items(TEXTS[:1]), [8])[0].frames
        assert not torch.equal(plain, styled._speaker.generate_codes(items(TEXTS[:1]), [8])[0].frames)
    finally:
        styled.close()


def test_a_segments_own_instruction_is_the_one_it_is_spoken_with(tiny_model, engine):
    instruction = "Read it slowly, like a bedtime story."
    styled = load_engine(tiny_model, instruct=instruction)
    try:
        mixed = engine._speaker.generate_codes([Item(TEXTS[0], "eric", "English", instruction),
                                                Item(TEXTS[2], "eric", "English")], [8, 8])
        configured = styled._speaker.generate_codes(items(TEXTS[:1]), [8])[0].frames
        plain = engine._speaker.generate_codes(items(TEXTS[2:3]), [8])[0].frames
    finally:
        styled.close()
    assert torch.equal(mixed[0].frames, configured)  # as if the engine had been given that instruction
    assert torch.equal(mixed[1].frames, plain)  # and its neighbour in the batch keeps the engine's own


def test_segments_stop_at_their_limit_and_are_named_in_a_warning(engine, caplog):
    caplog.set_level(logging.WARNING, logger="tts")
    results = dict(engine.synthesize([Request("Hi.", "Eric", "en")]))
    limit = generation.batching.frame_limit(len("Hi."))
    assert results[0].seconds == pytest.approx(limit / 12.5)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("the segment 'Hi.' reached its limit of" in w for w in warnings)


def test_forced_frames_give_exactly_the_limit(engine):
    codes = engine._speaker.generate_codes(items(TEXTS[:2]), [9, 5], force_frames=True)
    assert [c.frames.shape[0] for c in codes] == [9, 5]


def test_running_out_of_memory_halves_the_batch_and_loses_nothing(engine, monkeypatch):
    real = generation.Speaker.generate_codes
    sizes = []

    def tight(self, batch, limits=None, force_frames=False):
        sizes.append(len(batch))
        if len(batch) > 2:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(self, batch, [4] * len(batch), force_frames)

    monkeypatch.setattr(generation.Speaker, "generate_codes", tight)
    monkeypatch.setattr(engine._speaker, "oom_cap", None)
    requests = [Request(f"Paragraph number {n}.", "Eric", "en") for n in range(5)]
    results = dict(engine.synthesize(requests))
    assert sorted(results) == list(range(5))
    assert all(isinstance(r, Audio) for r in results.values())
    assert sizes == [5, 2, 2, 1]  # 5 fails; then halves, and the rest in batches of the learned size
    assert engine._speaker.oom_cap == 2


def test_out_of_memory_on_one_segment_alone_fails_only_that_segment(engine, monkeypatch):
    real = generation.Speaker.generate_codes

    def tight(self, batch, limits=None, force_frames=False):
        if any("enormous" in item.text for item in batch):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return real(self, batch, [4] * len(batch), force_frames)

    monkeypatch.setattr(generation.Speaker, "generate_codes", tight)
    monkeypatch.setattr(engine._speaker, "oom_cap", None)
    requests = [Request("A small one.", "Eric", "en"), Request("An enormous one.", "Eric", "en"),
                Request("Another small one.", "Eric", "en")]
    results = dict(engine.synthesize(requests))
    assert isinstance(results[0], Audio) and isinstance(results[2], Audio)
    assert isinstance(results[1], SynthesisError) and "ran out of memory" in str(results[1])


def test_invalid_audio_is_an_error_for_that_segment(engine, monkeypatch):
    def nan_decode(self, codes):
        return [np.full(1920 * int(c.shape[0]), np.nan, dtype=np.float32) for c in codes]

    monkeypatch.setattr(generation.Speaker, "decode", nan_decode)
    (index, result), = engine.synthesize([Request("Hello there.", "Eric", "en")])
    assert isinstance(result, SynthesisError) and "NaN" in str(result)


def test_voices_are_checked_against_the_models_speakers(engine):
    engine.check_voice("Eric", "en")
    engine.check_voice("uncle_fu", "zh_cn")
    with pytest.raises(TTSError) as err:
        engine.check_voice("Bob", "en")
    assert str(err.value) == ("Qwen3-TTS has no voice 'Bob': set TTS_VOICE to one of Aiden, Dylan, Eric, Ono_Anna, "
                              "Ryan, Serena, Sohee, Uncle_Fu, Vivian")


def test_the_voices_listed_are_the_models_speakers(engine):
    assert engine.voices() == ["aiden", "dylan", "eric", "ono_anna", "ryan", "serena", "sohee", "uncle_fu", "vivian"]


def test_unknown_language_is_narrated_with_auto_and_said_once(engine, caplog):
    caplog.set_level(logging.WARNING, logger="tts")
    engine.check_voice("Eric", "nl")
    engine.check_voice("Eric", "nl")
    warnings = [r.getMessage() for r in caplog.records if "does not know the language 'nl'" in r.getMessage()]
    assert len(warnings) == 1


def test_offline_without_the_model_is_one_line_naming_the_fix(tmp_path, monkeypatch):
    from nikola_tts.engines.qwen import source as sources

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(sources, "hub_cache_dir", lambda: tmp_path / "empty-hub-cache")
    engine = create_engine("qwen", EngineOptions(model="nobody/no-such-qwen-model", extra={}))
    assert engine.unavailable_reason(engine.options) == "the model 'nobody/no-such-qwen-model' is not downloaded yet"
    with pytest.raises(TTSError) as err:
        engine.load()
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("Qwen3-TTS model 'nobody/no-such-qwen-model' is not on this machine and downloads are off")
    assert "point TTS_MODEL at a local folder" in message and "huggingface-cli download" in message


def test_a_model_of_another_kind_is_refused(tiny_model, tmp_path):
    import json
    import shutil

    base = tmp_path / "base-model"
    shutil.copytree(tiny_model, base)
    config = json.loads((base / "config.json").read_text())
    config["tts_model_type"] = "voice_design"
    (base / "config.json").write_text(json.dumps(config))
    engine = create_engine("qwen", EngineOptions(model=str(base), extra={"warmup": False}))
    with pytest.raises(TTSError, match="this engine speaks with the 12 Hz CustomVoice models"):
        engine.load()


def test_per_segment_sampling_draws_from_the_softmax():
    """argmax(logits / T + Gumbel noise) is a draw from softmax(logits / T), top-k respected."""
    from nikola_tts.engines.qwen.generate import SeededSampler

    rows = 40000
    logits = torch.tensor([[2.0, 1.0, 0.5, 0.0, -1.0]]).repeat(rows, 1)
    keys = torch.arange(rows, dtype=torch.int64) * 7919
    no_steps = torch.zeros((rows, 3), dtype=torch.long)
    for temperature, top_k in ((1.0, None), (0.7, None), (1.0, 2)):
        sampler = SeededSampler(keys, stream=1, temperature=temperature, top_k=top_k)
        picks = sampler(no_steps, logits.clone()).argmax(dim=-1)
        seen = torch.bincount(picks, minlength=5).float() / rows
        scaled = logits[0] / temperature
        if top_k:
            scaled[top_k:] = float("-inf")
        assert torch.allclose(seen, scaled.softmax(-1), atol=0.01), (temperature, top_k, seen)
    # the same key, stream and step always draw the same; another step draws anew
    first = SeededSampler(keys[:50], stream=1)(no_steps[:50], logits[:50].clone()).argmax(-1)
    again = SeededSampler(keys[:50], stream=1)(no_steps[:50], logits[:50].clone()).argmax(-1)
    later = SeededSampler(keys[:50], stream=1)(torch.zeros((50, 4), dtype=torch.long), logits[:50].clone()).argmax(-1)
    assert torch.equal(first, again) and not torch.equal(first, later)


def test_a_16_bit_model_keeps_its_speech_decoder_in_float32(tiny_model):
    engine = load_engine(tiny_model, dtype="bfloat16")
    try:
        assert engine._speaker.tts.model.talker.dtype == torch.bfloat16
        assert next(engine._speaker.tts.model.speech_tokenizer.model.parameters()).dtype == torch.float32
        assert "bfloat16 (as configured)" in engine.describe()
        (index, audio), = engine.synthesize([Request("Hi.", "Eric", "en")])
        assert isinstance(audio, Audio) and audio.seconds > 0
    finally:
        engine.close()


def test_a_process_that_loaded_the_model_leaves_its_objects_to_the_os_at_exit(tiny_model):
    """Python's exit walks every live object for reference cycles: with torch some 200,000, most of
    a narrating build's time after its last task. Once the model is loaded, they are frozen as the
    exit begins (gc.freeze), so the collector skips them; the other exit handlers still run."""
    script = (
        "import atexit, gc\n"
        # registered before the engine's handler, so it runs after it (atexit runs last-in first)
        "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count(), flush=True))\n"
        "from tiny_qwen import load_engine\n"
        f"load_engine({str(tiny_model)!r})\n"
        "print('loaded', flush=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SUPPORT), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "loaded"
    frozen = int(re.fullmatch(r"frozen at exit: (\d+)", proc.stdout.splitlines()[-1]).group(1))
    assert frozen > 100_000  # torch's objects and the model's, none of them walked
