"""The fixed set of slots that segments stream through, and their key/value caches.

Every tensor has a slot dimension of `count` and never changes shape or address, so the frame
step can be captured once per batch size and replayed. The talker's cache is as long as the
longest segment of the run needs (prompt plus frame limit), not a fixed 1024/2048; the code
predictor's cache lives for one frame (17 positions).

A slot is live while `active` is set. Finishing (EOS or the frame limit) clears `active` on the
device; the scheduler reads the flags back every few frames, collects the codes and refills.
"""

from __future__ import annotations

import torch

from nikola_tts.engines.qwen.fast.weights import Weights

ROUND = 64  # cache lengths are rounded up to this many positions


def cache_length(longest: int) -> int:
    return max(ROUND, -(-int(longest) // ROUND) * ROUND)


def predictor_positions(w: Weights) -> int:
    """The code predictor's cache positions: the talker's output, then a frame's codes (persistent.compile_ahead
    must compile for as many)."""
    return w.groups + 1


def bytes_per_slot(w: Weights, length: int, max_frames: int) -> int:
    t, p = w.talker, w.predictor
    element = torch.empty((), dtype=w.dtype).element_size()
    talker = 2 * len(t.layers) * t.kv_heads * t.head_dim * length * element
    predictor = 2 * len(p.layers) * p.kv_heads * p.head_dim * predictor_positions(w) * element
    codes = max_frames * w.groups * 8 + int(w.codec_head.shape[0])  # codes (int64) + the seen mask
    return talker + predictor + codes


class Slots:
    def __init__(self, w: Weights, count: int, length: int, max_frames: int):
        t, p = w.talker, w.predictor
        dev, dt = w.device, w.dtype
        self.count, self.length, self.max_frames = count, length, max_frames
        self.k = torch.zeros(len(t.layers), count, t.kv_heads, length, t.head_dim, device=dev, dtype=dt)
        self.v = torch.zeros_like(self.k)
        self.pk = torch.zeros(len(p.layers), count, p.kv_heads, predictor_positions(w), p.head_dim, device=dev,
                              dtype=dt)
        self.pv = torch.zeros_like(self.pk)
        hidden = int(w.codec_head.shape[1])
        vocab = int(w.codec_head.shape[0])

        def longs():
            return torch.zeros(count, device=dev, dtype=torch.long)

        self.hidden = torch.zeros(count, hidden, device=dev, dtype=dt)  # the talker's last output
        self.pad = torch.zeros(count, hidden, device=dev, dtype=dt)  # each segment's tts pad embedding
        self.code0 = longs()  # the frame's first code, chosen by the talker
        self.frame = longs()  # frames finished
        self.prompt = longs()  # prompt length: the next talker position is prompt + frame
        self.limit = longs()  # frame limit
        self.eos_from = longs()  # the first frame that may end the segment (2, or past the limit: forced)
        self.keys = longs()  # sampling keys
        self.active = torch.zeros(count, device=dev, dtype=torch.bool)
        self.seen = torch.zeros(count, vocab, device=dev, dtype=torch.bool)  # codes chosen (repetition penalty)
        self.codes = torch.zeros(count, max_frames, w.groups, device=dev, dtype=torch.long)

    STATE = ("hidden", "code0", "frame", "active", "seen")  # what one frame advances, besides cache and code rows

    def snapshot(self, b: int) -> dict:
        """The per-slot state of slots [0, b) that a frame advances (graphs.py: an eager warm-up frame)."""
        return {name: getattr(self, name)[:b].clone() for name in self.STATE}

    def restore(self, saved: dict, b: int) -> None:
        for name in self.STATE:
            getattr(self, name)[:b].copy_(saved[name])

    def move(self, src: int, dst: int) -> None:
        """Copy a live slot into a free one (to pack live slots at the front for a smaller graph)."""
        for name in ("k", "v"):
            getattr(self, name)[:, dst] = getattr(self, name)[:, src]
        for name in ("hidden", "pad", "code0", "frame", "prompt", "limit", "eos_from", "keys", "active", "seen",
                     "codes"):
            getattr(self, name)[dst] = getattr(self, name)[src]
        self.active[src] = False
