"""One segment's state on its way through the fast path (nano-vllm's Sequence).

The scheduler moves a sequence from waiting to running (it gets a slot and its prompt is
prefilled) to finished (EOS or its frame limit, seen at a check of the slots' flags); the
speaker then copies its codes out of the slot. It is mutable on purpose: it is the one place a
segment's progress is kept, and only the scheduler and the speaker's loop change it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import torch

from nikola_tts.engines.qwen.fast.prompt import Prompt


class Status(Enum):
    WAITING = "waiting"
    RUNNING = "running"
    FINISHED = "finished"


@dataclass(eq=False)
class Sequence:
    index: int  # the segment's place in the caller's list
    prompt: Prompt
    limit: int  # frames it may speak
    key: int  # its sampling key (seeded.row_key)
    forced: bool = False  # speak exactly `limit` frames (EOS held back: benchmarks)
    expected: int = 0  # frames it is expected to speak, by its length (0: its limit)
    status: Status = Status.WAITING
    slot: int = -1
    frames: int = 0  # frames generated, as of the last check
    codes: torch.Tensor | None = None  # (frames, 16), once finished
    chunks_sent: int = 0  # speech-decoder chunks handed to the decoder so far (decode.py)

    @property
    def hit_limit(self) -> bool:
        return self.frames >= self.limit

    @property
    def frames_left(self) -> int:
        """Frames it is expected to speak still (at least none)."""
        return max(min(self.expected or self.limit, self.limit) - self.frames, 0)
