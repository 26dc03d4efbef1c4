"""A process that loaded the model exits without the cyclic garbage collector walking it.

At exit Python collects reference cycles among every object still alive; with torch imported
that is some 200,000 objects, walked more than once, and in a narrating build it was most of
the time between the last task and the end of the process (python benchmarks/build_exit.py).
Frozen (gc.freeze) as the exit begins, they are left to the operating system with the rest of
the process's memory. Everything else an exit does still happens: the atexit handlers run,
modules are torn down and files closed as their references go.
"""

from __future__ import annotations

import atexit
import gc

_registered = False


def skip_collecting_at_exit() -> None:
    """Freeze every object at exit, once this process has loaded the model (again: no-op)."""
    global _registered
    if not _registered:
        # atexit runs last-registered first: handlers registered before this (logging's among them)
        # run after the freeze, and whatever they make is collected as usual.
        atexit.register(gc.freeze)
        _registered = True
