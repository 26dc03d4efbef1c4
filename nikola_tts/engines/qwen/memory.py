"""Accelerator memory: is this exception an out-of-memory, and give cached blocks back."""

from __future__ import annotations

import gc


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    kinds = tuple(k for k in (getattr(torch, "OutOfMemoryError", None), getattr(torch.cuda, "OutOfMemoryError", None))
                  if isinstance(k, type))
    return bool(kinds and isinstance(exc, kinds)) or "out of memory" in str(exc).lower()


def release_memory(device) -> None:
    import torch

    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps" and hasattr(torch, "mps"):
        torch.mps.empty_cache()
