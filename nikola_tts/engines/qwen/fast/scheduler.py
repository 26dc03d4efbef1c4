"""Continuous batching: segments stream through the slots; a finished slot is refilled at once.

The queue is sorted longest first, so the long segments start together and the short ones
fill the gaps at the end. The host looks at the device only every `check_every` frames (one
small copy of the slots' flags), or sooner when a slot is due to reach its frame limit; in
between it only replays the frame graph. When the queue is empty and few slots are live, the
live ones are moved to the front so a smaller graph steps them.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Iterator

import torch

from nikola_tts.engines.qwen.fast.graphs import FrameGraphs
from nikola_tts.engines.qwen.fast.prompt import Prompt
from nikola_tts.engines.qwen.fast.step import NewSegment


PREFILL_GROUP = 16  # prompts per prefill call (the queue is sorted, so a group's lengths are close)
REFILL_FRACTION = 16  # refill once this fraction of the slots is free (or the queue's rest fits)


@dataclass
class Job:
    index: int
    prompt: Prompt
    limit: int
    key: int
    forced: bool = False


@dataclass
class Finished:
    index: int
    codes: torch.Tensor  # (frames, 16) on the device
    hit_limit: bool


class Scheduler:
    def __init__(self, graphs: FrameGraphs, check_every: int = 8):
        self.graphs = graphs
        self.stepper = graphs.stepper
        self.slots = graphs.stepper.s
        self.check_every = check_every
        self.frames_stepped = 0  # slot-frames replayed, live or not (for the benchmark's occupancy)
        self.steps = 0
        self.prefill_seconds = 0.0  # host time spent launching prefills

    @torch.no_grad()
    def run(self, jobs: list[Job]) -> Iterator[Finished]:
        s = self.slots
        queue = deque(sorted(jobs, key=lambda job: -job.limit))
        owner: list[Job | None] = [None] * s.count
        done_frames = [0] * s.count  # host copy, as of the last check
        while queue or any(owner):
            free = [slot for slot in range(s.count) if owner[slot] is None][:len(queue)]
            if len(free) < min(len(queue), max(1, s.count // REFILL_FRACTION)) and any(owner):
                free = []  # refill in groups: a prefill call costs the same for 1 prompt as for 16
            for start in range(0, len(free), PREFILL_GROUP):
                group = [(slot, queue.popleft()) for slot in free[start:start + PREFILL_GROUP]]
                started = time.perf_counter()
                self.stepper.prefill([NewSegment(slot, job.prompt.embeds, job.prompt.pad, job.limit, job.key, job.forced)
                                      for slot, job in group])
                self.prefill_seconds += time.perf_counter() - started
                for slot, job in group:
                    owner[slot], done_frames[slot] = job, 0
            if not queue:
                self._pack(owner, done_frames)
            top = max(i for i, job in enumerate(owner) if job is not None) + 1
            b = self.graphs.size_for(top)
            due = min(job.limit - done_frames[i] for i, job in enumerate(owner) if job is not None)
            steps = max(1, min(self.check_every, due))
            for _ in range(steps):
                self.graphs.run(b)
            self.steps += steps
            self.frames_stepped += b * steps
            active = s.active[:b].tolist()
            frames = s.frame[:b].tolist()
            for slot in range(b):
                job = owner[slot]
                if job is None:
                    continue
                done_frames[slot] = frames[slot]
                if not active[slot]:
                    yield Finished(job.index, s.codes[slot, :frames[slot]].clone(), frames[slot] >= job.limit)
                    owner[slot] = None

    def _pack(self, owner: list, done_frames: list) -> None:
        live = [i for i, job in enumerate(owner) if job is not None]
        if not live:
            return
        size = self.graphs.size_for(len(live))
        free = [i for i in range(size) if owner[i] is None]
        for src in [i for i in live if i >= size]:
            dst = free.pop(0)
            self.slots.move(src, dst)
            owner[dst], owner[src] = owner[src], None
            done_frames[dst] = done_frames[src]
