"""Third-party baselines for benchmarks/qwen_rtf.py: faster-qwen3-tts and faster-qwen3-tts-batch.

Two published CUDA-graph front ends for Qwen3-TTS, driven through their own APIs around the model
that qwen_rtf.py has already built or loaded (nothing is downloaded):

* faster-qwen3-tts 0.3.2 (`faster_one_at_a_time`): batch 1, one `generate_custom_voice` call per
  text. The talker's decode step and the code predictor's 15-step pass are replayed as CUDA graphs.
* faster-qwen3-tts-batch 0.2.0 (`faster_batched`): static batches of texts through its
  `batched_fast_generate` (batched CUDA graphs). That package has batch entry points for voice
  cloning only, so the CustomVoice inputs come from faster-qwen3-tts's
  `FasterQwen3TTS._prepare_generation_custom`, one text at a time, as in ../shared/qwen/bench_qwen.py.

Both are the versions written for qwen-tts 0.1.1 and transformers 4.57 (faster-qwen3-tts 0.3.2
requires transformers<5; faster-qwen3-tts-batch 0.2.0 fails on transformers 5 with a StaticCache
TypeError). Every text is forced to its frame count, as in the other rows of qwen_rtf.py: EOS is
suppressed by the packages' own `min_new_tokens = max_new_tokens`. Sampling is qwen_rtf's
(top-k 50, temperature 0.9, repetition penalty 1.05; the packages fix the code predictor's
sampling to top-k 50, temperature 0.9 when its graph is built).

Each function returns (wall_s, peak_gib, setup_s). wall_s and peak_gib come from qwen_rtf's Clock
and cover the generation and the decode to waveforms. setup_s is measured outside the clock:
building the graph objects and static KV caches, capturing the CUDA graphs, and one short untimed
call that pays first-call costs (the talker's attention-mask table, first kernels at each shape),
matching the warm-up that qwen_rtf.py gives every other method. The CUDA-graph packages need a
CUDA device.
"""

from __future__ import annotations

import contextlib
import io
import time

PACKAGES = ("faster_qwen3_tts", "faster_qwen3_tts_batch")
# qwen_rtf.SAMPLING, in the keywords that both packages' generate functions take
SAMPLING = dict(do_sample=True, top_k=50, top_p=1.0, temperature=0.9, repetition_penalty=1.05)
PREDICTOR_SAMPLING = dict(do_sample=True, top_k=50, temperature=0.9)
CACHE_STEP = 64  # static KV cache lengths are rounded up to a multiple of this
DECODE_BATCH = 16  # codes -> waveform, this many texts per speech-tokenizer call
WARM_FRAMES = 4  # frames of the untimed call that setup_s includes


def available() -> str | None:
    """None if both packages import (with a transformers they were written for), else why not."""
    import importlib

    try:
        import transformers

        for package in PACKAGES:
            importlib.import_module(package)
    except Exception as error:  # an ImportError, or anything a package raises while importing
        return f"faster-qwen3-tts baselines unavailable: {type(error).__name__}: {error}"
    if int(transformers.__version__.split(".")[0]) >= 5:
        return (f"faster-qwen3-tts 0.3.2 and faster-qwen3-tts-batch 0.2.0 need transformers 4.57, "
                f"not {transformers.__version__}")
    return None


def faster_one_at_a_time(tts, texts, frames, clock, speaker="eric", language="english"):
    """faster-qwen3-tts, batch 1: one `FasterQwen3TTS.generate_custom_voice` call per text.

    Timed (wall_s, peak_gib): for every text, its prompt preparation, the prefill, exactly
    frames[i] graph-replayed frame steps (EOS suppressed) and the package's own decode of those
    codes to a waveform, which `generate_custom_voice` includes. Not timed (setup_s): building the
    graphs around `tts` with one static KV cache long enough for the longest prompt plus frames
    (the package keeps one cache length for all calls), capturing them, and one untimed
    WARM_FRAMES-frame call.
    """
    started = time.perf_counter()
    builder = _input_builder(tts)
    prompts = [_prompt_length(builder, text, speaker, language) for text in texts]
    cache = _round_up(max(p + n for p, n in zip(prompts, frames)) + 1, CACHE_STEP)
    fast = _build_fast(tts, cache)
    with _quiet():
        fast.warmup(prefill_len=prompts[0])
        warm, _ = fast.generate_custom_voice(text=texts[0], speaker=speaker, language=language,
                                             max_new_tokens=WARM_FRAMES, min_new_tokens=WARM_FRAMES, **SAMPLING)
    samples_per_frame = len(warm[0]) / WARM_FRAMES
    _synchronize(tts)
    setup = time.perf_counter() - started

    lengths = []
    clock.start()
    for text, n in zip(texts, frames):
        wavs, _ = fast.generate_custom_voice(text=text, speaker=speaker, language=language,
                                             max_new_tokens=n, min_new_tokens=n, **SAMPLING)
        lengths.append(len(wavs[0]))
    wall, peak = clock.stop()
    del fast
    _release(tts)

    made = [round(length / samples_per_frame) for length in lengths]
    if made != list(frames):
        wrong = next(i for i, (a, b) in enumerate(zip(made, frames)) if a != b)
        raise RuntimeError(f"faster-qwen3-tts made {made[wrong]} frames for text {wrong}, not {frames[wrong]}")
    return wall, peak, setup


def faster_batched(tts, texts, frames, size, clock, speaker="eric", language="english"):
    """faster-qwen3-tts-batch: static batches of `size` texts through `batched_fast_generate`.

    Texts are sorted by length, longest first, and cut into batches of `size`. A static batch
    steps until its longest member ends, so every member of a batch runs to the batch's largest
    frame count (audio seconds are still counted by the caller from each text's own frames). Each
    batch gets graphs captured for its own size and a static KV cache just long enough for it:
    its longest prompt (they are left-padded to that) plus its frames, plus the one position the
    package's loop keeps free, rounded up to CACHE_STEP; graphs are reused by the next batch when
    both match.

    Timed (wall_s, peak_gib: summed over the batches, and the largest peak): per batch, the
    prompt preparation of each text (`FasterQwen3TTS._prepare_generation_custom`), the batched
    prefill and frame steps, and the decode of all codes to waveforms with
    `tts.model.speech_tokenizer.decode`, DECODE_BATCH texts per call. Not timed (setup_s):
    measuring prompt lengths, building and capturing the graphs, and one untimed WARM_FRAMES-frame
    run of each newly captured batch.
    """
    builder = _input_builder(tts)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    batches = [order[start:start + size] for start in range(0, len(order), size)]
    wall = setup = 0.0
    peak = None
    captured = {}  # (batch size, cache length) -> (predictor graph, talker graph); at most one kept
    for batch in batches:
        chunk = [texts[i] for i in batch]
        steps = max(frames[i] for i in batch)
        started = time.perf_counter()
        prompt = max(_prompt_length(builder, text, speaker, language) for text in chunk)
        key = (len(batch), _round_up(prompt + steps + 1, CACHE_STEP))
        if key not in captured:
            captured.clear()
            _release(tts)
            captured[key] = graphs = _capture_batched(tts, *key, prefill_len=prompt)
            with _quiet():
                _run_batch(tts, builder, graphs, chunk, WARM_FRAMES, speaker, language)
        _synchronize(tts)
        setup += time.perf_counter() - started

        clock.start()
        codes = _run_batch(tts, builder, captured[key], chunk, steps, speaker, language)
        for start in range(0, len(codes), DECODE_BATCH):
            tts.model.speech_tokenizer.decode([{"audio_codes": c} for c in codes[start:start + DECODE_BATCH]])
        batch_wall, batch_peak = clock.stop()

        wall += batch_wall
        if batch_peak is not None:
            peak = batch_peak if peak is None else max(peak, batch_peak)
        short = [int(c.shape[0]) if c is not None else 0 for c in codes]
        if any(n != steps for n in short):
            raise RuntimeError(f"faster-qwen3-tts-batch made {short} frames in a batch forced to {steps}")
    captured.clear()
    _release(tts)
    return wall, peak, setup


# -- helpers ----------------------------------------------------------------------------------
def _build_fast(tts, cache_length):
    """A FasterQwen3TTS around the already-built model (what `from_pretrained` does after loading)."""
    from faster_qwen3_tts import FasterQwen3TTS
    from faster_qwen3_tts.predictor_graph import PredictorGraph
    from faster_qwen3_tts.talker_graph import TalkerGraph

    device, dtype = _placement(tts)
    talker, config = tts.model.talker, tts.model.config.talker_config
    predictor = PredictorGraph(talker.code_predictor, talker.code_predictor.model.config, config.hidden_size,
                               device=device, dtype=dtype, **PREDICTOR_SAMPLING)
    talker_graph = TalkerGraph(talker.model, config, device=device, dtype=dtype, max_seq_len=cache_length)
    with _quiet():
        return FasterQwen3TTS(base_model=tts, predictor_graph=predictor, talker_graph=talker_graph, device=device,
                              dtype=dtype, max_seq_len=cache_length)


def _input_builder(tts):
    """A FasterQwen3TTS used only for its CustomVoice input preparation, with no graphs: marked
    warmed up so that `_prepare_generation_custom` does not try to capture any."""
    from faster_qwen3_tts import FasterQwen3TTS

    device, dtype = _placement(tts)
    with _quiet():
        builder = FasterQwen3TTS(base_model=tts, predictor_graph=None, talker_graph=None, device=device, dtype=dtype)
    builder._warmed_up = True
    return builder


def _prepare(builder, text, speaker, language):
    """(talker input embeddings, attention mask, trailing text hiddens, tts pad embedding) for one text."""
    _, _, _, embeds, mask, trailing, pad = builder._prepare_generation_custom(
        text=text, language=language, speaker=speaker, instruct=None, non_streaming_mode=True)
    return embeds, mask, trailing, pad


def _prompt_length(builder, text, speaker, language) -> int:
    import torch

    with torch.inference_mode():
        return int(_prepare(builder, text, speaker, language)[0].shape[1])


def _capture_batched(tts, batch_size, cache_length, prefill_len):
    from faster_qwen3_tts_batch.batched_predictor_graph import BatchedPredictorGraph
    from faster_qwen3_tts_batch.batched_talker_graph import BatchedTalkerGraph

    device, dtype = _placement(tts)
    talker, config = tts.model.talker, tts.model.config.talker_config
    predictor = BatchedPredictorGraph(talker.code_predictor, talker.code_predictor.model.config, config.hidden_size,
                                      max_batch_size=batch_size, device=device, dtype=dtype, **PREDICTOR_SAMPLING)
    talker_graph = BatchedTalkerGraph(talker.model, config, max_batch_size=batch_size, device=device, dtype=dtype,
                                      max_seq_len=cache_length)
    with _quiet():
        predictor.capture(num_warmup=3)
        talker_graph.capture(prefill_len=prefill_len, num_warmup=3)
    return predictor, talker_graph


def _run_batch(tts, builder, graphs, chunk, steps, speaker, language):
    """Codes ([steps, 16] each) for the texts of one batch, every one forced to `steps` frames."""
    import torch

    from faster_qwen3_tts_batch.batched_generate import batched_fast_generate

    predictor, talker_graph = graphs
    with torch.inference_mode():
        inputs = [_prepare(builder, text, speaker, language) for text in chunk]
    results = batched_fast_generate(
        talker=tts.model.talker, talker_input_embeds_list=[i[0] for i in inputs],
        attention_mask_list=[i[1] for i in inputs], trailing_text_hiddens_list=[i[2] for i in inputs],
        tts_pad_embed=inputs[0][3], config=tts.model.config.talker_config, predictor_graph=predictor,
        talker_graph=talker_graph, max_new_tokens=steps, min_new_tokens=steps, **SAMPLING)
    return [codes for codes, _timing in results]


def _placement(tts):
    parameter = next(tts.model.talker.parameters())
    return str(parameter.device), parameter.dtype


def _synchronize(tts):
    import torch

    if _placement(tts)[0].startswith("cuda"):
        torch.cuda.synchronize()


def _release(tts):
    """Give the memory of dropped graphs and caches back, so that each batch's peak is its own."""
    import gc

    import torch

    gc.collect()
    if _placement(tts)[0].startswith("cuda"):
        torch.cuda.empty_cache()


def _round_up(n: int, step: int) -> int:
    return -(-n // step) * step


@contextlib.contextmanager
def _quiet():
    """Keep qwen_rtf's table readable: the packages print progress lines while capturing graphs,
    and FasterQwen3TTS warns when the model does not name its sample rate (24 kHz is right)."""
    import logging

    log = logging.getLogger("faster_qwen3_tts.model")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        log.setLevel(level)
