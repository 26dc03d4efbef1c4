"""When an engine cannot narrate on this machine: the one line a blogger reads, once per build.

The engine knows why it cannot run (`unavailable_reason`, or the error `load()` raised); this
module adds what to do here: make that engine ready (for Qwen3-TTS, how to download its model),
or switch to an engine that does run here, named with how to get it where it is not installed.
"""

from __future__ import annotations

import importlib.util

from nikola_tts.engines import EngineOptions, create_engine
from nikola_tts.errors import TTSError
from nikola_tts.settings import DEFAULT_TTS_ENGINE

# The engines a blogger can switch to on any machine, best first: what they sound like, how to get them.
ALTERNATIVES = (
    ("piper", "a natural voice, on the CPU, offline", "pip install 'nikola-tts[piper]'"),
    ("espeak", "robotic but clear, about 100 languages", "apt-get install espeak-ng, or brew install espeak-ng"),
)


class EngineUnusable(TTSError):
    """An engine that cannot narrate here: str() is the whole advice, said once per build; `reason`
    the short form each post's failure records."""

    def __init__(self, engine: str, reason: str, advice: str):
        super().__init__(advice)
        self.engine = engine
        self.reason = reason


def unusable(engine: str, kind: str, reason: str, settings) -> EngineUnusable:
    """The error for TTS_ENGINE `engine` (an engine of `kind`: its Engine.name), which cannot run here
    because of `reason` (one line): why, what would make it ready, and the engines that run here instead."""
    steps = []
    ready = _make_ready(kind, settings)
    if ready:
        steps.append(ready)
    others = [_alternative(name, sound, install) for name, sound, install in ALTERNATIVES if name != kind]
    if others:
        steps.append('set TTS_ENGINE = ' + " or ".join(others) + " in conf.py")
    default = " (the default)" if engine == DEFAULT_TTS_ENGINE else ""
    advice = (f'TTS_ENGINE "{engine}"{default} cannot narrate on this machine: {reason.rstrip(".")}. '
              f"To narrate here, {'; or '.join(steps)}")
    return EngineUnusable(engine, f'TTS_ENGINE "{engine}" cannot narrate on this machine ({reason})', advice)


def _alternative(name: str, sound: str, install: str) -> str:
    options = EngineOptions()  # as a switch to it would run: its default voice
    try:
        ready = create_engine(name, options).unavailable_reason(options) is None
    except TTSError:
        ready = False
    return f'"{name}" ({sound}{"" if ready else "; " + install})'


def _make_ready(kind: str, settings) -> str | None:
    """How to make an engine of this kind ready: install it, or for Qwen3-TTS download its model."""
    install = next((install for name, _, install in ALTERNATIVES if name == kind), None)
    if install:
        return f"install it ({install})"
    if kind != "qwen":
        return None
    from nikola_tts.engines.qwen import source  # light: no torch, no network

    try:
        model = source.resolve(settings.model)
    except TTSError:
        return None
    if model.hub_id is None or source.cached_snapshot(model.hub_id) is not None:
        return None
    from nikola_tts.engines.qwen import REQUIRED_MODULES

    install = ("install it (the README's Qwen3-TTS steps), then "
               if any(importlib.util.find_spec(module) is None for module, _ in REQUIRED_MODULES) else "")
    return (f"{install}download its model once with `huggingface-cli download {model.hub_id}` ({source.DOWNLOAD_SIZE}; "
            "without internet here, run that with --local-dir DIR on a machine that has it, copy DIR here and set "
            'TTS_MODEL = "DIR")')
