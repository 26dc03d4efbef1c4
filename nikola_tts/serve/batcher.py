"""Concurrent requests, one engine: gather them into the engine's batches.

Requests wait in a bounded queue. The batch loop takes the first one, waits a few
milliseconds for more (up to engine.batch_size), calls engine.synthesize once on a thread of
its own, and answers each request as its audio arrives. While a batch speaks, new requests
queue up and form the next one, so a busy server batches by itself. A long input's pieces
(speak_all) enter the queue together, so they are read side by side, like a build's.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from nikola_tts.audio.pcm import Audio
from nikola_tts.engines.base import Engine, Request
from nikola_tts.errors import SynthesisError


class Busy(Exception):
    """The queue is full: the client should come back a little later."""


class Batcher:
    def __init__(self, engine: Engine, batch_size: int, wait_seconds: float, max_queue: int):
        self.engine = engine
        self.batch_size = max(1, int(batch_size))
        self.wait_seconds = max(0.0, float(wait_seconds))
        self.max_queue = max(1, int(max_queue))
        self.requests = 0
        self.pieces = 0  # engine requests: a long input is several
        self.batches = 0
        self.largest_batch = 0
        self._queue: asyncio.Queue | None = None
        self._task: asyncio.Task | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts-engine")  # one engine call at a time

    def stats(self) -> dict:
        return {"requests": self.requests, "pieces": self.pieces, "batches": self.batches,
                "largest_batch": self.largest_batch, "queued": self._queue.qsize() if self._queue else 0}

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Answer everything already queued, then stop."""
        if self._task is not None:
            await self._queue.put(None)
            await self._task
            self._task = None
        self._thread.shutdown(wait=True)

    async def speak(self, request: Request) -> Audio:
        return (await self.speak_all([request]))[0]

    async def speak_all(self, pieces: list[Request]) -> list[Audio]:
        """One client request's pieces, queued together; their audio in order, or the first piece's error."""
        if self._queue is None or self._task is None:
            raise Busy("the server is not running")
        if self._queue.qsize() >= self.max_queue:
            raise Busy(f"{self._queue.qsize()} requests are waiting")
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in pieces]
        self.requests += 1
        self.pieces += len(pieces)
        for piece, future in zip(pieces, futures):
            self._queue.put_nowait((piece, future))
        results = await asyncio.gather(*futures, return_exceptions=True)
        failed = next((r for r in results if isinstance(r, BaseException)), None)
        if failed is not None:
            raise failed
        return results

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        stopping = False
        while not stopping:
            item = await self._queue.get()
            if item is None:
                break
            batch = [item]
            deadline = loop.time() + self.wait_seconds
            while len(batch) < self.batch_size:
                left = deadline - loop.time()
                try:
                    more = self._queue.get_nowait() if left <= 0 else await asyncio.wait_for(self._queue.get(), left)
                except (asyncio.QueueEmpty, asyncio.TimeoutError):
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            batch = [(r, f) for r, f in batch if not f.done()]  # a client that left is not spoken to
            if batch:
                await self._speak(batch)

    async def _speak(self, batch) -> None:
        loop = asyncio.get_running_loop()
        self.batches += 1
        self.largest_batch = max(self.largest_batch, len(batch))
        futures = [f for _, f in batch]

        def work():
            try:
                for index, result in self.engine.synthesize([r for r, _ in batch]):
                    loop.call_soon_threadsafe(_settle, futures[index], result)
            except Exception as exc:  # the whole call failed: every request in it hears why
                for future in futures:
                    loop.call_soon_threadsafe(_settle, future, exc)

        try:
            await loop.run_in_executor(self._thread, work)
        finally:
            for future in futures:
                _settle(future, SynthesisError("the engine returned no audio for this request"))


def _settle(future: asyncio.Future, result) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
