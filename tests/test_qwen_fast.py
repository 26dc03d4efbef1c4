"""The fast path's logic (nikola_tts/engines/qwen/fast) on the tiny random checkpoint, on CPU.

On CUDA the same frame step is captured in CUDA graphs; here it runs as it is, which is what
lets these tests hold it to upstream qwen_tts generation code for code.
"""

from __future__ import annotations

import pytest

from conftest import import_qwen_tts_or_skip

import_qwen_tts_or_skip()
import numpy as np  # noqa: E402
import torch  # noqa: E402

from nikola_tts.engines.qwen.fast import fast_path_decision, parse_fast  # noqa: E402
from nikola_tts.engines.qwen.fast.speaker import FastSpeaker  # noqa: E402
from nikola_tts.engines.qwen.generate import Item  # noqa: E402
from nikola_tts.errors import TTSError  # noqa: E402
from test_qwen_engine import engine, loaded, one_thread  # noqa: E402,F401 (shared fixtures: one thread, a loaded engine)

TEXTS = [
    "The ferry leaves at dawn, when the harbour is still grey.",
    "Hello.",
    "Crossing takes forty minutes; most passengers drink tea.",
    "On the far side, a bakery sells warm bread.",
    "La narración se genera en el ordenador del autor.",
]
LIMITS = [18, 6, 14, 10, 12]
GREEDY = dict(do_sample=False, subtalker_dosample=False)


def items(texts=TEXTS):
    return [Item(text, "eric", "English") for text in texts]


def upstream_greedy(tts, text: str, limit: int, penalty: float):
    """Upstream qwen_tts generation of one segment alone, greedy: its (frames, 16) codes."""
    ids = tts._tokenize_texts([tts._build_assistant_text(text)])
    codes, hiddens = tts.model.generate(input_ids=ids, instruct_ids=[None], languages=["English"], speakers=["eric"],
                                        non_streaming_mode=True, max_new_tokens=limit + 1, do_sample=False,
                                        subtalker_dosample=False, repetition_penalty=penalty)
    return codes[0], hiddens[0]


def within_one_step(a, b) -> bool:
    """Same codes decoded in other batches: the speech decoder's output moves by one int16 step at most."""
    ours, theirs = (np.frombuffer(x.samples, dtype="<i2").astype(int) for x in (a, b))
    return len(ours) == len(theirs) and np.abs(ours - theirs).max() <= 1


def test_greedy_codes_equal_upstream_generation_of_each_segment_alone(engine):
    fast = FastSpeaker(engine._tts, sampling=GREEDY)
    for text, limit in zip(TEXTS, LIMITS):
        expected, _ = upstream_greedy(engine._tts, text, limit, fast.sampling["repetition_penalty"])
        ours = fast.generate_fast_codes(items([text]), [limit])[0]
        assert ours.shape == (limit, 16)
        assert torch.equal(ours, expected)


@pytest.mark.parametrize("sampling", [GREEDY, {}], ids=["greedy", "sampled"])
def test_segments_streaming_through_two_slots_get_the_codes_they_get_alone(engine, sampling):
    fast = FastSpeaker(engine._tts, sampling=sampling)
    alone = [fast.generate_fast_codes(items([t]), [n], max_batch=1)[0] for t, n in zip(TEXTS, LIMITS)]
    streamed = fast.generate_fast_codes(items(), LIMITS, max_batch=2)  # refills, then packs the tail
    assert fast.slot_count == 2
    for one, many in zip(alone, streamed):
        assert torch.equal(one, many)


def test_a_segments_own_instruction_reaches_the_fast_paths_prompt(engine):
    instruction = "Whisper it."
    fast = FastSpeaker(engine._tts, sampling=GREEDY)
    styled = FastSpeaker(engine._tts, sampling=GREEDY, instruct=instruction)
    mixed = fast.generate_fast_codes([Item(TEXTS[0], "eric", "English", instruction), Item(TEXTS[2], "eric", "English")],
                                     [8, 8])
    assert torch.equal(mixed[0], styled.generate_fast_codes(items(TEXTS[:1]), [8])[0])
    assert torch.equal(mixed[1], fast.generate_fast_codes(items(TEXTS[2:3]), [8])[0])
    assert not torch.equal(mixed[0], fast.generate_fast_codes(items(TEXTS[:1]), [8])[0])


def test_sampled_codes_equal_the_plain_batched_paths(engine):
    """Same seeded per-segment sampling: switching TTS_FAST does not change what a segment says."""
    fast = FastSpeaker(engine._tts, seed=engine.seed, sampling=engine.sampling)
    plain = engine._speaker.generate_codes(items(), LIMITS)
    ours = fast.generate_fast_codes(items(), LIMITS, max_batch=3)
    for expected, got in zip(plain, ours):
        assert torch.equal(expected.frames, got)


def test_a_segment_ends_where_the_model_says_stop_as_upstream_does(tiny_model):
    engine = loaded(tiny_model, **GREEDY)
    tts, text = engine._tts, TEXTS[0]
    penalty = engine._speaker.sampling["repetition_penalty"]
    _, hiddens = upstream_greedy(tts, text, 8, penalty)
    eos = tts.model.config.talker_config.codec_eos_token_id
    with torch.no_grad():  # make "stop" the talker's clear choice at its third step (EOS is held back before)
        h = hiddens[2].float()
        tts.model.talker.codec_head.weight[eos] = (50 * h / h.dot(h)).to(tts.model.talker.codec_head.weight.dtype)
    expected, _ = upstream_greedy(tts, text, 8, penalty)
    fast = FastSpeaker(tts, sampling=GREEDY)
    ours = fast.generate_fast_codes(items([text]), [8])[0]
    assert expected.shape[0] == 2
    assert torch.equal(ours, expected)
    engine.close()


def test_the_fast_path_speaks_audio_like_the_plain_path(engine):
    fast = FastSpeaker(engine._tts, seed=engine.seed, sampling=engine.sampling)
    ours = dict(fast.speak(items(), 2, LIMITS))
    plain = dict(engine._speaker.speak(items(), 5, LIMITS))
    assert sorted(ours) == list(range(len(TEXTS)))
    for index, audio in ours.items():
        assert audio.sample_rate == 24000
        assert audio.samples == plain[index].samples


def test_slots_capped_by_memory_are_reused_by_the_next_run_instead_of_set_up_again(engine):
    from nikola_tts.engines.qwen import batching

    many = items(TEXTS * 2)  # more segments than memory allows slots for (CPU: batching.CPU_BATCH)
    fast = FastSpeaker(engine._tts, sampling=GREEDY)
    fast.prepare(many, len(many), LIMITS * 2)
    setup = fast._setup
    assert fast.slot_count == batching.CPU_BATCH < len(many)
    fast.generate_fast_codes(many, LIMITS * 2)
    assert fast._setup is setup
    fast.generate_fast_codes(many, [n + 200 for n in LIMITS * 2])  # longer caches: a new setup
    assert fast._setup is not setup and fast.slot_count == batching.CPU_BATCH


def test_the_fused_decoder_activation_is_torchs_arithmetic_in_torchs_order(engine):
    """snake.py's kernel computes x + inv_beta * (s * s), s = sin(x * alpha), from snake.constants:
    the same float32 result as upstream SnakeBeta.forward, bit for bit (the kernel runs on CUDA only)."""
    import copy

    from nikola_tts.engines.qwen.fast import snake

    speech = engine._tts.model.speech_tokenizer.model
    found = snake.activations(speech)
    assert len(found) >= 2  # the tiny decoder has them too: one per residual unit and block, and the last
    module = copy.deepcopy(found[0])
    with torch.no_grad():
        module.alpha.normal_(0, 0.5)
        module.beta.normal_(0, 0.5)
    alpha, inv_beta = snake.constants(module)
    x = torch.randn(2, module.in_features, 300) * 3
    for sample in (x, x[..., 7:-5]):
        s = torch.sin(sample * alpha[None, :, None])
        assert torch.equal(sample + inv_beta[None, :, None] * (s * s), type(module).forward(module, sample))
    assert snake.fuse(speech) == 0 and "forward" not in vars(found[0])  # off CUDA nothing is swapped


def test_a_fused_activation_that_fails_sends_every_activation_back_to_torch(engine, caplog):
    import copy

    from nikola_tts.engines.qwen.fast import snake

    first, second = (copy.deepcopy(m) for m in snake.activations(engine._tts.model.speech_tokenizer.model)[:2])
    launched = []

    def failing(x, alpha, inv_beta):
        raise RuntimeError("a new specialisation failed to compile")

    def kernel(x, alpha, inv_beta):
        launched.append(x.shape)
        s = torch.sin(x * alpha[None, :, None])
        return x + inv_beta[None, :, None] * (s * s)

    state = {"working": True}
    broken, fine = snake._fused_forward(failing, first, state), snake._fused_forward(kernel, second, state)
    x1, x2 = torch.randn(1, first.in_features, 40), torch.randn(1, second.in_features, 40)
    with caplog.at_level("WARNING", logger="tts"):
        assert torch.equal(broken(x1), type(first).forward(first, x1))  # this call still gets torch's answer
    assert "fused SnakeBeta kernel failed" in caplog.text and not state["working"]
    assert torch.equal(fine(x2), type(second).forward(second, x2)) and launched == []  # and so do the others


def test_running_out_of_memory_at_setup_halves_the_slots_and_loses_nothing(engine, monkeypatch, caplog):
    """A card with room for two slots, where the estimate said five: setup shrinks and goes on."""
    from nikola_tts.engines.qwen.fast import speaker as speaker_module

    class TwoSlotCard(speaker_module.Slots):
        def __init__(self, weights, count, *args):
            if count > 2:
                raise torch.OutOfMemoryError(f"CUDA out of memory. Tried to allocate caches for {count} slots")
            super().__init__(weights, count, *args)

    monkeypatch.setattr(speaker_module, "Slots", TwoSlotCard)
    plain = dict(engine._speaker.speak(items(), 5, LIMITS))
    fast = FastSpeaker(engine._tts, seed=engine.seed, sampling=engine.sampling)
    with caplog.at_level("WARNING", logger="tts"):
        ours = dict(fast.speak(items(), 5, LIMITS))
    assert fast.slot_count == 2
    assert "out of memory on cpu; going on with 2 slots" in caplog.text
    assert sorted(ours) == list(range(len(TEXTS)))
    assert all(ours[i].samples == plain[i].samples for i in ours)


def test_a_failure_mid_run_hands_the_unfinished_segments_to_the_plain_path(engine, monkeypatch, caplog):
    from nikola_tts.engines.qwen.fast.graphs import FrameGraphs

    replay = FrameGraphs.run
    calls = []

    def failing_after_a_while(self, b):
        calls.append(b)
        if len(calls) > 12:  # past the first finished segments: "Hello." needs 6 frames
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        replay(self, b)

    monkeypatch.setattr(FrameGraphs, "run", failing_after_a_while)
    plain = dict(engine._speaker.speak(items(), 5, LIMITS))
    fast = FastSpeaker(engine._tts, seed=engine.seed, sampling=engine.sampling)
    with caplog.at_level("WARNING", logger="tts"):
        ours = list(fast.speak(items(), 5, LIMITS))
    assert sorted(i for i, _ in ours) == list(range(len(TEXTS)))  # every segment exactly once
    assert all(within_one_step(audio, plain[i]) for i, audio in ours)
    warning = next(r.getMessage() for r in caplog.records if "fast path failed" in r.getMessage())
    assert "illegal memory access" in warning
    left = int(warning.split("narrating the ")[1].split()[0])
    assert 0 < left < len(TEXTS)  # what had been generated was kept (and decoded), the rest went to the plain path


@pytest.mark.parametrize("value,expected", [
    ("auto", "auto"), (None, "auto"), (True, True), (False, False), ("yes", True), ("off", False), ("0", False)])
def test_tts_fast_accepts_auto_true_and_false(value, expected):
    assert parse_fast(value) == expected


def test_tts_fast_refuses_other_values_naming_the_choices():
    with pytest.raises(TTSError, match=r"TTS_FAST is 'fastest': use 'auto', True or False"):
        parse_fast("fastest")


@pytest.mark.parametrize("option,device,rocm,fast,words", [
    ("auto", "cuda", False, True, "CUDA graphs"),
    ("auto", "cuda", True, False, "ROCm"),
    ("auto", "mps", False, False, "Apple MPS"),
    ("auto", "cpu", False, False, "the CPU"),
    (True, "cpu", False, True, "without CUDA graphs"),
    (True, "cuda", False, True, "with CUDA graphs"),
    (False, "cuda", False, False, "TTS_FAST = False"),
])
def test_the_fast_path_is_for_nvidia_gpus_unless_asked_for(option, device, rocm, fast, words):
    use, why = fast_path_decision(option, device, rocm=rocm)
    assert use is fast and words in why


def test_segments_are_shared_between_gpus_so_all_finish_together():
    costs = [500, 40, 300, 300, 120, 90, 260, 60, 200, 10]
    shares = __import__("nikola_tts.engines.qwen.fast.gpus", fromlist=["share_by_length"]).share_by_length(costs, 3)
    assert sorted(i for share in shares for i in share) == list(range(len(costs)))
    totals = [sum(costs[i] for i in share) for share in shares]
    assert max(totals) - min(totals) <= max(costs[i] for share in shares for i in share[-1:])
    assert max(totals) <= sum(costs) / 3 + max(costs) / 2


@pytest.mark.parametrize("requested,count,fast,expected", [
    ("auto", 4, True, ["cuda:1", "cuda:2", "cuda:3"]),
    (None, 2, True, ["cuda:1"]),
    ("auto", 1, True, []),
    ("cuda:0", 4, True, []),  # a named device means that device alone
    ("auto", 4, False, []),  # the plain path stays on one device
])
def test_tts_device_auto_uses_every_gpu_on_the_fast_path(requested, count, fast, expected):
    from nikola_tts.engines.qwen.fast import worker_devices

    assert worker_devices(requested, count, fast) == expected


def test_a_worker_process_speaks_its_share_as_this_process_would(engine, tiny_model):
    """The multi-GPU plumbing, with one CPU worker standing in for a second GPU."""
    import functools

    from nikola_tts.engines.qwen import loader
    from nikola_tts.engines.qwen.fast.gpus import GpuPool

    options = dict(seed=engine.seed, sampling=engine.sampling)
    alone = dict(FastSpeaker(engine._tts, **options).speak(items(), 2, LIMITS))
    factory = functools.partial(loader.load_on_device, str(tiny_model), engine._placement)
    pool = GpuPool(factory, ["cpu"], options)
    try:
        assert pool.wait_ready() == ["cpu"]
        shared = dict(pool.speak(FastSpeaker(engine._tts, **options), items(), 2, LIMITS))
    finally:
        pool.close()
    assert sorted(shared) == list(range(len(TEXTS)))
    assert all(within_one_step(audio, alone[i]) for i, audio in shared.items())


@pytest.mark.parametrize("gib,batch", [(80, 16), (141, 16), (24, 4), (16, 4)])
def test_small_gpus_decode_fewer_segments_at_once(gib, batch):
    from nikola_tts.engines.qwen.fast.speaker import decode_batch_for

    assert decode_batch_for(gib << 30) == batch
