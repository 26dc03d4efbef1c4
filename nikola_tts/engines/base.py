"""The engine interface: segments in, PCM out, many at a time.

An engine object is cheap to create: gen_tasks asks it for identities on every build.
Anything heavy (a model, torch, a subprocess probe) waits for `load()`, which the synthesis
step calls only when something is stale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Sequence

from nikola_tts.audio.pcm import Audio
from nikola_tts.errors import TTSError
from nikola_tts.text.blocks import PHONEMES_CLOSE, PHONEMES_OPEN
from nikola_tts.text.segment import MIN_MAX_CHARS

_LEXICON_PHONEMES = re.compile(f"{PHONEMES_OPEN}(.*?){PHONEMES_CLOSE}")


@dataclass(frozen=True)
class EngineOptions:
    voice: object = None
    model: str | None = None
    device: str = "auto"
    speed: float = 1.0
    batch_size: int | None = None
    extra: dict | None = None


def max_chars_option(extra: dict | None, default: int, high: int) -> int:
    """TTS_ENGINE_OPTIONS["max_chars"] (the longest text of one request; a paragraph past it is read in pieces cut
    at sentence ends), checked when the engine is made: a whole number from MIN_MAX_CHARS to high."""
    value = (extra or {}).get("max_chars")
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_MAX_CHARS <= value <= high:
        raise TTSError(f"TTS_ENGINE_OPTIONS['max_chars'] is {value!r}: use a whole number of characters from "
                       f"{MIN_MAX_CHARS} to {high} (the longest text read in one piece; default {default})")
    return value


@dataclass(frozen=True)
class Request:
    text: str
    voice: str
    language: str
    instructions: str | None = None  # a style instruction for this request alone (engines that take one)


class Engine:
    name = "base"
    max_chars = 1000  # longest text one request may carry; extraction splits to fit
    realtime_factor_guess = 1.0  # wall seconds per audio second before anything is measured
    takes_instructions = False  # whether synthesize honours Request.instructions
    phoneme_alphabet: str | None = None  # the alphabet of phonemes it takes inline ("ipa"), if any

    def __init__(self, options: EngineOptions):
        self.options = options

    @classmethod
    def unavailable_reason(cls, options: EngineOptions) -> str | None:
        """Why this engine cannot run here (cheap: no model loads), or None if it looks ready."""
        return None

    def resolve_voice(self, voice: str | None, language: str) -> str:
        """The voice that will speak: the configured one, or this engine's default for the language."""
        raise NotImplementedError

    def identity(self, voice: str, language: str) -> str:
        """Everything that changes the sound, as a stable string (it enters the segment hash)."""
        raise NotImplementedError

    def voice_problem(self, voice: str, language: str) -> str | None:
        """Why this engine cannot speak with voice, where it can tell cheaply (no model loads), as one
        line that names the fix; else None. Asked once per build, before any work; check_voice asks
        again after load(), where the rest can be known."""
        return None

    def speaks(self, voice: str, language: str) -> bool:
        """Whether this voice speaks this language (cheap: asked while planning a paragraph in
        another language than its post's)."""
        return True

    def preload(self) -> bool:
        """Start what load() does in the background, where it is slow (a model), and say whether it
        started; load() then waits for it and raises what it raised. Most engines start nothing."""
        return False

    def load(self) -> None:
        """Check the engine can run and get it ready; raise TTSError with the fix otherwise."""

    def check_voice(self, voice: str, language: str) -> None:
        """Raise TTSError if the engine cannot speak with this voice (called after load)."""

    def voices(self) -> list[str] | None:
        """The names check_voice accepts, for listing (called after load); None where they cannot be listed."""
        return None

    @property
    def batch_size(self) -> int:
        return self.options.batch_size or 1

    def synthesize(self, requests: Sequence[Request]) -> Iterator[tuple[int, Audio | Exception]]:
        """Yield (index into requests, audio or the error for that request), in any order."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what load() took (memory, processes)."""

    def describe(self) -> str:
        """One line for the log: what is about to speak, and on what."""
        return self.name


def inline_phonemes(text: str) -> str:
    """Text for an engine whose inline phoneme syntax is [[...]] (espeak-ng, Piper): brackets in
    the prose are defused, so they are read as written, and the lexicon's phonemes become [[...]]."""
    text = text.replace("[[", "[ [").replace("]]", "] ]")
    return _LEXICON_PHONEMES.sub(lambda m: f"[[{m.group(1)}]]", text)
