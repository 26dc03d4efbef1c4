"""Sampling that does not depend on what else is in the batch.

Hugging Face sampling draws every row of a batch from one global random generator, so a
segment's audio would depend on which other segments shared its batch, and on their order: the
same paragraph, re-narrated alone after an edit elsewhere, would come out different. Here each
row samples with its own noise instead, a pure function of (the segment's key, which model
stage, which frame, which step, which token):

    token = argmax(logits / temperature  restricted to top-k / top-p  +  Gumbel noise)

which is an exact draw from the same distribution as softmax sampling (the Gumbel-max trick).
The noise comes from a counter-based integer hash computed on the device, so it costs a few
element-wise kernels per step and is identical on CPU, CUDA and MPS. Generation itself then
runs Hugging Face's greedy path (do_sample=False), with this noise added as a logits processor.

Greedy decoding (do_sample false) needs none of this: rows are independent by construction.
"""

from __future__ import annotations

import hashlib

import torch
from transformers import LogitsProcessor, StoppingCriteria

_MASK = 0xFFFFFFFF
TALKER_STREAM = 1  # the talker picks each frame's first codebook
PREDICTOR_STREAM = 2  # the code predictor picks the 15 residual codebooks of a frame


def row_key(seed: int, text: str) -> int:
    """A segment's 32-bit noise key: its seed and its text, nothing about its batch."""
    digest = hashlib.sha256(f"{int(seed)}\x00{text}".encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "little")


def _mulmod32(x: torch.Tensor, c: int) -> torch.Tensor:
    """(x * c) mod 2**32 for 0 <= x < 2**32 in int64 without overflow (16-bit halves)."""
    low = (x & 0xFFFF) * c
    high = (((x >> 16) * c) & 0xFFFF) << 16
    return (low + high) & _MASK


def _mix(x: torch.Tensor) -> torch.Tensor:
    """A 32-bit integer finalizer (lowbias32), on int64 tensors holding 32-bit values."""
    x = x ^ (x >> 16)
    x = _mulmod32(x, 0x7FEB352D)
    x = x ^ (x >> 15)
    x = _mulmod32(x, 0x846CA68B)
    return x ^ (x >> 16)


def gumbel_noise(keys: torch.Tensor, counters: tuple, vocab: int) -> torch.Tensor:
    """Gumbel(0, 1) noise of shape (rows, vocab), float32, from per-row keys and counters."""
    device = keys.device
    if device.type == "mps":  # 64-bit integer kernels are patchy on MPS: hash on the CPU
        keys = keys.cpu()
    h = keys.to(torch.int64) & _MASK
    for counter in counters:  # ints, or per-row int64 tensors (the fast path's frame numbers)
        h = _mix(h ^ ((counter.to(h.device) if torch.is_tensor(counter) else int(counter)) & _MASK))
    bits = _mix(h[:, None] ^ _token_hashes(vocab, keys.device)[None, :]) >> 9  # 23 random bits: exact in float32
    uniform = (bits.to(torch.float32) + 0.5) * (1.0 / (1 << 23))  # in (0, 1), never 0 or 1
    return (-torch.log(-torch.log(uniform))).to(device)


_TOKEN_HASHES: dict = {}


def _token_hashes(vocab: int, device) -> torch.Tensor:
    key = (vocab, str(device))
    if key not in _TOKEN_HASHES:
        _TOKEN_HASHES[key] = _mix(torch.arange(vocab, device=device, dtype=torch.int64) + 0x9E3779B9)
    return _TOKEN_HASHES[key]


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


def restrict(scores: torch.Tensor, temperature: float, top_k: int | None, top_p: float | None) -> torch.Tensor:
    """float32 scores / temperature, with tokens outside the top k and the top p set to -inf."""
    scores = scores.float() / temperature
    vocab = scores.shape[-1]
    if top_k is not None and top_k < vocab:
        kth = torch.topk(scores, top_k, dim=-1).values[..., -1:]
        scores = scores.masked_fill(scores < kth, float("-inf"))
    if top_p is not None:
        ordered, order = torch.sort(scores, descending=False, dim=-1)
        cumulative = ordered.softmax(dim=-1).cumsum(dim=-1)
        drop = cumulative <= (1 - top_p)
        drop[..., -1:] = False  # always keep the most likely token
        scores = scores.masked_fill(drop.scatter(-1, order, drop), float("-inf"))
    return scores


class FrameLimits(StoppingCriteria):
    """Stop each row at its own number of talker steps (rows stopped early are padded with EOS)."""

    def __init__(self, steps: torch.Tensor):
        self.steps = steps

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        return torch.full_like(self.steps, input_ids.shape[-1], dtype=torch.long) >= self.steps
