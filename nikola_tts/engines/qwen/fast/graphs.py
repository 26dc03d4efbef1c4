"""The frame step as CUDA graphs, one per batch size, captured when a run first needs that size.

A frame is a few thousand small kernels (28 talker layers, 15 x 5 predictor layers, sampling);
replaying a captured graph launches them as one. Sizes are 1, 2, 4, ... up to the slot count,
all over views of the same `Slots` tensors and one memory pool, so a draining run can step only
the front slots. Nothing is captured ahead: a one-paragraph run captures the batch-1 graph
alone, and a backlog the sizes its tail drains through where their frames left repay the capture
(scheduler.py).

A size is captured on a side stream after one eager frame there (lazy module loading and first
launches stay out of the capture). That eager frame may run while slots are live, so the state
it advances is saved before and put back after (Slots.snapshot / restore); the key/value and code
rows it writes are written again, with the same values, by the next real frame. torch's
`torch.cuda.graph` context is not used: it synchronizes the device and runs the garbage
collector on every capture. Off CUDA the step simply runs eagerly.
"""

from __future__ import annotations

import time

import torch

from nikola_tts.engines.qwen.fast.forward import Stepper


def batch_sizes(count: int) -> list[int]:
    sizes, b = [], 1
    while b < count:
        sizes.append(b)
        b *= 2
    return sizes + [count]


class FrameGraphs:
    def __init__(self, stepper: Stepper, use_graphs: bool):
        self.stepper = stepper
        self.sizes = batch_sizes(stepper.s.count)
        self.use_graphs = use_graphs
        self.graphs: dict[int, torch.cuda.CUDAGraph] = {}
        self.capture_seconds = 0.0
        self._pool = None
        self._stream = torch.cuda.Stream(stepper.w.device) if use_graphs else None

    def size_for(self, live_top: int) -> int:
        return next(b for b in self.sizes if b >= live_top)

    def seconds_per_capture(self) -> float:
        """What a capture took here so far on average (the scheduler's estimate before any)."""
        from nikola_tts.engines.qwen.fast.scheduler import CAPTURE_SECONDS

        return self.capture_seconds / len(self.graphs) if self.graphs else CAPTURE_SECONDS

    def run(self, b: int) -> None:
        graph = self.graphs.get(b)
        if graph is None and self.use_graphs:
            graph = self.capture(b)
        if graph is None:
            self.stepper.frame(b)
        else:
            graph.replay()

    @torch.no_grad()
    def capture(self, b: int) -> torch.cuda.CUDAGraph:
        started = time.perf_counter()
        device = self.stepper.w.device
        current = torch.cuda.current_stream(device)
        self._stream.wait_stream(current)
        slots = self.stepper.s
        with torch.cuda.stream(self._stream):
            saved = slots.snapshot(b)
            self.stepper.frame(b)  # eager, once: loads modules and workspaces outside the capture
            slots.restore(saved, b)
            graph = torch.cuda.CUDAGraph()
            graph.capture_begin(pool=self._pool, capture_error_mode="thread_local")  # the decoder thread goes on
            try:
                self.stepper.frame(b)
            finally:
                graph.capture_end()
        if self._pool is None:
            self._pool = graph.pool()
        current.wait_stream(self._stream)
        self.graphs[b] = graph
        self.capture_seconds += time.perf_counter() - started
        return graph
