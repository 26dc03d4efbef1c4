"""The HTTP face of `nikola tts serve`: OpenAI's speech API in front of a local engine.

    POST /v1/audio/speech   {"input", "model"?, "voice"?, "language"?, "response_format"?, "speed"?,
                             "instructions"?, "task_type"?}  ->  audio (wav, pcm, mp3, flac)
    GET  /v1/models         the model this server speaks with
    GET  /health            {"status": "ok", ...} (no token needed)

The request fields are those of vLLM-Omni's OpenAICreateSpeechRequest, so the remote engine
talks to either server the same way. Every refusal is OpenAI-shaped JSON,
{"error": {"message", "type", "param", "code"}}, with a 4xx status for the client's mistakes.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request as HTTPRequest
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nikola_tts.engines.base import Engine, Request
from nikola_tts.engines.languages import AUTO, CODES, QWEN_LANGUAGES
from nikola_tts.errors import TTSError, one_line
from nikola_tts.serve import formats
from nikola_tts.serve.batcher import Batcher, Busy

_NAME_CODES = {name.lower(): code for code, name in CODES.items()}
_LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")


@dataclass
class ServeConfig:
    models: tuple  # ids a request's `model` may name; the first is the one listed
    default_language: str  # a Nikola language code
    default_voice: object = None  # TTS_VOICE: None, a voice, or {lang: voice}
    instructions: str | None = None  # the engine's fixed TTS_INSTRUCT, if any
    token: str | None = None
    max_input_chars: int = 4096
    max_body_bytes: int = 65536
    batch_wait_seconds: float = 0.01
    max_queue: int = 1024


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str, param: str | None = None,
                 kind: str = "invalid_request_error", headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.param, self.kind = status, message, code, param, kind
        self.headers = headers


def error_response(status: int, message: str, code: str, param=None, kind="invalid_request_error", headers=None):
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def create_app(engine: Engine, config: ServeConfig) -> Starlette:
    batcher = Batcher(engine, engine.batch_size, config.batch_wait_seconds, config.max_queue)
    ffmpeg = formats.have_ffmpeg()
    voice_checks: dict[tuple[str, str], str | None] = {}  # (voice, language) -> None or why not

    def authorize(request: HTTPRequest) -> None:
        if config.token is None:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), config.token.encode()):
            raise ApiError(401, "missing or wrong API key: send 'Authorization: Bearer <key>'", "invalid_api_key",
                           headers={"WWW-Authenticate": "Bearer"})

    async def read_json(request: HTTPRequest) -> dict:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > config.max_body_bytes:
            raise ApiError(413, f"request body over {config.max_body_bytes} bytes", "request_too_large")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > config.max_body_bytes:
                raise ApiError(413, f"request body over {config.max_body_bytes} bytes", "request_too_large")
            chunks.append(chunk)
        try:
            data = json.loads(b"".join(chunks).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError(400, f"the body is not valid JSON ({exc})", "invalid_json") from None
        if not isinstance(data, dict):
            raise ApiError(400, "the body must be a JSON object", "invalid_json")
        return data

    def field(data: dict, name: str, kinds, default=None):
        value = data.get(name)
        if value is None:
            return default
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
            names = {str: "a string", int: "a number", float: "a number", bool: "true or false"}
            wanted = " or ".join(dict.fromkeys(names[k] for k in kinds))
            raise ApiError(400, f"'{name}' must be {wanted}", "invalid_type", name)
        return value

    def language_code(given) -> str:
        if given is None or str(given).strip().lower() in ("", "auto"):
            return config.default_language
        text = str(given).strip()
        if text.lower() in _NAME_CODES:
            return _NAME_CODES[text.lower()]
        if not _LANGUAGE_CODE.match(text):
            names = ", ".join((AUTO,) + QWEN_LANGUAGES)
            raise ApiError(400, f"unknown language {text!r}: give a language code (en, pt_br, ...) or one of {names}",
                           "invalid_language", "language")
        return text.lower().replace("-", "_")

    def default_voice(language: str):
        voice = config.default_voice
        if isinstance(voice, dict):
            voice = voice.get(language) or voice.get(language.split("_")[0]) or voice.get(config.default_language)
        return voice

    async def check_voice(voice: str, language: str) -> None:
        key = (voice, language)
        if key not in voice_checks:
            try:
                await run_in_threadpool(engine.check_voice, voice, language)
                voice_checks[key] = None
            except TTSError as exc:
                voice_checks[key] = str(exc)
        if voice_checks[key]:
            raise ApiError(400, voice_checks[key], "invalid_voice", "voice")

    async def speech(request: HTTPRequest) -> Response:
        authorize(request)
        data = await read_json(request)
        text = data.get("input")
        if not isinstance(text, str):
            raise ApiError(400, "'input' must be a string: the text to speak", "invalid_input", "input")
        if not text.strip():
            raise ApiError(400, "'input' is empty: there is nothing to speak", "empty_input", "input")
        if len(text) > config.max_input_chars:
            raise ApiError(400, f"'input' has {len(text)} characters; this server takes at most "
                                f"{config.max_input_chars}", "input_too_long", "input")
        model = field(data, "model", str)
        if model and model not in config.models:
            raise ApiError(404, f"the model {model!r} does not exist here; this server speaks with "
                                f"{config.models[0]!r}", "model_not_found", "model")
        response_format = str(field(data, "response_format", str, "wav")).lower()
        if response_format not in formats.supported_formats(ffmpeg):
            raise ApiError(400, f"response_format {response_format!r} is not supported here: use one of "
                                f"{', '.join(formats.supported_formats(ffmpeg))}", "unsupported_response_format",
                           "response_format")
        speed = field(data, "speed", (int, float), 1.0)
        if not 0.25 <= float(speed) <= 4.0:
            raise ApiError(400, f"speed {speed!r} is out of range: use 0.25 to 4.0", "invalid_speed", "speed")
        if abs(float(speed) - 1.0) > 1e-6 and not ffmpeg:
            raise ApiError(400, "this server has no ffmpeg, so it speaks at speed 1.0 only", "invalid_speed", "speed")
        if field(data, "stream", bool, False):
            raise ApiError(400, "streaming is not supported: leave 'stream' false", "unsupported_stream", "stream")
        if field(data, "stream_format", str, "audio") != "audio":
            raise ApiError(400, "only stream_format 'audio' is supported", "unsupported_stream", "stream_format")
        task_type = field(data, "task_type", str)
        if task_type not in (None, "CustomVoice"):
            raise ApiError(400, f"task_type {task_type!r} is not supported: this server speaks with named voices "
                                "(CustomVoice)", "unsupported_task_type", "task_type")
        instructions = field(data, "instructions", str) or None
        if instructions and instructions != config.instructions:
            raise ApiError(400, "this server's engine takes no per-request instructions"
                                + (f"; it speaks with {config.instructions!r}" if config.instructions else ""),
                           "unsupported_instructions", "instructions")
        language = language_code(field(data, "language", str))
        voice = field(data, "voice", str) or default_voice(language)
        try:
            voice = engine.resolve_voice(voice, language)
        except TTSError as exc:
            raise ApiError(400, str(exc), "invalid_voice", "voice") from None
        await check_voice(voice, language)
        try:
            audio = await batcher.speak(Request(text, voice, language))
        except Busy as exc:
            raise ApiError(503, f"the server is busy ({exc}); try again shortly", "server_busy",
                           kind="server_error", headers={"Retry-After": "1"}) from None
        except Exception as exc:
            raise ApiError(500, f"synthesis failed: {one_line(exc)}", "synthesis_failed",
                           kind="server_error") from None
        try:
            audio = await run_in_threadpool(formats.change_speed, audio, float(speed))
            body = await run_in_threadpool(formats.encode, audio, response_format)
        except TTSError as exc:
            raise ApiError(500, str(exc), "encoding_failed", kind="server_error") from None
        headers = {"X-Sample-Rate": str(audio.sample_rate)}
        return Response(body, media_type=formats.MEDIA_TYPES[response_format], headers=headers)

    async def models(request: HTTPRequest) -> Response:
        authorize(request)
        return JSONResponse({"object": "list", "data": [{"id": config.models[0], "object": "model",
                                                         "owned_by": "nikola-tts"}]})

    async def health(request: HTTPRequest) -> Response:
        return JSONResponse({"status": "ok", "engine": engine.name, "model": config.models[0], **batcher.stats()})

    async def on_api_error(request: HTTPRequest, exc: ApiError) -> Response:
        return error_response(exc.status, exc.message, exc.code, exc.param, exc.kind, exc.headers)

    async def on_http_error(request: HTTPRequest, exc: HTTPException) -> Response:
        codes = {404: "not_found", 405: "method_not_allowed"}
        return error_response(exc.status_code, str(exc.detail), codes.get(exc.status_code, "http_error"),
                              headers=getattr(exc, "headers", None))

    async def on_crash(request: HTTPRequest, exc: Exception) -> Response:
        return error_response(500, f"internal error: {type(exc).__name__}", "internal_error", kind="server_error")

    @asynccontextmanager
    async def lifespan(app):
        await batcher.start()
        try:
            yield
        finally:
            await batcher.stop()
            await asyncio.get_running_loop().run_in_executor(None, engine.close)

    app = Starlette(
        routes=[
            Route("/v1/audio/speech", speech, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
        ],
        exception_handlers={ApiError: on_api_error, HTTPException: on_http_error, Exception: on_crash},
        lifespan=lifespan,
    )
    app.state.batcher = batcher
    return app
