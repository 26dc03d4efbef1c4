"""Who speaks a paragraph whose language is not its post's: that language's engine and voice.

TTS_ENGINE and TTS_VOICE may name languages ({"en": "piper", "ar": "espeak"}). A paragraph in
Arabic is spoken by the engine TTS_ENGINE gives for Arabic (a plain TTS_ENGINE serves every
language), with the voice TTS_VOICE gives for Arabic, or else that engine's own voice for it;
where the engine has none (Piper ships only an English voice, Qwen3-TTS speaks ten languages),
nobody speaks it and the paragraph is left out, with a warning that names the setting to add.
"""

from __future__ import annotations

from dataclasses import dataclass

from nikola_tts.engines.base import EngineOptions
from nikola_tts.plan import Speakers
from nikola_tts.settings import per_lang


@dataclass(frozen=True)
class Voicing:
    engine: str  # the TTS_ENGINE name
    voice: str
    language: str  # as the engine is told
    identity: str  # the engine's identity for this voice: it keys the segments
    max_chars: int


def voicing_for(speakers: Speakers, language: str) -> Voicing | None:
    """Who speaks `language`, or None where no engine and voice here can."""
    name = per_lang(speakers.engine, language, speakers.default_lang)
    engine = _engine(name, speakers.options)
    voice = engine.resolve_voice(speakers.voice_given_for(language), language)
    if not engine.speaks(voice, language):
        return None
    return Voicing(name, voice, language, engine.identity(voice, language), engine.max_chars)


def hint(speakers: Speakers, language: str) -> str:
    """The setting that would make `language` speak, for the warning."""
    name = per_lang(speakers.engine, language, speakers.default_lang)
    if name == "piper":
        return (f"TTS_VOICE = {{..., {language!r}: 'path/to/a-{language}-piper-voice.onnx'}}, "
                f"or TTS_ENGINE = {{..., {language!r}: 'espeak'}}")
    return f"TTS_ENGINE = {{..., {language!r}: 'espeak'}} (or an engine and TTS_VOICE that speak it)"


_ENGINES: dict = {}


def _engine(name: str, options: EngineOptions):
    from nikola_tts.engines import create_engine

    key = (name, repr(options))
    if key not in _ENGINES:
        _ENGINES[key] = create_engine(name, options)
    return _ENGINES[key]
