"""Engines started before the synthesis task needs them.

A build's first post with paragraphs to narrate starts its engine's load in a background thread
(`Engine.preload`), so that a model loads while Nikola compiles and renders the rest; the
synthesis task then takes that engine instead of creating its own. One engine per TTS_ENGINE name
and options, in the process that runs the synthesis task: a `nikola build -n N` worker starts
nothing, since the task that would use its model runs in another process.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading

from nikola_tts.engines import create_engine
from nikola_tts.engines.base import Engine, EngineOptions
from nikola_tts.errors import TTSError

log = logging.getLogger("tts")

_lock = threading.Lock()
_started: dict[str, Engine] = {}


def _key(name: str, options: EngineOptions) -> str:
    return f"{name}|{options!r}"


def started(name: str, options: EngineOptions) -> bool:
    with _lock:
        return _key(name, options) in _started


def start(name: str, options: EngineOptions, why: str) -> None:
    """Create engine `name` and start its load, once; why (for the log) names what needs it."""
    if multiprocessing.parent_process() is not None:
        return
    key = _key(name, options)
    with _lock:
        if key in _started:
            return
        try:
            engine = create_engine(name, options)
        except TTSError:  # the synthesis task creates it again and says why, once
            return
        _started[key] = engine
    if engine.preload():
        log.info(f"{engine.describe()}: loading while Nikola builds the rest ({why})")


def take(name: str, options: EngineOptions) -> Engine | None:
    """The engine start() made for name and options, handed over once; None if none was started."""
    with _lock:
        return _started.pop(_key(name, options), None)


def close_untaken() -> None:
    """Close the engines started that no synthesis took (their posts' segments arrived otherwise)."""
    with _lock:
        left = list(_started.values())
        _started.clear()
    for engine in left:
        engine.close()
