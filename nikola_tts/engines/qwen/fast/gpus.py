"""Several GPUs in one machine: one worker process per extra GPU, segments shared out by length.

The engine's own process speaks on the first GPU; each other GPU gets a worker process (spawned,
so CUDA starts clean in it) that loads its own copy of the model once and then serves any
number of runs. A run's segments are shared out longest first, each to the GPU with the least
work so far (estimated frames), so all GPUs finish at about the same time; each GPU gets its share
in the build's order. Results stream back as they finish. A worker that fails to start or dies
mid-run loses nothing: whatever it did not return is spoken on the first GPU at the end.
"""

from __future__ import annotations

import logging
import queue
from typing import Callable, Iterator, Sequence

from nikola_tts.engines.qwen.fast.speaker import FastPathFailed

log = logging.getLogger("tts")

READY_TIMEOUT = 600.0  # seconds a worker may take to load its model


def share_by_length(costs: Sequence[float], workers: int) -> list[list[int]]:
    """Indices of `costs` in `workers` shares of nearly equal total (LPT scheduling: largest first, each
    to the share with the least so far), each share in the caller's order: a build hands its posts in
    turn, and each GPU's scheduler narrates them through in that order (scheduler.py)."""
    shares: list[list[int]] = [[] for _ in range(max(1, workers))]
    loads = [0.0] * len(shares)
    for index in sorted(range(len(costs)), key=lambda i: (-costs[i], i)):
        lightest = min(range(len(shares)), key=lambda w: (loads[w], w))
        shares[lightest].append(index)
        loads[lightest] += costs[index]
    return [sorted(share) for share in shares]


def _serve(factory: Callable, device: str, speaker_options: dict, inbox, outbox) -> None:
    """A worker process: load the model on `device`, then speak what arrives in `inbox`."""
    try:
        import torch

        from nikola_tts.engines.qwen.fast.speaker import FastSpeaker
        from nikola_tts.engines.qwen.shutdown import skip_collecting_at_exit

        skip_collecting_at_exit()  # the engine's close() waits for this process to end
        if device.startswith("cuda"):
            torch.cuda.set_device(torch.device(device))
        speaker = FastSpeaker(factory(device), **speaker_options)  # factory: model.load_on_device
    except Exception as exc:  # noqa: BLE001 (reported to the engine, which does the work itself)
        outbox.put(("failed", device, f"{type(exc).__name__}: {exc}"))
        return
    outbox.put(("ready", device, None))
    while True:
        task = inbox.get()
        if task is None:
            return
        run, indices, items, limits, max_batch, force = task
        try:
            for local, result in speaker.speak(items, max_batch, limits, force):
                outbox.put(("result", device, (run, indices[local], result)))
        except Exception as exc:  # noqa: BLE001
            log.warning(f"Qwen3-TTS worker on {device} failed: {exc}")
        outbox.put(("done", device, run))


class GpuPool:
    def __init__(self, factory: Callable, devices: Sequence[str], speaker_options: dict):
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.outbox = context.Queue()
        self.inboxes = {}
        self.processes = {}
        for device in devices:
            inbox = context.Queue()
            process = context.Process(target=_serve, args=(factory, device, speaker_options, inbox, self.outbox),
                                      name=f"qwen-tts-{device}", daemon=True)
            process.start()
            self.inboxes[device], self.processes[device] = inbox, process
        self.ready: set[str] = set()
        self.pending = set(devices)  # not yet ready or failed
        self.runs = 0

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> list[str]:
        while self.pending:
            try:
                kind, device, message = self.outbox.get(timeout=timeout)
            except queue.Empty:
                log.warning(f"Qwen3-TTS: GPU workers {sorted(self.pending)} did not start in {timeout:.0f} s; "
                            "going on without them")
                self.pending.clear()
                break
            self.pending.discard(device)
            if kind == "ready":
                self.ready.add(device)
            elif kind == "failed":
                log.warning(f"Qwen3-TTS: the worker for {device} could not start ({message}); going on without it")
        return sorted(self.ready)

    def speak(self, main, items: Sequence, max_batch: int, limits: Sequence[int],
              force: bool = False) -> Iterator[tuple[int, object]]:
        """Share items between `main` (a FastSpeaker in this process) and the ready workers."""
        workers = self.wait_ready()
        shares = share_by_length(limits, 1 + len(workers))
        self.runs += 1
        run = self.runs
        for device, share in zip(workers, shares[1:]):
            if share:
                self.inboxes[device].put((run, share, [items[i] for i in share], [limits[i] for i in share],
                                          max_batch, force))
        busy = {device for device, share in zip(workers, shares[1:]) if share}
        returned: set[int] = set()
        own = shares[0]
        try:
            for local, result in main.speak([items[i] for i in own], max_batch, [limits[i] for i in own], force):
                returned.add(own[local])
                yield own[local], result
                yield from self._collect(run, busy, returned, block=False)
        except FastPathFailed as failure:  # the workers' shares still count; the engine does the rest
            yield from self._collect(run, busy, returned, block=True)
            raise FastPathFailed([i for i in range(len(items)) if i not in returned], failure.cause) from failure
        yield from self._collect(run, busy, returned, block=True)
        missing = [i for i in range(len(items)) if i not in returned]
        if missing:  # a worker died: do its share here
            log.warning(f"Qwen3-TTS: {len(missing)} segments came back from no GPU worker; speaking them here")
            try:
                for local, result in main.speak([items[i] for i in missing], max_batch, [limits[i] for i in missing],
                                                force):
                    returned.add(missing[local])
                    yield missing[local], result
            except FastPathFailed as failure:
                raise FastPathFailed([i for i in range(len(items)) if i not in returned], failure.cause) from failure

    def _collect(self, run: int, busy: set, returned: set, block: bool):
        while busy:
            try:
                kind, device, payload = self.outbox.get(timeout=5.0) if block else self.outbox.get_nowait()
            except queue.Empty:
                if not block:
                    return
                dead = {d for d in busy if not self.processes[d].is_alive()}
                if dead:
                    log.warning(f"Qwen3-TTS: the worker for {', '.join(sorted(dead))} stopped")
                    busy -= dead
                    self.ready -= dead
                continue
            if kind == "result" and payload[0] == run:
                returned.add(payload[1])
                yield payload[1], payload[2]
            elif kind == "done" and payload == run:
                busy.discard(device)

    def close(self) -> None:
        for device, inbox in self.inboxes.items():
            if self.processes[device].is_alive():
                inbox.put(None)
        for process in self.processes.values():
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
