"""The fast path (nikola_tts/engines/qwen/fast) on the tiny random checkpoint, on CPU.

The fast path loads the checkpoint with its own code (no transformers, no qwen_tts); the plain
path loads it with upstream's. On CUDA the same frame step is captured in CUDA graphs; here it
runs as it is, which is what lets these tests hold it to upstream qwen_tts generation code for
code, and its speech decoder to upstream's sample for sample.
"""

from __future__ import annotations

import logging
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

import pytest

from conftest import import_qwen_tts_or_skip

import_qwen_tts_or_skip()
import numpy as np  # noqa: E402
import torch  # noqa: E402

from nikola_tts.engines import Request  # noqa: E402
from nikola_tts.engines.qwen.fast import fast_path_decision, parse_fast  # noqa: E402
from nikola_tts.engines.qwen.fast.model import load_model  # noqa: E402
from nikola_tts.engines.qwen.fast.ops import TorchOps
from nikola_tts.engines.qwen.fast.speaker import FastSpeaker  # noqa: E402
from nikola_tts.engines.qwen.segments import Item  # noqa: E402
from nikola_tts.errors import TTSError  # noqa: E402
from tiny_qwen import load_engine  # noqa: E402

pytestmark = pytest.mark.usefixtures("qwen_one_thread")

TEXTS = [
    "The ferry leaves at dawn, when the harbour is still grey.",
    "Hello.",
    "Crossing takes forty minutes; most passengers drink tea.",
    "On the far side, a bakery sells warm bread.",
    "La narración se genera en el ordenador del autor.",
]
LIMITS = [18, 6, 14, 10, 12]
GREEDY = dict(do_sample=False, subtalker_dosample=False)


@pytest.fixture(scope="module")
def engine(qwen_engine):
    return qwen_engine


@pytest.fixture(scope="module")
def model(tiny_model):
    """The checkpoint as the fast path loads it (CPU, float32)."""
    return load_model(tiny_model, "cpu", torch.float32)


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


# -- loading without transformers -------------------------------------------------------------------------
def test_the_text_tokenizer_gives_upstreams_ids_from_either_tokenizer_file_layout(engine, model, tiny_model, tmp_path):
    from nikola_tts.engines.qwen.fast.text import TextTokenizer

    slow_files_only = tmp_path / "vocab-and-merges"
    shutil.copytree(tiny_model, slow_files_only)
    (slow_files_only / "tokenizer.json").unlink()
    rebuilt = TextTokenizer.from_folder(slow_files_only)
    tts = engine._speaker.tts
    for text in TEXTS + ["Numbers: 1,234.5 and naïve café — “quotes”.\nA second line."]:
        expected = tts._tokenize_texts([tts._build_assistant_text(text)])[0][0].tolist()
        assert model.tokenizer.assistant(text) == expected
        assert rebuilt.assistant(text) == expected
    instruction = tts._tokenize_texts([tts._build_instruct_text("Read calmly.")])[0][0].tolist()
    assert model.tokenizer.instruction("Read calmly.") == instruction


def test_our_speech_decoder_gives_upstreams_samples(engine, model):
    """Upstream's padded batch, 300-frame chunks with 25 frames of context, the 72-position attention window."""
    torch.manual_seed(5)
    codes = [torch.randint(0, 2048, (n, 16)) for n in (640, 80, 7)]
    ours = model.speech.decode(codes)
    theirs, _ = engine._speaker.tts.model.speech_tokenizer.decode([{"audio_codes": c} for c in codes])
    for a, b, c in zip(ours, theirs, codes):
        assert a.shape == (c.shape[0] * 1920,) and np.array_equal(a, b)


def test_the_fast_path_imports_neither_transformers_nor_qwen_tts(tiny_model):
    script = (
        "import sys, torch\n"
        "from nikola_tts.engines.qwen.fast.model import load_model\n"
        "from nikola_tts.engines.qwen.fast.speaker import FastSpeaker\n"
        "from nikola_tts.engines.qwen.segments import Item\n"
        "torch.set_num_threads(1)\n"
        f"speaker = FastSpeaker(load_model({str(tiny_model)!r}, 'cpu', torch.float32))\n"
        "(index, audio), = speaker.speak([Item('Hello there.', 'eric', 'English')], 4, [5])\n"
        "assert audio.seconds == 5 / 12.5, audio\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'transformers', 'qwen_tts', 'librosa'}))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_checkpoint_of_another_kind_is_refused_before_any_tensor_is_read(tiny_model, tmp_path):
    import json

    other = tmp_path / "base-model"
    shutil.copytree(tiny_model, other)
    config = json.loads((other / "config.json").read_text())
    config["tts_model_type"] = "base"
    (other / "config.json").write_text(json.dumps(config))
    with pytest.raises(TTSError, match="this engine speaks with the 12 Hz CustomVoice models"):
        load_model(other, "cpu", torch.float32)


# -- the same codes as upstream -----------------------------------------------------------------------------
def test_greedy_codes_equal_upstream_generation_of_each_segment_alone_in_float32(engine, model):
    """float32 is what cards without bfloat16 (P40, T4, V100) run: there the two paths agree code for code."""
    fast = FastSpeaker(model, sampling=GREEDY)
    for text, limit in zip(TEXTS, LIMITS):
        expected, _ = upstream_greedy(engine._speaker.tts, text, limit, fast.sampling["repetition_penalty"])
        ours = fast.generate_codes(items([text]), [limit])[0]
        assert ours.shape == (limit, 16)
        assert torch.equal(ours, expected)


@pytest.mark.parametrize("sampling, fold", [(GREEDY, False), (GREEDY, True), (None, True)],
                         ids=["attention a phase", "attention folded into o", "sampled, folded"])
def test_a_frame_of_one_slot_with_the_one_launch_predictor_gets_the_layer_by_layer_codes(model, monkeypatch,
                                                                                         sampling, fold):
    """At one slot, the code predictor's steps after the first run as one kernel each (persistent.py; here launched
    phase by phase in Triton's interpreter, the other ops torch's): the codes of the layers run one by one, frame
    after frame (its key/value cache is the one the next step reads), greedy or drawn with the model's sampling,
    with the attention a phase of its own or folded into the o phase."""
    pytest.importorskip("triton")
    fused = FastSpeaker(model, sampling=sampling, use_kernels=True, use_graphs=False, one_launch_predictor=True,
                        one_launch_fold_attention=fold)
    monkeypatch.setattr(fused, "_ops", TorchOps)  # the interpreter's time on the other ops would tell nothing more
    expected = FastSpeaker(model, sampling=sampling).generate_codes(items(TEXTS[1:3]), [4, 3], max_batch=1)
    assert all(torch.equal(a, b) for a, b in zip(fused.generate_codes(items(TEXTS[1:3]), [4, 3], max_batch=1),
                                                  expected))
    one_slot = fused._setup[1].stepper.one_slot
    assert one_slot is not None and one_slot.fold == fold


def test_the_one_launch_step_compiled_ahead_is_the_specialization_a_setup_launches(model):
    """compile_ahead's stand-in, at the code predictor's positions, has the constants of the step a run's setup
    makes: what the thread compiles is what the first frame of one slot launches."""
    pytest.importorskip("triton")
    from nikola_tts.engines.qwen.fast import persistent
    from nikola_tts.engines.qwen.fast.slots import predictor_positions

    fused = FastSpeaker(model, sampling=GREEDY, use_kernels=True, use_graphs=False)
    fused._ops = TorchOps
    fused.prepare(items(TEXTS[1:2]), 1, [3])
    w = model.weights
    ahead = persistent.stand_in(w.predictor, w.residual_heads, predictor_positions(w))
    assert ahead.constants == fused._setup[1].stepper.one_slot.constants


def test_a_barrier_that_gave_up_costs_the_one_launch_step_alone_and_the_run_loses_nothing(model, caplog):
    """The flag a grid barrier sets when it waited too long (persistent.py), set here by hand: the run's frames
    since the last check are not used; every segment is narrated again with the layers run one by one, still
    with the fused kernels, and gets the audio it gets that way."""
    pytest.importorskip("triton")
    fused = FastSpeaker(model, sampling=GREEDY, use_kernels=True, use_graphs=False)
    fused._ops = TorchOps  # the interpreter's time on the other ops would tell nothing more
    fused.prepare(items(TEXTS[1:3]), 1, [4, 3])
    fused._setup[1].stepper.one_slot.failed.fill_(1)
    with caplog.at_level(logging.WARNING, logger="tts"):
        spoken = dict(fused.speak(items(TEXTS[1:3]), 1, [4, 3]))
    layered = dict(FastSpeaker(model, sampling=GREEDY, one_launch_predictor=False).speak(items(TEXTS[1:3]), 1, [4, 3]))
    assert sorted(spoken) == [0, 1]
    assert all(spoken[i].samples == layered[i].samples for i in spoken)
    assert fused.use_kernels and not fused.one_launch_predictor and fused._setup[1].stepper.one_slot is None
    assert any("grid barrier" in r.getMessage() and "layer by layer" in r.getMessage() for r in caplog.records)


def test_a_setup_made_while_the_one_launch_step_compiles_takes_it_once_compiled(model):
    """A warm process's setup outlives the compile it did not wait for: its next run steps one slot with the
    kernel, its one-slot graph captured again."""
    pytest.importorskip("triton")
    from nikola_tts.engines.qwen.background import Background

    fused = FastSpeaker(model, sampling=GREEDY, use_kernels=True, use_graphs=False)
    fused._ops = TorchOps
    compiled = threading.Event()
    fused._compiling = Background(compiled.wait, name="a compile that takes its time")
    fused.generate_codes(items(TEXTS[1:2]), [3], max_batch=1)
    setup = fused._setup
    assert setup[1].stepper.one_slot is None  # not compiled yet: layer by layer, not waiting
    compiled.set()
    fused._compiling.wait()
    fused.generate_codes(items(TEXTS[1:2]), [3], max_batch=1)
    assert fused._setup is setup and setup[1].stepper.one_slot is not None


@pytest.mark.parametrize("sampling", [GREEDY, {}], ids=["greedy", "sampled"])
def test_segments_streaming_through_two_slots_get_the_codes_they_get_alone(model, sampling):
    fast = FastSpeaker(model, sampling=sampling)
    alone = [fast.generate_codes(items([t]), [n], max_batch=1)[0] for t, n in zip(TEXTS, LIMITS)]
    streamed = fast.generate_codes(items(), LIMITS, max_batch=2)  # refills, then packs the tail
    assert fast.slot_count == 2
    for one, many in zip(alone, streamed):
        assert torch.equal(one, many)


def test_a_segments_own_instruction_reaches_the_fast_paths_prompt(model):
    instruction = "Whisper it."
    fast = FastSpeaker(model, sampling=GREEDY)
    styled = FastSpeaker(model, sampling=GREEDY, instruct=instruction)
    mixed = fast.generate_codes([Item(TEXTS[0], "eric", "English", instruction), Item(TEXTS[2], "eric", "English")],
                                [8, 8])
    assert torch.equal(mixed[0], styled.generate_codes(items(TEXTS[:1]), [8])[0])
    assert torch.equal(mixed[1], fast.generate_codes(items(TEXTS[2:3]), [8])[0])
    assert not torch.equal(mixed[0], fast.generate_codes(items(TEXTS[:1]), [8])[0])


def test_sampled_codes_equal_the_plain_batched_paths(engine, model):
    """Same seeded per-segment sampling: switching TTS_FAST does not change what a segment says."""
    fast = FastSpeaker(model, seed=engine.seed, sampling=engine.sampling)
    plain = engine._speaker.generate_codes(items(), LIMITS)
    ours = fast.generate_codes(items(), LIMITS, max_batch=3)
    for expected, got in zip(plain, ours):
        assert torch.equal(expected.frames, got)


def test_a_segment_ends_where_the_model_says_stop_as_upstream_does(tiny_model):
    engine = load_engine(tiny_model, **GREEDY)
    model = load_model(tiny_model, "cpu", torch.float32)
    tts, text = engine._speaker.tts, TEXTS[0]
    penalty = engine._speaker.sampling["repetition_penalty"]
    _, hiddens = upstream_greedy(tts, text, 8, penalty)
    eos = tts.model.config.talker_config.codec_eos_token_id
    with torch.no_grad():  # make "stop" the talker's clear choice at its third step (EOS is held back before)
        h = hiddens[2].float()
        row = (50 * h / h.dot(h)).to(tts.model.talker.codec_head.weight.dtype)
        tts.model.talker.codec_head.weight[eos] = row
        model.weights.codec_head[eos] = row
    expected, _ = upstream_greedy(tts, text, 8, penalty)
    ours = FastSpeaker(model, sampling=GREEDY).generate_codes(items([text]), [8])[0]
    assert expected.shape[0] == 2
    assert torch.equal(ours, expected)
    engine.close()


def test_the_fast_path_speaks_the_plain_paths_audio(engine, model):
    fast = FastSpeaker(model, seed=engine.seed, sampling=engine.sampling)
    ours = dict(fast.speak(items(), 2, LIMITS))
    plain = dict(engine._speaker.speak(items(), 5, LIMITS))
    assert sorted(ours) == list(range(len(TEXTS)))
    for index, audio in ours.items():
        assert audio.sample_rate == 24000
        assert within_one_step(audio, plain[index])


def test_streamed_decoding_hands_over_chunks_as_they_appear_with_upstreams_samples(engine, model, monkeypatch):
    from nikola_tts.engines.qwen.fast.decode import Decoder
    from nikola_tts.engines.qwen.segments import to_audio

    fast = FastSpeaker(model, sampling=GREEDY, stream_decode=True)
    handed_over_at = []  # the segment's frame count whenever a chunk went to the decoder before it finished
    stream = Decoder.stream

    def spy(self, seq, codes):
        before = seq.chunks_sent
        stream(self, seq, codes)
        handed_over_at.extend([seq.frames] * (seq.chunks_sent - before))

    monkeypatch.setattr(Decoder, "stream", spy)
    (index, audio), = fast.speak(items(TEXTS[:1]), 1, [610])
    assert len(handed_over_at) == 2 and max(handed_over_at) < 610  # chunks 0 and 1, while it was generated
    codes = fast.generate_codes(items(TEXTS[:1]), [610])[0]
    expected = to_audio(engine._speaker.decode([codes])[0], 24000)  # upstream's decode of the whole segment
    assert audio.seconds == 610 / 12.5 and within_one_step(audio, expected)


def test_a_decoder_call_takes_the_longest_waiting_chunks_that_fit_its_budget_of_frames(engine, model):
    fast = FastSpeaker(model, seed=engine.seed, sampling=engine.sampling)
    fast.decode_batch = 1  # a call's budget: one whole chunk with its context, 325 frames
    limits = [150, 40, 150, 40]
    ours = dict(fast.speak(items(TEXTS[:4]), 4, limits, force_frames=True))
    # the short ones finish first and wait; with the long ones 380 frames wait, and a call takes the two longest
    # (each padded to 160 frames, a multiple of 16: a third would pass 325), then the short ones at 48
    calls = [(call.chunks, call.length, call.frames) for call in fast.stats["decode_calls"]]
    assert calls == [(2, 160, 300), (2, 48, 80)]
    plain = dict(engine._speaker.speak(items(TEXTS[:4]), 4, limits, force_frames=True))
    assert all(within_one_step(audio, plain[index]) for index, audio in ours.items())


def test_a_segments_chunks_decoded_a_call_each_meet_the_lengths_decoder_graphs_are_captured_for(model):
    from nikola_tts.engines.qwen.fast.decode import call_lengths

    fast = FastSpeaker(model, sampling=GREEDY)
    fast.decode_batch = 1  # a call's budget: one whole chunk with its context, 325 frames
    list(fast.speak(items(TEXTS[:1]), 1, [650], force_frames=True))
    calls = fast.stats["decode_calls"]
    assert [call.chunks for call in calls] == [1, 1, 1]
    # frames 0-300, then 275-600 and 575-650 with 25 frames of context: 300, 325 and 75 frames, padded to 16s
    assert {call.length for call in calls} == call_lengths(650) == {304, 325, 80}


@pytest.mark.parametrize("frames, decoded", [(1, 16), (16, 16), (17, 32), (300, 304), (321, 325), (325, 325)])
def test_a_decoder_call_pads_its_frames_to_a_multiple_of_16_and_never_past_a_whole_chunk(frames, decoded):
    from nikola_tts.engines.qwen.fast.decode import padded_length

    assert padded_length(frames) == decoded
    assert padded_length(frames, step=1) == frames


# -- the engine loop ----------------------------------------------------------------------------------------
def test_the_scheduler_refills_in_groups_then_packs_the_tail_for_smaller_graphs():
    from nikola_tts.engines.qwen.fast.scheduler import Scheduler
    from nikola_tts.engines.qwen.fast.sequence import Sequence, Status

    sequences = [Sequence(i, None, limit, key=i) for i, limit in enumerate([30, 20, 12, 9, 5])]
    scheduler = Scheduler(slots=4, sizes=[1, 2, 4], check_every=8)
    scheduler.add(sequences)
    plan = scheduler.schedule()
    assert [[s.index for s in group] for group in plan.prefills] == [[0, 1, 2, 3]]  # longest first
    assert (plan.size, plan.frames, plan.moves) == (4, 8, ())
    # after 8 frames slot 2 stopped (EOS) and slot 3 is at its limit of 9? not yet: 8 frames
    assert scheduler.postprocess(plan, [True, True, False, True], [8, 8, 8, 8]) == [sequences[2]]
    assert sequences[2].status is Status.FINISHED and not sequences[2].hit_limit
    plan = scheduler.schedule()  # one free slot is a full refill group for 4 slots: the last segment goes in
    assert [[s.index for s in group] for group in plan.prefills] == [[4]] and sequences[4].slot == 2
    assert plan.frames == 1  # slot 3 reaches its limit of 9 after one more frame: look then
    done = scheduler.postprocess(plan, [True, True, True, False], [9, 9, 1, 9])
    assert done == [sequences[3]] and sequences[3].hit_limit
    plan = scheduler.schedule()  # queue empty, 3 live in slots 0-2: nothing to pack below size 4
    assert plan.prefills == () and plan.moves == () and plan.size == 4
    assert scheduler.postprocess(plan, [True, False, True, False], [13, 13, 5, 9]) == [sequences[1]]
    plan = scheduler.schedule()  # 2 live (slots 0 and 2): slot 2 moves to 1, the 2-slot graph steps them
    assert plan.moves == ((2, 1),) and plan.size == 2 and sequences[4].slot == 1
    scheduler.postprocess(plan, [False, False], [30, 5])
    assert scheduler.is_finished()


def test_a_backlog_is_queued_in_waves_of_a_slot_count_in_the_builds_order_longest_first_within_each():
    """A build hands its posts in turn: in waves, its posts are narrated through one after another (and
    their MP3s encoded meanwhile), where one queue longest first finishes them all at the end. The last
    wave takes in the rest, so that the shortest of the end still start last."""
    from nikola_tts.engines.qwen.fast.scheduler import Scheduler
    from nikola_tts.engines.qwen.fast.sequence import Sequence

    limits = [5, 30, 6, 25, 7, 20, 8, 9, 40]
    two_slots = Scheduler(slots=2, sizes=[1, 2])
    two_slots.add([Sequence(i, None, limit, key=i) for i, limit in enumerate(limits)])
    assert [seq.index for seq in two_slots.waiting] == [1, 0, 3, 2, 5, 4, 8, 7, 6]
    longest_first = [8, 1, 3, 5, 7, 6, 4, 2, 0]
    five_slots = Scheduler(slots=5, sizes=[1, 2, 4, 5])  # nine fit in two slot counts: one wave
    five_slots.add([Sequence(i, None, limit, key=i) for i, limit in enumerate(limits)])
    assert [seq.index for seq in five_slots.waiting] == longest_first
    # on the CPU the narration takes the cores, so no MP3 is encoded beside it: one queue, longest first
    on_the_cpu = Scheduler(slots=2, sizes=[1, 2], waves=False)
    on_the_cpu.add([Sequence(i, None, limit, key=i) for i, limit in enumerate(limits)])
    assert [seq.index for seq in on_the_cpu.waiting] == longest_first


def drained_to_three(captured: set[int], expected: int):
    """A scheduler whose 64-slot run has drained to three live slots (4, 40 and 63) with the queue
    empty, each expected to speak `expected` frames in all, 20 of them spoken."""
    from nikola_tts.engines.qwen.fast.scheduler import Scheduler
    from nikola_tts.engines.qwen.fast.sequence import Sequence

    sequences = [Sequence(i, None, 2000, key=i, expected=expected) for i in range(64)]
    scheduler = Scheduler(slots=64, sizes=[1, 2, 4, 8, 16, 32, 64], check_every=8, captured=captured,
                          capture_seconds=0.3)
    scheduler.add(sequences)
    plan = scheduler.schedule()
    assert plan.size == 64
    live = {4, 40, 63}
    scheduler.postprocess(plan, [slot in live for slot in range(64)], [20] * 64)
    return scheduler


def test_a_draining_run_stays_in_its_captured_graph_where_the_frames_left_would_not_repay_a_capture():
    scheduler = drained_to_three(captured={64}, expected=60)  # 40 frames x 60 slots fewer: saves 0.06 s
    plan = scheduler.schedule()
    assert plan.size == 64 and plan.moves == ()


def test_a_draining_run_moves_to_a_smaller_graph_where_the_frames_left_repay_its_capture():
    scheduler = drained_to_three(captured={64}, expected=1020)  # 1000 frames x 60 slots fewer: saves 1.5 s
    plan = scheduler.schedule()
    assert plan.size == 4 and sorted(dst for _, dst in plan.moves) == [0, 1, 2]


def test_a_draining_run_moves_to_a_smaller_graph_captured_already_whatever_is_left():
    scheduler = drained_to_three(captured={64, 4}, expected=21)
    plan = scheduler.schedule()
    assert plan.size == 4 and len(plan.moves) == 3


def test_an_eager_warm_up_frame_between_live_frames_changes_no_code(model, monkeypatch):
    """graphs.py runs one eager frame before capturing a size, possibly while slots are live: with the
    slots' state saved and restored around it, every segment still gets its own codes."""
    from nikola_tts.engines.qwen.fast.graphs import FrameGraphs

    fast = FastSpeaker(model, sampling={})
    expected = fast.generate_codes(items(), LIMITS, max_batch=3)
    replay = FrameGraphs.run

    def with_warm_up(self, b):
        saved = self.stepper.s.snapshot(b)
        self.stepper.frame(b)
        self.stepper.s.restore(saved, b)
        replay(self, b)

    monkeypatch.setattr(FrameGraphs, "run", with_warm_up)
    again = FastSpeaker(model, sampling={}).generate_codes(items(), LIMITS, max_batch=3)
    assert all(torch.equal(a, b) for a, b in zip(expected, again))


def test_a_prompt_padded_to_its_graphs_length_gets_the_codes_it_gets_unpadded(model, monkeypatch):
    """graphs.PromptGraphs pads a one-row prompt to a multiple of PROMPT_STEP (a CUDA graph a multiple): causal
    attention keeps the padding from every real position, so each segment's codes are unchanged."""
    from nikola_tts.engines.qwen.fast.forward import Stepper
    from nikola_tts.engines.qwen.fast.graphs import prompt_length

    expected = FastSpeaker(model, sampling=GREEDY).generate_codes(items(), LIMITS, max_batch=1)
    prefill, padding = Stepper.prefill, []

    def to_the_step(self, entries, length=None):
        tokens = int(entries[0].embeds.shape[1])
        length = prompt_length(tokens) if prompt_length(tokens) <= self.s.length else None
        padding.append((length or tokens) - tokens)
        prefill(self, entries, length)

    monkeypatch.setattr(Stepper, "prefill", to_the_step)
    again = FastSpeaker(model, sampling=GREEDY).generate_codes(items(), LIMITS, max_batch=1)
    assert len(padding) == len(TEXTS) and sum(p > 0 for p in padding) >= 3
    assert all(torch.equal(a, b) for a, b in zip(expected, again))


def test_the_runs_summary_says_how_long_a_frame_step_took_first_and_typically(model, caplog):
    """Timed at each stretch's one host sync, stretches of frames alone (no prefill, no capture): a
    fresh process's first frames and its steady state are told apart in every build's log."""
    fast = FastSpeaker(model, sampling=GREEDY)
    with caplog.at_level(logging.INFO, logger="tts"):
        list(fast.speak(items(TEXTS[:1]), max_batch=1, limits=[40], force_frames=True))
    steps = fast.stats["step_s"]
    assert len(steps) == 4 and min(steps) > 0  # 40 frames, 8 a stretch: the first stretch also prefilled
    (summary,) = [r.getMessage() for r in caplog.records if "frames in" in r.getMessage()]
    assert summary.endswith(f"; a frame step {statistics.median(steps) * 1e3:.1f} ms "
                            f"(the first stretch's {steps[0] * 1e3:.1f} ms)")


def test_the_runs_summary_counts_the_callers_time_with_the_last_results_apart(model, caplog):
    """The decoding tail after the last frame includes the build storing each segment it is handed:
    the summary says how much of the tail was that, so a slow tail is not blamed on the decoder."""
    fast = FastSpeaker(model, sampling=GREEDY)
    with caplog.at_level(logging.INFO, logger="tts"):
        for _ in fast.speak(items(TEXTS[:2]), max_batch=2, limits=[12, 12], force_frames=True):
            time.sleep(0.3)  # a caller that takes its time with each segment
    (summary,) = [r.getMessage() for r in caplog.records if "frames in" in r.getMessage()]
    tail, handed = re.search(r"then decoding ([\d.]+) s \(([\d.]+) s of it handing the segments over\)", summary).groups()
    assert fast.stats["handed_s"] >= 0.3 and float(handed) >= 0.3 and float(tail) >= float(handed)


def test_slots_capped_by_memory_are_reused_by_the_next_run_instead_of_set_up_again(model):
    from nikola_tts.engines.qwen import batching

    many = items(TEXTS * 2)  # more segments than memory allows slots for (CPU: batching.CPU_BATCH)
    fast = FastSpeaker(model, sampling=GREEDY)
    fast.prepare(many, len(many), LIMITS * 2)
    setup = fast._setup
    assert fast.slot_count == batching.CPU_BATCH < len(many)
    fast.generate_codes(many, LIMITS * 2)
    assert fast._setup is setup
    fast.generate_codes(many, [n + 200 for n in LIMITS * 2])  # longer caches: a new setup
    assert fast._setup is not setup and fast.slot_count == batching.CPU_BATCH


def test_a_primed_speaker_narrates_any_paragraph_in_the_setup_it_made_ahead(model):
    """What a warm process does once after loading: later runs that fit set up (and capture) nothing."""
    fast = FastSpeaker(model, sampling=GREEDY)
    fast.prime(4, max_chars=600)
    setup = fast._setup
    assert fast.slot_count == 4 and setup[0].max_frames == 1288  # frame_limit(600): 3 s + 2.5 x 40 s
    fresh = FastSpeaker(model, sampling=GREEDY).generate_codes(items(), LIMITS, max_batch=4)
    primed = fast.generate_codes(items(), LIMITS, max_batch=4)
    assert fast._setup is setup
    assert all(torch.equal(a, b) for a, b in zip(fresh, primed))


def test_running_out_of_memory_at_setup_halves_the_slots_and_loses_nothing(engine, model, monkeypatch, caplog):
    """A card with room for two slots, where the estimate said five: setup shrinks and goes on."""
    from nikola_tts.engines.qwen.fast import speaker as speaker_module

    class TwoSlotCard(speaker_module.Slots):
        def __init__(self, weights, count, *args):
            if count > 2:
                raise torch.OutOfMemoryError(f"CUDA out of memory. Tried to allocate caches for {count} slots")
            super().__init__(weights, count, *args)

    monkeypatch.setattr(speaker_module, "Slots", TwoSlotCard)
    alone = dict(FastSpeaker(model, seed=engine.seed, sampling=engine.sampling).speak(items(), 1, LIMITS))
    fast = FastSpeaker(model, seed=engine.seed, sampling=engine.sampling)
    with caplog.at_level("WARNING", logger="tts"):
        ours = dict(fast.speak(items(), 5, LIMITS))
    assert fast.slot_count == 2
    assert "out of memory on cpu; going on with 2 slots" in caplog.text
    assert sorted(ours) == list(range(len(TEXTS)))
    assert all(within_one_step(ours[i], alone[i]) for i in ours)


def test_a_failure_mid_run_hands_the_unfinished_segments_to_the_plain_path(engine, tiny_model, monkeypatch, caplog):
    """The engine that chose the fast path narrates what it could not finish with upstream's plain path."""
    from nikola_tts.engines.qwen.fast.graphs import FrameGraphs

    fast_engine = load_engine(tiny_model, fast=True)
    assert fast_engine.fast and fast_engine._plain is None  # upstream's model is not even loaded ...
    replay = FrameGraphs.run
    calls = []

    def failing_after_a_while(self, b):
        calls.append(b)
        if len(calls) > 60:  # past the first finished segment: "Hello." may speak for 50 frames
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        replay(self, b)

    monkeypatch.setattr(FrameGraphs, "run", failing_after_a_while)
    requests = [Request(t, "eric", "en") for t in TEXTS]
    plain = dict(engine.synthesize(requests))
    try:
        with caplog.at_level("WARNING", logger="tts"):
            ours = list(fast_engine.synthesize(requests))
        assert fast_engine._plain is not None  # ... until the fast path needs it
    finally:
        fast_engine.close()
    assert sorted(i for i, _ in ours) == list(range(len(TEXTS)))  # every segment exactly once
    assert all(within_one_step(audio, plain[i]) for i, audio in ours)
    warning = next(r.getMessage() for r in caplog.records if "fast path failed" in r.getMessage())
    assert "illegal memory access" in warning
    left = int(warning.split("narrating the ")[1].split()[0])
    assert 0 < left < len(TEXTS)  # what had been generated was kept (and decoded), the rest went to the plain path


def test_a_preloaded_engine_loads_in_the_background_and_speaks_as_one_loaded_at_once(engine, tiny_model):
    from nikola_tts.engines import EngineOptions, create_engine

    preloaded = create_engine("qwen", EngineOptions(model=str(tiny_model), extra={"fast": True}))
    preloaded.preload()
    assert preloaded._loading is not None and preloaded._loading._thread is not None
    preloaded.load()
    try:
        (index, audio), = preloaded.synthesize([Request(TEXTS[0], "eric", "en")])
    finally:
        preloaded.close()
    (index, plain), = engine.synthesize([Request(TEXTS[0], "eric", "en")])
    assert within_one_step(audio, plain)


def test_a_preload_that_failed_fails_the_load_with_its_own_message(tmp_path):
    from nikola_tts.engines import EngineOptions, create_engine

    broken = create_engine("qwen", EngineOptions(model=str(tmp_path / "no-model-here"), extra={"fast": True}))
    broken.preload()
    with pytest.raises(TTSError, match="which is neither a folder on this machine nor a model id"):
        broken.load()


# -- the speech decoder's fused activations -----------------------------------------------------------------
def test_the_fused_decoder_activation_is_torchs_arithmetic_in_torchs_order(model):
    """snake.py's kernel computes x + inv_beta * (s * s), s = sin(x * alpha), from snake.constants:
    the same float32 result as SnakeBeta.forward, bit for bit (the kernel runs on CUDA only)."""
    import copy

    from nikola_tts.engines.qwen.fast import snake

    found = snake.activations(model.speech)
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
    assert snake.fuse(model.speech) == 0 and "forward" not in vars(found[0])  # off CUDA nothing is swapped


def test_a_fused_activation_that_fails_sends_every_activation_back_to_torch(model, caplog):
    import copy

    from nikola_tts.engines.qwen.fast import snake

    first, second = (copy.deepcopy(m) for m in snake.activations(model.speech)[:2])
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


def test_paddings_folded_into_the_convolutions_give_the_same_samples(model):
    """fold_padding has each stride-1 causal convolution pad itself: the same sums over the same zeros."""
    from nikola_tts.engines.qwen.fast.speech import fold_padding

    torch.manual_seed(6)
    codes = [torch.randint(0, 2048, (n, 16)) for n in (340, 9)]
    padded = model.speech.decode(codes)
    try:
        assert fold_padding(model.speech) >= 10  # every residual unit's dilated conv, the first and last, ...
        folded = model.speech.decode(codes)
    finally:
        fold_padding(model.speech, on=False)
    for a, b in zip(padded, folded):
        assert a.shape == b.shape and np.abs(a - b).max() <= 1e-6 * max(1.0, np.abs(a).max())


def test_transposed_convolutions_as_a_matmul_give_the_same_samples(model):
    """transposed_as_matmul runs each transposed convolution (kernel twice its stride) as one GEMM of every tap and
    an overlap-add: the same sums, so the same samples up to float rounding, with and without the causal trim."""
    from nikola_tts.engines.qwen.fast.speech import CausalTransposedConv, overlap_add, transposed_as_matmul

    torch.manual_seed(8)
    codes = [torch.randint(0, 2048, (n, 16)) for n in (61, 9)]
    plain = model.speech.decode(codes)
    try:
        assert transposed_as_matmul(model.speech) == 4  # the four upsampling blocks' (the upsamplers' kernel is their stride)
        matmul = model.speech.decode(codes)
    finally:
        transposed_as_matmul(model.speech, on=False)
    for a, b in zip(plain, matmul):
        assert a.shape == b.shape and np.abs(a - b).max() <= 1e-6 * max(1.0, np.abs(a).max())
    conv = CausalTransposedConv(6, 4, 10, 5)
    x = torch.randn(2, 6, 13)
    expected = conv(x)
    conv.overlap_add = overlap_add
    assert torch.allclose(conv(x), expected, atol=1e-6) and conv(x).shape == (2, 4, 65)


@pytest.mark.parametrize("max_width,fused_units", [(96, 12), (8, 9)])
def test_the_fused_residual_units_give_the_modules_samples(model, monkeypatch, max_width, fused_units):
    """waveform.fuse_units runs each residual unit's end (activation, 1-wide convolution, residual add, the next
    activation) as one Triton kernel (here in Triton's interpreter, in float32): the same samples as the modules,
    up to float rounding. Blocks wider than MAX_WIDTH run as modules (the tiny decoder's widths: 16, 8, 4, 2)."""
    pytest.importorskip("triton")
    from nikola_tts.engines.qwen.fast import kernels, waveform
    from nikola_tts.engines.qwen.fast.waveform import fuse_units

    monkeypatch.setattr(waveform, "MAX_WIDTH", max_width)

    # one tile a row: the interpreter's time goes by the programs it runs
    monkeypatch.setattr(kernels, "unit_blocks", lambda channels: kernels.UnitBlocks(16, 16, 2048, 4, 1))
    torch.manual_seed(10)
    codes = [torch.randint(0, 2048, (n, 16)) for n in (3, 2)]
    plain = model.speech.decode(codes)
    try:
        assert fuse_units(model.speech) == fused_units  # three units a block
        fused = model.speech.decode(codes)
    finally:
        model.speech.waveform = None
    for a, b in zip(plain, fused):
        assert a.shape == b.shape and np.abs(a - b).max() <= 1e-5 * max(1.0, np.abs(a).max())


def test_a_decoder_with_no_units_narrow_enough_is_left_as_it_is(model, monkeypatch, caplog):
    from nikola_tts.engines.qwen.fast import waveform

    monkeypatch.setattr(waveform, "MAX_WIDTH", 1)  # the tiny decoder's narrowest units have 2 channels
    with caplog.at_level(logging.WARNING, logger="tts"):
        assert waveform.fuse_units(model.speech) == 0
    assert model.speech.waveform is None and not caplog.records


def test_fused_residual_units_that_differ_are_not_used(model, monkeypatch, caplog):
    """A kernel that mixes the channels wrong fails fuse_units' check: the modules' path stays, with a warning."""
    pytest.importorskip("triton")
    from nikola_tts.engines.qwen.fast import kernels
    from nikola_tts.engines.qwen.fast.waveform import fuse_units

    monkeypatch.setattr(kernels, "unit_blocks", lambda channels: kernels.UnitBlocks(16, 16, 2048, 4, 1))
    right = kernels.unit_mix

    def wrong(h, weight, *args, **kwargs):
        return right(h, weight.t().contiguous(), *args, **kwargs)  # the weight transposed

    monkeypatch.setattr(kernels, "unit_mix", wrong)
    with caplog.at_level(logging.WARNING, logger="tts"):
        assert fuse_units(model.speech) == 0
    assert model.speech.waveform is None and "fused residual units differ" in caplog.text


@pytest.mark.parametrize("dtype,least_db", [(torch.bfloat16, 35.0), (torch.float16, 50.0)])
def test_the_waveform_stack_in_half_precision_stays_within_its_tolerance(tiny_model, dtype, least_db):
    """decoder_precision puts the waveform stack's convolutions and activations in 16 bits, SnakeBeta computing in
    float32 inside: the samples stay finite, in [-1, 1], and within `least_db` of float32's signal-to-error ratio
    (the tiny decoder's random weights: bfloat16 about 41 dB, float16 about 58)."""
    from nikola_tts.engines.qwen.fast.speech import decoder_precision

    exact = load_model(tiny_model, "cpu", torch.float32).speech
    half = load_model(tiny_model, "cpu", torch.float32).speech
    assert decoder_precision(half, dtype) >= 10 and half.decoder[0].conv.weight.dtype == dtype
    assert half.quantizer.first_out.weight.dtype == torch.float32  # the transformer's side stays float32
    torch.manual_seed(9)
    codes = [torch.randint(0, 2048, (n, 16)) for n in (80, 23)]
    reference, got = exact.decode(codes), half.decode(codes)
    signal = sum(float(np.square(a.astype(np.float64)).sum()) for a in reference)
    error = sum(float(np.square((a - b).astype(np.float64)).sum()) for a, b in zip(reference, got))
    assert all(b.dtype == np.float32 and np.isfinite(b).all() and np.abs(b).max() <= 1 for b in got)
    assert 10 * np.log10(signal / error) >= least_db


def test_the_decoders_preparation_goes_on_beside_the_run_and_only_its_first_use_waits(tiny_model, monkeypatch):
    """load_model(fast_decoder=True) prepares the speech decoder in a thread while the weights load, and returns
    without waiting for it: the speaker is set up (prompts, graphs and frames could start) while it goes on, and
    the decoder's first use waits for it. (Off CUDA only the paddings fold; the tiny decoder has a dozen or more.)"""
    from nikola_tts.engines.qwen.fast import model as fast_model

    gate, prepare = threading.Event(), fast_model.prepare
    monkeypatch.setattr(fast_model, "prepare", lambda speech, dtype: (gate.wait(30), prepare(speech, dtype)))
    prepared = load_model(tiny_model, "cpu", torch.float32, fast_decoder=True)
    speaker = FastSpeaker(prepared, use_kernels=True)  # as on CUDA, where it would fuse the forms itself if asked
    assert prepared.decoder.forms is None  # still being prepared: neither the load nor the speaker waited
    gate.set()
    forms = speaker.decoder_forms  # the first use: it waits
    assert forms.fused == 0 and forms.folded >= 10 and prepared.speech.forms == forms
    assert forms.matmuls == 0 and forms.dtype == torch.float32  # bfloat16 on CUDA alone
    assert load_model(tiny_model, "cpu", torch.float32).speech.forms is None  # not asked: nothing changed


def test_the_decoders_preparation_runs_on_the_thread_every_decode_runs_on(tiny_model, monkeypatch):
    """cuDNN keeps the execution plans it makes for each length per thread: the preparation's warm-up decode serves
    the runs only on their thread, and one thread serves every run."""
    from nikola_tts.engines.qwen.fast import model as fast_model

    ran_on, prepare = [], fast_model.prepare
    monkeypatch.setattr(fast_model, "prepare",
                        lambda speech, dtype: (ran_on.append(threading.current_thread()), prepare(speech, dtype)))
    prepared = load_model(tiny_model, "cpu", torch.float32, fast_decoder=True)
    prepared.speech
    assert ran_on == [prepared.decoding.submit(threading.current_thread).result()]
    assert ran_on[0] is not threading.current_thread()


def test_warming_the_decoders_lengths_stops_when_a_build_is_waiting(model):
    from nikola_tts.engines.qwen.fast.speech import warm_lengths

    asked = []
    assert warm_lengths(model.speech, [16, 32, 48], stop=lambda: len(asked) > 1 or asked.append(1)) == 2
    assert warm_lengths(model.speech, [16, 32]) == 2


def test_a_decoder_preparation_that_failed_is_raised_at_the_decoders_first_use(tiny_model, monkeypatch):
    from nikola_tts.engines.qwen.fast import model as fast_model

    def broken(speech, dtype):
        raise RuntimeError("no kernel image is available for execution on the device")

    monkeypatch.setattr(fast_model, "prepare", broken)
    prepared = load_model(tiny_model, "cpu", torch.float32, fast_decoder=True)
    with pytest.raises(RuntimeError, match="no kernel image"):
        prepared.speech


# -- choices --------------------------------------------------------------------------------------------------
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


# -- several GPUs -----------------------------------------------------------------------------------------------
def test_segments_are_shared_between_gpus_so_all_finish_together():
    from nikola_tts.engines.qwen.fast.gpus import share_by_length

    costs = [500, 40, 300, 300, 120, 90, 260, 60, 200, 10]
    shares = share_by_length(costs, 3)
    assert sorted(i for share in shares for i in share) == list(range(len(costs)))
    totals = [sum(costs[i] for i in share) for share in shares]
    # LPT's bound: within the smallest segment each share was given last
    assert max(totals) - min(totals) <= max(min(costs[i] for i in share) for share in shares if share)
    assert max(totals) <= sum(costs) / 3 + max(costs) / 2
    assert all(share == sorted(share) for share in shares)  # each GPU narrates its share in the build's order


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


def test_a_worker_process_speaks_its_share_as_this_process_would(engine, model, tiny_model):
    """The multi-GPU plumbing, with one CPU worker standing in for a second GPU."""
    import functools

    from nikola_tts.engines.qwen.fast.gpus import GpuPool
    from nikola_tts.engines.qwen.fast.model import load_on_device

    options = dict(seed=engine.seed, sampling=engine.sampling)
    alone = dict(FastSpeaker(model, **options).speak(items(), 2, LIMITS))
    pool = GpuPool(functools.partial(load_on_device, str(tiny_model), "float32"), ["cpu"], options)
    try:
        assert pool.wait_ready() == ["cpu"]
        shared = dict(pool.speak(FastSpeaker(model, **options), items(), 2, LIMITS))
    finally:
        pool.close()
    assert sorted(shared) == list(range(len(TEXTS)))
    assert all(within_one_step(audio, alone[i]) for i, audio in shared.items())


@pytest.mark.parametrize("gib,batch", [(80, 16), (141, 16), (24, 4), (16, 4)])
def test_small_gpus_decode_fewer_segments_at_once(gib, batch):
    from nikola_tts.engines.qwen.fast.speaker import decode_batch_for

    assert decode_batch_for(gib << 30) == batch
