"""CUDA graphs of the frame step, one per batch size, replayed instead of launching ~thousands of kernels.

A frame launches a few thousand small kernels (28 talker layers, 15 x 5 predictor layers,
sampling); replaying a captured graph launches them as one. Graphs are captured for batch
sizes 1, 2, 4, ... up to the slot count, all over views of the same `Slots` tensors and one
memory pool, so a draining run can step only the front slots. Capture happens while every slot
is free, when a frame changes nothing but scratch. Off CUDA the step simply runs eagerly.
"""

from __future__ import annotations

import time

import torch

from nikola_tts.engines.qwen.fast.step import Stepper


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
        self.graphs: dict[int, torch.cuda.CUDAGraph] = {}
        self.capture_seconds = 0.0
        if use_graphs:
            self._capture()

    def size_for(self, live_top: int) -> int:
        return next(b for b in self.sizes if b >= live_top)

    def run(self, b: int) -> None:
        graph = self.graphs.get(b)
        if graph is None:
            self.stepper.frame(b)
        else:
            graph.replay()

    @torch.no_grad()
    def _capture(self) -> None:
        started = time.perf_counter()
        device = self.stepper.w.device
        side = torch.cuda.Stream(device)
        side.wait_stream(torch.cuda.current_stream(device))
        with torch.cuda.stream(side):  # warm-up: lazy tables, cuBLAS handles and workspaces
            for b in self.sizes:
                self.stepper.frame(b)
        torch.cuda.current_stream(device).wait_stream(side)
        pool = torch.cuda.graph_pool_handle()
        for b in reversed(self.sizes):  # largest first: the pool is sized by it
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph, pool=pool):
                self.stepper.frame(b)
            self.graphs[b] = graph
        torch.cuda.synchronize(device)
        self.capture_seconds = time.perf_counter() - started
