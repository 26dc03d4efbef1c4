"""The model's forward passes on the slots: a segment's prefill once, then one frame at a time for all slots.

One frame of every live slot = the code predictor's 15 steps (residual codes 1-15 of the frame
the talker began) + one talker step (the next frame's first code), with sampling, EOS and
frame-limit bookkeeping done on the device. `frame()` reads and writes only tensors of `Slots`,
with fixed shapes and no host synchronization, so `graphs.py` can capture it whole; on a
device without CUDA graphs the same function runs as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from nikola_tts.engines.qwen.fast.layers import causal_prefill, finish_layer, grouped_attention, new_token, qkv
from nikola_tts.engines.qwen.fast.ops import TorchOps
from nikola_tts.engines.qwen.fast.choose import Choice, penalize, suppressed_mask
from nikola_tts.engines.qwen.fast.slots import Slots
from nikola_tts.engines.qwen.fast.weights import Weights
from nikola_tts.engines.qwen.seeded import PREDICTOR_STREAM, TALKER_STREAM


class OneSlotFailed(RuntimeError):
    """The one-launch step of frames of one slot went wrong on the device (persistent.py): the frames since the
    last check must not be used, and the layers can do them instead."""


@dataclass(frozen=True)
class Rules:
    talker: Choice
    predictor: Choice
    repetition_penalty: float

    @classmethod
    def from_settings(cls, settings: dict) -> "Rules":
        return cls(talker=Choice.from_settings(settings), predictor=Choice.from_settings(settings, "subtalker_"),
                   repetition_penalty=float(settings["repetition_penalty"]))


@dataclass(frozen=True)
class NewSegment:
    slot: int
    embeds: torch.Tensor  # the prompt, (1, tokens, hidden)
    pad: torch.Tensor  # (hidden,), added to every frame's input
    limit: int  # frames
    key: int  # sampling key
    forced: bool  # speak exactly `limit` frames (EOS held back: benchmarks)


class Stepper:
    def __init__(self, w: Weights, slots: Slots, rules: Rules, ops=None, one_slot=None):
        self.w, self.s, self.rules = w, slots, rules
        self.ops = ops or TorchOps()
        # the code predictor's steps 1-14 for a frame of one slot, one launch each (persistent.PersistentPredictor)
        self.one_slot = one_slot
        self.eos = w.config.eos
        self.suppressed = suppressed_mask(int(w.codec_head.shape[0]), self.eos, w.device)
        self.positions = torch.arange(slots.length, device=w.device)
        self.rows = torch.arange(slots.count, device=w.device)
        self.first_two = torch.ones(2, 2, device=w.device, dtype=torch.bool).triu(1)[None, None]
        self.no_mask = torch.zeros(1, 1, 1, 1, device=w.device, dtype=torch.bool)  # the predictor sees all it has
        self.predictor_last = [torch.full((slots.count,), j, device=w.device, dtype=torch.long)
                               for j in range(w.groups + 1)]
        self.tables = torch.arange(w.groups - 1, device=w.device)  # the code predictor's 15 embedding tables

    # -- the talker's logits -> a frame's first code -------------------------------------------
    def _first_code(self, hidden, frame_index, seen, eos_from, keys):
        scores = self.ops.linear(hidden, self.w.codec_head).float()
        scores = penalize(scores, seen, self.rules.repetition_penalty)
        scores = scores.masked_fill(self.suppressed, float("-inf"))
        hold_eos = frame_index < eos_from
        scores[:, self.eos] = torch.where(hold_eos, torch.full_like(hold_eos, float("-inf"), dtype=scores.dtype),
                                          scores[:, self.eos])
        return self.rules.talker.pick(scores, keys, (TALKER_STREAM, 0, frame_index), self.ops)

    # -- prefill: new segments into free slots (eager, outside graphs) -------------------------
    @torch.no_grad()
    def prefill(self, entries: list[NewSegment], length: int | None = None) -> None:
        """Prompt new segments into their slots, as one batch, right-padded to `length` (default: the longest).

        Causal attention never lets a real position see the padding, and the cache positions the padding fills are
        overwritten by the segment's own frames before any query may look at them."""
        x, slots, last = self.prompt_inputs(entries, length)
        self.start(entries, slots, self.prompt_pass(x, slots, last))

    def prompt_inputs(self, entries: list[NewSegment], length: int | None = None):
        """The prompts right-padded into one batch: (x (rows, length, hidden), their slots, their last positions)."""
        w = self.w
        lengths = [int(e.embeds.shape[1]) for e in entries]
        x = torch.zeros(len(entries), length or max(lengths), int(entries[0].embeds.shape[-1]), device=w.device,
                        dtype=w.dtype)
        for row, entry in enumerate(entries):
            x[row, :lengths[row]] = entry.embeds[0].to(w.dtype)
        return (x, torch.tensor([e.slot for e in entries], device=w.device),
                torch.tensor(lengths, device=w.device) - 1)

    def prompt_pass(self, x, slots, last):
        """The talker over padded prompts x, each row's keys and values into its slot's caches -> each row's
        final-normed output at its last position. Fixed shapes, no host synchronization: graphs.py captures it."""
        s, t = self.s, self.w.talker
        length = int(x.shape[1])

        def store(i, k, v):
            s.k[i, slots, :, :length] = k
            s.v[i, slots, :, :length] = v

        return causal_prefill(self.ops, t, x, t.cos[:length][None], t.sin[:length][None], store, last=last)

    def start(self, entries: list[NewSegment], slots, hidden) -> None:
        """The prompts' output -> each new segment's first code; its slot's state set for frames."""
        w, s = self.w, self.s
        s.seen[slots] = False
        s.eos_from[slots] = torch.tensor([e.limit + 1 if e.forced else 2 for e in entries], device=w.device)
        s.keys[slots] = torch.tensor([e.key for e in entries], device=w.device)
        code0 = self._first_code(hidden, torch.zeros(len(entries), dtype=torch.long, device=w.device),
                                 s.seen[slots], s.eos_from[slots], s.keys[slots])
        s.hidden[slots] = hidden
        s.pad[slots] = torch.stack([e.pad.to(w.dtype) for e in entries])
        s.code0[slots] = code0
        s.seen[slots, code0] = True
        s.frame[slots] = 0
        s.prompt[slots] = torch.tensor([int(e.embeds.shape[1]) for e in entries], device=w.device)
        s.limit[slots] = torch.tensor([e.limit for e in entries], device=w.device)
        s.active[slots] = True

    # -- one frame for slots [0, b) --------------------------------------------------------------
    def frame(self, b: int) -> None:
        w, s = self.w, self.s
        active, frame = s.active[:b], s.frame[:b]
        codes, embeds = self._residual_codes(b)
        # the talker: the whole frame's embeddings (summed) -> the next frame's first code
        x = (embeds.sum(1) + s.pad[:b])[:, None]
        position = (s.prompt[:b] + frame).clamp(max=s.length - 1)
        t = w.talker
        cos, sin = t.cos[position][:, None], t.sin[position][:, None]
        hidden_mask = (self.positions[None, :] > position[:, None])[:, None, None, :]
        rows = self.rows[:b]
        ops = self.ops
        x, delta = new_token(ops, t, x, cos, sin, s.k[:, :b], s.v[:, :b], position, hidden_mask)
        hidden = ops.add_norm(x, delta, t.norm, t.eps)[1][:, 0]
        done = frame + 1
        code0 = self._first_code(hidden, done, s.seen[:b], s.eos_from[:b], s.keys[:b])
        # bookkeeping, for live slots only
        slot_codes = torch.stack(codes, dim=1)
        at = frame.clamp(max=s.max_frames - 1)
        s.codes[rows, at] = torch.where(active[:, None], slot_codes, s.codes[rows, at])
        finished = (code0 == self.eos) | (done >= s.limit[:b])
        s.seen[rows, code0] = s.seen[rows, code0] | active
        s.frame[:b] = torch.where(active, done, frame)
        s.code0[:b] = torch.where(active, code0, s.code0[:b])
        s.hidden[:b] = torch.where(active[:, None], hidden, s.hidden[:b])
        s.active[:b] = active & ~finished

    def _residual_codes(self, b: int):
        """The code predictor's pass for slots [0, b): (the frame's 16 codes, their embeddings (b, 16, hidden)).
        A step's code goes to the next step's input through its embedding's projection in one op (embed_linear);
        the 15 embeddings the talker sums are gathered once, after the last step."""
        w, s, ops = self.w, self.s, self.ops
        code0, frame, keys = s.code0[:b], s.frame[:b], s.keys[:b]
        first = F.embedding(code0, w.codec_embedding)
        codes = [code0]
        x = self._project(torch.stack([s.hidden[:b], first], dim=1))
        one_slot = self.one_slot if b == 1 else None
        if one_slot is not None:
            one_slot.new_frame()
        for j in range(w.groups - 1):
            if j > 0 and one_slot is not None:
                scores = one_slot.step(x, j, j + 1)
            elif one_slot is not None and one_slot.first:
                scores = one_slot.first_step(x)
            else:
                scores = self._predictor_layers(b, j, x)
            code = self.rules.predictor.pick(scores, keys, (PREDICTOR_STREAM, frame, j), ops)
            codes.append(code)
            if j < w.groups - 2:
                x = ops.embed_linear(code, w.residual_embeddings[j], w.projection, w.projection_bias)[:, None]
        residual = w.residual_embeddings[self.tables, torch.stack(codes[1:], dim=1)]  # (b, 15, hidden)
        embeds = torch.cat([first[:, None], residual], dim=1)
        return codes, embeds

    def _predictor_layers(self, b: int, j: int, x):
        """Step j of the code predictor for slots [0, b), layer by layer -> float32 scores of code j + 1."""
        w, s, p, ops = self.w, self.s, self.w.predictor, self.ops
        scale = p.head_dim ** -0.5
        start = 0 if j == 0 else j + 1
        end = j + 2
        cos, sin = p.cos[start:end][None], p.sin[start:end][None]
        if j > 0:  # this code's key and value at position j + 1, then its query over positions 0..j + 1
            x, delta = new_token(ops, p, x, cos, sin, s.pk[:, :b, :, :end], s.pv[:, :b, :, :end],
                                 self.predictor_last[start][:b], self.no_mask)
        else:  # two queries (the talker's output and the first code), causal
            delta = None
            for i, layer in enumerate(p.layers):
                x, q, k, v = qkv(ops, p, layer, x, delta, cos, sin)
                s.pk[i, :b, :, start:end] = k
                s.pv[i, :b, :, start:end] = v
                attn = grouped_attention(q, s.pk[i, :b, :, :end], s.pv[i, :b, :, :end], self.first_two, scale)
                x, delta = finish_layer(ops, p, layer, x, attn)
        # the last position alone, final-normed, through this code's head
        return ops.add_norm_linear(x[:, -1], delta[:, -1], p.norm, p.eps, w.residual_heads[j])[1].float()

    def check(self) -> None:
        """Raise if the frames since the last check went wrong on the device (persistent.py's barriers)."""
        if self.one_slot is not None:
            self.one_slot.check()

    def _project(self, x):
        if self.w.projection is None:
            return x
        return self.ops.linear(x, self.w.projection, self.w.projection_bias)
