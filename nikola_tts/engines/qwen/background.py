"""A call run in a daemon thread, timed, whose failure is raised to whoever asks for its result: the model's
load while Nikola builds the rest (preload), the speech decoder's preparation while the weights are read."""

from __future__ import annotations

import threading
import time


class Background:
    """call() in a thread named `name` (or at once, with now=True); result() re-raises what it raised. A daemon
    thread unless told otherwise: the process's exit waits for a thread that is not one."""

    def __init__(self, call, now: bool = False, name: str = "qwen-background", daemon: bool = True):
        self._value = self._error = None
        self.seconds = 0.0
        if now:
            self._run(call)
            self._thread = None
        else:
            self._thread = threading.Thread(target=self._run, args=(call,), name=name, daemon=daemon)
            self._thread.start()

    def _run(self, call):
        started = time.perf_counter()
        try:
            self._value = call()
        except BaseException as exc:  # noqa: BLE001 (handed to whoever asks for the result)
            self._error = exc
        self.seconds = time.perf_counter() - started

    @property
    def done(self) -> bool:
        return self._thread is None or not self._thread.is_alive()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def result(self):
        self.wait()
        if self._error is not None:
            raise self._error
        return self._value
