"""Sampling that does not depend on what else is in the batch.

Hugging Face sampling draws every row of a batch from one global random generator, so a
segment's audio would depend on which other segments shared its batch, and on their order: the
same paragraph, re-narrated alone after an edit elsewhere, would come out different. Here each
row samples with its own noise instead, a pure function of (the segment's key, which model
stage, which frame, which step, which token):

    token = argmax(logits / temperature  restricted to top-k / top-p  +  Gumbel noise)

which is an exact draw from the same distribution as softmax sampling (the Gumbel-max trick).
The noise comes from a counter-based integer hash computed on the device, so it costs a few
element-wise kernels per step and is identical on CPU, CUDA and MPS. The plain path adds it as a
Hugging Face logits processor (generate.py); the fast path adds it on the device (fast/choose.py).
Plain torch only: the fast path imports this without transformers.

Greedy decoding (do_sample false) needs none of this: rows are independent by construction.
"""

from __future__ import annotations

import hashlib

import torch

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


DEFAULTS = dict(do_sample=True, top_k=50, top_p=1.0, temperature=0.9, repetition_penalty=1.05,
                subtalker_dosample=True, subtalker_top_k=50, subtalker_top_p=1.0, subtalker_temperature=0.9)


def sampling_settings(model_defaults: dict | None, overrides: dict | None) -> dict:
    """The model's generation_config.json defaults, then the site's overrides, for the known keys."""
    merged = dict(DEFAULTS)
    merged.update({k: v for k, v in (model_defaults or {}).items() if k in merged})
    merged.update({k: v for k, v in (overrides or {}).items() if k in merged and v is not None})
    return merged
