"""Choosing codes on the device, with no host round trip: the fast path's logits processing.

The same choices as the engine's Hugging Face path, in the same order: repetition penalty on
the codes a segment has already chosen (talker only), suppressed control codes, EOS held back
until a segment may end, then either the argmax (greedy) or the seeded Gumbel-max draw of
sampling.py, whose noise is a function of (segment key, stage, frame, step): a segment gets
the same codes whichever slot or batch it runs in.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch



@dataclass(frozen=True)
class Choice:
    do_sample: bool
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None

    @classmethod
    def from_settings(cls, settings: dict, prefix: str = "") -> "Choice":
        top_p = settings[f"{prefix}top_p"]
        return cls(do_sample=bool(settings["subtalker_dosample" if prefix else "do_sample"]),
                   temperature=float(settings[f"{prefix}temperature"] or 1.0),
                   top_k=int(settings[f"{prefix}top_k"]) if settings[f"{prefix}top_k"] else None,
                   top_p=float(top_p) if top_p is not None and float(top_p) < 1.0 else None)

    def pick(self, scores: torch.Tensor, keys: torch.Tensor, counters: tuple, ops) -> torch.Tensor:
        """scores: (rows, vocab) float32, already penalized and masked -> (rows,) int64 codes."""
        if not self.do_sample:
            return scores.argmax(dim=-1)
        return ops.sample(scores, keys, counters, self.temperature, self.top_k, self.top_p)


def penalize(scores: torch.Tensor, seen: torch.Tensor, penalty: float) -> torch.Tensor:
    """Hugging Face's repetition penalty over the codes each row has chosen before (seen: bool mask)."""
    if penalty == 1.0:
        return scores
    return torch.where(seen, torch.where(scores < 0, scores * penalty, scores / penalty), scores)


def suppressed_mask(vocab: int, eos: int, device) -> torch.Tensor:
    """The talker's last 1024 codes are control codes it must not say, except EOS (upstream's suppress_tokens)."""
    mask = torch.zeros(vocab, dtype=torch.bool, device=device)
    mask[vocab - 1024:] = True
    mask[eos] = False
    return mask
