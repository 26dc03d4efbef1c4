"""A speech request as the client sent it, checked field by field, and the API's refusals.

SpeechRequest.parse takes the JSON body of `POST /v1/audio/speech` (the fields of vLLM-Omni's
OpenAICreateSpeechRequest) and either returns what to speak or raises ApiError: an
OpenAI-shaped refusal with the status, code and parameter the client gets to see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nikola_tts.engines.languages import AUTO, CODES, QWEN_LANGUAGES
from nikola_tts.serve import formats
from nikola_tts.serve.config import ServeConfig

_NAME_CODES = {name.lower(): code for code, name in CODES.items()}  # "english" -> "en"
_LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")
_KIND_NAMES = {str: "a string", int: "a number", float: "a number", bool: "true or false"}


class ApiError(Exception):
    """A refusal: {"error": {"message", "type", "param", "code"}} with an HTTP status."""

    def __init__(self, status: int, message: str, code: str, param: str | None = None,
                 kind: str = "invalid_request_error", headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.param, self.kind = status, message, code, param, kind
        self.headers = headers


@dataclass(frozen=True)
class SpeechRequest:
    text: str
    language: str  # a Nikola language code
    voice: str | None  # as asked for, or the configured voice for the language; the engine resolves it
    response_format: str
    speed: float
    instructions: str | None = None  # for this request alone (engines that take one); None: the engine's own

    @classmethod
    def parse(cls, data: dict, config: ServeConfig, ffmpeg: bool) -> "SpeechRequest":
        """The request in a JSON body, checked in the order the fields are listed (ApiError)."""
        text = data.get("input")
        if not isinstance(text, str):
            raise ApiError(400, "'input' must be a string: the text to speak", "invalid_input", "input")
        if not text.strip():
            raise ApiError(400, "'input' is empty: there is nothing to speak", "empty_input", "input")
        if len(text) > config.max_input_chars:
            raise ApiError(400, f"'input' has {len(text)} characters; this server takes at most "
                                f"{config.max_input_chars}", "input_too_long", "input")
        model = _field(data, "model", str)
        if model and model not in config.models:
            raise ApiError(404, f"the model {model!r} does not exist here; this server speaks with "
                                f"{config.models[0]!r}", "model_not_found", "model")
        asked_format = _field(data, "response_format", str)
        response_format = str(asked_format or formats.DEFAULT_FORMAT).lower()
        supported = formats.supported_formats(ffmpeg)
        if response_format not in supported:
            said = f"{'' if asked_format else 'the default '}response_format {response_format!r}"
            raise ApiError(400, f"{said} is not supported here: use one of {', '.join(supported)}",
                           "unsupported_response_format", "response_format")
        speed = _field(data, "speed", (int, float), 1.0)
        if not 0.25 <= float(speed) <= 4.0:
            raise ApiError(400, f"speed {speed!r} is out of range: use 0.25 to 4.0", "invalid_speed", "speed")
        if abs(float(speed) - 1.0) > 1e-6 and not ffmpeg:
            raise ApiError(400, "this server has no ffmpeg, so it speaks at speed 1.0 only", "invalid_speed", "speed")
        whole = "this server answers with the whole file once it is spoken"
        if _field(data, "stream", bool, False):
            raise ApiError(400, f"stream=true is not supported: {whole}; leave 'stream' out or false",
                           "unsupported_stream", "stream")
        if _field(data, "stream_format", str, "audio") != "audio":
            raise ApiError(400, f"stream_format {data.get('stream_format')!r} is not supported: {whole}; leave "
                                "'stream_format' out or 'audio'", "unsupported_stream", "stream_format")
        task_type = _field(data, "task_type", str)
        if task_type not in (None, "CustomVoice"):
            raise ApiError(400, f"task_type {task_type!r} is not supported: this server speaks with named voices "
                                "(CustomVoice)", "unsupported_task_type", "task_type")
        instructions = _field(data, "instructions", str) or None
        if instructions == config.instructions:
            instructions = None  # the engine's own
        elif instructions and not config.takes_instructions:
            raise ApiError(400, "this server's engine takes no per-request instructions"
                                + (f"; it speaks with {config.instructions!r}" if config.instructions else
                                   "; leave 'instructions' out"),
                           "unsupported_instructions", "instructions")
        language = _language_code(_field(data, "language", str), config.default_language)
        voice = _field(data, "voice", str) or config.voice_for(language)
        return cls(text=text, language=language, voice=voice, response_format=response_format, speed=float(speed),
                   instructions=instructions)


def _field(data: dict, name: str, kinds, default=None):
    """data[name] if it is of one of the kinds, default if absent or null (ApiError otherwise)."""
    value = data.get(name)
    if value is None:
        return default
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
        wanted = " or ".join(dict.fromkeys(_KIND_NAMES[k] for k in kinds))
        raise ApiError(400, f"'{name}' must be {wanted}", "invalid_type", name)
    return value


def _language_code(given: str | None, default: str) -> str:
    """A Nikola language code for a code ('pt-BR') or a Qwen language name ('Portuguese')."""
    if given is None or str(given).strip().lower() in ("", "auto"):
        return default
    text = str(given).strip()
    if text.lower() in _NAME_CODES:
        return _NAME_CODES[text.lower()]
    if not _LANGUAGE_CODE.match(text):
        names = ", ".join((AUTO,) + QWEN_LANGUAGES)
        raise ApiError(400, f"unknown language {text!r}: give a language code (en, pt_br, ...) or one of {names}",
                       "invalid_language", "language")
    return text.lower().replace("-", "_")
