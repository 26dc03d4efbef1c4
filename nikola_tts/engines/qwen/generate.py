"""Batched generation with a loaded Qwen3-TTS CustomVoice model: texts -> codec frames -> waveforms.

The prompt building, the talker and the code predictor are upstream qwen_tts code
(`Qwen3TTSForConditionalGeneration.generate`). For the length of one call, this module steers
the two nested Hugging Face `generate` calls inside it:
* sampling is per segment (sampling.SeededSampler), so a segment sounds the same whichever
  batch it lands in;
* each segment stops at its own frame limit (sampling.FrameLimits), so none can run away;
* the benchmark can force every segment to exactly its limit (EOS suppressed).
Imported only when the plain path runs: it imports torch, transformers (and, through the model,
qwen_tts).
"""

from __future__ import annotations

import logging
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import torch
from transformers import LogitsProcessor, LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

from nikola_tts.audio.pcm import Audio
from nikola_tts.engines.qwen import batching
from nikola_tts.engines.qwen.memory import is_out_of_memory, release_memory
from nikola_tts.engines.qwen.seeded import (PREDICTOR_STREAM, TALKER_STREAM, gumbel_noise, restrict, row_key,
                                            sampling_settings)
from nikola_tts.engines.qwen.segments import Item, checked_audio, first_words
from nikola_tts.errors import SynthesisError, one_line

log = logging.getLogger("tts")

@dataclass
class Codes:
    frames: torch.Tensor  # (frames, 16) codec codes
    limit: int
    hit_limit: bool


class Speaker:
    """Speaks batches of Items with one loaded `qwen_tts.Qwen3TTSModel`."""

    def __init__(self, tts, seed: int = 0, instruct: str = "", sampling: dict | None = None):
        self.tts = tts
        self.model = tts.model
        self.device = torch.device(tts.device)
        self.seed = int(seed)
        self.instruct = instruct or ""
        self.sampling = sampling_settings(getattr(self.model, "generate_config", None), sampling)
        self.sample_rate = int(self.model.speech_tokenizer.get_output_sample_rate())
        self.oom_cap: int | None = None  # learned from running out of memory, kept for the whole run
        talker = self.model.config.talker_config
        self.eos = int(talker.codec_eos_token_id)

    # -- codes -------------------------------------------------------------------------------
    def generate_codes(self, items: Sequence[Item], limits: Sequence[int] | None = None,
                       force_frames: bool = False) -> list[Codes]:
        """Codec frames for each item, generated as one batch."""
        limits = [int(n) for n in (limits or [batching.frame_limit(len(it.text)) for it in items])]
        tts = self.tts
        input_ids = tts._tokenize_texts([tts._build_assistant_text(it.text) for it in items])
        instruct_ids = self.instruction_ids(items)
        keys = torch.tensor([row_key(self.seed, it.text) for it in items], dtype=torch.int64, device=self.device)
        # the talker's step n picks frame n's first code; frame n's other codes come at step n + 1
        steps = torch.tensor([n + 1 for n in limits], dtype=torch.int64, device=self.device)
        most = max(limits) + 1
        s = self.sampling
        with self._steered(keys, steps, most, force_frames):
            codes, _ = self.model.generate(
                input_ids=input_ids, instruct_ids=instruct_ids,
                languages=[it.language for it in items], speakers=[it.speaker.lower() for it in items],
                non_streaming_mode=True, max_new_tokens=most,
                repetition_penalty=s["repetition_penalty"],
                subtalker_dosample=s["subtalker_dosample"], subtalker_top_k=s["subtalker_top_k"],
                subtalker_top_p=s["subtalker_top_p"], subtalker_temperature=s["subtalker_temperature"])
        out = []
        for frames, limit in zip(codes, limits):
            out.append(Codes(frames[:limit], limit, hit_limit=int(frames.shape[0]) >= limit))
        return out

    def instruction_ids(self, items: Sequence[Item]) -> list:
        """Each item's tokenized instruction (its own, else the Speaker's), or None for none."""
        if self.model.tts_model_size == "0b6":  # 0.6B CustomVoice takes no instruction
            return [None] * len(items)
        tokenized = {}
        for text in {it.instruct or self.instruct for it in items} - {""}:
            tokenized[text] = self.tts._tokenize_texts([self.tts._build_instruct_text(text)])[0]
        return [tokenized.get(it.instruct or self.instruct) for it in items]

    @contextmanager
    def _steered(self, keys: torch.Tensor, steps: torch.Tensor, most: int, force_frames: bool):
        """Route the nested HF generate calls through per-segment sampling and frame limits."""
        talker = self.model.talker
        predictor = talker.code_predictor
        s = self.sampling
        talker_sampler = (SeededSampler(keys, TALKER_STREAM, s["temperature"], s["top_k"], s["top_p"])
                          if s["do_sample"] else None)
        predictor_sampler = (SeededSampler(keys, PREDICTOR_STREAM, s["subtalker_temperature"], s["subtalker_top_k"],
                                           s["subtalker_top_p"]) if s["subtalker_dosample"] else None)
        frame = [0]

        def talker_generate(*args, **kwargs):
            _drop_sampling(kwargs)
            kwargs["stopping_criteria"] = StoppingCriteriaList([FrameLimits(steps)])
            kwargs["max_new_tokens"] = most
            kwargs["pad_token_id"] = self.eos
            if force_frames:
                kwargs["min_new_tokens"] = most
            if talker_sampler is not None:
                kwargs["logits_processor"] = LogitsProcessorList([talker_sampler])
            return type(talker).generate(talker, *args, **kwargs)

        def predictor_generate(*args, **kwargs):
            _drop_sampling(kwargs)
            if predictor_sampler is not None:
                predictor_sampler.frame = frame[0]
                kwargs["logits_processor"] = LogitsProcessorList([predictor_sampler])
            frame[0] += 1
            return type(predictor).generate(predictor, *args, **kwargs)

        talker.generate = talker_generate
        predictor.generate = predictor_generate
        try:
            yield
        finally:
            del talker.generate
            del predictor.generate

    # -- waveforms ---------------------------------------------------------------------------
    DECODE_BATCH = 16  # the 12 Hz decoder's memory grows fast with batch x frames; 16 keeps it near its best rate

    def decode(self, codes: Sequence[torch.Tensor]) -> list[np.ndarray]:
        """float32 waveforms at self.sample_rate, DECODE_BATCH segments per decoder call.

        A batch pads its segments to one length, which changes float rounding by at most one
        int16 step in a few samples: the codes (what the model said) never depend on the batch,
        and decoding one at a time cost ~10% of a GPU run.
        """
        tokenizer = self.model.speech_tokenizer
        waves = []
        for start in range(0, len(codes), self.DECODE_BATCH):
            chunk = codes[start:start + self.DECODE_BATCH]
            decoded, _ = tokenizer.decode([{"audio_codes": frames} for frames in chunk])
            waves.extend(decoded)
        return waves

    def checked_audio(self, item: Item, frames: int, wave: np.ndarray) -> Audio | Exception:
        return checked_audio(item, frames, wave, self.sample_rate)

    # -- the engine's entry point ------------------------------------------------------------
    def speak(self, items: Sequence[Item], max_batch: int, limits: Sequence[int] | None = None,
              force_frames: bool = False) -> Iterator[tuple[int, Audio | Exception]]:
        """Yield (index, Audio or error) per item, as batches finish.

        limits: frames per item (default: batching.frame_limit of its length); force_frames:
        speak exactly that many (for benchmarks: EOS suppressed).

        A batch that fails is split in halves and retried, so finished segments are never lost
        and one bad segment fails alone; running out of memory also caps the batch size for the
        rest of the run (self.oom_cap).
        """
        cap = max(1, min(int(max_batch), self.oom_cap or int(max_batch)))
        queue = deque([list(range(len(items)))])
        while queue:
            group = queue.popleft()
            if len(group) > cap:
                queue.extendleft(reversed([group[i:i + cap] for i in range(0, len(group), cap)]))
                continue
            try:
                results = self._speak_batch([items[i] for i in group],
                                            [limits[i] for i in group] if limits else None, force_frames)
            except Exception as exc:  # noqa: BLE001 (one batch must not sink the run)
                oom = is_out_of_memory(exc)
                release_memory(self.device)
                if len(group) > 1:
                    half = len(group) // 2
                    if oom:
                        cap = self.oom_cap = min(cap, half)
                        log.warning(f"Qwen3-TTS ran out of memory on {self.device} with {len(group)} segments at once; "
                                    f"going on with batches of {cap}")
                    queue.extendleft([group[half:], group[:half]])
                    continue
                text = items[group[0]].text
                if oom:
                    yield group[0], SynthesisError(
                        f"Qwen3-TTS ran out of memory on {self.device} even for this segment alone "
                        f"({len(text)} characters): free the GPU, set TTS_DEVICE to another device, or set "
                        f"TTS_DTYPE to a smaller format")
                else:
                    yield group[0], SynthesisError(f"Qwen3-TTS failed on the segment {first_words(text)!r}: "
                                                   f"{one_line(exc)}")
                continue
            for index, result in zip(group, results):
                yield index, result

    def _speak_batch(self, items: Sequence[Item], limits=None, force_frames=False) -> list[Audio | Exception]:
        generated = self.generate_codes(items, limits, force_frames)
        frames = [c.frames for c in generated]
        release_memory(self.device)  # the batch's caches go before the decoder needs room
        waves = self.decode(frames)
        results: list[Audio | Exception] = []
        for item, codes, wave in zip(items, generated, waves):
            if codes.hit_limit and not force_frames:
                log.warning(f"Qwen3-TTS: the segment {first_words(item.text)!r} reached its limit of "
                            f"{codes.limit / batching.FRAMES_PER_SECOND:.1f} seconds and was cut off there; "
                            "listen to it, and reword it if it sounds wrong")
            results.append(self.checked_audio(item, int(codes.frames.shape[0]), wave))
        return results


def auto_batch_size(tts, max_chars: int, instruct_chars: int = 0) -> int:
    """Segments per batch from the accelerator's free memory (CPU: batching.CPU_BATCH)."""
    device = torch.device(tts.device)
    room = None
    if device.type == "cuda":
        free, total = torch.cuda.mem_get_info(device)
        room = batching.budget(free, total)
    elif device.type == "mps":
        try:
            total = torch.mps.recommended_max_memory()
            room = batching.budget(total - torch.mps.driver_allocated_memory(), total)
        except (AttributeError, RuntimeError):
            room = None
    if room is None:
        return batching.CPU_BATCH
    talker = tts.model.config.talker_config
    element = torch.empty((), dtype=tts.model.dtype).element_size()
    per_token = batching.bytes_per_token(talker.num_hidden_layers, talker.num_key_value_heads, talker.head_dim,
                                         talker.hidden_size, element)
    return batching.batch_size_for(room, batching.segment_bytes(max_chars, per_token, instruct_chars))


def _drop_sampling(kwargs: dict) -> None:
    """Sampling happens in our logits processor; HF runs its greedy path around it."""
    for key in ("do_sample", "top_k", "top_p", "temperature"):
        kwargs.pop(key, None)
    kwargs["do_sample"] = False


class SeededSampler(LogitsProcessor):
    """Temperature, top-k and top-p, then per-row Gumbel noise; the caller takes the argmax."""

    def __init__(self, keys: torch.Tensor, stream: int, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None):
        self.keys = keys
        self.stream = stream
        self.temperature = float(temperature or 1.0)
        self.top_k = int(top_k) if top_k else None
        self.top_p = float(top_p) if top_p is not None and float(top_p) < 1.0 else None
        self.frame = 0  # set by the caller for the code predictor (one call of it per frame)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        scores = restrict(scores, self.temperature, self.top_k, self.top_p)
        step = input_ids.shape[-1]
        return scores + gumbel_noise(self.keys, (self.stream, self.frame, step), scores.shape[-1])

class FrameLimits(StoppingCriteria):
    """Stop each row at its own number of talker steps (rows stopped early are padded with EOS)."""

    def __init__(self, steps: torch.Tensor):
        self.steps = steps

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        return torch.full_like(self.steps, input_ids.shape[-1], dtype=torch.long) >= self.steps
