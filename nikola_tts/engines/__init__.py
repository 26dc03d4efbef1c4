"""Engines by name. Modules are imported only when their engine is asked for."""

from __future__ import annotations

import importlib

from nikola_tts.engines.base import Engine, EngineOptions, Request
from nikola_tts.errors import TTSError

ENGINES = {
    "espeak": "nikola_tts.engines.espeak:EspeakEngine",
    "qwen": "nikola_tts.engines.qwen:QwenEngine",
    "remote": "nikola_tts.engines.remote:RemoteEngine",
    "piper": "nikola_tts.engines.piper:PiperEngine",
}

__all__ = ["ENGINES", "Engine", "EngineOptions", "Request", "create_engine", "engine_or_fallback"]


def create_engine(name: str, options: EngineOptions) -> Engine:
    """An engine by registered name, or any Engine subclass as 'package.module:Class'."""
    target = ENGINES.get(name, name if ":" in str(name) else None)
    if target is None:
        raise TTSError(f"unknown TTS_ENGINE {name!r}: use one of {', '.join(sorted(ENGINES))}, "
                       "or 'package.module:Class' for an engine of your own")
    module_name, _, class_name = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise TTSError(f"TTS_ENGINE {name!r} cannot be loaded ({exc}): check the name and that its package is installed")
    if not (isinstance(cls, type) and issubclass(cls, Engine)):
        raise TTSError(f"TTS_ENGINE {name!r} is not a nikola_tts Engine subclass")
    return cls(options)


# engine name -> {engine passed over: why}, from engine_or_fallback, said where the engine narrates
FALLBACKS: dict[str, dict[str, str]] = {}


def fallback_note(name: str) -> str:
    """Why engine_or_fallback chose `name` over the engines before it ("" when it was not a fallback)."""
    return "; ".join(f"{other}: {why}" for other, why in FALLBACKS.get(name, {}).items())


def engine_or_fallback(*names: str, options: EngineOptions | None = None, announce=None) -> str:
    """For conf.py: the first of `names` that can run here.

    Nothing falls back on its own: a site that sets TTS_ENGINE to an engine gets that engine or
    an error. This helper is for sites (like the demo) that choose to accept a fallback. conf.py
    runs for every `nikola` command (even `nikola help`), so nothing is printed here: the build
    says which engine speaks, and why not the others, when it narrates (or pass announce=print).
    """
    options = options or EngineOptions()
    skipped = {}
    for name in names:
        try:
            reason = create_engine(name, options).unavailable_reason(options)
        except TTSError as exc:
            reason = str(exc)
        if reason is None or name == names[-1]:
            FALLBACKS.setdefault(name, {}).update(skipped)
            if announce:
                announce(f"nikola-tts: narrating with {name}" + (f" (not {fallback_note(name)})" if skipped else ""))
            return name
        skipped[name] = reason
    raise ValueError("engine_or_fallback needs at least one engine name")
