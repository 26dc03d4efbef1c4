"""The HTTP face of `nikola tts serve`: OpenAI's speech API in front of a local engine.

    POST /v1/audio/speech   {"input", "model"?, "voice"?, "language"?, "response_format"?, "speed"?,
                             "instructions"?, "task_type"?}  ->  audio (mp3 by default, as OpenAI's;
                             wav, pcm at 24 kHz, flac); X-Sample-Rate says the rate
    GET  /v1/audio/voices   {"voices": [...], "uploaded_voices": []}, as vLLM-Omni lists them
    GET  /v1/models         the model this server speaks with
    GET  /health            {"status": "ok", ...} (no token needed)

The request fields are those of vLLM-Omni's OpenAICreateSpeechRequest (request.py), so the
remote engine and OpenAI's clients talk to it as to vLLM-Omni. Every refusal is OpenAI-shaped
JSON, {"error": {"message", "type", "param", "code"}}, with a 4xx status for the client's
mistakes and a 5xx for a generation that failed (worth another try). An input longer than the
engine's max_chars is read as a build reads such a paragraph: in pieces, side by side.

The handlers are plain functions; what they share lives on app.state: the engine, the config,
the batcher, whether ffmpeg is here, and the voices already checked.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State
from starlette.exceptions import HTTPException
from starlette.requests import Request as HTTPRequest
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nikola_tts.audio.join import join_timed
from nikola_tts.audio.pcm import Audio
from nikola_tts.engines.base import Engine, Request
from nikola_tts.errors import TTSError, one_line
from nikola_tts.serve import formats
from nikola_tts.serve.batcher import Batcher, Busy
from nikola_tts.serve.config import ServeConfig
from nikola_tts.serve.request import ApiError, SpeechRequest
from nikola_tts.text.blocks import Block
from nikola_tts.text.segment import split_into_segments


def create_app(engine: Engine, config: ServeConfig) -> Starlette:
    app = Starlette(
        routes=[
            Route("/v1/audio/speech", speech, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/v1/audio/voices", voices, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
        ],
        exception_handlers={ApiError: on_api_error, HTTPException: on_http_error, Exception: on_crash},
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.config = config
    app.state.batcher = Batcher(engine, engine.batch_size, config.batch_wait_seconds, config.max_queue)
    app.state.ffmpeg = formats.have_ffmpeg()
    app.state.voice_checks = {}  # (voice, language) -> None, or why the engine cannot speak with it
    app.state.voice_list = None  # what GET /v1/audio/voices lists, asked of the engine once
    app.state.refused = 0  # requests answered with a 4xx, for /health
    return app


# -- routes --------------------------------------------------------------------------------------

async def speech(http: HTTPRequest) -> Response:
    state = http.app.state
    _authorize(http, state.config)
    asked = SpeechRequest.parse(await _read_json(http, state.config.max_body_bytes), state.config, state.ffmpeg)
    try:
        voice = state.engine.resolve_voice(asked.voice, asked.language)
    except TTSError as exc:
        raise ApiError(400, str(exc), "invalid_voice", "voice") from None
    await _check_voice(state, voice, asked.language)
    try:
        audio = await _spoken(state, asked, voice)
    except Busy as exc:
        raise ApiError(503, f"the server is busy ({exc}); try again shortly", "server_busy",
                       kind="server_error", headers={"Retry-After": "1"}) from None
    except Exception as exc:
        raise ApiError(500, f"synthesis failed: {one_line(exc)}", "synthesis_failed", kind="server_error") from None
    try:
        audio = await run_in_threadpool(formats.change_speed, audio, asked.speed)
        audio = await run_in_threadpool(formats.for_format, audio, asked.response_format)
        body = await run_in_threadpool(formats.encode, audio, asked.response_format)
    except TTSError as exc:
        raise ApiError(500, str(exc), "encoding_failed", kind="server_error") from None
    return Response(body, media_type=formats.MEDIA_TYPES[asked.response_format],
                    headers={"X-Sample-Rate": str(audio.sample_rate)})


async def _spoken(state: State, asked: SpeechRequest, voice: str) -> Audio:
    """The input as a build reads a paragraph: whole where it fits the engine's max_chars, else in pieces cut at
    sentence ends (the segmenter's), read side by side and joined with the pause a build leaves between them."""
    engine = state.engine
    if len(asked.text) <= engine.max_chars:
        return await state.batcher.speak(Request(asked.text, voice, asked.language, asked.instructions))
    pieces = split_into_segments([Block("paragraph", asked.text)], engine.max_chars)
    audios = await state.batcher.speak_all([Request(p.text, voice, asked.language, asked.instructions)
                                            for p in pieces])
    return join_timed([(audio, piece.pause_after) for audio, piece in zip(audios, pieces)], lead_in=False).audio


async def models(http: HTTPRequest) -> Response:
    config = http.app.state.config
    _authorize(http, config)
    return JSONResponse({"object": "list", "data": [{"id": config.models[0], "object": "model",
                                                     "owned_by": "nikola-tts"}]})


async def voices(http: HTTPRequest) -> Response:
    """The engine's voices where it can list them all (Qwen3-TTS's speakers, espeak-ng's voices),
    else the ones this server is configured with, which it speaks for certain."""
    state = http.app.state
    _authorize(http, state.config)
    if state.voice_list is None:
        listed = await run_in_threadpool(state.engine.voices)
        if listed is None:
            config = state.config
            configured = config.voice.values() if isinstance(config.voice, dict) else [config.voice]
            default = await run_in_threadpool(state.engine.resolve_voice, None, config.default_language)
            listed = [str(v) for v in (*configured, default) if v]
        state.voice_list = sorted(dict.fromkeys(listed))
    return JSONResponse({"voices": state.voice_list, "uploaded_voices": []})


async def health(http: HTTPRequest) -> Response:
    state = http.app.state
    return JSONResponse({"status": "ok", "engine": state.engine.name, "model": state.config.models[0],
                         **state.batcher.stats(), "refused": state.refused})


@asynccontextmanager
async def lifespan(app: Starlette):
    await app.state.batcher.start()
    try:
        yield
    finally:
        await app.state.batcher.stop()
        await asyncio.get_running_loop().run_in_executor(None, app.state.engine.close)


# -- refusals --------------------------------------------------------------------------------------

def error_response(status: int, message: str, code: str, param=None, kind="invalid_request_error", headers=None):
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


async def on_api_error(http: HTTPRequest, exc: ApiError) -> Response:
    if 400 <= exc.status < 500:
        http.app.state.refused += 1
    return error_response(exc.status, exc.message, exc.code, exc.param, exc.kind, exc.headers)


async def on_http_error(http: HTTPRequest, exc: HTTPException) -> Response:
    codes = {404: "not_found", 405: "method_not_allowed"}
    return error_response(exc.status_code, str(exc.detail), codes.get(exc.status_code, "http_error"),
                          headers=getattr(exc, "headers", None))


async def on_crash(http: HTTPRequest, exc: Exception) -> Response:
    return error_response(500, f"internal error: {type(exc).__name__}", "internal_error", kind="server_error")


# -- steps of a request ----------------------------------------------------------------------------

def _authorize(http: HTTPRequest, config: ServeConfig) -> None:
    if config.token is None:
        return
    scheme, _, given = http.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), config.token.encode()):
        raise ApiError(401, "missing or wrong API key: send 'Authorization: Bearer <key>'", "invalid_api_key",
                       headers={"WWW-Authenticate": "Bearer"})


async def _read_json(http: HTTPRequest, limit: int) -> dict:
    """The body as a JSON object, refused unread when it says it is over the limit, and cut off when it is."""
    declared = http.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"request body over {limit} bytes", "request_too_large")
    chunks, size = [], 0
    async for chunk in http.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"request body over {limit} bytes", "request_too_large")
        chunks.append(chunk)
    try:
        data = json.loads(b"".join(chunks).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, f"the body is not valid JSON ({exc})", "invalid_json") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object", "invalid_json")
    return data


async def _check_voice(state: State, voice: str, language: str) -> None:
    """engine.check_voice once per voice and language; its answer is remembered for the server's life."""
    key = (voice, language)
    if key not in state.voice_checks:
        try:
            await run_in_threadpool(state.engine.check_voice, voice, language)
            state.voice_checks[key] = None
        except TTSError as exc:
            state.voice_checks[key] = str(exc)
    if state.voice_checks[key]:
        raise ApiError(400, state.voice_checks[key], "invalid_voice", "voice")
