"""The fast path's speaker: items -> prompts -> sequences -> codes -> waveforms, on one device.

Setup sizes the slots from the run's segments and the free memory; graphs are captured as the
run first needs each batch size (graphs.py). The loop is nano-vllm's: the scheduler plans a
stretch (scheduler.py), this module carries it out on the device (prefills, slot moves, frame
graph replays), looks at the slots' flags, and the scheduler says which sequences finished.
Finished sequences are decoded in batches on a second CUDA stream (decode.py) while
generation goes on.

Running out of memory at setup halves the slot count and tries again. Anything else that goes
wrong mid-run ends the run with FastPathFailed, after the segments already generated have been
decoded and yielded; the engine (qwen/__init__.py), which chose this path, narrates the rest with
the plain one.
"""

from __future__ import annotations

import functools
import logging
import statistics
import time
from typing import Callable, Iterator, Sequence as Seq

import numpy as np
import torch

from nikola_tts.audio.pcm import Audio
from nikola_tts.engines.qwen import batching
from nikola_tts.engines.qwen.background import Background
from nikola_tts.engines.qwen.fast import prompt as prompts
from nikola_tts.engines.qwen.fast.decode import LENGTH_STEP, Decoder, call_lengths, padded_length
from nikola_tts.engines.qwen.fast.forward import NewSegment, OneSlotFailed, Rules, Stepper
from nikola_tts.engines.qwen.fast.graphs import PROMPT_STEP, FrameGraphs
from nikola_tts.engines.qwen.fast.model import FastModel
from nikola_tts.engines.qwen.fast.ops import TorchOps, dependent_launches_fit, kernels_fit
from nikola_tts.engines.qwen.fast.scheduler import Plan, Scheduler
from nikola_tts.engines.qwen.fast.sequence import Sequence
from nikola_tts.engines.qwen.fast.slots import Slots, bytes_per_slot, cache_length, predictor_positions
from nikola_tts.engines.qwen.fast.speech import CHUNK, LEFT_CONTEXT, NO_FORMS, DecoderForms, fast_forms, warm_lengths
from nikola_tts.engines.qwen.memory import is_out_of_memory, release_memory
from nikola_tts.engines.qwen.seeded import row_key, sampling_settings
from nikola_tts.engines.qwen.segments import Item, checked_audio, first_words
from nikola_tts.errors import one_line

log = logging.getLogger("tts")

MAX_SLOTS = 256  # past this a frame is compute-bound and more slots only add latency
DECODE_RESERVE = 1 << 30  # bytes per decode-batch member kept free for the speech decoder


class FastPathFailed(Exception):
    """The run broke off; `remaining` are the indices (into the items) that got no result."""

    def __init__(self, remaining: list[int], cause: BaseException):
        super().__init__(one_line(cause))
        self.remaining = remaining
        self.cause = cause


class FastSpeaker:
    def __init__(self, model: FastModel, seed: int = 0, instruct: str = "", sampling: dict | None = None,
                 use_graphs: bool | None = None, use_kernels: bool | None = None, check_every: int = 8,
                 fuse_decoder: bool = True, stream_decode: bool | None = None, decode_priority: int = -1,
                 gemv_rows: int = 4, eager_decode: bool = True, gemv_whole_rows: bool = True, fused_rows: int = 1,
                 fused_bytes: int | None = None, one_launch_predictor: bool = True, one_launch_prefetch: int = 1,
                 gemv_any_rows: int = 1, pdl: bool = True, attend_splits: int | None = None,
                 one_launch_first_step: bool = False, one_launch_programs: int | None = None,
                 prompt_graphs: bool = True, draw_winner_first: bool | None = None,
                 one_launch_fold_attention: bool | None = None,
                 swiglu_tile: int | None = None, decoder_graphs: bool = True, swiglu_first: bool | None = None):
        self.model = model
        self.device = model.device
        self.seed = int(seed)
        self.instruct = instruct or ""
        self.sampling = sampling_settings(model.config.sampling, sampling)
        self.sample_rate = model.sample_rate
        self.rules = Rules.from_settings(self.sampling)
        self.use_graphs = self.device.type == "cuda" if use_graphs is None else use_graphs
        self.use_kernels = kernels_fit(self.device) if use_kernels is None else use_kernels
        self.decode_batch = decode_batch_for(torch.cuda.mem_get_info(self.device)[1]) if self.device.type == "cuda" else 16
        if self.use_kernels and fuse_decoder and model.preparing is None:  # else load_model's thread does it
            fast_forms(model.speech, model.dtype)
        self.check_every = check_every
        # decode a running segment's complete chunks as they appear (decode.py), on CUDA, where the decoder has a
        # thread and a stream of its own: decoded whole, most of a new post's 36 segments were decoded after the
        # run's last frame, since most end in its last second. H100, same run: the corpus 6.2 -> 5.9 s; in a build
        # with the bfloat16 decoder, a new post's decoding after the last frame 1.5 -> 1.0 s
        self.stream_decode = self.device.type == "cuda" if stream_decode is None else stream_decode
        self.decode_priority = decode_priority  # of the decoder's CUDA stream (lower = higher priority)
        self.eager_decode = eager_decode  # the decoder takes what waits whenever it is free (decode.py)
        self.decode_length_step = LENGTH_STEP  # a decoder call's frames, rounded up to a multiple of it
        # projections of up to this many rows through kernels.py's one-launch GEMV where it beats cuBLAS
        # (kernels.gemv_wins: the code predictor's 2048 -> 1024). On an H200 a frame of one slot took 5.07 ms
        # instead of 5.73, of two 6.51 instead of 7.04, of four the same (2026-12-05-h200-rtf-v10-narrow-gemv.log)
        self.gemv_rows = gemv_rows
        self.gemv_whole_rows = gemv_whole_rows  # kernels.gemv_blocks's whole_rows (False: the steps of before)
        # a norm or SwiGLU and the projection after it in one launch, for up to this many rows (kernels.TritonOps):
        # the code predictor's qkv, gate_up, down and heads, the talker's qkv (kernels.FUSED_BYTES). H100, same
        # process, before the talker's qkv joined: a frame of one slot 4.75 -> 4.41 ms
        # (1,048 -> 823 kernels), batch-1 RTF 0.0717 -> 0.0638; at two rows 4.90 -> 4.83 ms, no more than noise
        # (2026-12-06-h100-rtf-v28-fused-norm-swiglu.log)
        self.fused_rows = fused_rows
        self.fused_bytes = fused_bytes  # and for weights of up to this many bytes (None: kernels.FUSED_BYTES)
        # at one slot, each code-predictor step after the first as one persistent kernel (persistent.py): 14
        # launches a frame for about 380. H100, same process: a frame of one slot 4.39 -> 4.05 ms, batch-1 RTF
        # 0.0666 -> 0.0610 (2026-12-06-h100-rtf-v32-layer-prefetch.log). Triton compiles it in about 7 s at its
        # first launch on a machine: inside a one-paragraph edit's graph capture that made the build 15.6-16.7 s
        # against 5.6 (*-build-v16-one-launch-compile.log, *-v17-one-variant.log). So it is compiled in a thread
        # from the start (persistent.compile_ahead; from Triton's disk cache once it has been compiled on the
        # machine), and a setup takes it only once that is done: until then frames of one slot go layer by layer
        self.one_launch_predictor = one_launch_predictor
        self.one_launch_prefetch = one_launch_prefetch  # persistent.PersistentPredictor's prefetch (others: benchmarks)
        self.one_launch_first_step = one_launch_first_step  # and its step 0 too, as two one-token launches
        self.one_launch_programs = one_launch_programs  # its programs (None: one per SM; fewer: benchmarks)
        self.one_launch_fold_attention = one_launch_fold_attention  # its fold_attention (None: the module's default)
        # kernels.TritonOps's gemv_any_rows (the one-launch GEMV for every shape of one row: the talker's o, with its
        # gate_up and down fused, kernels.FUSED_BYTES) and pdl (every Triton kernel a programmatic dependent of the
        # one before it, on a GPU that has them). H100, same process, against neither: a frame of one slot 4.00 ->
        # 3.84 ms with both, batch-1 RTF 0.0560 -> 0.0516; of two 4.76 -> 4.52 ms with pdl alone (the GEMV at two
        # rows lost: 5.08) (2026-12-07-h100-rtf-v43-talker-and-pdl.log). qwen_rtf.py's before-* times the old way
        # side by side
        self.gemv_any_rows = gemv_any_rows
        self.pdl = pdl and self.use_kernels and dependent_launches_fit(self.device)
        self.attend_splits = attend_splits  # kernels.TritonOps's (None: kernels.ATTEND_SPLITS)
        self.draw_winner_first = draw_winner_first  # and its draw's (None: kernels.DRAW_WINNER_FIRST)
        self.swiglu_tile = swiglu_tile  # and its swiglu_tile (None: kernels.SWIGLU_TILE)
        self.swiglu_first = swiglu_first  # and its swiglu_first (None: kernels.SWIGLU_FIRST)
        # a one-row prompt pass by a CUDA graph per padded length (graphs.py): eagerly it is host-bound. H100, same
        # process: batch-1 RTF 0.0531 -> 0.0511 (2026-12-07-h100-rtf-v44-session21-variants.log)
        self.prompt_graphs = prompt_graphs
        # the speech decoder's one-chunk calls by the CUDA graphs captured ahead, one per length (speech_graphs.py;
        # prime() and prepare() capture them): eagerly they are host-bound
        self.decoder_graphs = decoder_graphs
        self._compiling = self._compile_one_launch()  # Background, or None where nothing needs compiling
        self.oom_cap: int | None = None  # learned from running out of memory at setup, kept for the whole run
        self.slot_count = 0
        self.stats: dict = {}  # of the last run: frame steps, slot-frames stepped, prefill and decode seconds
        self._setup: tuple[Slots, FrameGraphs] | None = None  # reused while a run fits
        self._memory_cap = MAX_SLOTS  # the slots free memory allowed at the last setup

    @property
    def decoder_forms(self) -> DecoderForms:
        """What speech.fast_forms changed in the speech decoder."""
        return self.model.speech.forms or NO_FORMS

    @property
    def capture_seconds(self) -> float:
        return self._setup[1].capture_seconds if self._setup else 0.0

    # -- prompts ------------------------------------------------------------------------------
    def prompts(self, items: Seq[Item]) -> list[prompts.Prompt]:
        tokenizer, w = self.model.tokenizer, self.model.weights
        instructions = {}  # each item's own instruction, else TTS_INSTRUCT; 0.6B CustomVoice takes none
        if self.model.config.model_size != "0b6":
            for text in {it.instruct or self.instruct for it in items} - {""}:
                instructions[text] = tokenizer.instruction(text)
        return [prompts.build(w, tokenizer.assistant(it.text), it.language, it.speaker,
                              instructions.get(it.instruct or self.instruct)) for it in items]

    # -- slots, sized from the run and the free memory ---------------------------------------
    def _slots_for(self, count: int, length: int, max_frames: int) -> FrameGraphs:
        count = min(count, MAX_SLOTS, self.oom_cap or MAX_SLOTS)
        if self._setup is not None:
            slots, graphs = self._setup
            # Slots that memory capped last time are as many as a new setup would get: keep them.
            wanted = min(count, self._memory_cap)
            if slots.count >= wanted and slots.length >= length and slots.max_frames >= max_frames:
                self._take_one_launch(graphs)
                return graphs
            self.release()
        weights = self.model.weights
        self._memory_cap = self._fit(bytes_per_slot(weights, length, max_frames))
        count = min(count, self._memory_cap)
        while True:
            try:
                slots = Slots(weights, count, length, max_frames)
                graphs = FrameGraphs(Stepper(weights, slots, self.rules, self._ops(), self._one_slot(slots)),
                                     self.use_graphs, self.prompt_graphs)
                break
            except Exception as exc:
                if not is_out_of_memory(exc) or count == 1:
                    raise
                slots = graphs = None
                release_memory(self.device)
                count = self.oom_cap = max(1, count // 2)
                log.warning(f"Qwen3-TTS fast path: out of memory on {self.device}; going on with {count} slots")
        self.slot_count = count
        how = "CUDA graphs captured as sizes are needed" if graphs.use_graphs else "no CUDA graphs"
        log.info(f"Qwen3-TTS fast path: {count} slots, caches of {length} positions, {graphs.stepper.ops.name} "
                 f"kernels{self._one_launch_state(graphs)}, {how}")
        self._setup = (slots, graphs)
        return graphs

    def release(self) -> None:
        """Give back the slots and graphs (the model stays)."""
        self._setup = None
        release_memory(self.device)

    def _ops(self):
        if not self.use_kernels:
            return TorchOps()
        from nikola_tts.engines.qwen.fast.kernels import TritonOps

        knobs = {} if self.fused_bytes is None else dict(fused_bytes=self.fused_bytes)
        if self.attend_splits is not None:
            knobs["attend_splits"] = self.attend_splits
        if self.draw_winner_first is not None:
            knobs["draw_winner_first"] = self.draw_winner_first
        if self.swiglu_tile is not None:
            knobs["swiglu_tile"] = self.swiglu_tile
        if self.swiglu_first is not None:
            knobs["swiglu_first"] = self.swiglu_first
        return TritonOps(self.gemv_rows, self.gemv_whole_rows, self.fused_rows, gemv_any_rows=self.gemv_any_rows,
                         pdl=self.pdl, **knobs)

    def _one_slot(self, slots: Slots):
        """persistent.PersistentPredictor for frames of one slot, where it is asked for, serves and is compiled."""
        if not (self._one_launch_serves() and self._one_launch_compiled()):
            return None
        from nikola_tts.engines.qwen.fast import persistent

        weights = self.model.weights
        return persistent.PersistentPredictor(weights.predictor, weights.residual_heads, slots.pk, slots.pv,
                                              self.one_launch_programs, prefetch=self.one_launch_prefetch,
                                              pdl=self.pdl, first_step=self.one_launch_first_step,
                                              fold_attention=self.one_launch_fold_attention)

    def _one_launch_serves(self) -> bool:
        """Whether the one-launch step is asked for, with the fused kernels, and serves this code predictor."""
        if not (self.use_kernels and self.one_launch_predictor):
            return False
        from nikola_tts.engines.qwen.fast import persistent

        return persistent.fits(self.model.weights.predictor, self.model.weights.residual_heads)

    def _compile_one_launch(self) -> Background | None:
        """The one-launch step compiled in a thread (not a daemon: an exit waits for it rather than cut a compile
        short), where it will be used: on CUDA, with the fused kernels."""
        if self.device.type != "cuda" or not self._one_launch_serves():
            return None
        from nikola_tts.engines.qwen.fast import persistent

        weights = self.model.weights
        return Background(functools.partial(persistent.compile_ahead, weights.predictor, weights.residual_heads,
                                            predictor_positions(weights), self.one_launch_prefetch, self.pdl,
                                            self.one_launch_fold_attention),
                          name="qwen-one-launch-compile", daemon=False)

    def _one_launch_compiled(self) -> bool:
        """Whether the one-launch step is ready to launch without a compile (a failed compile turns it off)."""
        compiling = self._compiling
        if compiling is None:
            return True
        if not compiling.done:
            return False
        try:
            compiling.result()
        except Exception as exc:  # noqa: BLE001 (the layers do its work)
            log.warning(f"Qwen3-TTS fast path: the code predictor's one-launch step did not compile "
                        f"({one_line(exc)}); its steps go layer by layer")
            self.one_launch_predictor = False
            return False
        return True

    def _await_one_launch(self, stop: Callable[[], bool] | None = None) -> None:
        """Wait for the one-launch step's compile, or until stop() says a build is waiting."""
        while self._compiling is not None and not self._compiling.done and not (stop is not None and stop()):
            time.sleep(0.05)

    def _one_launch_state(self, graphs: FrameGraphs) -> str:
        """For the setup's log line: whether frames of one slot run the code predictor's one-launch step."""
        if graphs.stepper.one_slot is not None:
            return " (the code predictor's step in one launch at one slot)"
        if self.use_kernels and self.one_launch_predictor and self._compiling is not None and not self._compiling.done:
            return " (the code predictor's one-launch step still compiling: layer by layer until it is)"
        return ""

    def _take_one_launch(self, graphs: FrameGraphs) -> None:
        """A setup made before the one-launch step was compiled takes it once it is: its one-slot graph, if
        captured, is captured again when next needed."""
        stepper = graphs.stepper
        if stepper.one_slot is None:
            stepper.one_slot = self._one_slot(stepper.s)
            if stepper.one_slot is not None:
                graphs.graphs.pop(1, None)
                log.info("Qwen3-TTS fast path: the code predictor's one-launch step is compiled; frames of one slot "
                         "take it from now on")

    def _fit(self, per_slot: int) -> int:
        if self.device.type != "cuda":
            return batching.CPU_BATCH
        free, total = torch.cuda.mem_get_info(self.device)
        room = batching.budget(free, total) - self.decode_batch * DECODE_RESERVE
        return max(1, int(room // (per_slot * batching.SAFETY)))

    def _plan(self, items: Seq[Item], limits: Seq[int], max_batch: int,
              force_frames: bool) -> tuple[FrameGraphs, list[Sequence]]:
        """Prompts for the items, and slots big enough for their run."""
        built = self.prompts(items)
        longest = max(int(p.embeds.shape[1]) + n + 1 for p, n in zip(built, limits))
        graphs = self._slots_for(min(len(items), max(1, int(max_batch))), cache_length(longest), max(limits))
        sequences = [Sequence(i, p, int(limits[i]), row_key(self.seed, it.text), force_frames,
                              expected=int(limits[i]) if force_frames else batching.expected_frames(len(it.text)))
                     for i, (p, it) in enumerate(zip(built, items))]
        return graphs, sequences

    def prepare(self, items: Seq[Item], max_batch: int, limits: Seq[int]) -> float:
        """Set up slots for a run like this one ahead of it, every graph size captured, and the speech decoder's
        graphs for each chunk of it decoded alone; returns seconds (for benchmarks that time the steady state: a
        build captures only what its run needs)."""
        started = time.perf_counter()
        self._await_one_launch()
        graphs, sequences = self._plan(items, limits, max_batch, False)
        for length in sorted({int(seq.prompt.embeds.shape[1]) for seq in sequences}):
            graphs.prompts.capture(length)
        self._capture_all(graphs, started)
        self._warm_decoder(set().union(*(call_lengths(int(n), self.decode_length_step) for n in limits)))
        return time.perf_counter() - started

    def prime(self, count: int, max_chars: int, stop: Callable[[], bool] | None = None) -> float:
        """Slots for `count` segments of up to `max_chars` characters, every graph size captured; returns seconds.
        A warm process does this between builds, so that its builds reuse one setup (a run that fits in it sets
        up and captures nothing) instead of each setting up its own; then the speech decoder's one-chunk lengths,
        so that an edit's last decode finds cuDNN's plans made (_warm_decoder). stop() is asked before each size
        and length: a build waiting goes first, and a later prime() does what is left."""
        started = time.perf_counter()
        self._await_one_launch(stop)
        frames = batching.frame_limit(max_chars)
        longest = batching.prompt_tokens(max_chars, len(self.instruct))
        graphs = self._slots_for(count, cache_length(longest + frames + 1), frames)
        for tokens in range(PROMPT_STEP, longest + PROMPT_STEP, PROMPT_STEP):  # the one-row prompts' graphs
            if stop is not None and stop():
                break
            graphs.prompts.capture(tokens)
        self._capture_all(graphs, started, stop)
        self._warm_decoder({padded_length(n, self.decode_length_step) for n in range(1, CHUNK + LEFT_CONTEXT + 1)},
                           stop)
        return time.perf_counter() - started

    def _warm_decoder(self, lengths: set[int], stop: Callable[[], bool] | None = None) -> None:
        """One-chunk decoder calls of `lengths` frames, each captured as a graph (speech_graphs.py), or without
        graphs decoded once (speech.warm_lengths), on the decoding thread, so that an edit's decoding after its last
        frame finds cuDNN's plans made and, with graphs, is not bound by the host's launches."""
        model = self.model
        if self.device.type != "cuda" or model.decoding is None:
            return
        if self.decoder_graphs and model.decoder_graphs is not None:  # after the decoder's preparation: one thread
            model.decoding.submit(model.decoder_graphs.capture, lengths, stop).result()
        else:
            model.decoding.submit(warm_lengths, model.speech, sorted(lengths), stop).result()

    def _capture_all(self, graphs: FrameGraphs, started: float, stop: Callable[[], bool] | None = None) -> float:
        for size in graphs.sizes if graphs.use_graphs else ():
            if stop is not None and stop():
                break
            if size not in graphs.graphs:
                graphs.capture(size)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return time.perf_counter() - started

    # -- the engine loop ----------------------------------------------------------------------
    @torch.no_grad()
    def _generate(self, graphs: FrameGraphs, sequences: list[Sequence], decoder: Decoder | None = None
                  ) -> Iterator[Sequence]:
        """Finished sequences, codes filled in, as the scheduler sees them finish; with a decoder, running
        sequences' complete chunks go to it as they appear."""
        slots = graphs.stepper.s
        scheduler = Scheduler(slots.count, graphs.sizes, self.check_every,
                              captured=graphs.graphs if graphs.use_graphs else None,
                              capture_seconds=graphs.seconds_per_capture(), waves=self.device.type != "cpu")
        scheduler.add(sequences)
        stats = self.stats
        while not scheduler.is_finished():
            plan = scheduler.schedule()
            started, captured = time.perf_counter(), graphs.capture_seconds
            self._carry_out(plan, graphs, stats)
            active = slots.active[:plan.size].tolist()  # the one host sync of a stretch
            graphs.stepper.check()
            if plan.frames and not plan.prefills and graphs.capture_seconds == captured:  # frames alone
                stats["step_s"].append((time.perf_counter() - started) / plan.frames)
            frames = slots.frame[:plan.size].tolist()
            for seq in scheduler.postprocess(plan, active, frames):
                seq.codes = slots.codes[seq.slot, :seq.frames].clone()  # before the slot is refilled
                yield seq
            if decoder is not None and self.stream_decode:
                for seq in scheduler.running.values():
                    decoder.stream(seq, slots.codes[seq.slot])

    def _carry_out(self, plan: Plan, graphs: FrameGraphs, stats: dict) -> None:
        stepper = graphs.stepper
        for group in plan.prefills:
            started = time.perf_counter()
            graphs.prompts.prefill([NewSegment(seq.slot, seq.prompt.embeds, seq.prompt.pad, seq.limit, seq.key,
                                               seq.forced) for seq in group])
            stats["prefill_s"] += time.perf_counter() - started
        for src, dst in plan.moves:
            stepper.s.move(src, dst)
        for _ in range(plan.frames):
            graphs.run(plan.size)
        stats["steps"] += plan.frames
        stats["frames_stepped"] += plan.size * plan.frames

    def generate_codes(self, items: Seq[Item], limits: Seq[int], max_batch: int | None = None,
                       force_frames: bool = False) -> list[torch.Tensor]:
        """Each item's codes, (frames, 16), without decoding: for tests and the benchmark."""
        graphs, sequences = self._plan(items, limits, max_batch or len(items), force_frames)
        self.stats = _fresh_stats()
        codes = {seq.index: seq.codes for seq in self._generate(graphs, sequences)}
        return [codes[i] for i in range(len(items))]

    # -- waveforms ---------------------------------------------------------------------------
    def decode(self, codes: Seq[torch.Tensor]) -> list[np.ndarray]:
        """float32 waveforms, `decode_batch` segments per speech-decoder call (padded to one length,
        which moves float rounding by at most one int16 step in a few samples)."""
        waves = []
        for start in range(0, len(codes), self.decode_batch):
            waves.extend(self.model.speech.decode(list(codes[start:start + self.decode_batch])))
        return waves

    # -- the engine's entry point ------------------------------------------------------------
    def speak(self, items: Seq[Item], max_batch: int, limits: Seq[int] | None = None,
              force_frames: bool = False) -> Iterator[tuple[int, Audio | Exception]]:
        """(index, Audio or error) as segments finish; FastPathFailed if the run broke off."""
        if not items:
            return
        limits = [int(n) for n in (limits or [batching.frame_limit(len(it.text)) for it in items])]
        finished: set[int] = set()
        try:
            for index, result in self._speak(items, limits, max_batch, force_frames):
                finished.add(index)
                yield index, self._checked(items[index], result, limits[index], force_frames)
        except OneSlotFailed as exc:
            self.release()
            log.warning(f"Qwen3-TTS fast path: {one_line(exc)}; going on with the code predictor layer by layer")
            self.one_launch_predictor = False
            rest = [i for i in range(len(items)) if i not in finished]
            try:
                for j, result in self.speak([items[i] for i in rest], max_batch, [limits[i] for i in rest],
                                            force_frames):
                    yield rest[j], result
            except FastPathFailed as failed:
                raise FastPathFailed([rest[j] for j in failed.remaining], failed.cause) from failed.cause
        except Exception as exc:  # noqa: BLE001 (the engine narrates the rest with the plain path)
            self.release()
            if self.use_kernels and not finished and not is_out_of_memory(exc):
                # the fused kernels are compiled at their first launch: one that fails costs the run nothing
                log.warning(f"Qwen3-TTS fast path: the fused kernels failed ({one_line(exc)}); going on without")
                self.use_kernels = False
                yield from self.speak(items, max_batch, limits, force_frames)
                return
            raise FastPathFailed([i for i in range(len(items)) if i not in finished], exc) from exc

    def _speak(self, items, limits, max_batch, force_frames):
        """(index, decoded result) as segments finish; on a failure, what was generated is still decoded."""
        started = time.perf_counter()
        graphs, sequences = self._plan(items, limits, max_batch, force_frames)
        self.stats = stats = _fresh_stats()
        stats["setup_s"] = time.perf_counter() - started
        with Decoder(self, self.decode_priority, self.eager_decode) as decoder:
            try:
                for seq in self._generate(graphs, sequences, decoder):
                    decoder.put(seq)
                    yield from decoder.ready()
            except Exception:
                salvaged = [(i, r) for i, r in decoder.drain() if not isinstance(r, Exception)]
                yield from salvaged  # a decode that failed now is retried by the plain path with the rest
                raise
            generated = time.perf_counter()
            yield from _handed(decoder.drain(), stats)
        stats.update(decode_s=decoder.seconds, decode_calls=list(decoder.calls), generated_at=generated,
                     generate_s=generated - started, decode_tail_s=time.perf_counter() - generated,
                     capture_s=graphs.capture_seconds)
        log.info(f"Qwen3-TTS fast path: {len(items)} segments, {sum(seq.frames for seq in sequences)} frames in "
                 f"{time.perf_counter() - started:.1f} s: prompts and slots {stats['setup_s']:.1f} s, graphs captured "
                 f"{graphs.capture_seconds:.1f} s (sizes {sorted(graphs.graphs) or 'none'}), last frame at "
                 f"{stats['generate_s']:.1f} s, then decoding {stats['decode_tail_s']:.1f} s ({stats['handed_s']:.1f} s of it "
                 f"handing the segments over){_steps(stats['step_s'])}")

    def _checked(self, item: Item, result, limit: int, forced: bool) -> Audio | Exception:
        if isinstance(result, Exception):
            return result
        wave, frames, hit_limit = result
        if hit_limit and not forced:
            log.warning(f"Qwen3-TTS: the segment {first_words(item.text)!r} reached its limit of "
                        f"{limit / batching.FRAMES_PER_SECOND:.1f} seconds and was cut off there; "
                        "listen to it, and reword it if it sounds wrong")
        return checked_audio(item, frames, wave, self.sample_rate)


def _fresh_stats() -> dict:
    return dict(steps=0, frames_stepped=0, prefill_s=0.0, step_s=[],  # step_s: a frame step's seconds, each stretch
                handed_s=0.0)  # the caller's time with the last results, after the last frame (it stores each)


def _handed(results, stats: dict):
    """results, passed on; the time the caller keeps each one before asking for the next goes to
    stats["handed_s"]: the part of the decoding tail (after the last frame) that is not the decoder's."""
    for result in results:
        given = time.perf_counter()
        yield result
        stats["handed_s"] += time.perf_counter() - given


def _steps(step_s: list[float]) -> str:
    """How long a frame step took: the median stretch's, and the first's (on an H200 a fresh build's
    batch-1 frames took 10.5 ms against 6.4 ms in a warmed process: this says whether only its first do)."""
    if not step_s:
        return ""
    return f"; a frame step {statistics.median(step_s) * 1e3:.1f} ms (the first stretch's {step_s[0] * 1e3:.1f} ms)"


def decode_batch_for(total_bytes: int) -> int:
    """Segments per speech-decoder call: 16 on large GPUs (about 1 GB each at its peak), 4 on 24 GB cards."""
    return 16 if total_bytes >= 40 * (1 << 30) else 4
