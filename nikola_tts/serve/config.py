"""What `nikola tts serve` is told by the site's settings, fixed for the server's life."""

from __future__ import annotations

from dataclasses import dataclass

from nikola_tts.settings import per_lang


@dataclass(frozen=True)
class ServeConfig:
    models: tuple[str, ...]  # ids a request's `model` may name; the first is the one listed
    default_language: str  # a Nikola language code: for requests that give none, and the voices' fallback
    voice: object = None  # TTS_VOICE: None, a voice, or {lang: voice}
    instructions: str | None = None  # the engine's fixed TTS_INSTRUCT, if any
    takes_instructions: bool = False  # whether the engine honours a request's own instructions
    token: str | None = None
    max_input_chars: int = 4096
    max_body_bytes: int = 65536
    batch_wait_seconds: float = 0.01
    max_queue: int = 1024

    def voice_for(self, language: str):
        """The configured voice for a language (None: the engine's default), as a build picks it."""
        return per_lang(self.voice, language, self.default_language)
