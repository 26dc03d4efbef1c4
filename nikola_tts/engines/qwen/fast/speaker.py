"""The fast path's Speaker: prompts -> slots -> codes -> waveforms, with the engine's interface.

Setup picks the slot count and cache length from the run's segments and the free memory,
captures the frame graphs (CUDA), and streams every segment through `Scheduler`. Finished
segments' codes are decoded in batches on a second CUDA stream (decode.py) while generation
goes on, with the decoder's activations fused (snake.py) where the Triton kernels run.
Running out of memory at setup halves the slot count and tries again; anything that goes
wrong mid-run hands the segments not yet generated to the plain batched path (those already
generated are still decoded), so nothing is lost.
"""

from __future__ import annotations

import logging
import time
from typing import Iterator, Sequence

import torch

from nikola_tts.audio.pcm import Audio
from nikola_tts.engines.qwen import batching
from nikola_tts.engines.qwen.fast import prompt as prompts
from nikola_tts.engines.qwen.fast.decode import Decoder
from nikola_tts.engines.qwen.fast.graphs import FrameGraphs
from nikola_tts.engines.qwen.fast.ops import TorchOps
from nikola_tts.engines.qwen.fast.scheduler import Job, Scheduler
from nikola_tts.engines.qwen.fast.slots import Slots, bytes_per_slot, cache_length
from nikola_tts.engines.qwen.fast.step import Rules, Stepper
from nikola_tts.engines.qwen.fast.weights import from_model
from nikola_tts.engines.qwen.generate import Item, Speaker, first_words, is_out_of_memory, release_memory
from nikola_tts.engines.qwen.sampling import row_key
from nikola_tts.errors import one_line

log = logging.getLogger("tts")

MAX_SLOTS = 256  # past this a frame is compute-bound and more slots only add latency
DECODE_RESERVE = 1 << 30  # bytes per decode-batch member kept free for the speech decoder


class FastSpeaker(Speaker):
    def __init__(self, tts, seed: int = 0, instruct: str = "", sampling: dict | None = None,
                 use_graphs: bool | None = None, use_kernels: bool | None = None, check_every: int = 8,
                 fuse_decoder: bool = True):
        super().__init__(tts, seed=seed, instruct=instruct, sampling=sampling)
        self.rules = Rules.from_settings(self.sampling)
        self.use_graphs = self.device.type == "cuda" if use_graphs is None else use_graphs
        self.use_kernels = kernels_fit(self.device) if use_kernels is None else use_kernels
        if self.device.type == "cuda":
            self.DECODE_BATCH = decode_batch_for(torch.cuda.mem_get_info(self.device)[1])
        self.fused_activations = 0
        if self.use_kernels and fuse_decoder:
            from nikola_tts.engines.qwen.fast import snake

            self.fused_activations = snake.fuse(self.model.speech_tokenizer.model)
        self.check_every = check_every
        self.capture_seconds = 0.0  # of the last setup, for the benchmark
        self.slot_count = 0
        self.stats: dict = {}  # of the last run: frame steps, slot-frames stepped, host seconds in prefills, decoding
        self._setup = None  # (Slots, FrameGraphs), reused while a run fits
        self._memory_cap = MAX_SLOTS  # the slots free memory allowed at the last setup

    # -- prompts ------------------------------------------------------------------------------
    def prompts(self, items: Sequence[Item]) -> list[prompts.Prompt]:
        tts = self.tts
        input_ids = tts._tokenize_texts([tts._build_assistant_text(it.text) for it in items])
        return [prompts.build(self.model, ids, it.language, it.speaker, instruct)
                for ids, it, instruct in zip(input_ids, items, self.instruction_ids(items))]

    # -- slots, sized from the run and the free memory ---------------------------------------
    def _slots_for(self, count: int, length: int, max_frames: int) -> FrameGraphs:
        count = min(count, MAX_SLOTS, self.oom_cap or MAX_SLOTS)
        if self._setup is not None:
            slots, graphs = self._setup
            # Slots that memory capped last time are as many as a new setup would get: keep them.
            wanted = min(count, self._memory_cap)
            if slots.count >= wanted and slots.length >= length and slots.max_frames >= max_frames:
                return graphs
            self._setup = None
            del slots, graphs
            release_memory(self.device)
        weights = from_model(self.model, length)
        per_slot = bytes_per_slot(weights, length, max_frames)
        self._memory_cap = self._fit(per_slot)
        count = min(count, self._memory_cap)
        while True:
            try:
                slots = Slots(weights, count, length, max_frames)
                graphs = FrameGraphs(Stepper(weights, slots, self.rules, self._ops()), self.use_graphs)
                break
            except Exception as exc:
                if not is_out_of_memory(exc) and self.use_kernels:
                    log.warning(f"Qwen3-TTS fast path: the fused kernels failed ({one_line(exc)}); going on without")
                    self.use_kernels = False
                    slots = graphs = None
                    release_memory(self.device)
                    continue
                if not is_out_of_memory(exc) or count == 1:
                    raise
                slots = graphs = None
                release_memory(self.device)
                count = self.oom_cap = max(1, count // 2)
                log.warning(f"Qwen3-TTS fast path: out of memory on {self.device}; going on with {count} slots")
        self.capture_seconds = graphs.capture_seconds
        self.slot_count = count
        ops = graphs.stepper.ops.name
        captured = f", graphs captured in {graphs.capture_seconds:.1f} s" if graphs.graphs else ", no CUDA graphs"
        log.info(f"Qwen3-TTS fast path: {count} slots, caches of {length} positions, {ops} kernels{captured}")
        self._setup = (slots, graphs)
        return graphs

    def _ops(self):
        if not self.use_kernels:
            return TorchOps()
        from nikola_tts.engines.qwen.fast.kernels import TritonOps

        return TritonOps()

    def _fit(self, per_slot: int) -> int:
        if self.device.type != "cuda":
            return batching.CPU_BATCH
        free, total = torch.cuda.mem_get_info(self.device)
        room = batching.budget(free, total) - self.DECODE_BATCH * DECODE_RESERVE
        return max(1, int(room // (per_slot * batching.SAFETY)))

    def _plan(self, items: Sequence[Item], limits: Sequence[int], max_batch: int,
              force_frames: bool) -> tuple[FrameGraphs, list[Job]]:
        """Prompts for the items, and slots (and graphs) big enough for their run."""
        built = self.prompts(items)
        longest = max(int(p.embeds.shape[1]) + n + 1 for p, n in zip(built, limits))
        graphs = self._slots_for(min(len(items), max(1, int(max_batch))), cache_length(longest), max(limits))
        jobs = [Job(i, p, int(limits[i]), row_key(self.seed, it.text), force_frames)
                for i, (p, it) in enumerate(zip(built, items))]
        return graphs, jobs

    def prepare(self, items: Sequence[Item], max_batch: int, limits: Sequence[int]) -> float:
        """Set up slots and graphs for a run like this one ahead of it; returns the seconds it took."""
        started = time.perf_counter()
        self._plan(items, limits, max_batch, False)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return time.perf_counter() - started

    def generate_fast_codes(self, items: Sequence[Item], limits: Sequence[int], max_batch: int | None = None,
                            force_frames: bool = False) -> list[torch.Tensor]:
        """Each item's codes, (frames, 16), without decoding: for tests and the benchmark."""
        graphs, jobs = self._plan(items, limits, max_batch or len(items), force_frames)
        codes = {done.index: done.codes for done in Scheduler(graphs, self.check_every).run(jobs)}
        return [codes[i] for i in range(len(items))]

    # -- the engine's entry point ------------------------------------------------------------
    def speak(self, items: Sequence[Item], max_batch: int, limits: Sequence[int] | None = None,
              force_frames: bool = False) -> Iterator[tuple[int, Audio | Exception]]:
        if not items:
            return
        limits = [int(n) for n in (limits or [batching.frame_limit(len(it.text)) for it in items])]
        finished: set[int] = set()
        try:
            for index, result in self._speak_fast(items, limits, max_batch, force_frames):
                finished.add(index)
                yield index, self._checked(items[index], result, limits[index], force_frames)
        except Exception as exc:  # noqa: BLE001 (hand the rest to the plain path)
            self._setup = None
            release_memory(self.device)
            rest = [i for i in range(len(items)) if i not in finished]
            log.warning(f"Qwen3-TTS fast path failed ({one_line(exc)}); narrating the {len(rest)} remaining "
                        "segments with the plain batched path")
            plain = super().speak([items[i] for i in rest], max_batch, [limits[i] for i in rest], force_frames)
            for j, result in plain:
                yield rest[j], result

    def _speak_fast(self, items, limits, max_batch, force_frames):
        """(index, decoded result) as segments finish; on a failure, what was generated is still decoded."""
        started = time.perf_counter()
        graphs, jobs = self._plan(items, limits, max_batch, force_frames)
        scheduler = Scheduler(graphs, self.check_every)
        with Decoder(self) as decoder:
            try:
                for done in scheduler.run(jobs):
                    decoder.put(done)
                    yield from decoder.ready()
            except Exception:
                salvaged = [(i, r) for i, r in decoder.drain() if not isinstance(r, Exception)]
                yield from salvaged  # a decode that failed now is retried by the plain path with the rest
                raise
            generated = time.perf_counter()
            yield from decoder.drain()
        self.stats = dict(steps=scheduler.steps, frames_stepped=scheduler.frames_stepped,
                          prefill_s=scheduler.prefill_seconds, decode_s=decoder.seconds,
                          generate_s=generated - started, decode_tail_s=time.perf_counter() - generated)

    def _checked(self, item: Item, result, limit: int, forced: bool) -> Audio | Exception:
        if isinstance(result, Exception):
            return result
        wave, frames, hit_limit = result
        if hit_limit and not forced:
            log.warning(f"Qwen3-TTS: the segment {first_words(item.text)!r} reached its limit of "
                        f"{limit / batching.FRAMES_PER_SECOND:.1f} seconds and was cut off there; "
                        "listen to it, and reword it if it sounds wrong")
        return self.checked_audio(item, frames, wave)


def kernels_fit(device: torch.device) -> bool:
    """The fused Triton kernels need an NVIDIA GPU of compute capability 8.0+ (Ampere and newer)."""
    import importlib.util

    if device.type != "cuda" or getattr(torch.version, "hip", None) or importlib.util.find_spec("triton") is None:
        return False
    return tuple(torch.cuda.get_device_capability(device)) >= (8, 0)


def decode_batch_for(total_bytes: int) -> int:
    """Segments per speech-decoder call: 16 on large GPUs (about 1 GB each at its peak), 4 on 24 GB cards."""
    return 16 if total_bytes >= 40 * (1 << 30) else 4

