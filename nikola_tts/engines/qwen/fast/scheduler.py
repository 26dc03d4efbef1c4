"""Continuous batching over the slots: which segments get a slot, which graph steps them, for how long.

`schedule()` plans the next stretch: refill free slots from the queue (in waves of a slot count,
longest first within each, so the long segments start together and the short ones fill the
gaps), pack the live slots to the front once the queue is empty (so a smaller graph steps them,
where that graph is captured already or the frames left repay its capture), and step until the
next look at the device: every `check_every` frames, or sooner when a slot is due to reach its
frame limit. `postprocess()` takes what that look saw (each slot's live flag and frame count) and
returns the sequences that finished. The scheduler never touches the device: the speaker's
loop carries out each Plan (speaker.py), as nano-vllm's engine loop does.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
from dataclasses import dataclass

from nikola_tts.engines.qwen.fast.sequence import Sequence, Status

PREFILL_GROUP = 16  # prompts per prefill call (the queue is sorted, so a group's lengths are close)
REFILL_FRACTION = 16  # refill once this fraction of the slots is free (or the queue's rest fits)
# A graph size not captured yet costs a capture (0.29 s each on an H200: 2.0 s for a new post's 7
# sizes); a frame step grows by about SLOT_STEP_SECONDS per slot it steps (H200: 6.6 ms at 1 slot,
# 10.8 ms at 169). A draining run moves to a smaller graph only where the frames left save more.
CAPTURE_SECONDS = 0.3
SLOT_STEP_SECONDS = 25e-6


@dataclass(frozen=True)
class Plan:
    prefills: tuple  # groups (tuples) of sequences to prefill, each with its slot set
    moves: tuple  # (from slot, to slot) pairs, carried out after the prefills
    size: int  # the batch size (graph) that steps slots [0, size)
    frames: int  # frames to step before the next look


class Scheduler:
    def __init__(self, slots: int, sizes: list[int], check_every: int = 8, captured: Collection[int] | None = None,
                 capture_seconds: float = CAPTURE_SECONDS, waves: bool = True):
        """captured: the sizes whose graphs exist (read at each schedule()); None: every size costs
        nothing to step (no graphs: off CUDA). waves: queue a backlog in waves (add()); False where
        the narration itself takes the CPU (no accelerator), so that no MP3 is encoded beside it and
        waves would only cost frame steps."""
        self.count = slots
        self.waves = waves
        self.sizes = sizes
        self.check_every = check_every
        self.captured = captured
        self.capture_seconds = capture_seconds
        self.waiting: deque[Sequence] = deque()
        self.running: dict[int, Sequence] = {}  # slot -> sequence

    def add(self, sequences) -> None:
        """Queue `sequences` in waves of a slot count each, in the caller's order, longest first within
        a wave. A build hands its posts in turn, so a backlog's posts are narrated through one wave
        after another and their MP3s are encoded while the rest is narrated (ahead.py), where one
        queue longest first would finish every post at the very end (benchmarks/fast_waves.py). The
        last wave takes in the rest (up to two slot counts), so that the run still ends on short
        segments; a run of up to two slot counts is one wave, longest first, as it always was."""
        sequences = list(sequences)
        if not self.waves:
            waves = [sequences]
        else:
            waves = [sequences[i:i + self.count] for i in range(0, len(sequences), self.count)]
            if len(waves) > 1:
                waves[-2:] = [waves[-2] + waves[-1]]
        for wave in waves:
            self.waiting.extend(sorted(wave, key=lambda seq: -seq.limit))

    def is_finished(self) -> bool:
        return not self.waiting and not self.running

    def size_for(self, live_top: int) -> int:
        return next(b for b in self.sizes if b >= live_top)

    def schedule(self) -> Plan:
        free = [slot for slot in range(self.count) if slot not in self.running][:len(self.waiting)]
        if len(free) < min(len(self.waiting), max(1, self.count // REFILL_FRACTION)) and self.running:
            free = []  # refill in groups: a prefill call costs the same for 1 prompt as for 16
        prefills = []
        for start in range(0, len(free), PREFILL_GROUP):
            group = []
            for slot in free[start:start + PREFILL_GROUP]:
                seq = self.waiting.popleft()
                seq.slot, seq.status, seq.frames = slot, Status.RUNNING, 0
                self.running[slot] = seq
                group.append(seq)
            prefills.append(tuple(group))
        moves = ()
        if not self.waiting:
            packed = self.graph_for(len(self.running))
            if packed < max(self.running) + 1:
                moves = self._pack(packed)
        size = self.graph_for(max(self.running) + 1)
        due = min(seq.limit - seq.frames for seq in self.running.values())
        return Plan(prefills=tuple(prefills), moves=moves, size=size, frames=max(1, min(self.check_every, due)))

    def postprocess(self, plan: Plan, active: list[bool], frames: list[int]) -> list[Sequence]:
        """active, frames: the device's flags and frame counts of slots [0, plan.size) after the plan ran."""
        finished = []
        for slot in range(plan.size):
            seq = self.running.get(slot)
            if seq is None:
                continue
            seq.frames = frames[slot]
            if not active[slot]:
                seq.status = Status.FINISHED
                del self.running[slot]
                finished.append(seq)
        return finished

    def graph_for(self, live_top: int) -> int:
        """The graph that steps slots [0, live_top): the smallest size that holds them, unless that one
        is not captured and a larger captured one steps them for less than its capture costs."""
        size = self.size_for(live_top)
        if self.captured is None or size in self.captured:
            return size
        larger = [b for b in self.captured if b >= live_top]
        if not larger:
            return size
        have = min(larger)
        frames_left = max(seq.frames_left for seq in self.running.values())
        return size if frames_left * SLOT_STEP_SECONDS * (have - size) > self.capture_seconds else have

    def _pack(self, size: int) -> tuple:
        """Move live slots at `size` and past it into free slots below it."""
        free = [slot for slot in range(size) if slot not in self.running]
        moves = []
        for src in sorted(slot for slot in self.running if slot >= size):
            dst = free.pop(0)
            seq = self.running.pop(src)
            seq.slot = dst
            self.running[dst] = seq
            moves.append((src, dst))
        return tuple(moves)
