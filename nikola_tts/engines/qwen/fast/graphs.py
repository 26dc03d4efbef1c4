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

A one-row prompt pass (a segment joining alone: batch 1, or a slot refilled mid-run) is 28 layers of
small launches, host-bound when run eagerly (15-25 ms for a 10 s segment's prompt on an H100, 3-5 %
of its time at batch 1). PromptGraphs keeps one graph per padded prompt length (PROMPT_STEP), each
captured once that length comes again, or ahead (`capture`) for a run that is prepared or primed.
While they are on, every one-row prompt is padded to its step, by graph or not, so a segment's codes
do not depend on whether its length had been captured.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import torch

from nikola_tts.engines.qwen.fast.forward import NewSegment, Stepper

PROMPT_STEP = 32  # one-row prompts are padded to a multiple of this many positions: one graph a step


def batch_sizes(count: int) -> list[int]:
    sizes, b = [], 1
    while b < count:
        sizes.append(b)
        b *= 2
    return sizes + [count]


class FrameGraphs:
    def __init__(self, stepper: Stepper, use_graphs: bool, prompt_graphs: bool = False):
        self.stepper = stepper
        self.prompts = PromptGraphs(stepper, use_graphs and prompt_graphs)  # and the one-row prompt pass
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
        slots = self.stepper.s

        def warm_up():
            saved = slots.snapshot(b)
            self.stepper.frame(b)
            slots.restore(saved, b)

        graph, _ = captured(self.stepper.w.device, self._stream, self._pool, warm_up, lambda: self.stepper.frame(b))
        self._pool = self._pool or graph.pool()
        self.graphs[b] = graph
        self.capture_seconds += time.perf_counter() - started
        return graph


def captured(device, stream: torch.cuda.Stream, pool, warm_up, run) -> tuple[torch.cuda.CUDAGraph, object]:
    """warm_up() eagerly on a side stream of `device` (modules loaded and workspaces made outside the capture), then
    run() captured there into a graph in `pool` (None: a pool of its own): (the graph, what the captured run
    returned)."""
    current = torch.cuda.current_stream(device)
    stream.wait_stream(current)
    with torch.cuda.stream(stream):
        warm_up()
        graph = torch.cuda.CUDAGraph()
        graph.capture_begin(pool=pool, capture_error_mode="thread_local")  # the decoder thread goes on
        try:
            returned = run()
        finally:
            graph.capture_end()
    current.wait_stream(stream)
    return graph, returned


def prompt_length(tokens: int) -> int:
    return -(-int(tokens) // PROMPT_STEP) * PROMPT_STEP


@dataclass(frozen=True)
class PromptGraph:
    graph: torch.cuda.CUDAGraph
    x: torch.Tensor  # (1, length, hidden): the prompt, right-padded with zeros
    slot: torch.Tensor  # (1,)
    last: torch.Tensor  # (1,): the prompt's last position
    hidden: torch.Tensor  # (1, hidden): its output there, valid until the next replay


class PromptGraphs:
    def __init__(self, stepper: Stepper, use_graphs: bool):
        self.stepper = stepper
        self.use_graphs = use_graphs
        self.graphs: dict[int, PromptGraph] = {}
        self.seen: Counter[int] = Counter()  # one-row prompts per padded length, this setup
        self.capture_seconds = 0.0
        self._pool = None
        self._stream = torch.cuda.Stream(stepper.w.device) if use_graphs else None

    def prefill(self, entries: list[NewSegment]) -> None:
        """Prompt new segments into their slots: one alone by its length's graph, captured at the length's
        second sight (a one-off edit pays no capture); several, or one longer than the caches, eagerly."""
        stepper = self.stepper
        length = prompt_length(entries[0].embeds.shape[1])
        if not self.use_graphs or len(entries) > 1 or length > stepper.s.length:
            stepper.prefill(entries)
            return
        self.seen[length] += 1
        if length not in self.graphs and self.seen[length] < 2:
            stepper.prefill(entries, length)
            return
        x, slots, last = stepper.prompt_inputs(entries, length)
        graph = self.graphs.get(length) or self._capture(x, slots, last)
        graph.x.copy_(x)
        graph.slot.copy_(slots)
        graph.last.copy_(last)
        graph.graph.replay()
        stepper.start(entries, graph.slot, graph.hidden)

    def capture(self, tokens: int) -> None:
        """The graph for prompts of `tokens` tokens, ahead of a run (its slot 0 caches are written: call it before
        the run, not while slots are live)."""
        length = prompt_length(tokens)
        if self.use_graphs and length not in self.graphs and length <= self.stepper.s.length:
            w = self.stepper.w
            x = torch.zeros(1, length, int(w.codec_head.shape[1]), device=w.device, dtype=w.dtype)
            self._capture(x, torch.zeros(1, dtype=torch.long, device=w.device),
                          torch.full((1,), length - 1, dtype=torch.long, device=w.device))

    @torch.no_grad()
    def _capture(self, x, slots, last) -> PromptGraph:
        """Like FrameGraphs.capture (the eager pass writes only the slot being prompted), over buffers of its own."""
        started = time.perf_counter()
        stepper = self.stepper
        x, slots, last = x.clone(), slots.clone(), last.clone()  # the graph's inputs, on the stream filling them

        def prompt_pass():
            return stepper.prompt_pass(x, slots, last)

        graph, hidden = captured(stepper.w.device, self._stream, self._pool, prompt_pass, prompt_pass)
        self._pool = self._pool or graph.pool()
        made = self.graphs[int(x.shape[1])] = PromptGraph(graph, x, slots, last, hidden)
        self.capture_seconds += time.perf_counter() - started
        return made
