"""Codes -> waveforms while generation goes on: batches of finished segments on a second CUDA stream.

The speech decoder runs in a worker thread on its own stream, so its kernels overlap the frame
graphs, which leave most of the GPU idle at small batch sizes. The hand-over is ordered by an
event recorded on the generating stream; `record_stream` keeps the allocator from reusing the
codes' memory early. Off CUDA, batches are decoded in place. A batch that fails is decoded one
segment at a time, so one bad segment fails alone.
"""

from __future__ import annotations

import queue
import threading
import time

import torch

from nikola_tts.errors import SynthesisError


class Decoder:
    def __init__(self, speaker):
        self.speaker = speaker
        self.batch = speaker.decode_batch
        self.pending = []
        self.seconds = 0.0  # spent decoding (in the worker thread, overlapping generation on CUDA)
        self.results: queue.Queue = queue.Queue()
        self.threaded = speaker.device.type == "cuda"
        if self.threaded:
            self.stream = torch.cuda.Stream(speaker.device)
            self.jobs: queue.Queue = queue.Queue()
            self.thread = threading.Thread(target=self._work, name="qwen-decode", daemon=True)
            self.thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._stop()

    def put(self, finished) -> None:
        self.pending.append(finished)
        if len(self.pending) >= self.batch:
            self._submit()

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

    # -- inside -------------------------------------------------------------------------------
    def _submit(self) -> None:
        batch, self.pending = self.pending, []
        if not self.threaded:
            self._decode(batch)
            return
        event = torch.cuda.Event()
        event.record(torch.cuda.current_stream(self.speaker.device))
        for finished in batch:
            finished.codes.record_stream(self.stream)
        self.jobs.put((batch, event))

    def _work(self) -> None:
        with torch.cuda.stream(self.stream):
            while True:
                job = self.jobs.get()
                if job is None:
                    return
                batch, event = job
                self.stream.wait_event(event)
                self._decode(batch)

    def _stop(self) -> None:
        if self.threaded and self.thread.is_alive():
            self.jobs.put(None)
            self.thread.join()

    def _decode(self, batch) -> None:
        started = time.perf_counter()
        try:
            waves = self.speaker.decode([f.codes for f in batch])
        except Exception as exc:  # noqa: BLE001
            if len(batch) > 1:
                for finished in batch:
                    self._decode([finished])
                return
            self.results.put((batch[0].index, SynthesisError(f"Qwen3-TTS could not decode a segment: {exc}")))
            return
        self.seconds += time.perf_counter() - started
        for finished, wave in zip(batch, waves):
            self.results.put((finished.index, (wave, int(finished.codes.shape[0]), finished.hit_limit)))
