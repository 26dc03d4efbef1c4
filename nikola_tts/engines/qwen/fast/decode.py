"""Codes -> waveforms while generation goes on: 300-frame chunks, decoded on a second CUDA stream.

The speech decoder works in chunks of 300 frames with 25 frames of left context (speech.py, as
upstream's chunked decode), so a chunk can be decoded as soon as its frames exist: a long
segment's first chunks are decoded while it is still being generated, instead of all at once
after its last frame. That spreads the decoder's work over the whole run, and what is left after
the last frame is the last chunk of the last segments. A chunk's samples are the same whether
it is decoded early or with the rest of its segment (up to the float rounding of batch shapes).

On CUDA a batch goes to the decoder once `batch` chunks wait, or, with `eager`, when a segment
finishes and the decoder has nothing to do: chunks that wait for company while the decoder idles
are decoded after the last frame instead, the tail a build waits for. (Alone, on an H100, it changed
no build's tail measurably: without streamed chunks most chunks came with the run's last segments.)

The decoder runs in a worker thread on its own stream (of higher priority than generation's,
so it keeps pace), and its kernels overlap the frame graphs, which leave most of the GPU idle
at small batch sizes. The hand-over is ordered by an event recorded on the generating stream;
`record_stream` keeps the allocator from reusing the codes' memory early. Off CUDA, chunks are
decoded in place. A batch that fails is decoded one chunk at a time, so one bad segment fails
alone.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass

import numpy as np
import torch

from nikola_tts.engines.qwen.fast.speech import CHUNK, LEFT_CONTEXT
from nikola_tts.errors import SynthesisError


@dataclass(frozen=True)
class Chunk:
    index: int  # the segment's
    number: int  # which of its chunks
    codes: torch.Tensor  # (context + frames, 16), on the device
    context: int  # leading frames that are context only


class Decoder:
    def __init__(self, speaker, priority: int = -1, eager: bool = True):
        self.speaker = speaker
        self.batch = speaker.decode_batch
        self.eager = eager
        self.in_flight = 0  # batches handed to the worker and not decoded yet
        self.pending: list[Chunk] = []
        self.parts: dict[int, dict[int, np.ndarray]] = {}  # segment -> chunk number -> samples
        self.finished: dict[int, object] = {}  # segment -> its Sequence, once generated
        self.failed: set[int] = set()
        self.seconds = 0.0  # spent decoding (in the worker thread, overlapping generation on CUDA)
        self.calls: list[tuple[int, int, int]] = []  # each decoder call's (chunks, frames decoded a chunk, frames)
        self.results: queue.Queue = queue.Queue()
        self.lock = threading.Lock()
        self.threaded = speaker.device.type == "cuda"
        if self.threaded:
            self.cuda_stream = torch.cuda.Stream(speaker.device, priority=priority)
            self.jobs: queue.Queue = queue.Queue()
            self.thread = threading.Thread(target=self._work, name="qwen-decode", daemon=True)
            self.thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._stop()

    # -- the generating thread's side -----------------------------------------------------------
    def stream(self, seq, codes: torch.Tensor) -> None:
        """Hand over the running segment's chunks that are complete (codes: its slot's code rows)."""
        while (seq.chunks_sent + 1) * CHUNK <= seq.frames:
            self._chunk(seq, codes)

    def put(self, seq) -> None:
        """A finished segment (codes filled in): its remaining chunks, and its result once all are decoded."""
        while seq.chunks_sent * CHUNK < seq.frames:
            self._chunk(seq, seq.codes)
        if self.eager and self.threaded and self.pending and self.in_flight == 0:
            self._submit()
        with self.lock:
            self.finished[seq.index] = seq
        if seq.frames == 0:
            self.results.put((seq.index, (np.zeros(0, dtype=np.float32), 0, seq.hit_limit)))
        self._complete(seq.index)

    def ready(self):
        while True:
            try:
                yield self.results.get_nowait()
            except queue.Empty:
                return

    def drain(self):
        if self.pending:
            self._submit()
        self._stop()
        yield from self.ready()

    def _chunk(self, seq, codes: torch.Tensor) -> None:
        number = seq.chunks_sent
        start = number * CHUNK
        context = LEFT_CONTEXT if start - LEFT_CONTEXT > 0 else start
        end = min(start + CHUNK, seq.frames)
        self.pending.append(Chunk(seq.index, number, codes[start - context:end].clone(), context))
        seq.chunks_sent += 1
        if len(self.pending) >= self.batch:
            self._submit()

    def _submit(self) -> None:
        batch, self.pending = self.pending, []
        if not self.threaded:
            self._decode(batch)
            return
        event = torch.cuda.Event()
        event.record(torch.cuda.current_stream(self.speaker.device))
        for chunk in batch:
            chunk.codes.record_stream(self.cuda_stream)
        with self.lock:
            self.in_flight += 1
        self.jobs.put((batch, event))

    # -- the decoding thread's side -------------------------------------------------------------
    def _work(self) -> None:
        with torch.cuda.stream(self.cuda_stream):
            while True:
                job = self.jobs.get()
                if job is None:
                    return
                batch, event = job
                self.cuda_stream.wait_event(event)
                try:
                    self._decode(batch)
                finally:
                    with self.lock:
                        self.in_flight -= 1

    def _stop(self) -> None:
        if self.threaded and self.thread.is_alive():
            self.jobs.put(None)
            self.thread.join()

    def _decode(self, batch: list[Chunk]) -> None:
        started = time.perf_counter()
        try:
            waves = self.speaker.model.speech.decode_chunks([(c.codes, c.context) for c in batch])
        except Exception as exc:  # noqa: BLE001
            if len(batch) > 1:
                for chunk in batch:
                    self._decode([chunk])
                return
            with self.lock:
                self.failed.add(batch[0].index)
            self.results.put((batch[0].index, SynthesisError(f"Qwen3-TTS could not decode a segment: {exc}")))
            return
        self.seconds += time.perf_counter() - started
        lengths = [int(c.codes.shape[0]) for c in batch]
        self.calls.append((len(lengths), max(lengths), sum(lengths)))
        with self.lock:
            for chunk, wave in zip(batch, waves):
                self.parts.setdefault(chunk.index, {})[chunk.number] = wave
        for index in {chunk.index for chunk in batch}:
            self._complete(index)

    def _complete(self, index: int) -> None:
        """Put the segment's waveform out once it is finished and every chunk of it is decoded (once)."""
        with self.lock:
            seq = self.finished.get(index)
            parts = self.parts.get(index, {})
            if seq is None or index in self.failed or seq.frames == 0 or len(parts) < seq.chunks_sent:
                return
            del self.finished[index]
            wave = np.concatenate([parts[k] for k in range(seq.chunks_sent)])
            self.parts.pop(index, None)
        self.results.put((index, (wave, seq.frames, seq.hit_limit)))
