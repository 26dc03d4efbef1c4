"""Codes -> waveforms while generation goes on: 300-frame chunks, decoded on a second CUDA stream.

The speech decoder works in chunks of 300 frames with 25 frames of left context (speech.py, as
upstream's chunked decode), so a chunk can be decoded as soon as its frames exist: a long
segment's first chunks are decoded while it is still being generated, instead of all at once
after its last frame. That spreads the decoder's work over the whole run, and what is left after
the last frame is the last chunk of the last segments. A chunk's samples are the same whether
it is decoded early or with the rest of its segment (up to the float rounding of batch shapes).

On CUDA the decoder runs on its own stream (of higher priority than generation's, so it keeps
pace) in the model's decoding thread (model.py: the same thread for every run, where cuDNN keeps
the execution plans it made for each length), and its kernels overlap the frame graphs, which
leave most of the GPU idle at small batch sizes. Chunks wait in one queue; the worker, whenever it is free, takes
the longest that wait, as many as a call's budget of frames holds (`decode_batch` whole chunks'
worth): chunks of like lengths together, so a call pads little. So it never idles while a chunk
waits (with `eager`; without, it waits for a full budget until the run ends), and while it is busy
the queue grows into its next, larger call: short segments (a paragraph read in pieces) make
calls of many chunks, not many calls of few. Each chunk's hand-over is ordered by an event
recorded on the generating stream; `record_stream` keeps the allocator from reusing the codes'
memory early. Off CUDA, chunks are decoded in place, a budget at a time. A call that fails is
decoded one chunk at a time, so one bad segment fails alone.
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

# A decoder call pads its chunks to a multiple of this many frames: each new (chunks, frames) shape costs its first
# call 10-45 ms more than the next (cuDNN's execution plans, on an H200: qwen_rtf.py decode-first-calls), and a run
# of short segments met 25 shapes in 26 calls (H100, segments of up to 200 characters, session 14). Padding is work
# too: half a step a chunk on average, 7% of a 117-frame chunk at 16
LENGTH_STEP = 16


def padded_length(frames: int, step: int = LENGTH_STEP) -> int:
    """The length a call whose longest chunk has `frames` frames decodes: the next multiple of step, but never past
    a whole chunk with its context (the longest a chunk gets)."""
    if step <= 1 or frames >= CHUNK + LEFT_CONTEXT:
        return frames
    return min(-(-frames // step) * step, CHUNK + LEFT_CONTEXT)


def chunk_span(number: int, frames: int) -> tuple[int, int, int]:
    """Chunk `number` of a segment of `frames` frames (so far): (its first frame, context included; its end; its
    frames of context)."""
    start = number * CHUNK
    context = LEFT_CONTEXT if start - LEFT_CONTEXT > 0 else start
    return start - context, min(start + CHUNK, frames), context


def call_lengths(frames: int, step: int = LENGTH_STEP) -> set[int]:
    """The lengths a segment of `frames` frames' chunks are decoded at when each is a call of its own."""
    spans = (chunk_span(number, frames) for number in range(-(-frames // CHUNK)))
    return {padded_length(end - first, step) for first, end, _ in spans}


@dataclass(frozen=True)
class DecodeCall:
    """One speech-decoder call of a run, for its summary."""

    chunks: int
    length: int  # frames each chunk was decoded at (its padding included)
    frames: int  # the chunks' own frames (context included)
    started: float  # time.perf_counter() at its start
    seconds: float


@dataclass(frozen=True)
class Chunk:
    index: int  # the segment's
    number: int  # which of its chunks
    codes: torch.Tensor  # (context + frames, 16), on the device
    context: int  # leading frames that are context only
    ready: torch.cuda.Event | None = None  # recorded on the generating stream once codes are written

    @property
    def length(self) -> int:
        return int(self.codes.shape[0])


class Decoder:
    def __init__(self, speaker, priority: int = -1, eager: bool = True):
        self.speaker = speaker
        self.budget = speaker.decode_batch * (CHUNK + LEFT_CONTEXT)  # frames a call decodes, padding included
        self.length_step = speaker.decode_length_step
        self.eager = eager
        self.pending: list[Chunk] = []  # in the order they came; on CUDA shared with the worker, under self.lock
        self.parts: dict[int, dict[int, np.ndarray]] = {}  # segment -> chunk number -> samples
        self.finished: dict[int, object] = {}  # segment -> its Sequence, once generated
        self.failed: set[int] = set()
        self.calls: list[DecodeCall] = []  # the calls that decoded (a failed one is retried a chunk at a time)
        self.results: queue.Queue = queue.Queue()
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)  # chunks came, or the run ended
        self.ending = False
        self.threaded = speaker.device.type == "cuda"
        if self.threaded:
            self.cuda_stream = torch.cuda.Stream(speaker.device, priority=priority)
            self.job = speaker.model.decoding.submit(self._work)

    @property
    def seconds(self) -> float:
        """Spent decoding (in the worker thread, overlapping generation on CUDA)."""
        return sum(call.seconds for call in self.calls)

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
        self._stop()
        while self.pending:  # off CUDA: what is left, a call at a time
            self._decode(self._take())
        yield from self.ready()

    def _chunk(self, seq, codes: torch.Tensor) -> None:
        number = seq.chunks_sent
        first, end, context = chunk_span(number, seq.frames)
        codes = codes[first:end].clone()
        seq.chunks_sent += 1
        if not self.threaded:
            self.pending.append(Chunk(seq.index, number, codes, context))
            if self._frames_waiting() >= self.budget:
                self._decode(self._take())
            return
        event = torch.cuda.Event()
        event.record(torch.cuda.current_stream(self.speaker.device))
        codes.record_stream(self.cuda_stream)
        with self.changed:
            self.pending.append(Chunk(seq.index, number, codes, context, event))
            self.changed.notify()

    def _frames_waiting(self) -> int:
        return sum(chunk.length for chunk in self.pending)

    def _take(self) -> list[Chunk]:
        """The longest waiting chunks that fit one call's budget (at least one), out of the queue: chunks of like
        lengths together, so a call pads little (the run's last chunks are decoded in the same calls in any order)."""
        waiting = sorted(self.pending, key=lambda chunk: -chunk.length)  # stable: the oldest first among equals
        length = padded_length(waiting[0].length, self.length_step)
        count = max(1, min(len(waiting), self.budget // length))
        batch = waiting[:count]
        taken = {id(chunk) for chunk in batch}
        self.pending = [chunk for chunk in self.pending if id(chunk) not in taken]
        return batch

    # -- the decoding thread's side -------------------------------------------------------------
    def _work(self) -> None:
        with torch.cuda.stream(self.cuda_stream):
            while True:
                with self.changed:
                    while not (self.ending or (self.pending and (self.eager or self._frames_waiting() >= self.budget))):
                        self.changed.wait()
                    if not self.pending:
                        return  # the run ended and everything is decoded
                    batch = self._take()
                for chunk in batch:
                    self.cuda_stream.wait_event(chunk.ready)
                self._decode(batch)

    def _stop(self) -> None:
        with self.changed:
            self.ending = True
            self.changed.notify()
        if self.threaded:
            self.job.result()

    def _decode(self, batch: list[Chunk]) -> None:
        started = time.perf_counter()
        length = padded_length(max(chunk.length for chunk in batch), self.length_step)
        try:
            waves = self.speaker.model.decode_chunks([(c.codes, c.context) for c in batch], length,
                                                     graphs=self.speaker.decoder_graphs)
        except Exception as exc:  # noqa: BLE001
            if len(batch) > 1:
                for chunk in batch:
                    self._decode([chunk])
                return
            with self.lock:
                self.failed.add(batch[0].index)
            self.results.put((batch[0].index, SynthesisError(f"Qwen3-TTS could not decode a segment: {exc}")))
            return
        self.calls.append(DecodeCall(len(batch), length, sum(chunk.length for chunk in batch), started,
                                     time.perf_counter() - started))
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
