"""The speech decoder's one-chunk calls as CUDA graphs, one per padded length.

A call that decodes one chunk (the last chunk of a one-paragraph edit, a batch-1 segment, a run's
last segment) is about 600 small kernels over 1 x 16..325 frames. Launched one by one from the
decoding thread, the host sets its time, not the GPU: 1 x 128 frames took 12.5 ms a call for
6.6 ms of kernel time (H100, decode-b1, session 17), and 19.3 ms after a batch-1 segment's last
frame, with the generating thread beside it (H200, v55). A replayed graph launches them as one: after
a batch-1 segment's last frame 7.3 ms against 17.0, batch-1 RTF 0.0489 against 0.0502, the samples
equal (H100, same process: benchmarks/results/2026-12-07-h100-rtf-v58-decoder-graphs.log).

Graphs are captured ahead, never in the middle of a run: a warm process's prime() captures every
length a one-chunk call can have (FastSpeaker._warm_decoder), a benchmark's prepare() the lengths
its run will meet. A cold build decodes eagerly, as before: it would not repay a capture. The
graphs share one memory pool, captured longest first, so that the shorter ones fit in what the
longest freed; each output is read before the next replay, which may write over it. Capture and
replay happen on the decoding thread (model.py), whose cuDNN plans the eager warm-up makes. A
graph runs the eager call's kernels on the same shapes, so its samples are the eager call's.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import torch

from nikola_tts.engines.qwen.fast.graphs import captured
from nikola_tts.engines.qwen.fast.speech import SpeechDecoder
from nikola_tts.errors import one_line

log = logging.getLogger("tts")


@dataclass(frozen=True)
class DecoderGraph:
    graph: torch.cuda.CUDAGraph
    codes: torch.Tensor  # (1, length, groups): the call's codes, zero-padded at the end
    waves: torch.Tensor  # (1, length * upsample): its samples, valid until any graph's next replay


class DecoderGraphs:
    def __init__(self, speech: SpeechDecoder, device: torch.device):
        self.speech = speech
        self.device = device
        self.graphs: dict[int, DecoderGraph] = {}
        self.capture_seconds = 0.0
        self.failed = ""  # why a capture failed: no more are tried
        self._pool = None
        self._stream = torch.cuda.Stream(device)

    def capture(self, lengths: Iterable[int], stop: Callable[[], bool] | None = None) -> int:
        """A graph for each one-chunk call of `lengths` frames (padded lengths, as decode.py makes them) not yet
        captured, on the calling thread, which must be the decoding thread; stop() is asked before each. Returns how
        many lengths have a graph now."""
        for length in sorted(set(lengths), reverse=True):
            if self.failed or (stop is not None and stop()):
                break
            if length not in self.graphs:
                try:
                    self._capture(length)
                except RuntimeError as exc:  # then every call decodes eagerly, as without graphs
                    self.failed = one_line(exc)
                    log.warning("The speech decoder's calls stay eager: capturing one of %d frames failed: %s",
                                length, self.failed)
        return len(self.graphs)

    @torch.inference_mode()
    def _capture(self, length: int) -> None:
        started = time.perf_counter()
        speech = self.speech
        codes = torch.zeros(1, length, speech.groups, dtype=torch.long, device=self.device)

        def decode():
            return speech(codes.transpose(1, 2)).squeeze(1)

        graph, waves = captured(self.device, self._stream, self._pool, decode, decode)
        self._pool = self._pool or graph.pool()
        self.graphs[length] = DecoderGraph(graph, codes, waves)
        self.capture_seconds += time.perf_counter() - started

    @torch.inference_mode()
    def decode_chunks(self, chunks: list, length: int = 0) -> list[np.ndarray]:
        """SpeechDecoder.decode_chunks, by a graph where the call is one chunk of a length captured; eagerly else."""
        graph = None
        if len(chunks) == 1 and not self.failed:
            codes, context = chunks[0]
            frames = int(codes.shape[0])
            graph = self.graphs.get(max(length, frames))
        if graph is None:
            return self.speech.decode_chunks(chunks, length)
        graph.codes.zero_()
        graph.codes[0, :frames].copy_(codes)
        graph.graph.replay()
        up = self.speech.upsample_total
        return [graph.waves[0, context * up:frames * up].cpu().numpy()]
