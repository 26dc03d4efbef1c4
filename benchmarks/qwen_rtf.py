"""Qwen3-TTS realtime factors, three ways side by side in one run.

    python benchmarks/qwen_rtf.py                          # GPU: real weights if cached, else random
    python benchmarks/qwen_rtf.py --model /path/to/Qwen3-TTS-12Hz-1.7B-CustomVoice
    python benchmarks/qwen_rtf.py --device cpu --tiny      # smoke test: tiny random model, < 1 min

RTF = wall seconds / seconds of audio (lower is faster; 1/RTF is "x realtime"), for
1. upstream qwen-tts, one text per `generate_custom_voice` call (a fixed subset of the
   segments, spread over their lengths: one at a time the whole corpus would take an hour);
2. upstream qwen-tts with lists of texts per call (--list-size, length-sorted like the engine;
   upstream takes one length per call, so every text runs to its call's longest, and the RTF
   counts only each text's own frames);
3. this project's engine (nikola_tts.engines.qwen: per-segment frame limits and sampling,
   batches sized from free memory unless --batch), decoding included everywhere.

The text: every segment of the three posts in ../shared/corpus/*.html, as nikola-tts extracts
and segments them, plus the 2,370-character Jevons passage. Every segment is forced to a fixed
number of codec frames from its length, at --chars-per-second (16: read prose) and 12.5 frames
per second, with EOS suppressed until then (min_new_tokens = max_new_tokens), so all three
methods produce the same audio length and random weights time like real ones.

Model: --model (or TTS_MODEL) naming a local folder or a downloaded hub id loads real weights.
Otherwise benchmarks/qwen_checkpoint.py writes the full-size 1.7B architecture with random
weights as a checkpoint folder in the released layout (once, into --checkpoint), with a BPE text
tokenizer trained on the corpus and Qwen's special ids. Every method loads that folder through
the engine's own loaders: upstream's (qwen_tts) for the upstream rows and the plain path, the
fast path's own (no transformers) for the fast rows. --tiny uses the tests' tiny checkpoint.

Needs torch, transformers 4.57, qwen-tts 0.1.1 (and its librosa, soundfile, einops) and, for
the corpus, beautifulsoup4 + lxml; not Nikola. Prints rows as they finish, then the table.
Expect several minutes on one GPU for the whole corpus; --methods and --max-segments cut it down.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import statistics
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_CORPUS = next((p for p in (REPO.parent / "shared" / "corpus", REPO / "shared" / "corpus") if p.is_dir()),
                      REPO.parent / "shared" / "corpus")
FRAMES_PER_SECOND = 12.5
SPEAKER = "eric"
LANGUAGE = "english"

SAMPLING = dict(do_sample=True, top_k=50, top_p=1.0, temperature=0.9, repetition_penalty=1.05,
                subtalker_dosample=True, subtalker_top_k=50, subtalker_top_p=1.0, subtalker_temperature=0.9)


# -- the text ---------------------------------------------------------------------------------
def corpus_segments(folder: Path, max_chars: int) -> tuple[list[str], int]:
    """Segments of every post in folder (as the plugin extracts them) and of the Jevons passage."""
    from nikola_tts.text.extract import extract_blocks
    from nikola_tts.text.blocks import Block
    from nikola_tts.text.segment import split_into_segments

    texts = []
    for post in sorted(folder.glob("*.html")):
        html = post.read_text(encoding="utf-8")
        title = re.search(r"^\.\. title: (.+)$", html, re.M)
        segments = split_into_segments(extract_blocks(html), max_chars, title=title.group(1) if title else None)
        texts += [s.text for s in segments]
    passage = folder / "jevons-passage.txt"
    passage_texts = []
    if passage.exists():
        paragraphs = [p.strip() for p in passage.read_text(encoding="utf-8").split("\n\n") if p.strip()]
        passage_texts = [s.text for s in split_into_segments([Block("paragraph", p) for p in paragraphs], max_chars)]
    return texts + passage_texts, len(passage_texts)


def frames_for(text: str, chars_per_second: float) -> int:
    return max(2, round(len(text) / chars_per_second * FRAMES_PER_SECOND))


# -- the model --------------------------------------------------------------------------------
def model_folder(args, texts) -> tuple[Path, str]:
    """The checkpoint folder every method loads from, and how to describe it."""
    from nikola_tts.engines.qwen import source as sources

    if args.tiny:
        sys.path.insert(0, str(REPO / "tests" / "support"))
        from tiny_qwen import build_tiny_checkpoint

        folder = Path(args.checkpoint or "/tmp/qwen3-tts-tiny-random")
        if not (folder / "speech_tokenizer" / "preprocessor_config.json").exists():
            build_tiny_checkpoint(folder)
        return folder, "random weights, tiny test architecture (tests/support/tiny_qwen.py)"
    if not args.model and not args.random and sources.cached_snapshot(sources.DEFAULT_MODEL):
        args.model = sources.DEFAULT_MODEL
    if args.model and not args.random:
        from nikola_tts.engines.qwen import loader

        source = sources.resolve(args.model)
        return loader.local_folder(source), f"real weights: {sources.identity_name(source)}"
    from qwen_checkpoint import ensure_checkpoint

    folder = ensure_checkpoint(args.checkpoint or "/tmp/qwen3-tts-random-full", texts, "cuda")
    return folder, (f"random weights, full-size 1.7B architecture, saved as a checkpoint in {folder} "
                    "(benchmarks/qwen_checkpoint.py)")


@contextlib.contextmanager
def forced_frames(tts):
    """Upstream runs: every talker.generate call steps exactly max_new_tokens times (no EOS)."""
    talker = tts.model.talker

    def generate(*args, **kwargs):
        kwargs["min_new_tokens"] = kwargs.get("max_new_tokens")
        return type(talker).generate(talker, *args, **kwargs)

    talker.generate = generate
    try:
        yield
    finally:
        del talker.generate


# -- timing -----------------------------------------------------------------------------------
@dataclass
class Row:
    method: str
    segments: str
    audio_s: float
    wall_s: float
    peak_gib: float | None = None

    def line(self) -> str:
        rtf = self.wall_s / self.audio_s if self.audio_s else float("nan")
        peak = f"{self.peak_gib:8.1f}" if self.peak_gib is not None else "       -"
        return (f"{self.method:<46} {self.segments:>14} {self.audio_s:9.1f} {self.wall_s:9.1f} {rtf:9.4f} "
                f"{1 / rtf if rtf else 0:10.2f} {peak}")


HEADER = (f"{'method':<46} {'segments':>14} {'audio s':>9} {'wall s':>9} {'RTF':>9} {'x realtime':>10} "
          f"{'peak GiB':>8}")


def emulate_card(gib: float, device: str) -> int:
    """Make this GPU look like a smaller card: a ballast tensor takes all but `gib` GiB, and
    torch.cuda.mem_get_info reports `gib` GiB in all, so every memory-based choice (slots,
    decode batch, batch sizes) is made as on that card. Returns the ballast's bytes."""
    import torch

    index = torch.device(device if device.startswith("cuda") else "cuda").index or 0
    real_total = torch.cuda.mem_get_info(index)[1]
    card = int(gib * 2 ** 30)
    ballast = torch.empty(real_total - card, dtype=torch.uint8, device=f"cuda:{index}")
    real = torch.cuda.mem_get_info
    emulate_card.ballast = ballast  # kept alive for the whole run

    def mem_get_info(device=None):
        return real(device)[0], card

    torch.cuda.mem_get_info = mem_get_info
    return ballast.numel()


class Clock:
    def __init__(self, device, ballast_bytes: int = 0):
        import torch

        self.torch, self.cuda = torch, device.type == "cuda"
        self.ballast = ballast_bytes  # not counted in the peak

    def start(self):
        if self.cuda:
            self.torch.cuda.synchronize()
            self.torch.cuda.reset_peak_memory_stats()
        self.t0 = time.perf_counter()

    def stop(self) -> tuple[float, float | None]:
        if self.cuda:
            self.torch.cuda.synchronize()
        wall = time.perf_counter() - self.t0
        peak = (self.torch.cuda.max_memory_allocated() - self.ballast) / 2 ** 30 if self.cuda else None
        return wall, peak


def upstream_one_at_a_time(tts, texts, frames, clock) -> tuple[float, float]:
    clock.start()
    with forced_frames(tts):
        for text, n in zip(texts, frames):
            tts.generate_custom_voice(text=text, speaker=SPEAKER, language=LANGUAGE, max_new_tokens=n + 1)
    return clock.stop()


def upstream_lists(tts, texts, frames, size, clock) -> tuple[float, float]:
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    clock.start()
    with forced_frames(tts):
        for start in range(0, len(order), size):
            chunk = order[start:start + size]
            longest = max(frames[i] for i in chunk)  # upstream has one length per call
            tts.generate_custom_voice(text=[texts[i] for i in chunk], speaker=SPEAKER, language=LANGUAGE,
                                      max_new_tokens=longest + 1)
    return clock.stop()


def variant_rows(speaker, prefix: str, methods, texts, frames, clock, sets) -> list["Row"]:
    """A second speaker's rows: each (method, label, chosen indices, batch) of sets whose method was asked for."""
    rows = []
    for method, label, chosen, size in sets:
        if method in methods:
            wall, peak = timed_run(speaker, [texts[i] for i in chosen], [frames[i] for i in chosen], size, clock,
                                   again=size == 1)
            rows.append(Row(f"{prefix}, {label}", f"{len(chosen)}", sum(frames[i] for i in chosen) / FRAMES_PER_SECOND,
                            wall, peak))
            print(rows[-1].line(), flush=True)
    return rows


CUBLAS_TALKER = dict(gemv_any_rows=0, fused_bytes=17 << 20)  # FastSpeaker's knobs of before session 20
PEAKED = dict(subtalker_temperature=0.05)  # the code predictor's draws dominated by its scores' order
SPEAKER_VARIANTS = (  # (method prefix, label, FastSpeaker's knobs): methods <prefix>-b1, -passage, -steps, -profile
    # every projection through cuBLAS: without the Triton GEMV on the narrow shapes (kernels.gemv_wins)
    ("cublas", "cuBLAS for every projection", dict(gemv_rows=0)),
    # the GEMV reading rows in steps of 256-512, as before session 15 (kernels.gemv_blocks)
    ("narrow", "GEMV in steps of 256-512", dict(gemv_whole_rows=False)),
    # a norm or SwiGLU and the projection after it in one launch (kernels.TritonOps): at 1 row (the default), 1-2,
    # or never (as before session 15)
    ("fused1", "norm or SwiGLU fused into the projection, 1 row", dict(fused_rows=1)),
    ("fused2", "norm or SwiGLU fused into the projection, 1-2 rows", dict(fused_rows=2)),
    ("fused0", "norm and SwiGLU launched alone", dict(fused_rows=0)),
    # ...without the talker's qkv (16.8 MB), as at dcd98f7
    ("fused13", "norm or SwiGLU fused into the projection, 1 row, to 13 MB", dict(fused_bytes=13 << 20)),
    # at one slot, each code-predictor step after the first as one persistent kernel (persistent.py; the default
    # since session 17, once compiled), its L2 prefetch a phase or two ahead (its default), a whole layer at its
    # start, or none; or layer by layer (the default before)
    ("onelaunch", "the code predictor's step in one launch at one slot", dict(one_launch_predictor=True)),
    ("layerprefetch", "the code predictor's step in one launch at one slot, L2 prefetch a layer at its start",
     dict(one_launch_predictor=True, one_launch_prefetch=2)),
    ("noprefetch", "the code predictor's step in one launch at one slot, no L2 prefetch",
     dict(one_launch_predictor=True, one_launch_prefetch=0)),
    ("layered", "the code predictor's step layer by layer", dict(one_launch_predictor=False)),
    # --other-persistent's one-launch step (persistent_from): another commit's, side by side in one process
    ("other", "the one-launch step of --other-persistent", {}),
    # the defaults of before session 20: no programmatic dependent launches (every Triton kernel begins while the
    # one before it ends, asks for its weights, then waits); the talker's o, gate_up and down left to cuBLAS
    ("before", "as before session 20: no dependent launches, the talker's o, gate_up, down by cuBLAS",
     dict(pdl=False, **CUBLAS_TALKER)),
    ("nopdl", "no programmatic dependent launches", dict(pdl=False)),
    ("cublastalker", "the talker's o, gate_up and down by cuBLAS at one row", CUBLAS_TALKER),
    # the talker's attention at one slot with each row's positions cut into ranges, a program each
    # (kernels._attend_new_split_kernel; 16, the default since session 22): one slot's 8 programs walked hundreds of
    # positions one step after another
    ("split1", "a new token's positions by one program a head", dict(attend_splits=1)),
    ("split4", "a new token's positions in 4 ranges at one slot", dict(attend_splits=4)),
    ("split8", "a new token's positions in 8 ranges at one slot", dict(attend_splits=8)),
    # at one slot, the code predictor's step 0 (two tokens) as two one-launch steps instead of layer by layer
    ("step0", "the code predictor's step 0 as two one-launch steps at one slot", dict(one_launch_first_step=True)),
    # the draws' top-k threshold looked for in every draw, not only where the draw over every code lands outside
    # the top k (kernels._draw_kernel's WINNER_FIRST, the default since session 23): random weights' scores are
    # flat, where the winner seldom is among the k largest
    ("threshold", "the top-k threshold in every draw", dict(draw_winner_first=False)),
    # at one slot, the one-launch step's attention a phase of its own, not done in its o phase by each program of
    # a key/value head with its block of o's rows (persistent.FOLD_ATTENTION, the default since session 23)
    ("apart", "the code predictor's attention a phase of its own", dict(one_launch_fold_attention=False)),
    # the code predictor's draws at temperature 0.05: peaked, as a trained model's are (random weights' scores are
    # flat, the worst case for the winner-first draw, whose threshold search then runs)
    ("peaked", "the code predictor's draws peaked (temperature 0.05)", dict(sampling=PEAKED)),
    # at one slot, the talker's down (its SwiGLU made again by every program) 2 rows a program, not 4
    # (kernels.SWIGLU_TILE, the default since session 24)
    ("swiglu16k", "the talker's down 2 rows a program", dict(swiglu_tile=16384)),
    # the defaults of session 22: the attention a phase of its own, the top-k threshold in every draw
    ("session22", "as at session 22: the attention a phase of its own, the threshold in every draw",
     dict(one_launch_fold_attention=False, draw_winner_first=False)),
    # the one-launch step on fewer programs than SMs (132 on an H100 or H200): fewer arrivals at each of its 25
    # barriers, more rows a program; H100, a frame of one slot 3.85 ms -> 5.09 at 66, 4.48 at 100
    # (2026-12-07-h100-rtf-v44-session21-variants.log)
    ("programs66", "the code predictor's one-launch step on 66 programs", dict(one_launch_programs=66)),
    ("programs100", "the code predictor's one-launch step on 100 programs", dict(one_launch_programs=100)),
    # a one-row prompt pass eagerly, not by a CUDA graph per padded length (graphs.PromptGraphs: the default since
    # session 22)
    ("eagerprompts", "one-row prompts eagerly", dict(prompt_graphs=False)),
    # at one row, the SwiGLU made again by each program of down, not once in gate_up's launch (kernels.SWIGLU_FIRST,
    # the default since session 25)
    ("swigludown", "the SwiGLU made by each program of down", dict(swiglu_first=False)),
    # the speech decoder's one-chunk calls eagerly, not by the CUDA graph captured ahead for their length
    # (speech_graphs.py, the default since session 25)
    ("eagerdecoder", "the speech decoder's one-chunk calls eagerly", dict(decoder_graphs=False)),
    # the defaults of session 21: one program a head, prompts eagerly
    ("session21", "as at session 21: one program a head, prompts eagerly",
     dict(attend_splits=1, prompt_graphs=False)),
)


# methods run on the fast path's model and speaker besides fast-* and the speaker variants' (<prefix>-*)
FAST_PATH_METHODS = ("agreement", "fp32-agreement", "decode-b1", "decode-first-calls", "decode-variants", "draw-warps",
                     "onelaunch-phases", "other-phases", "prefill-b1", "promptgraphs-check")


def wants_fast_path(methods) -> bool:
    """Whether any of `methods` needs the fast path's model loaded (a list of onelaunch-phases alone ran nothing)."""
    return any(m.startswith("fast") or m in FAST_PATH_METHODS
               or any(m.startswith(name + "-") for name, _, _ in SPEAKER_VARIANTS) for m in methods)


@contextlib.contextmanager
def persistent_from(path: Path | None):
    """The fast path's persistent.py replaced by another version's file while the block runs (--other-persistent):
    a speaker made inside steps a frame of one slot with that version's one-launch kernel, side by side with this
    checkout's in one process, on one model."""
    if path is None:
        yield
        return
    import importlib.util

    import nikola_tts.engines.qwen.fast as package
    from nikola_tts.engines.qwen.fast import persistent as current

    name = current.__name__
    spec = importlib.util.spec_from_file_location(name, path)
    other = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(other)
    sys.modules[name], package.persistent = other, other
    try:
        yield
    finally:
        sys.modules[name], package.persistent = current, current


def speaker_variant(fast, name, label, knobs, methods, texts, frames, passage, paragraph, slots, clock,
                    notes) -> list["Row"]:
    """A second FastSpeaker on the same model with other knobs: its rows, frame steps and profile at one slot."""
    from nikola_tts.audio.pcm import Audio
    from nikola_tts.engines.qwen.fast.speaker import FastSpeaker

    other = FastSpeaker(fast.model, seed=0, **knobs)
    other.prepare([_item(t) for t in texts], slots, frames)
    list(other.speak([_item("Warming up.")], 1, limits=[4], force_frames=True))
    rows = variant_rows(other, f"nikola-tts fast path, {label}", methods, texts, frames, clock, [
        (f"{name}-passage", "the passage's paragraphs", passage, slots),
        (f"{name}-b1", B1, [paragraph], 1)])
    if f"{name}-steps" in methods:
        for b, ms in frame_times(other):
            notes.append(f"frame step, {label}, {b:4d} slots: {ms:7.2f} ms")
            print(notes[-1], flush=True)
    if f"{name}-profile" in methods:
        notes.extend(f"{label}: {line}" for line in kernel_profile(other, 1, top=16))
        print("\n".join(notes[-17:]), flush=True)
    if f"{name}-same" in methods:  # the same samples as the default speaker's, at one slot and at two
        for batch, chosen in ((1, [paragraph]), (2, passage[:2])):
            mine, theirs = ([audio for _, audio in sorted(speaker.speak([_item(texts[i]) for i in chosen], batch,
                                                                        limits=[frames[i] for i in chosen],
                                                                        force_frames=True))]
                            for speaker in (other, fast))
            same = len(mine) == len(theirs) and all(isinstance(a, Audio) and a == b for a, b in zip(mine, theirs))
            notes.append(f"{label}: {batch} slot(s), {len(chosen)} segment(s): samples equal to the default's: {same}")
            print(notes[-1], flush=True)
    other.release()
    return rows


B1 = "batch 1, the median segment (its second run)"


def timed_run(speaker, texts, frames, batch, clock, again: bool = False) -> tuple[float, float]:
    """One speak() call of the engine's Speaker or the fast path's over all texts, longest first as the
    plugin hands them over, every text forced to its frames; (wall seconds, peak GiB). again: time the call's
    second run, the first untimed. The batch-1 rows do: a run's first sight of a prompt length or a decoder length
    costs 40-90 ms more than the next (H100, prefill-b1 and decode-b1: kernels loaded, cuDNN's plans made), paid
    by whichever row ran first; before session 17 that made rows of one call unequal by their order."""
    from nikola_tts.engines.qwen.generate import Item

    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    items = [Item(texts[i], SPEAKER, "English") for i in order]
    if again:
        list(speaker.speak(items, batch, limits=[frames[i] for i in order], force_frames=True))
    clock.start()
    results = dict(speaker.speak(items, batch, limits=[frames[i] for i in order], force_frames=True))
    wall, peak = clock.stop()
    failed = [r for r in results.values() if isinstance(r, Exception)]
    if failed:
        raise RuntimeError(f"{len(failed)} segments failed, e.g. {failed[0]}")
    if getattr(speaker, "stats", None):
        print(where_time_went(speaker.stats, wall), flush=True)
    return wall, peak


def where_time_went(stats: dict, wall: float) -> str:
    """A fast-path run's wall time by part, from FastSpeaker.stats: what a batch-1 run spends outside its frames."""
    steps, setup, prefill = stats["steps"], stats["setup_s"], stats["prefill_s"]
    framed = stats["generate_s"] - setup - prefill
    median = statistics.median(stats["step_s"]) * 1e3 if stats["step_s"] else float("nan")
    calls = stats["decode_calls"]
    last = calls[-1] if calls else None
    tail = (f", its last call {last.chunks} x {last.length} frames in {last.seconds * 1e3:.1f} ms,"
            f" started {(last.started - stats['generated_at']) * 1e3:+.1f} ms after the last frame") if last else ""
    return (f"  where the time went: {wall * 1e3:.1f} ms = prompts and slots {setup * 1e3:.1f}, prefills (host time) "
            f"{prefill * 1e3:.1f}, {steps} frame steps and the host's stretches {framed * 1e3:.1f} (median step "
            f"{median:.2f} ms, so {steps * median:.1f} ms of steps), after the last frame {stats['decode_tail_s'] * 1e3:.1f} "
            f"(handing over {stats['handed_s'] * 1e3:.1f}); {len(calls)} decoder calls, {stats['decode_s'] * 1e3:.1f} ms"
            f"{tail}; the rest {(wall - stats['generate_s'] - stats['decode_tail_s']) * 1e3:.1f}")


def greedy_agreement(tts, fast_greedy, texts, frames) -> tuple[float, float, int]:
    """Upstream greedy codes (one segment per call) against the fast path's, same model and dtype:
    for each, (share of all codes equal, share of frames equal before a segment's first difference).
    Also upstream in a batch of two against upstream alone: the control that shows how far bf16
    rounding alone moves greedy codes of a random-weight model (its logits are nearly flat)."""
    import torch

    from nikola_tts.engines.qwen.generate import Item

    def upstream(batch, n):
        ids = tts._tokenize_texts([tts._build_assistant_text(t) for t in batch])
        with forced_frames(tts):
            ups, _ = tts.model.generate(input_ids=ids, instruct_ids=[None] * len(batch),
                                        languages=["English"] * len(batch), speakers=[SPEAKER] * len(batch),
                                        non_streaming_mode=True, max_new_tokens=n + 1, do_sample=False,
                                        subtalker_dosample=False, repetition_penalty=1.05)
        return ups[0].cpu()

    counts = {"ours": [0, 0], "control": [0, 0]}
    total = 0
    for text, n in zip(texts, frames):
        up = upstream([text], n)
        ours = fast_greedy.generate_codes([Item(text, SPEAKER, "English")], [n], force_frames=True)[0].cpu()
        control = upstream([text, "A second, longer text shares the batch with it, as in any batch."], n)
        m = min(len(up), len(ours), len(control))
        total += m
        for name, other in (("ours", ours), ("control", control)):
            same = up[:m] == other[:m]
            rows = same.all(dim=1)
            counts[name][0] += int(same.sum())
            counts[name][1] += m if bool(rows.all()) else int(torch.argmin(rows.int()))
    return ({k: (v[0] / max(1, total * 16), v[1] / max(1, total)) for k, v in counts.items()}, total)


def prompt_graphs_check(model, text: str, frames: int) -> str:
    """graphs.PromptGraphs on the GPU: one segment three times at batch 1 in one setup (its prompt eager and padded,
    then captured at its second sight, then replayed): the samples must be equal."""
    from nikola_tts.engines.qwen.fast.speaker import FastSpeaker

    speaker = FastSpeaker(model, seed=0, prompt_graphs=True)
    runs = [[audio for _, audio in speaker.speak([_item(text)], 1, limits=[frames], force_frames=True)]
            for _ in range(3)]
    prompts = speaker._setup[1].prompts
    speaker.release()
    return (f"prompt graphs: one segment three times (eager, captured, replayed): samples equal "
            f"{runs[0] == runs[1] == runs[2]}; lengths captured {sorted(prompts.graphs)}, "
            f"capture {prompts.capture_seconds * 1e3:.0f} ms")


def frame_times(fast, repeats: int = 20) -> list[tuple[int, float]]:
    """Milliseconds per frame step, by batch size, replaying the captured graphs on idle slots."""
    import torch

    graphs = fast._setup[1]
    out = []
    for b in graphs.sizes:
        graphs.run(b)
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(repeats):
            graphs.run(b)
        end.record()
        torch.cuda.synchronize()
        out.append((b, start.elapsed_time(end) / repeats))
    return out


def kernel_profile(fast, b: int, top: int = 12) -> list[str]:
    """Kernels of one eager frame step at b slots: how many, how long on the GPU, the largest by time."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    stepper = fast._setup[1].stepper
    with torch.no_grad():
        stepper.frame(b)
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            stepper.frame(b)
            torch.cuda.synchronize()
    events = [e for e in prof.key_averages() if e.device_type.name == "CUDA" or getattr(e, "self_device_time_total", 0)]
    count = sum(e.count for e in events)
    total = sum(getattr(e, "self_device_time_total", 0) for e in events) / 1000
    lines = [f"eager frame step at {b} slots: {count} kernels, {total:.2f} ms of kernel time"]
    for e in sorted(events, key=lambda e: -getattr(e, "self_device_time_total", 0))[:top]:
        lines.append(f"  {getattr(e, 'self_device_time_total', 0) / 1000:8.3f} ms {e.count:6d}x  {e.key[:90]}")
    return lines


def profile_lines(label: str, fn, top: int = 8) -> list[str]:
    """The largest kernels of one call of fn, by GPU time."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        fn()
        torch.cuda.synchronize()
    events = [e for e in prof.key_averages() if getattr(e, "self_device_time_total", 0)]
    total = sum(e.self_device_time_total for e in events) / 1000
    lines = [f"{label}: {sum(e.count for e in events)} kernels, {total:.1f} ms of kernel time"]
    for e in sorted(events, key=lambda e: -e.self_device_time_total)[:top]:
        lines.append(f"  {e.self_device_time_total / 1000:8.2f} ms {e.count:6d}x  {e.key[:90]}")
    return lines


@contextlib.contextmanager
def bf16_convolutions(speech):
    """The speech decoder's convolutions in bfloat16 (weights, inputs, arithmetic), their outputs
    back in float32: SnakeBeta (which overflows in bfloat16) and the transformer stay as they are."""
    import torch

    convs = [m for m in speech.modules() if isinstance(m, (torch.nn.Conv1d, torch.nn.ConvTranspose1d))]
    kept = [(m, m.weight.data, None if m.bias is None else m.bias.data) for m in convs]
    for m in convs:
        m.weight.data = m.weight.data.bfloat16()
        if m.bias is not None:
            m.bias.data = m.bias.data.bfloat16()
        plain = type(m).forward.__get__(m)
        m.forward = lambda x, plain=plain: plain(x.bfloat16()).float()
    try:
        yield len(convs)
    finally:
        for m, weight, bias in kept:
            m.weight.data = weight
            if bias is not None:
                m.bias.data = bias
            m.__dict__.pop("forward", None)


def waveform_difference(reference, other) -> str:
    """How far `other` waveforms are from `reference`: the largest sample difference, and the
    signal-to-error ratio over all of them (speech_decoder.difference)."""
    from speech_decoder import difference

    worst, ratio = difference(reference, other)
    return f"max |diff| {worst:.1e}, signal to error {ratio:.1f} dB"


def decode_variants(speaker, device, shapes=((16, 300), (4, 300), (16, 464)), repeat=3) -> list[str]:
    """The speech decoder (codes -> waveforms, as Speaker.decode runs it) on its own, in float32: with
    torch's SnakeBeta activations, with the fused ones, with cuDNN autotuning on top; and with its
    convolutions in bfloat16, against the float32 samples."""
    import torch

    from nikola_tts.engines.qwen.fast import snake
    from nikola_tts.engines.qwen.fast.speech import fold_padding

    speech = speaker.model.speech
    fold_padding(speech, on=False)  # the speaker folded them: start from upstream's way
    g = torch.Generator(device=device).manual_seed(3)
    lines = []

    def timed(fn) -> float:
        fn()
        torch.cuda.synchronize()
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            fn()
            torch.cuda.synchronize()
            times.append(time.perf_counter() - started)
        return sorted(times)[len(times) // 2]

    for batch, frames in shapes:
        codes = [torch.randint(0, 2048, (frames, 16), device=device, generator=g) for _ in range(batch)]
        run = lambda: speaker.decode(codes)  # noqa: E731
        snake.unfuse(speech)
        before = run()
        variants = [("float32, torch activations", timed(run))]
        if batch == 16 and frames == 300:
            lines.extend(profile_lines(f"decode {batch}x{frames}, torch activations", run))
            print("\n".join(lines), flush=True)
        fused = snake.fuse(speech)
        after = run()
        diff = max(float(abs(a - b).max()) for a, b in zip(before, after))
        variants.append((f"float32, {fused} activations fused (max |diff| {diff:.1e})", timed(run)))
        if batch == 16 and frames == 300:
            lines.extend(profile_lines(f"decode {batch}x{frames}, fused activations", run))
            print("\n".join(lines[-9:]), flush=True)
        torch.backends.cudnn.benchmark = True
        variants.append(("float32, fused, cuDNN autotuned (steady shape)", timed(run)))
        torch.backends.cudnn.benchmark = False
        folded = fold_padding(speech)
        after_fold = run()
        diff = max(float(abs(a - b).max()) for a, b in zip(after, after_fold))
        variants.append((f"float32, fused, {folded} causal paddings folded into cuDNN (max |diff| {diff:.1e})",
                         timed(run)))
        if batch == 16 and frames == 300:
            lines.extend(profile_lines(f"decode {batch}x{frames}, fused activations, paddings folded", run))
            print("\n".join(lines[-9:]), flush=True)
        fold_padding(speech, on=False)
        with bf16_convolutions(speech) as convs:
            variants.append((f"fused, {convs} convolutions in bfloat16 ({waveform_difference(after, run())})",
                             timed(run)))
        for label, seconds in variants:
            lines.append(f"decode {batch:2d} x {frames} frames, {label}: {1000 * seconds:8.1f} ms, "
                         f"{1000 * seconds / (batch * frames):.4f} ms per frame")
            print(lines[-1], flush=True)
    fold_padding(speech, on=bool(speaker.decoder_forms.folded))  # as the speaker had it
    return lines


def decoder_calls(stats: dict) -> str:
    """The speech decoder's calls in a run: how many, how many shapes, how much of what they decoded was padding
    (each call pads its chunks to one length), and those after the last frame: how many frames, at what rate."""
    calls = stats.get("decode_calls")
    if not calls:
        return ""
    padded = sum(call.chunks * call.length for call in calls)
    useful = sum(call.frames for call in calls)
    shapes = len({(call.chunks, call.length) for call in calls})
    tail = [call for call in calls if call.started + call.seconds > stats["generated_at"]]
    tail_padded = sum(call.chunks * call.length for call in tail)
    tail_busy = sum(call.seconds for call in tail)
    return (f"; {len(calls)} decoder calls of {useful / sum(call.chunks for call in calls):.0f} frames a chunk on "
            f"average, {shapes} shapes, {1 - useful / max(1, padded):.0%} of their frames padding; after the last "
            f"frame {len(tail)} calls ended, {tail_padded} frames in {tail_busy:.2f} s of calls "
            f"({1e3 * tail_busy / max(1, tail_padded):.3f} ms a frame)")


def decoder_form_rows(fast, forms, texts, frames, passage, slots, clock, notes, occupancy) -> list["Row"]:
    """The corpus and the passage with the speech decoder in each of `forms` (from the checkpoint's float32
    weights: speech.decoder_precision, speech.transposed_as_matmul, with "+units" waveform.fuse_units), then in
    the fast path's own forms again."""
    import torch

    from nikola_tts.engines.qwen.fast.speech import decoder_precision, load_speech_decoder, transposed_as_matmul
    from nikola_tts.engines.qwen.fast.waveform import fuse_units

    speech = fast.model.speech
    own = fast.decoder_forms
    own_state = {name: tensor.clone() for name, tensor in speech.state_dict().items()}
    exact = load_speech_decoder(fast.model.folder / "speech_tokenizer", fast.device)[0].state_dict()
    rows = []
    try:
        for form in forms:
            decoder_precision(speech, torch.float32)
            speech.load_state_dict(exact)
            dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(form.split("+")[0])
            if dtype is not None:
                decoder_precision(speech, dtype)
            transposed_as_matmul(speech, "matmul" in form)
            speech.waveform = None
            if "+units" in form and not fuse_units(speech):
                raise RuntimeError(f"decoder form {form}: the fused residual units failed their check")
            for label, chosen in (("corpus", range(len(texts))), ("passage", passage)):
                wall, peak = timed_run(fast, [texts[i] for i in chosen], [frames[i] for i in chosen], slots, clock)
                rows.append(Row(f"nikola-tts fast path, decoder {form}, {label}", f"{len(chosen)}",
                                sum(frames[i] for i in chosen) / FRAMES_PER_SECOND, wall, peak))
                print(rows[-1].line(), flush=True)
                if label == "corpus":
                    notes.append(occupancy(f"fast path (decoder {form})"))
                    print(notes[-1], flush=True)
    finally:
        decoder_precision(speech, own.dtype)
        speech.load_state_dict(own_state)
        transposed_as_matmul(speech, own.matmuls > 0)
        speech.waveform = None
        if own.units:
            fuse_units(speech)
    return rows


def decode_first_calls(speaker, device, batches=(1, 4)) -> list[str]:
    """A decoder call at a shape not seen before against the same call again: what the first sight
    of a new length costs (cuDNN execution plans, kernels loaded on first use). A run meets a new
    length with nearly every segment's last chunk; a one-paragraph edit's whole decode is such a
    call. Three ways, each at lengths of its own: as the decoder runs; its depthwise convolutions
    (ConvNeXt) without cuDNN; no cuDNN in the decoder at all."""
    import torch

    from nikola_tts.engines.qwen.fast.speech import ConvNeXt

    speech = speaker.model.speech
    depthwise = [m.dwconv for m in speech.modules() if isinstance(m, ConvNeXt)]

    def no_cudnn(module):
        forward = module.forward

        def without(x):
            with torch.backends.cudnn.flags(enabled=False):
                return forward(x)
        module.forward = without

    g = torch.Generator(device=device).manual_seed(4)
    lines = []
    ways = [("cuDNN", (286, 203), lambda: None), ("depthwise without cuDNN", (287, 211), lambda: [no_cudnn(m) for m in depthwise]),
            ("no cuDNN", (291, 219), lambda: no_cudnn(speech))]
    for label, lengths, switch in ways:
        switch()
        for batch in batches:
            for frames in lengths:
                codes = [torch.randint(0, 2048, (frames, 16), device=device, generator=g) for _ in range(batch)]
                times = []
                for _ in range(3):
                    torch.cuda.synchronize()
                    started = time.perf_counter()
                    speech.decode_chunks([(c, 0) for c in codes])
                    torch.cuda.synchronize()
                    times.append(time.perf_counter() - started)
                lines.append(f"decode {batch} x {frames} frames, {label}, a new shape: first call "
                             f"{1000 * times[0]:7.1f} ms, then {1000 * times[1]:7.1f} and {1000 * times[2]:7.1f} ms")
                print(lines[-1], flush=True)
        for module in [speech, *depthwise]:
            module.__dict__.pop("forward", None)
    return lines


def decode_one_segment(speaker, device, lengths=(128, 176, 325)) -> list[str]:
    """The decoding after a batch-1 run's last frame: one segment of one chunk through the speech decoder. Its first
    call at the length, then the median of five more; the host's time to launch it all (no sync) and the GPU's
    kernel time (profiler): a call whose wall time is its launches' is bound by the host, not the GPU. Then the same
    call by its CUDA graph (speech_graphs.py, on the decoding thread, as a run's decoder calls it), and its samples
    against the eager call's at the graph's padded length and at the segment's own."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    model = speaker.model
    speech = model.speech
    g = torch.Generator(device=device).manual_seed(5)
    lines = []
    for frames in lengths:
        codes = torch.randint(0, 2048, (frames, 16), device=device, generator=g)
        walls = []
        for _ in range(6):
            torch.cuda.synchronize()
            started = time.perf_counter()
            speech.decode_chunks([(codes, 0)])
            walls.append(time.perf_counter() - started)
        batch = codes[None].transpose(1, 2).contiguous()
        with torch.inference_mode():
            torch.cuda.synchronize()
            started = time.perf_counter()
            speech(batch)
            launched = time.perf_counter() - started
            torch.cuda.synchronize()
            synced = time.perf_counter() - started
            with profile(activities=[ProfilerActivity.CUDA]) as prof:
                speech(batch)
                torch.cuda.synchronize()
        events = [e for e in prof.key_averages() if getattr(e, "self_device_time_total", 0)]
        kernels = sum(e.count for e in events)
        gpu = sum(e.self_device_time_total for e in events) / 1000
        lines.append(f"decode 1 x {frames} frames: first call {walls[0] * 1e3:6.1f} ms, then {statistics.median(walls[1:]) * 1e3:6.1f}"
                     f" ms; its forward launched in {launched * 1e3:6.1f} ms, done {synced * 1e3:6.1f} ms; {kernels} kernels,"
                     f" {gpu:6.1f} ms of kernel time")
        print(lines[-1], flush=True)
        if model.decoder_graphs is not None:
            lines.append(graph_decode(model, codes))
            print(lines[-1], flush=True)
    return lines


def graph_decode(model, codes) -> str:
    """A one-chunk decoder call by its graph, on the decoding thread: the median of five calls after the capture, and
    its samples against the eager call's (max |difference|)."""
    import numpy as np
    import torch

    from nikola_tts.engines.qwen.fast.decode import padded_length

    frames = int(codes.shape[0])
    length = padded_length(frames)
    graphs = model.decoder_graphs
    started = time.perf_counter()
    model.decoding.submit(graphs.capture, [length]).result()
    captured_s = time.perf_counter() - started

    def timed():
        torch.cuda.synchronize()
        begun = time.perf_counter()
        wave = graphs.decode_chunks([(codes, 0)], length)[0]
        return time.perf_counter() - begun, wave

    runs = [model.decoding.submit(timed).result() for _ in range(6)]
    eager = {n: model.decoding.submit(model.speech.decode_chunks, [(codes, 0)], n).result()[0]
             for n in (length, frames)}
    graphed = runs[-1][1]
    diffs = ", ".join(f"{float(np.abs(graphed - eager[n]).max()):.1e} at {n}" for n in eager)
    return (f"decode 1 x {frames} frames by its graph (padded to {length}; captured in {captured_s * 1e3:.0f} ms): "
            f"{statistics.median(t for t, _ in runs[1:]) * 1e3:6.1f} ms a call; samples against the eager call's: "
            f"max |diff| {diffs}")


def prefill_one_segment(speaker, texts) -> list[str]:
    """A batch-1 run's prefill (the prompt through the talker, eager, and its first code), for segments whose prompt
    lengths the process has not seen: its first call, then again; the host's time to launch it (no sync)."""
    import torch

    from nikola_tts.engines.qwen.fast.forward import NewSegment

    from torch.profiler import ProfilerActivity, profile

    stepper = speaker._setup[1].stepper
    lines = []
    for n, text in enumerate(texts):
        prompt = speaker.prompts([_item(text)])[0]
        walls, launches = [], []
        for again in range(3):
            torch.cuda.synchronize()
            with profile(activities=[ProfilerActivity.CPU]) if n == 0 and again == 0 else contextlib.nullcontext() as prof:
                started = time.perf_counter()
                stepper.prefill([NewSegment(0, prompt.embeds, prompt.pad, 100, 0, True)])
                launches.append(time.perf_counter() - started)
                torch.cuda.synchronize()
                walls.append(time.perf_counter() - started)
            if prof is not None:  # where a first call's host time goes
                for e in sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)[:10]:
                    lines.append(f"  first prefill, host: {e.self_cpu_time_total / 1000:8.2f} ms {e.count:5d}x  {e.key[:80]}")
                print("\n".join(lines), flush=True)
        stepper.s.active.zero_()
        lines.append(f"prefill of {int(prompt.embeds.shape[1])} prompt tokens: first call {walls[0] * 1e3:6.1f} ms, then "
                     f"{walls[1] * 1e3:6.1f} and {walls[2] * 1e3:6.1f} ms, of which launching {launches[2] * 1e3:6.1f} ms")
        print(lines[-1], flush=True)
    return lines


def kernel_check(device, dtype) -> list[str]:
    """Each fused Triton kernel against the torch ops it replaces, on fresh random inputs: relative error."""
    import torch

    from nikola_tts.engines.qwen.fast.kernels import TritonOps
    from nikola_tts.engines.qwen.fast.ops import TorchOps

    fused, plain = TritonOps(), TorchOps()
    g = torch.Generator(device=device).manual_seed(1)

    def rand(*shape, dt=dtype):
        return torch.randn(*shape, device=device, dtype=torch.float32, generator=g).to(dt)

    def rel(a, b):
        a, b = a.float(), b.float()
        return float((a - b).norm() / b.norm().clamp_min(1e-30))

    out = []
    x, d, w = rand(37, 1, 2048), rand(37, 1, 2048), rand(2048)
    out.append(f"kernel norm      rel err {rel(fused.norm(x, w, 1e-6), plain.norm(x, w, 1e-6)):.2e}")
    a, b = fused.add_norm(x, d, w, 1e-6), plain.add_norm(x, d, w, 1e-6)
    out.append(f"kernel add_norm  rel err {max(rel(a[0], b[0]), rel(a[1], b[1])):.2e}")
    qkv = rand(5, 3, 32 * 128)[..., : 16 * 128].reshape(5, 3, 16, 128)
    cos, sin = rand(5, 3, 128), rand(5, 3, 128)
    wh = rand(128)
    out.append(f"kernel heads     rel err {rel(fused.heads(qkv, wh, 1e-6, cos, sin), plain.heads(qkv, wh, 1e-6, cos, sin)):.2e}")
    cache_k, cache_v = rand(2, 9, 8, 640, 128), rand(2, 9, 8, 640, 128)
    q = rand(7, 16, 1, 128)
    last = torch.randint(0, 640, (7,), device=device, generator=g)
    out.append(f"kernel attend    rel err {rel(fused.attend(q, cache_k[1, :7], cache_v[1, :7], last, 128 ** -0.5), plain.attend(q, cache_k[1, :7], cache_v[1, :7], last, 128 ** -0.5)):.2e}")
    kv_new, caches = rand(7, 1, 2 * 8 * 128).view(7, 1, 2, 8, 128), [rand(7, 8, 640, 128) for _ in range(4)]
    positions = torch.randint(0, 640, (7,), device=device, generator=g)
    for c in (caches[0], caches[2]):
        c.copy_(caches[0])
    caches[3].copy_(caches[1])
    cos1, sin1 = rand(7, 1, 128), rand(7, 1, 128)
    fused.store_kv(kv_new[:, :, 0], kv_new[:, :, 1], wh, 1e-6, cos1, sin1, caches[0], caches[1], positions)
    plain.store_kv(kv_new[:, :, 0], kv_new[:, :, 1], wh, 1e-6, cos1, sin1, caches[2], caches[3], positions)
    out.append(f"kernel store_kv  rel err k {rel(caches[0], caches[2]):.2e}, v {rel(caches[1], caches[3]):.2e}")
    q_new, k_new, v_new = rand(7, 1, 32 * 128).split([16 * 128, 8 * 128, 8 * 128], dim=-1)
    q_new, k_new, v_new = q_new.view(7, 1, 16, 128), k_new.view(7, 1, 8, 128), v_new.view(7, 1, 8, 128)
    new_caches = [c.clone() for c in (caches[2], caches[3], caches[2], caches[3])]
    a = fused.attend_new(q_new, k_new, v_new, wh, wh, 1e-6, cos1, sin1, new_caches[0], new_caches[1], positions, 128 ** -0.5)
    b = plain.attend_new(q_new, k_new, v_new, wh, wh, 1e-6, cos1, sin1, new_caches[2], new_caches[3], positions, 128 ** -0.5)
    out.append(f"kernel attend_new rel err {rel(a, b):.2e}, k {rel(new_caches[0], new_caches[2]):.2e}, "
               f"v {rel(new_caches[1], new_caches[3]):.2e}")
    gu = rand(7, 1, 2 * 6144)
    out.append(f"kernel silu_mul  rel err {rel(fused.silu_mul(gu), plain.silu_mul(gu)):.2e}")
    scores = rand(9, 3072, dt=torch.float32)
    keys = torch.randint(0, 2 ** 32, (9,), device=device, generator=g)
    frame = torch.randint(0, 500, (9,), device=device, generator=g)
    same = [torch.equal(fused.sample(scores[:, :vocab], keys, counters, 0.9, top_k, None),
                        plain.sample(scores[:, :vocab], keys, counters, 0.9, top_k, None))
            for vocab, counters, top_k in ((2048, (2, frame, 3), 50), (3072, (1, 0, frame), 50), (2048, (2, frame, 5), None))]
    out.append(f"kernel sample    same codes as torch (predictor, talker, no top-k): {same}")
    small = TritonOps()
    for rows, k, n, bias in ((1, 1024, 4096, False), (2, 2048, 1024, True), (8, 3072, 1024, False)):
        xs, ws, bs = rand(rows, 1, k), rand(n, k), rand(n) if bias else None
        out.append(f"kernel gemv {rows}x{k}->{n}{' +bias' if bias else ''} rel err "
                   f"{rel(small.gemv(xs, ws, bs), plain.linear(xs, ws, bs)):.2e}")
    joined = TritonOps(fused_rows=2, fused_bytes=1 << 30)  # every shape that fits one step
    for rows, k, n in ((1, 1024, 4096), (2, 1024, 6144), (1, 2048, 3072), (1, 2048, 4096)):
        xs, ds, nw, ws = rand(rows, 1, k), rand(rows, 1, k), rand(k), rand(n, k)
        a, b = joined.add_norm_linear(xs, ds, nw, 1e-6, ws), plain.add_norm_linear(xs, ds, nw, 1e-6, ws)
        out.append(f"kernel norm+gemv {rows}x{k}->{n} fused {joined._fused_blocks(xs, k, ws) is not None}: rel err "
                   f"sum {rel(a[0], b[0]):.2e}, out {rel(a[1], b[1]):.2e}")
    gu, wd = rand(1, 1, 2 * 3072), rand(1024, 3072)
    out.append(f"kernel swiglu+gemv 1x3072->1024 fused {joined._fused_blocks(gu, 3072, wd) is not None}: rel err "
               f"{rel(joined.silu_mul_linear(gu, wd), plain.silu_mul_linear(gu, wd)):.2e}")
    for k, i in ((1024, 3072), (2048, 6144)):  # the code predictor's MLP, the talker's
        xs, ds, nw, wgu, wd = rand(1, 1, k), rand(1, 1, k), rand(k), rand(2 * i, k), rand(k, i) / i ** 0.5
        down_made = TritonOps(fused_rows=1, fused_bytes=1 << 30, swiglu_first=False)
        mlp = [ops.add_norm_mlp(xs, ds, nw, 1e-6, wgu, wd) for ops in (joined, down_made, plain)]
        out.append(f"kernel norm+mlp 1x{k}->{i}->{k}, SwiGLU in gate_up's launch: rel err "
                   f"{rel(mlp[0][1], mlp[2][1]):.2e} (in each of down's: {rel(mlp[1][1], mlp[2][1]):.2e}), sum "
                   f"{rel(mlp[0][0], mlp[2][0]):.2e}")
    return out


def one_launch_check(weights) -> list[str]:
    """persistent.py's one-launch step on the model's code predictor against its launch per phase (the same
    arithmetic: equal scores) and against the layers run one by one (torch's ops), on random inputs and caches."""
    import torch

    from nikola_tts.engines.qwen.fast import persistent
    from nikola_tts.engines.qwen.fast.slots import predictor_positions
    from nikola_tts.engines.qwen.fast.layers import new_token
    from nikola_tts.engines.qwen.fast.ops import TorchOps

    p, heads = weights.predictor, weights.residual_heads
    g = torch.Generator(device=weights.device).manual_seed(2)

    def rand(*shape):
        return torch.randn(*shape, device=weights.device, generator=g).to(weights.dtype)

    caches = [rand(len(p.layers), 1, p.kv_heads, predictor_positions(weights), p.head_dim) for _ in range(2)]
    out = []

    def specializations() -> int:  # the kernel's compiled specializations in this process (Triton 3.3+'s cache)
        return len(persistent._predictor_step_kernel.device_caches[torch.cuda.current_device()][0])

    # compiled ahead (as FastSpeaker does, in a thread), the run's first launch must find it compiled: milliseconds,
    # and no specialization of its own
    unused = 2  # a prefetch, so a specialization, that nothing before has compiled in this process
    before = specializations()
    started = time.perf_counter()
    persistent.compile_ahead(p, heads, predictor_positions(weights), unused)
    ahead = time.perf_counter() - started
    compiled = specializations()
    runner = persistent.PersistentPredictor(p, heads, *[c.clone() for c in caches], prefetch=unused)
    runner.new_frame()
    started = time.perf_counter()
    runner.step(rand(1, 1, int(p.layers[0].qkv.shape[1])), 1, 2)
    torch.cuda.synchronize()
    out.append(f"kernel one-launch predictor compiled ahead in {ahead:.2f} s ({compiled - before} new "
               f"specializations; from Triton's disk cache if it was there); the first launch on the run's own caches "
               f"then took {(time.perf_counter() - started) * 1e3:.1f} ms and added {specializations() - compiled} "
               f"specializations (0: it is the one compiled ahead)")
    print(out[-1], flush=True)
    for step in (1, 7, 14):
        position = step + 1
        x = rand(1, 1, int(p.layers[0].qkv.shape[1]))
        plain = TorchOps()
        ref = [c.clone() for c in caches]
        cos, sin = p.cos[position][None, None], p.sin[position][None, None]
        h, delta = new_token(plain, p, x, cos, sin, ref[0][:, :1, :, :position + 1], ref[1][:, :1, :, :position + 1],
                             torch.tensor([position], device=x.device),
                             torch.zeros(1, 1, 1, 1, dtype=torch.bool, device=x.device))
        expected = plain.add_norm_linear(h[:, -1], delta[:, -1], p.norm, p.eps, heads[step])[1]

        def rel(a, b):
            return float((a.float() - b.float()).norm() / b.float().norm().clamp_min(1e-30))

        for fold in (False, True):
            results = []
            for launch in (True, False):
                mine = [c.clone() for c in caches]
                runner = persistent.PersistentPredictor(p, heads, *mine, persistent=launch, fold_attention=fold)
                runner.new_frame()
                scores = runner.step(x, step, position)
                try:
                    runner.check()
                except RuntimeError as exc:
                    out.append(f"kernel one-launch predictor step {step}: {exc}")
                results.append((scores, mine))
            (one, one_caches), (phased, phased_caches) = results
            same = torch.equal(one, phased) and all(torch.equal(a, b) for a, b in zip(one_caches, phased_caches))
            out.append(f"kernel one-launch predictor step {step}{', attention folded into o' if fold else ''}: the "
                       f"launch per phase's scores and caches {same}; against the layers: scores rel err "
                       f"{rel(one, expected):.2e}, k {rel(one_caches[0], ref[0]):.2e}, "
                       f"v {rel(one_caches[1], ref[1]):.2e}")
    return out


ONE_LAUNCH_FORMS = (  # (label, persistent.PersistentPredictor's knobs) for onelaunch-phases; the first is the
    # reference. Tried in session 18 and dropped, at 3bb4ca0 (2026-12-06-h100-rtf-v37-tunings.log): each phase's
    # first chunk loaded before the barrier, barriers polled with loads, a prefetch a phase or two ahead each. Tried
    # in session 24 and dropped, at ae8790b (2026-12-07-h100-rtf-v54-preload-phases.log): each phase's first chunk
    # asked for between the program's arrival and its wait (171 us a step against 119 for qkv and down; every
    # phase, 132), qkv and down each one chunk (125); barriers polled by one thread with relaxed loads and one
    # fence after, as CUDA's grid sync does (a frame of one slot 3.54 ms against 3.46, H200,
    # 2026-12-07-h200-rtf-v55-relaxed-polls.log; in history at 6505b58). Tried in session 25 and dropped, at 550ebf3
    # (2026-12-07-h100-rtf-v59-chunks-ahead.log): each phase's second chunk asked for with its first, before the
    # phase makes its input (121.7 us a step against 116.4)
    ("L2 prefetch a phase or two ahead, the attention folded into o (the default)", dict(prefetch=1)),
    ("no L2 prefetch", dict(prefetch=0)),
    ("L2 prefetch a layer at its start", dict(prefetch=2)),
    ("the attention a phase of its own (the default before session 23)", dict(prefetch=1, fold_attention=False)),
    # a diagnostic, not a form: the step of the first layer alone, whose 30 MB of weights stay in L2 from step to
    # step, so its phases' work is what they take once their weights are in L2 (its scores are another model's).
    # H100: 23.4 us a step, about what a layer of the five-layer step takes (116.8 us)
    # (2026-12-07-h100-rtf-v56-down-tile-and-l2-diagnostic.log)
    ("one layer, its weights in L2 (a diagnostic)", dict(layers=1)),
)


def replayed_us(graph, repeats: int, steps: int) -> float:
    """A captured graph replayed `repeats` times between two events: us for each of its `steps` steps."""
    import torch

    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(repeats):
        graph.replay()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) * 1e3 / (repeats * steps)


def one_launch_phases(weights, forms=ONE_LAUNCH_FORMS, repeats: int = 20) -> list[str]:
    """persistent.py's one-launch step in each form: a frame's 14 steps captured as one CUDA graph and replayed (us
    a step), its scores against the first's; then where a step's time goes, phase by phase, for the first and for
    each form whose phases are others (phase_table)."""
    import torch

    from nikola_tts.engines.qwen.fast import persistent
    from nikola_tts.engines.qwen.fast.slots import predictor_positions

    p, heads = weights.predictor, weights.residual_heads
    g = torch.Generator(device=weights.device).manual_seed(3)

    def rand(*shape):
        return torch.randn(*shape, device=weights.device, generator=g).to(weights.dtype)

    caches = [rand(len(p.layers), 1, p.kv_heads, predictor_positions(weights), p.head_dim) for _ in range(2)]
    x = rand(1, 1, int(p.layers[0].qkv.shape[1]))

    def runner_for(knobs, timed=False):  # knobs' `layers`: the first few layers alone (a diagnostic)
        knobs = dict(knobs)
        stack = replace(p, layers=p.layers[:knobs.pop("layers", len(p.layers))])
        return persistent.PersistentPredictor(stack, heads, *[c[:len(stack.layers)].clone() for c in caches],
                                              timed=timed, **knobs)

    out, reference = [], None
    for label, knobs in forms:
        runner = runner_for(knobs)
        runner.new_frame()
        runner.step(x, 1, 2)  # compiled here if it was not
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            runner.new_frame()
            scores = [runner.step(x, j, j + 1) for j in range(1, int(heads.shape[0]))]
        graph.replay()
        torch.cuda.synchronize()
        runner.check()
        step_us = replayed_us(graph, repeats, len(scores))
        last = torch.cat(scores)
        whole = len(runner.stack.layers) == len(p.layers)  # else a diagnostic's: another model's scores
        reference = last if reference is None and whole else reference
        err = (f"scores rel err {float((last - reference).norm() / reference.norm()):.1e} against the first's"
               if whole else f"{len(runner.stack.layers)} layer(s)")
        out.append(f"one-launch step, {label}: {step_us:6.1f} us a step ({step_us * len(scores) / 1e3:.3f} ms for "
                   f"a frame's {len(scores)}), {err}")
        print(out[-1], flush=True)
        del graph
    # another commit's persistent.py (--other-persistent) may have no fold_attention: five phases a layer
    names = getattr(persistent, "PHASE_NAMES", {False: ("qkv", "attention", "o", "gate_up", "down")})
    tabled = set()
    for label, knobs in forms:  # a table for each form but another prefetch
        fold = knobs.get("fold_attention", getattr(persistent, "FOLD_ATTENTION", False))
        form = (fold, *sorted((k, v) for k, v in knobs.items() if k not in ("prefetch", "fold_attention")))
        if form in tabled:
            continue
        tabled.add(form)
        runner = runner_for(knobs, timed=True)
        for _ in range(3):  # the last launch's stamps are read
            runner.new_frame()
            runner.step(x, 7, 8)
        torch.cuda.synchronize()
        out.extend(f"one-launch step, {label}: {line}"
                   for line in phase_table(runner.times.cpu(), len(runner.stack.layers), names[fold]))
        print("\n".join(out[-(len(names[fold]) + 2):]), flush=True)
    return out


def phase_table(times, layers: int, names: tuple[str, ...]) -> list[str]:
    """From each program's stamps (persistent._stamp: a phase's start and its arrival at the barrier after it),
    per kind of phase, the median over layers of: the median program's work, the slowest program's, the slowest
    arrival after the median one, and the barrier's release after the last arrival (us); the head after them."""
    import torch

    starts, ends = times[:, 0::2].double(), times[:, 1::2].double()
    phases = starts.shape[1]
    kinds: dict[str, list[tuple[float, float, float, float]]] = {}
    for phase in range(phases):
        name = names[phase % len(names)] if phase < layers * len(names) else "head"
        work = ends[:, phase] - starts[:, phase]
        last = float(ends[:, phase].max())
        late = last - float(ends[:, phase].median())
        release = float(starts[:, phase + 1].median()) - last if phase + 1 < phases else 0.0
        kinds.setdefault(name, []).append((float(work.median()), float(work.max()), late, release))
    span = float(ends[:, -1].max() - starts[:, 0].min()) / 1e3
    lines = [f"a step's span {span:.1f} us over {phases} phases; per kind (median over layers), us: median "
             f"program's work / slowest program's / last arrival after the median / barrier's release after it"]
    for name, values in kinds.items():
        cols = torch.tensor(values).median(dim=0).values / 1e3
        lines.append(f"  {name:9s} x{len(values)}: {cols[0]:6.2f} / {cols[1]:6.2f} / {cols[2]:6.2f} / {cols[3]:6.2f}")
    return lines


# (warps, the draw over every code first) for draw-warps: the default first
DRAW_FORMS = ((8, True), (4, True), (8, False), (4, False), (16, False))


def draw_warps(device, repeats: int = 200) -> list[str]:
    """The draw kernel (kernels._draw_kernel) at one row, top-k 50, at the code predictor's and the talker's vocab,
    for flat scores (N(0, 1): the unfiltered winner seldom among the 50 largest) and peaked ones (N(0, 64)), by
    warps and by whether it draws over every code first (DRAW_FORMS, kernels.DRAW_WARPS first): us a draw (a CUDA
    graph of `repeats` draws, each its own noise), and whether the codes equal the first's."""
    import torch

    from nikola_tts.engines.qwen.fast.kernels import TritonOps

    out = []
    g = torch.Generator(device=device).manual_seed(4)
    for vocab in (2048, 3072):
        for scale, name in ((1.0, "flat"), (8.0, "peaked")):
            scores = torch.randn(1, vocab, device=device, generator=g) * scale
            keys = torch.tensor([12345], device=device)
            codes = {}
            for warps, winner_first in DRAW_FORMS:
                ops = TritonOps(draw_warps=warps, draw_winner_first=winner_first)
                got = torch.cat([ops.sample(scores, keys, (7, j, 3), 0.9, 50, None) for j in range(64)])
                first = codes.setdefault("first", got)
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph):
                    for j in range(repeats):
                        ops.sample(scores, keys, (7, j, 3), 0.9, 50, None)
                graph.replay()
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                graph.replay()
                end.record()
                torch.cuda.synchronize()
                how = "winner first" if winner_first else "threshold first"
                out.append(f"draw, vocab {vocab}, {name} scores, top-k 50, {warps} warps, {how}: "
                           f"{start.elapsed_time(end) * 1e3 / repeats:5.1f} us, codes equal the first's "
                           f"{torch.equal(got, first)}")
                print(out[-1], flush=True)
    return out


def spread(count: int, total: int) -> list[int]:
    """count indices spread evenly over range(total) (over the lengths, once sorted)."""
    if count >= total:
        return list(range(total))
    return sorted({round(i * (total - 1) / max(count - 1, 1)) for i in range(count)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=os.environ.get("TTS_MODEL"),
                        help="folder or downloaded hub id with real weights (default: the released model if it is "
                             "in the Hugging Face cache, else random weights)")
    parser.add_argument("--random", action="store_true", help="random weights even where real ones are present")
    parser.add_argument("--checkpoint", default=None, help="where the random checkpoint is written (once)")
    parser.add_argument("--tiny", action="store_true", help="tiny random model (smoke test)")
    parser.add_argument("--device", default="auto", help="auto, cuda, cuda:N, mps or cpu")
    parser.add_argument("--dtype", default=None, help="bfloat16, float16 or float32 (default: the engine's choice)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--chars-per-second", type=float, default=None, help="16; 200 with --tiny")
    parser.add_argument("--max-segments", type=int, default=None,
                        help="a sample of this many segments, spread over the corpus (default all; 24 with --tiny)")
    parser.add_argument("--subset", type=int, default=4, help="segments for the one-at-a-time upstream run")
    parser.add_argument("--list-size", type=int, default=64, help="texts per upstream call")
    parser.add_argument("--batch", type=int, default=None, help="engine batch size (default: from free memory)")
    parser.add_argument("--max-chars", type=int, default=None,
                        help="the longest segment, as TTS_ENGINE_OPTIONS['max_chars'] sets it (default: the engine's)")
    parser.add_argument("--repeat", type=int, default=1, help="the corpus this many times over (a longer backlog)")
    parser.add_argument("--card-gib", type=float, default=None,
                        help="behave as on a card with this much memory (e.g. 24 for a 4090 or P40): the rest is "
                             "taken by a ballast tensor and memory queries report this size")
    parser.add_argument("--slots", type=int, default=None, help="fast path slots (default: all segments, memory allowing)")
    parser.add_argument("--other-persistent", type=Path, default=None,
                        help="another version of the fast path's persistent.py (git show REV:...): methods other-b1, "
                             "other-steps, other-same and other-phases run a speaker, and the one-launch step, with it")
    parser.add_argument("--methods", default="upstream1,upstream-lists,engine",
                        help="comma-separated: upstream1, upstream-lists, upstream-passage, upstream-b1, engine, fast, "
                             "fast-passage, fast-b1, fast-gpus, fast-torchops, fast-steps, fast-profile, fast-kernels, "
                             "fast-unfused, fast-wholedecode, fast-normalprio, fast-lazydecode, fast-anylength, fast-decoder-forms, cublas-b1, cublas-passage, prefill-b1, decode-b1, onelaunch-phases, promptgraphs-check, draw-warps, decode-first-calls, decode-variants, "
                             "agreement, fp32, "
                             "fp32-passage, fp32-b1, fp32-agreement, faster-b1, faster-batch, faster-batch-passage")
    parser.add_argument("--decoder-forms", default="fp32,fp16+matmul",
                        help="fast-decoder-forms: the speech decoder's forms to run beside the fast path's own "
                             "(fp32, bf16, fp16, each with +matmul or not)")
    args = parser.parse_args()
    cps = args.chars_per_second or (200.0 if args.tiny else 16.0)
    max_segments = args.max_segments or (24 if args.tiny else None)

    import torch

    if args.tiny and args.device == "auto":
        args.device = "cpu"
    from nikola_tts.engines.qwen import device as devices, loader
    from nikola_tts.engines.qwen.compat import import_qwen_tts

    problem = loader.transformers_problem()
    if problem:
        sys.exit(f"qwen_rtf: {problem}")
    import_qwen_tts()
    import transformers

    sys.path.insert(0, str(REPO / "benchmarks"))

    transformers.logging.set_verbosity_error()  # "Setting pad_token_id ..." on every upstream call
    from nikola_tts.engines.qwen import QwenEngine
    from nikola_tts.engines.qwen.generate import Speaker, auto_batch_size, release_memory

    ballast = emulate_card(args.card_gib, args.device) if args.card_gib else 0
    placement = devices.place(args.device, devices.gather_facts(), args.dtype)
    dtype = devices.torch_dtype(placement.dtype)
    max_chars = args.max_chars or QwenEngine.max_chars
    texts, passage_segments = corpus_segments(args.corpus, max_chars)
    if not texts:
        sys.exit(f"qwen_rtf: no posts in {args.corpus}")
    started = time.perf_counter()
    folder, model_line = model_folder(args, texts)
    written_s = time.perf_counter() - started
    started = time.perf_counter()
    tts = loader.load_model(folder, placement)
    build_s = time.perf_counter() - started
    params = sum(p.numel() for p in tts.model.parameters()) / 1e9

    if max_segments and max_segments < len(texts):  # a sample from every post and the passage (last)
        chosen = spread(max_segments, len(texts))
        passage_segments = sum(i >= len(texts) - passage_segments for i in chosen)
        texts = [texts[i] for i in chosen]
    if args.repeat > 1:  # a longer backlog: the corpus several times over (the passage stays last)
        body = texts[:len(texts) - passage_segments]
        texts = body * args.repeat + texts[len(texts) - passage_segments:]
    frames = [frames_for(t, cps) for t in texts]
    audio = sum(frames) / FRAMES_PER_SECOND
    speaker = Speaker(tts, seed=0)
    batch = args.batch or auto_batch_size(tts, max_chars)
    device = torch.device(placement.device)
    clock = Clock(device, ballast)

    gpu = f" ({placement.device_name})" if placement.device_name else ""
    if ballast:
        gpu += f", emulating a {args.card_gib:g} GiB card ({ballast / 2 ** 30:.1f} GiB of ballast)"
    versions = {name: _version(name) for name in ("qwen-tts", "transformers", "tokenizers")}
    print(f"device {placement.device}{gpu}, {placement.dtype} ({placement.dtype_reason}), {placement.attention} "
          f"attention; torch {torch.__version__}, transformers {transformers.__version__}, "
          f"qwen-tts {versions['qwen-tts']}, python {platform.python_version()}")
    print(f"model: {model_line}, {params:.2f} B parameters; checkpoint ready in {written_s:.1f} s, loaded by "
          f"upstream's loader in {build_s:.1f} s")
    print(f"text: {len(texts)} segments ({passage_segments} of them the Jevons passage) from {args.corpus}, "
          f"{sum(map(len, texts)):,} characters (segments of up to {max_chars}); forced to {cps:g} characters per audio second = "
          f"{sum(frames):,} frames = {audio:.0f} s of audio", flush=True)

    # warm-up: kernels, allocator, first-call costs stay out of every row
    started = time.perf_counter()
    with forced_frames(tts):
        tts.generate_custom_voice(text="Warming up.", speaker=SPEAKER, language=LANGUAGE, max_new_tokens=5)
    list(speaker.speak([_item("Warming up.")], 1, limits=[4], force_frames=True))
    print(f"warm-up {time.perf_counter() - started:.1f} s", flush=True)

    rows, notes = [], []
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    if "upstream1" in methods:
        by_length = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        subset = [by_length[i] for i in spread(args.subset, len(texts))]
        wall, peak = upstream_one_at_a_time(tts, [texts[i] for i in subset], [frames[i] for i in subset], clock)
        rows.append(Row("upstream generate_custom_voice, 1 per call", f"{len(subset)} of {len(texts)}",
                        sum(frames[i] for i in subset) / FRAMES_PER_SECOND, wall, peak))
        print(rows[-1].line(), flush=True)
        release_memory(device)
    if "upstream-lists" in methods:
        wall, peak = upstream_lists(tts, texts, frames, args.list_size, clock)
        rows.append(Row(f"upstream generate_custom_voice, {args.list_size} per call", f"{len(texts)}", audio, wall,
                        peak))
        print(rows[-1].line(), flush=True)
        release_memory(device)
    if "engine" in methods:
        wall, peak = timed_run(speaker, texts, frames, batch, clock)
        rows.append(Row(f"nikola-tts engine, batches of {batch}", f"{len(texts)}", audio, wall, peak))
        print(rows[-1].line(), flush=True)
        release_memory(device)
    passage = list(range(len(texts) - passage_segments, len(texts)))
    by_length = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    paragraph = by_length[len(by_length) // 2]  # the median segment (a paragraph, or a piece of a long one), for batch 1
    if wants_fast_path(methods):
        from nikola_tts.engines.qwen.fast.model import load_model
        from nikola_tts.engines.qwen.fast.speaker import FastSpeaker

        started = time.perf_counter()
        fast_model = load_model(folder, placement.device, dtype)
        notes.append(f"fast path's own loader: {time.perf_counter() - started:.1f} s ("
                     + ", ".join(f"{k} {v:.1f} s" for k, v in fast_model.seconds.items()) + ")")
        print(notes[-1], flush=True)
        fast = FastSpeaker(fast_model, seed=0)
        slots = args.slots or len(texts)
        setup = fast.prepare([_item(t) for t in texts], slots, frames)
        list(fast.speak([_item("Warming up.")], 1, limits=[4], force_frames=True))
        if "fast-kernels" in methods and device.type == "cuda":
            checked = kernel_check(device, dtype) + one_launch_check(fast_model.weights)
            notes.extend(checked)
            print("\n".join(checked), flush=True)
        notes.append(f"fast path ({fast._setup[1].stepper.ops.name} ops): {fast.slot_count} slots, cache {fast._setup[0].length} positions; setup "
                     f"{setup:.1f} s of which CUDA-graph capture {fast.capture_seconds:.1f} s (outside every row)")
        print(notes[-1], flush=True)
        notes.append(f"speech decoder: {fast.decoder_forms.describe()}")
        print(notes[-1], flush=True)

        def occupancy(label):
            useful, stats = sum(frames), fast.stats
            return (f"{label} occupancy: {useful} useful frames of {stats['frames_stepped']} slot-frames "
                    f"stepped ({useful / max(1, stats['frames_stepped']):.0%}); {stats['steps']} frame steps, "
                    f"{stats['prefill_s']:.1f} s launching prefills, {stats['decode_s']:.1f} s decoding "
                    f"(second stream); last frame at {stats['generate_s']:.1f} s, then "
                    f"{stats['decode_tail_s']:.1f} s decoding what was left{decoder_calls(stats)}")

        if "promptgraphs-check" in methods and device.type == "cuda":
            notes.append(prompt_graphs_check(fast_model, texts[paragraph], frames[paragraph]))
            print(notes[-1], flush=True)
        if "fast-unfused" in methods and fast.decoder_forms.fused:
            from nikola_tts.engines.qwen.fast import snake
            from nikola_tts.engines.qwen.fast.speech import fold_padding

            snake.unfuse(fast_model.speech)
            fold_padding(fast_model.speech, on=False)
            wall, peak = timed_run(fast, texts, frames, slots, clock)
            snake.fuse(fast_model.speech)
            fold_padding(fast_model.speech)
            rows.append(Row(f"nikola-tts fast path, {fast.slot_count} slots, decoder unfused", f"{len(texts)}",
                            audio, wall, peak))
            print(rows[-1].line(), flush=True)
            notes.append(occupancy("fast path (decoder unfused)"))
        if "fast" in methods:
            timed_run(fast, texts, frames, slots, clock)  # untimed: every row after it meets warmed prefill shapes
            wall, peak = timed_run(fast, texts, frames, slots, clock)
            rows.append(Row(f"nikola-tts fast path, {fast.slot_count} slots", f"{len(texts)}", audio, wall, peak))
            print(rows[-1].line(), flush=True)
            notes.append(occupancy("fast path"))
        for method, label, knobs in (("fast-wholedecode", "segments decoded whole, after their last frame",
                                      dict(stream_decode=False)),
                                     ("fast-normalprio", "decoder stream at normal priority", dict(decode_priority=0)),
                                     ("fast-lazydecode", "decoder waits for a full call", dict(eager_decode=False)),
                                     ("fast-anylength", "decoder calls at their longest chunk's length",
                                      dict(decode_length_step=1))):
            if method in methods:
                saved = {k: getattr(fast, k) for k in knobs}
                for k, v in knobs.items():
                    setattr(fast, k, v)
                wall, peak = timed_run(fast, texts, frames, slots, clock)
                rows.append(Row(f"nikola-tts fast path, {label}", f"{len(texts)}", audio, wall, peak))
                print(rows[-1].line(), flush=True)
                notes.append(occupancy(f"fast path ({label})"))
                print(notes[-1], flush=True)
                if "fast-passage" in methods:
                    wall, peak = timed_run(fast, [texts[i] for i in passage], [frames[i] for i in passage], slots, clock)
                    rows.append(Row(f"nikola-tts fast path, {label}, the passage", f"{len(passage)}",
                                    sum(frames[i] for i in passage) / FRAMES_PER_SECOND, wall, peak))
                    print(rows[-1].line(), flush=True)
                for k, v in saved.items():
                    setattr(fast, k, v)
        if "fast-decoder-forms" in methods:
            rows.extend(decoder_form_rows(fast, args.decoder_forms.split(","), texts, frames, passage, slots, clock,
                                          notes, occupancy))
        if "fast-torchops" in methods:
            plain_ops = FastSpeaker(fast_model, seed=0, use_kernels=False)
            plain_ops.prepare([_item(t) for t in texts], slots, frames)
            list(plain_ops.speak([_item("Warming up.")], 1, limits=[4], force_frames=True))
            wall, peak = timed_run(plain_ops, texts, frames, slots, clock)
            rows.append(Row("nikola-tts fast path, torch ops (no fused kernels)", f"{len(texts)}", audio, wall, peak))
            print(rows[-1].line(), flush=True)
            if "fast-steps" in methods:
                for b, ms in frame_times(plain_ops):
                    notes.append(f"frame step (torch ops), {b:4d} slots: {ms:7.2f} ms")
            del plain_ops
            release_memory(device)
        if "fast-gpus" in methods and device.type == "cuda" and torch.cuda.device_count() > 1:
            import functools

            from nikola_tts.engines.qwen.fast.gpus import GpuPool

            others = [f"cuda:{i}" for i in range(1, torch.cuda.device_count())]
            started = time.perf_counter()
            from nikola_tts.engines.qwen.fast.model import load_on_device

            pool = GpuPool(functools.partial(load_on_device, str(folder), placement.dtype), others, dict(seed=0))
            ready = pool.wait_ready()
            items = [_item(t) for t in texts]
            list(pool.speak(fast, items, slots, frames, True))  # untimed: every worker sizes its slots, captures
            notes.append(f"{1 + len(ready)} GPUs: workers started, models built and graphs captured in "
                         f"{time.perf_counter() - started:.1f} s (outside the row)")
            print(notes[-1], flush=True)
            clock.start()
            results = dict(pool.speak(fast, items, slots, frames, True))
            wall, peak = clock.stop()
            pool.close()
            assert sorted(results) == list(range(len(texts))) and not any(isinstance(r, Exception) for r in results.values())
            rows.append(Row(f"nikola-tts fast path, {1 + len(ready)} GPUs", f"{len(texts)}", audio, wall, peak))
            print(rows[-1].line(), flush=True)
        if "fast-passage" in methods:
            wall, peak = timed_run(fast, [texts[i] for i in passage], [frames[i] for i in passage], slots, clock)
            rows.append(Row("nikola-tts fast path, the passage's paragraphs", f"{len(passage)}",
                            sum(frames[i] for i in passage) / FRAMES_PER_SECOND, wall, peak))
            print(rows[-1].line(), flush=True)
        if "fast-b1" in methods:
            wall, peak = timed_run(fast, [texts[paragraph]], [frames[paragraph]], 1, clock, again=True)
            rows.append(Row(f"nikola-tts fast path, {B1}", "1",
                            frames[paragraph] / FRAMES_PER_SECOND, wall, peak))
            print(rows[-1].line(), flush=True)
        if "fast-steps" in methods and device.type == "cuda":
            for b, ms in frame_times(fast):
                notes.append(f"frame step, {b:4d} slots: {ms:7.2f} ms ({ms / b:6.3f} ms per slot-frame)")
                print(notes[-1], flush=True)
        for name, label, knobs in SPEAKER_VARIANTS:
            wanted = [m for m in methods if m.startswith(name + "-")]
            if wanted and fast.use_kernels and device.type == "cuda" and (name != "other" or args.other_persistent):
                with persistent_from(args.other_persistent if name == "other" else None):
                    rows.extend(speaker_variant(fast, name, label, knobs, methods, texts, frames, passage,
                                                paragraph, slots, clock, notes))
                    if name == "other" and "other-phases" in methods:  # the swapped-in kernel's phase table
                        notes.extend(f"{label}: {line}" for line in one_launch_phases(fast_model.weights,
                                                                                      ONE_LAUNCH_FORMS[:1]))
                release_memory(device)
        if "fast-profile" in methods and device.type == "cuda":
            for b in sorted({1, fast.slot_count}):
                notes.extend(kernel_profile(fast, b))
                print("\n".join(notes[-13:]), flush=True)
        if "prefill-b1" in methods and device.type == "cuda":
            odd = [t for t in texts if len(t) % 7 == 3][:3]  # lengths the runs before may not have met
            notes.extend(prefill_one_segment(fast, odd))
        if "decode-b1" in methods and device.type == "cuda":
            notes.extend(decode_one_segment(fast, device))
        if "onelaunch-phases" in methods and device.type == "cuda":
            notes.extend(one_launch_phases(fast_model.weights))
        if "draw-warps" in methods and device.type == "cuda":
            notes.extend(draw_warps(device))
        if "decode-first-calls" in methods and device.type == "cuda":
            notes.extend(decode_first_calls(fast, device))  # before decode-variants, which sees other shapes
        if "decode-variants" in methods and device.type == "cuda":
            notes.extend(decode_variants(fast, device))  # printed as they come
        if "agreement" in methods:
            greedy = FastSpeaker(fast_model, seed=0, sampling=dict(do_sample=False, subtalker_dosample=False))
            short = by_length[:: max(1, len(by_length) // 4)][:4]
            shares, total = greedy_agreement(tts, greedy, [texts[i] for i in short],
                                             [min(frames[i], 60) for i in short])
            for name, label in (("ours", "the fast path"), ("control", "upstream itself, batched with another text")):
                share, prefix = shares[name]
                notes.append(f"greedy {placement.dtype}, {label} vs upstream alone: {share:.1%} of codes equal, "
                             f"{prefix:.1%} of frames equal before a segment's first difference "
                             f"({total} frames, {len(short)} segments)")
                print(notes[-1], flush=True)
        if any(m.startswith("fp32") for m in methods) and device.type == "cuda":
            # cards without bfloat16 (P40, T4, V100) run float32, and a P40 (compute capability 6.1) the torch ops
            del fast
            release_memory(device)
            fast = FastSpeaker(load_model(folder, placement.device, torch.float32), seed=0, use_kernels=False)
            fast.prepare([_item(t) for t in texts], slots, frames)
            list(fast.speak([_item("Warming up.")], 1, limits=[4], force_frames=True))
            rows.extend(variant_rows(fast, "fast path, float32, torch ops (P40's path)", methods, texts, frames, clock, [
                ("fp32", "all paragraphs", list(range(len(texts))), slots),
                ("fp32-passage", "the passage's paragraphs", passage, slots),
                ("fp32-b1", B1, [paragraph], 1)]))
            if "fp32-agreement" in methods:
                import dataclasses

                up32 = loader.load_model(folder, dataclasses.replace(placement, dtype="float32"))
                greedy = FastSpeaker(fast.model, seed=0, sampling=dict(do_sample=False, subtalker_dosample=False),
                                     use_kernels=False)
                short = by_length[:: max(1, len(by_length) // 4)][:4]
                shares, total = greedy_agreement(up32, greedy, [texts[i] for i in short],
                                                 [min(frames[i], 60) for i in short])
                for name, label in (("ours", "the fast path"), ("control", "upstream itself, batched with another text")):
                    share, prefix = shares[name]
                    notes.append(f"greedy float32 on {placement.device}, {label} vs upstream alone: {share:.1%} of codes "
                                 f"equal, {prefix:.1%} of frames equal before a segment's first difference "
                                 f"({total} frames, {len(short)} segments)")
                    print(notes[-1], flush=True)
                del up32
        del fast
        release_memory(device)
    if any(m.startswith("faster") for m in methods):
        import faster_baselines as faster

        reason = faster.available()
        if reason:
            notes.append(f"faster-qwen3-tts rows skipped: {reason}")
            print(notes[-1], flush=True)
        else:
            if "faster-b1" in methods:
                wall, peak, setup = faster.faster_one_at_a_time(tts, [texts[paragraph]], [frames[paragraph]], clock)
                rows.append(Row("faster-qwen3-tts 0.3.2, batch 1, the median segment", "1",
                                frames[paragraph] / FRAMES_PER_SECOND, wall, peak))
                notes.append(f"faster-qwen3-tts batch-1 setup (graph capture, outside the row): {setup:.1f} s")
                print(rows[-1].line(), flush=True)
                release_memory(device)
            sets = []
            if "faster-batch-passage" in methods:
                sets.append(("the passage's paragraphs", passage, len(passage)))
            if "faster-batch" in methods:
                sets.append((f"{args.list_size} per batch", list(range(len(texts))), args.list_size))
            if sets:
                for label, chosen, size in sets:
                    wall, peak, setup = faster.faster_batched(tts, [texts[i] for i in chosen],
                                                              [frames[i] for i in chosen], size, clock)
                    rows.append(Row(f"faster-qwen3-tts-batch 0.2.0, {label}", f"{len(chosen)}",
                                    sum(frames[i] for i in chosen) / FRAMES_PER_SECOND, wall, peak))
                    notes.append(f"faster-qwen3-tts-batch setup for '{label}' (graph capture, outside the row): "
                                 f"{setup:.1f} s")
                    print(rows[-1].line(), flush=True)
                    release_memory(device)
    if "upstream-passage" in methods:
        wall, peak = upstream_lists(tts, [texts[i] for i in passage], [frames[i] for i in passage], len(passage), clock)
        rows.append(Row("upstream, the passage's paragraphs in one call", f"{len(passage)}",
                        sum(frames[i] for i in passage) / FRAMES_PER_SECOND, wall, peak))
        print(rows[-1].line(), flush=True)
    if "upstream-b1" in methods:
        wall, peak = upstream_one_at_a_time(tts, [texts[paragraph]], [frames[paragraph]], clock)
        rows.append(Row("upstream, batch 1, the median segment", "1", frames[paragraph] / FRAMES_PER_SECOND, wall, peak))
        print(rows[-1].line(), flush=True)
    print()
    for note in notes:
        print(note)
    print()
    print(f"command: python {' '.join(sys.argv)}")
    print(HEADER)
    for row in rows:
        print(row.line())


def _item(text):
    from nikola_tts.engines.qwen.generate import Item

    return Item(text, SPEAKER, "English")


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    main()
