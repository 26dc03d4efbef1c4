"""A small speech server that answers as vLLM-Omni serving Qwen3-TTS-12Hz-1.7B-CustomVoice does.

The remote engine's contract tests talk to it over real HTTP on loopback. It follows
vLLM-Omni's request model and refuses, fails and cuts exactly where vLLM-Omni's code does; what
it says is vLLM-Omni's wording. It was written from vLLM-Omni's and vLLM's source, read at these
commits (each rule below names its file):

  [speech]   vllm_omni/entrypoints/openai/serving_speech.py            vllm-omni 01bc4171df2a6ee9799a6994eb61eb10b6931641
  [adapter]  vllm_omni/entrypoints/openai/tts_adapters/qwen3_tts.py    vllm-omni 078de2d14c2fcc670c1e0dd492e1b84a69c69d15
  [base]     vllm_omni/entrypoints/openai/tts_adapters/base.py         vllm-omni 2e416186a98a0c6c951cff3380243347aa83d380
  [protocol] vllm_omni/entrypoints/openai/protocol/audio.py            vllm-omni 0131cb5560450800b800e889fb849ea2c851bd3f
  [docs]     docs/serving/speech_api.md (GET /v1/audio/voices)         vllm-omni 078de2d14c2fcc670c1e0dd492e1b84a69c69d15
  [deploy]   vllm_omni/deploy/qwen3_tts.yaml                           vllm-omni 0c9ed271d6b8de0c0134316168d09e36794e53be
  [serving]  vllm/entrypoints/openai/engine/serving.py                 vllm 00bd1493b3e82d6c13c68ee8a0e1c5a96707e190
  [models]   vllm/entrypoints/openai/engine/protocol.py (ModelCard, owned_by "vllm")

What it speaks is a tone, not speech: the contract is about fields, refusals and lengths. Its
"model" speaks 15 characters a second at 12.5 codec frames a second, 1920 samples a frame at
24 kHz, and stops at the frame cap like the real one; `runaway` makes it never stop by itself
(a generation that misses its end token), `fail_next` makes generations fail.

Not modelled, because the remote engine never asks for them: streaming, voice cloning
(ref_audio, Base and VoiceDesign checkpoints), uploaded voices, mp3/flac/opus encoding, and
pydantic's type errors.
"""

from __future__ import annotations

import json
import math
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler

from fake_servers import Loopback

MODEL = "Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice"
# The checkpoint's talker_config.spk_id keys; [speech] _load_supported_speakers lowercases them.
SPEAKERS = ("aiden", "dylan", "eric", "ono_anna", "ryan", "serena", "sohee", "uncle_fu", "vivian")
# The checkpoint's talker_config.codec_language_id keys; [adapter] _load_supported_languages
# title-cases them and adds "Auto".
LANGUAGES = frozenset(k.title() for k in ("chinese", "english", "german", "italian", "portuguese", "spanish",
                                          "japanese", "korean", "french", "russian", "beijing_dialect",
                                          "sichuan_dialect")) | {"Auto"}
RESPONSE_FORMATS = ("wav", "pcm", "flac", "mp3", "opus")  # [protocol] response_format Literal, default "wav"
TASK_TYPES = ("CustomVoice", "VoiceDesign", "Base")  # [protocol] task_type Literal
MAX_INSTRUCTIONS = 500  # [speech] _TTS_MAX_INSTRUCTIONS_LENGTH (CLI: --tts-max-instructions-length)
MAX_NEW_TOKENS = 4096  # [base] max_new_tokens_max
DEFAULT_MAX_NEW_TOKENS = 2048  # [speech] _build_tts_params: params["max_new_tokens"] = [2048]
SAMPLE_RATE = 24000  # [speech] sr default 24000; Qwen3-TTS speaks at 24 kHz ([docs])
FRAMES_PER_SECOND = 12.5
SAMPLES_PER_FRAME = int(SAMPLE_RATE / FRAMES_PER_SECOND)
CHARS_PER_SECOND = 15.0
# One frame of a 250 Hz tone: 20 whole cycles, so frames join without clicks.
_FRAME = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 250 * n / SAMPLE_RATE)))
                  for n in range(SAMPLES_PER_FRAME))


class Refusal(Exception):
    """An error answer, as vLLM's create_error_response shapes it ([serving])."""

    def __init__(self, message: str, status: int = 400, kind: str = "BadRequestError", param: str | None = None):
        super().__init__(message)
        self.status, self.kind, self.param = status, kind, param

    def body(self) -> bytes:
        return json.dumps({"error": {"message": str(self), "type": self.kind, "param": self.param,
                                     "code": self.status}}).encode("utf-8")


class VllmOmniContract:
    """The server, on a port of its own on 127.0.0.1; stop it with close()."""

    def __init__(self, served_model: str = MODEL, api_key: str | None = None, runaway: bool = False,
                 seconds_per_audio_second: float = 0.0):
        self.served_model = served_model
        self.api_key = api_key
        self.runaway = runaway
        self.seconds_per_audio_second = seconds_per_audio_second  # generation time, to make a request slow
        self.fail_next: list[str] = []  # messages of the next generations to fail, one each
        self.requests: list[tuple[str, str, dict | None]] = []  # (method, path, JSON body)
        self.lock = threading.Lock()
        contract = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                contract._handle(self, None)

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                contract._handle(self, raw)

        self.server = Loopback(Handler)

    @property
    def url(self) -> str:
        return self.server.url

    def speech_bodies(self) -> list[dict]:
        with self.lock:
            return [body for method, path, body in self.requests if method == "POST" and body is not None]

    def close(self) -> None:
        self.server.close()

    # -- routes --------------------------------------------------------------------------------
    def _handle(self, http: BaseHTTPRequestHandler, raw: bytes | None) -> None:
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        with self.lock:
            self.requests.append((http.command, http.path, body if isinstance(body, dict) else None))
        # vLLM's AuthenticationMiddleware guards every /v1 path when --api-key is given.
        if self.api_key and http.path.startswith("/v1") and \
                http.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _send(http, 401, "application/json", b'{"error": "Unauthorized"}')
        try:
            if http.command == "GET" and http.path == "/v1/models":
                # [models] ModelCard: owned_by "vllm"
                card = {"id": self.served_model, "object": "model", "created": int(time.time()), "owned_by": "vllm",
                        "root": self.served_model, "parent": None, "max_model_len": 4096, "permission": []}
                return _send(http, 200, "application/json", json.dumps({"object": "list", "data": [card]}).encode())
            if http.command == "GET" and http.path == "/v1/audio/voices":
                # [docs] {"voices": [...], "uploaded_voices": [...]}, speakers lowercased and sorted
                listing = {"voices": sorted(SPEAKERS), "uploaded_voices": []}
                return _send(http, 200, "application/json", json.dumps(listing).encode())
            if http.command == "POST" and http.path == "/v1/audio/speech":
                audio, media_type = self._speech(body)
                return _send(http, 200, media_type, audio)
            raise Refusal("Not Found", 404, "NotFoundError")
        except Refusal as refusal:
            return _send(http, refusal.status, "application/json", refusal.body())

    def _speech(self, data) -> tuple[bytes, str]:
        request = _parse(data)
        # [speech] create_speech: _check_model first: a model not served is a 404 naming it.
        # ([serving] _check_model; _is_model_supported: no model at all is the served one)
        if request["model"] and request["model"] != self.served_model:
            raise Refusal(f"The model `{request['model']}` does not exist.", 404, "NotFoundError", "model")
        if request["stream"]:
            raise Refusal("this contract server does not model streaming")
        error = _validate(request)
        if error:  # [speech] the adapter's ValueError -> create_error_response(e): 400, param None
            raise Refusal(error)
        return self._generate(request)

    def _generate(self, request: dict) -> tuple[bytes, str]:
        with self.lock:
            failure = self.fail_next.pop(0) if self.fail_next else None
        if failure is not None:
            # [speech] create_speech: any exception but a ValueError becomes
            # create_error_response(f"Speech generation failed: {e}"), status 400.
            raise Refusal(f"Speech generation failed: {failure}")
        # [speech] _build_tts_params: max_new_tokens defaults to 2048, and the CustomVoice output is
        # returned as generated, whole or cut ([adapter] validate_generation refuses only Base).
        cap = request["max_new_tokens"] or DEFAULT_MAX_NEW_TOKENS
        natural = math.ceil(len(request["input"]) / CHARS_PER_SECOND * FRAMES_PER_SECOND)
        frames = cap if self.runaway else min(cap, natural)
        if self.seconds_per_audio_second:
            time.sleep(self.seconds_per_audio_second * frames / FRAMES_PER_SECOND)
        samples = _FRAME * frames
        if request["speed"] != 1.0:  # [speech] CreateAudio(speed=...): a time stretch after generating
            kept = int(len(samples) // 2 / request["speed"])
            samples = samples[:kept * 2]
        if request["response_format"] == "pcm":  # raw int16 at the model's 24 kHz, no rate said
            return samples, "audio/pcm"
        if request["response_format"] == "wav":
            return _wav(samples), "audio/wav"
        raise Refusal(f"this contract server does not encode {request['response_format']}")


def _parse(data) -> dict:
    """The fields of OpenAICreateSpeechRequest the engine sends, with [protocol]'s defaults and bounds.
    (vLLM's own validation answers malformed JSON; these refusals stand in for it, not word for word.)"""
    if not isinstance(data, dict) or not isinstance(data.get("input"), str):
        raise Refusal("input: Field required")
    voice = data.get("voice", data.get("speaker"))  # [protocol] voice, alias "speaker"
    if isinstance(voice, dict):
        voice = voice.get("id")
    response_format = data.get("response_format", "wav")
    if response_format not in RESPONSE_FORMATS:
        raise Refusal(f"response_format: Input should be {', '.join(map(repr, RESPONSE_FORMATS))}")
    speed = data.get("speed", 1.0)
    speed = 1.0 if speed is None else float(speed)
    if not 0.25 <= speed <= 4.0:
        raise Refusal("speed: Input should be between 0.25 and 4.0")
    max_new_tokens = data.get("max_new_tokens")
    if max_new_tokens is not None and int(max_new_tokens) < 1:
        raise Refusal("max_new_tokens: Input should be greater than or equal to 1")
    task_type = data.get("task_type")
    if task_type is not None and task_type not in TASK_TYPES:
        raise Refusal(f"task_type: Input should be {', '.join(map(repr, TASK_TYPES))}")
    # Fields it does not know are ignored (vLLM's OpenAIBaseModel logs and drops them).
    return {"input": data["input"], "model": data.get("model"), "voice": voice, "language": data.get("language"),
            "instructions": data.get("instructions"), "task_type": task_type, "response_format": response_format,
            "speed": speed, "max_new_tokens": None if max_new_tokens is None else int(max_new_tokens),
            "stream": bool(data.get("stream"))}


def _validate(request: dict) -> str | None:
    """[adapter] Qwen3TTSAdapter.validate, for a CustomVoice checkpoint, in its order."""
    if request["voice"] is not None:
        request["voice"] = request["voice"].lower()  # "Normalize voice to lowercase"
    task_type = request["task_type"] or "CustomVoice"
    if task_type != "CustomVoice":
        return (f"Qwen3-TTS CustomVoice checkpoint does not support task_type='{task_type}'. "
                f"Use task_type='CustomVoice' or load the matching {task_type} checkpoint.")
    if not request["input"] or not request["input"].strip():
        return "Input text cannot be empty"
    if request["language"] is not None:
        request["language"] = request["language"].title()  # case-insensitive, title-cased
        if request["language"] not in LANGUAGES:
            return f"Invalid language '{request['language']}'. Supported: {', '.join(sorted(LANGUAGES))}"
    if request["voice"] is not None and request["voice"] not in SPEAKERS:
        return f"Invalid voice '{request['voice']}'. Supported: {', '.join(sorted(SPEAKERS))}"
    if request["instructions"] and len(request["instructions"]) > MAX_INSTRUCTIONS:
        return f"Instructions too long (max {MAX_INSTRUCTIONS} characters)"
    if request["max_new_tokens"] is not None and request["max_new_tokens"] > MAX_NEW_TOKENS:
        return f"max_new_tokens cannot exceed {MAX_NEW_TOKENS}"
    return None


def _wav(samples: bytes) -> bytes:
    fmt = struct.pack("<HHIIHH", 1, 1, SAMPLE_RATE, SAMPLE_RATE * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(samples)) + samples
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _send(http: BaseHTTPRequestHandler, status: int, media_type: str, data: bytes) -> None:
    http.send_response(status)
    http.send_header("Content-Type", media_type)
    http.send_header("Content-Length", str(len(data)))
    http.end_headers()
    http.wfile.write(data)
