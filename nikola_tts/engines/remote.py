"""The remote engine: narrate on other machines through the OpenAI speech API.

Any server that answers `POST {base}/audio/speech` the way OpenAI's does works: vLLM-Omni
serving Qwen3-TTS (`vllm serve Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice --omni ...`), or another
machine's `nikola tts serve`. Settings (conf.py):

    TTS_ENGINE = "remote"
    TTS_REMOTE_URLS = ["http://gpu-box:8091/v1", "http://gpu-box-2:8091/v1"]
    TTS_REMOTE_API_KEY_ENV = "NIKOLA_TTS_API_KEY"   # the key itself stays in the environment
    TTS_MODEL = "Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice"  # sent as `model`; None: the server's own
    TTS_VOICE = "ryan"                                  # sent as `voice`; None: the server's default

Segments are spread over every endpoint, at most TTS_REMOTE_CONCURRENCY in flight on each. A
request that fails (no connection, a timeout, a 5xx or 429 answer, audio that does not decode)
is tried again, on another endpoint when there is one, up to TTS_REMOTE_RETRIES more times; an
endpoint that stops answering is logged once and left alone for a while. Answers that say the
request itself is wrong (400, 401, 404, ...) are not retried. Only the standard library is used.

The cache identity holds what changes the sound (model, voice, language, speed, instructions and
any extra request fields) and never the URLs: moving the server re-narrates nothing.
"""

from __future__ import annotations

import array
import http.client
import json
import logging
import os
import queue
import socket
import ssl
import struct
import sys
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Iterator, Sequence
from urllib.parse import urlsplit

from nikola_tts.audio.pcm import Audio
from nikola_tts.engines.base import Engine, Request
from nikola_tts.engines import languages
from nikola_tts.errors import SynthesisError, TTSError

log = logging.getLogger("tts")

# What vLLM-Omni's Qwen3-TTS serving accepts as `language` (serving_speech.py, _TTS_LANGUAGES): the
# local Qwen engine's names. Nikola's language codes are sent as these names, anything else as written.
QWEN_LANGUAGES = (languages.AUTO,) + languages.QWEN_LANGUAGES
RESPONSE_FORMATS = ("wav", "pcm")
DEFAULT_PCM_RATE = 24000  # Qwen3-TTS's rate; raw PCM carries none of its own
PROBE_TIMEOUT = 10.0
DEAD_FOR = 60.0  # seconds an endpoint that stopped answering is left alone
MAX_BACKOFF = 8.0
RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


def wire_language(language) -> str | None:
    """The `language` field for a Nikola language code ('en' -> 'English'); names pass through."""
    if not language:
        return None
    text = str(language).strip()
    return languages.qwen_name(text) or text


class _Transport(Exception):
    """The endpoint did not answer: refused, reset, timed out, or hung up mid-answer."""


class _Rejected(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.retryable = status in RETRYABLE_STATUS or status >= 500


@dataclass
class _Endpoint:
    url: str
    scheme: str
    host: str
    port: int
    path: str
    slots: int
    in_flight: int = 0
    dead_until: float = 0.0
    reported: bool = False  # its failure has been logged; the next success logs the recovery
    idle: queue.LifoQueue = field(default_factory=queue.LifoQueue)

    def alive(self, now: float) -> bool:
        return self.dead_until <= now

    def connect(self, timeout: float) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def close(self) -> None:
        while True:
            try:
                self.idle.get_nowait().close()
            except queue.Empty:
                return


def _parse_url(url: str, slots: int) -> _Endpoint:
    parts = urlsplit(str(url).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TTSError(f"TTS_REMOTE_URLS has {url!r}: give API base URLs such as 'http://gpu-box:8091/v1'")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise TTSError(f"TTS_REMOTE_URLS has {url!r}, whose port is not a number") from None
    return _Endpoint(url=str(url).strip().rstrip("/"), scheme=parts.scheme, host=parts.hostname, port=port,
                     path=parts.path.rstrip("/"), slots=slots)


def _reason(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, (http.client.RemoteDisconnected, http.client.IncompleteRead)):
        return "the server hung up"
    if isinstance(exc, http.client.HTTPException):
        return f"not an HTTP answer ({type(exc).__name__})"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.strip().splitlines()[-1] if text.strip() else type(exc).__name__


def _error_message(body: bytes) -> str:
    """The server's own words: OpenAI's {"error": {"message"}}, FastAPI's {"detail"}, or the text."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        text = body.decode("utf-8", "replace").strip()
        return text.splitlines()[0][:300] if text else "no details"
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:300]
        if isinstance(err, str):
            return err[:300]
        if data.get("detail"):
            return str(data["detail"])[:300]
        if data.get("message"):
            return str(data["message"])[:300]
    return json.dumps(data)[:300]


class RemoteEngine(Engine):
    name = "remote"
    max_chars = 1000
    realtime_factor_guess = 0.1

    def __init__(self, options):
        super().__init__(options)
        extra = dict(options.extra or {})
        self.extra = extra
        urls = extra.get("remote_urls") or extra.get("urls") or ()
        self.urls = (urls,) if isinstance(urls, str) else tuple(urls)
        self.api_key_env = extra.get("remote_api_key_env")
        self.timeout = float(extra.get("remote_timeout", 120.0))
        self.concurrency = max(1, int(extra.get("remote_concurrency", 4)))
        self.retries = max(0, int(extra.get("remote_retries", 3)))
        self.response_format = str(extra.get("remote_response_format", "wav")).lower()
        self.instructions = extra.get("instruct") or extra.get("instructions") or None
        self.task_type = extra.get("task_type")
        self.request_fields = dict(extra.get("request") or {})  # more fields for every request body
        self.pcm_rate = int(extra.get("sample_rate", DEFAULT_PCM_RATE))
        if extra.get("max_chars"):
            self.max_chars = int(extra["max_chars"])
        self._endpoints: list[_Endpoint] = []
        self._pool: ThreadPoolExecutor | None = None
        self._headers: dict[str, str] = {}
        self._voices: dict[str, list[str] | None] = {}

    # -- cheap, every build ---------------------------------------------------------------
    @classmethod
    def unavailable_reason(cls, options):
        extra = options.extra or {}
        if not (extra.get("remote_urls") or extra.get("urls")):
            return "TTS_REMOTE_URLS is empty"
        env = extra.get("remote_api_key_env")
        if env and not os.environ.get(env):
            return f"the environment variable {env} (TTS_REMOTE_API_KEY_ENV) is not set"
        return None

    def resolve_voice(self, voice, language):
        return str(voice) if voice else ""  # "": whatever the server speaks by default

    def identity(self, voice, language):
        parts = [
            "remote",
            f"model={self.options.model or '(server default)'}",
            f"voice={voice or '(server default)'}",
            f"language={wire_language(language) or '(server default)'}",
            f"speed={float(self.options.speed):g}",
        ]
        if self.instructions:
            parts.append(f"instructions={self.instructions}")
        if self.task_type:
            parts.append(f"task_type={self.task_type}")
        if self.request_fields:
            parts.append("request=" + json.dumps(self.request_fields, sort_keys=True, default=str))
        return "|".join(parts)

    @property
    def batch_size(self):
        return self.options.batch_size or max(8, 8 * self.concurrency * max(1, len(self.urls)))

    def describe(self):
        now = time.monotonic()
        live = [e.url for e in self._endpoints if e.alive(now)] if self._endpoints else list(self.urls)
        down = len(self._endpoints) - len(live) if self._endpoints else 0
        model = self.options.model or "the server's model"
        return (f"{model} at {', '.join(live)} ({self.concurrency} requests in flight per endpoint"
                + (f"; {down} more not answering)" if down else ")"))

    # -- load: settings, key, and one probe per endpoint ------------------------------------
    def load(self):
        if not self.urls:
            raise TTSError('TTS_ENGINE is "remote" but TTS_REMOTE_URLS is empty: list the speech servers, '
                           'e.g. TTS_REMOTE_URLS = ["http://gpu-box:8091/v1"]')
        if self.response_format not in RESPONSE_FORMATS:
            raise TTSError(f"TTS_REMOTE_RESPONSE_FORMAT is {self.response_format!r}: use 'wav' or 'pcm'")
        if self.timeout <= 0:
            raise TTSError(f"TTS_REMOTE_TIMEOUT is {self.timeout!r}: give seconds, e.g. 120")
        self._endpoints = [_parse_url(url, self.concurrency) for url in self.urls]
        self._headers = {"Content-Type": "application/json", "Accept": "audio/*, application/json",
                         "User-Agent": "nikola-tts"}
        if self.api_key_env:
            key = os.environ.get(self.api_key_env)
            if not key:
                raise TTSError(f"TTS_REMOTE_API_KEY_ENV names {self.api_key_env}, but that environment variable "
                               "is not set: export it with the speech server's API key")
            self._headers["Authorization"] = f"Bearer {key}"
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency * len(self._endpoints),
                                        thread_name_prefix="tts-remote")
        probe_timeout = min(self.timeout, PROBE_TIMEOUT)
        try:
            probes = [self._pool.submit(self._probe, e, probe_timeout) for e in self._endpoints]
            failures = []
            for endpoint, probe in zip(self._endpoints, probes):
                try:
                    probe.result()
                except _Transport as exc:
                    failures.append(f"{endpoint.url} ({exc})")
                    self._mark_dead(endpoint, str(exc), announce=False)
            if len(failures) == len(self._endpoints):
                raise TTSError("no remote speech server answers: " + "; ".join(failures))
        except BaseException:
            self.close()
            raise
        for failure in failures:
            log.warning(f"remote speech server {failure} does not answer; narrating with the others")

    def _probe(self, endpoint: _Endpoint, timeout: float) -> None:
        """GET {base}/models: is anyone there, is the key right, and does it serve TTS_MODEL?"""
        try:
            status, _, body = self._request(endpoint, "GET", "/models", None, timeout)
        except (OSError, http.client.HTTPException) as exc:
            raise _Transport(_reason(exc, timeout)) from None
        if status in (401, 403):
            hint = (f"check {self.api_key_env}" if self.api_key_env
                    else "set TTS_REMOTE_API_KEY_ENV to the name of a variable holding the key")
            raise TTSError(f"{endpoint.url} refused the API key (HTTP {status}: {_error_message(body)}): {hint}")
        if status != 200 or not self.options.model:
            return
        try:
            ids = [m["id"] for m in json.loads(body.decode("utf-8"))["data"] if isinstance(m, dict) and "id" in m]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return
        if ids and self.options.model not in ids:
            raise TTSError(f"{endpoint.url} serves {', '.join(ids)}, not TTS_MODEL {self.options.model!r}: "
                           "set TTS_MODEL to the served model (or None for the server's own)")

    def check_voice(self, voice, language):
        if not voice or not self._endpoints:
            return
        if voice.lower() not in self._voices:
            self._voices[voice.lower()] = self._listed_voices()
        voices = self._voices[voice.lower()]
        if voices and voice.lower() not in {v.lower() for v in voices}:
            raise TTSError(f"the speech server has no voice {voice!r}: set TTS_VOICE to one of {', '.join(voices)}")

    def _listed_voices(self) -> list[str] | None:
        """vLLM-Omni lists its speakers at GET {base}/audio/voices; servers without the list are trusted."""
        now = time.monotonic()
        for endpoint in self._endpoints:
            if not endpoint.alive(now):
                continue
            try:
                timeout = min(self.timeout, PROBE_TIMEOUT)
                status, _, body = self._request(endpoint, "GET", "/audio/voices", None, timeout)
                if status != 200:
                    return None
                listed = json.loads(body.decode("utf-8")).get("voices")
            except (OSError, http.client.HTTPException, ValueError, AttributeError, UnicodeDecodeError):
                return None
            if not isinstance(listed, list):
                return None
            names = [v if isinstance(v, str) else v.get("name") for v in listed if isinstance(v, (str, dict))]
            return [n for n in names if isinstance(n, str)] or None
        return None

    # -- synthesis ---------------------------------------------------------------------------
    def payload(self, request: Request) -> dict:
        """The JSON body of one request, in the fields of vLLM-Omni's OpenAICreateSpeechRequest."""
        body = {"input": request.text, "response_format": self.response_format,
                "speed": float(self.options.speed)}
        if self.options.model:
            body["model"] = self.options.model
        if request.voice:
            body["voice"] = request.voice
        language = wire_language(request.language)
        if language:
            body["language"] = language
        if self.instructions:
            body["instructions"] = self.instructions
        if self.task_type:
            body["task_type"] = self.task_type
        body.update(self.request_fields)
        return body

    def synthesize(self, requests: Sequence[Request]) -> Iterator[tuple[int, Audio | Exception]]:
        if self._pool is None:
            self.load()
        bodies = [json.dumps(self.payload(r)).encode("utf-8") for r in requests]
        # index, attempts so far, not before (monotonic), endpoint that last failed it
        pending = deque((i, 0, 0.0, None) for i in range(len(requests)))
        running = {}
        last_error: dict[int, str] = {}
        while pending or running:
            now = time.monotonic()
            waiting = deque()
            while pending:
                item = pending.popleft()
                endpoint = self._pick(item[3], now) if item[2] <= now else None
                if endpoint is None:
                    waiting.append(item)
                    continue
                endpoint.in_flight += 1
                future = self._pool.submit(self._speak, endpoint, bodies[item[0]])
                running[future] = (item[0], item[1], endpoint)
            pending = waiting
            if not running:  # everything waits out a backoff
                time.sleep(max(0.01, min(item[2] for item in pending) - time.monotonic()))
                continue
            soonest = min((item[2] for item in pending if item[2] > now), default=None)
            done, _ = wait(list(running), timeout=None if soonest is None else max(0.01, soonest - now),
                           return_when=FIRST_COMPLETED)
            for future in done:
                index, attempts, endpoint = running.pop(future)
                endpoint.in_flight -= 1
                try:
                    audio = future.result()
                except _Rejected as exc:
                    message = f"{endpoint.url} answered HTTP {exc.status}: {exc}"
                    if not exc.retryable:
                        yield index, SynthesisError(message)
                        continue
                    last_error[index] = message
                except _Transport as exc:
                    self._mark_dead(endpoint, str(exc))
                    last_error[index] = f"{endpoint.url}: {exc}"
                except Exception as exc:  # audio that does not decode, or anything unforeseen
                    last_error[index] = f"{endpoint.url}: {exc}"
                else:
                    if endpoint.reported:
                        endpoint.reported = False
                        endpoint.dead_until = 0.0
                        log.info(f"remote speech server {endpoint.url} answers again")
                    yield index, audio
                    continue
                attempts += 1
                if attempts > self.retries:
                    yield index, SynthesisError(f"gave up after {attempts} attempts: {last_error[index]}")
                    continue
                elsewhere = any(e is not endpoint and e.alive(time.monotonic()) for e in self._endpoints)
                delay = 0.0 if elsewhere else min(MAX_BACKOFF, 0.5 * 2 ** (attempts - 1))
                pending.append((index, attempts, time.monotonic() + delay, endpoint))

    def _pick(self, avoid: _Endpoint | None, now: float) -> _Endpoint | None:
        """A free slot: on a live endpoint other than the one that just failed, if possible.

        While any endpoint is alive the dead ones get nothing; when all are down, each is tried
        again (the retries and their backoff bound how long).
        """
        live = [e for e in self._endpoints if e.alive(now)]
        candidates = live or self._endpoints
        free = [e for e in candidates if e.in_flight < e.slots]
        if avoid is not None and len(candidates) > 1:
            others = [e for e in free if e is not avoid]
            if others or any(e is not avoid and e.in_flight >= e.slots for e in candidates):
                free = others  # wait for another endpoint's slot rather than retry where it failed
        if not free:
            return None
        return min(free, key=lambda e: e.in_flight / e.slots)

    def _mark_dead(self, endpoint: _Endpoint, reason: str, announce: bool = True) -> None:
        endpoint.dead_until = time.monotonic() + max(DEAD_FOR, 2 * self.timeout)
        endpoint.close()
        if not endpoint.reported:
            endpoint.reported = True
            if announce:
                others = [e for e in self._endpoints if e is not endpoint and e.alive(time.monotonic())]
                tail = "its segments go to the others" if others else "retrying"
                log.warning(f"remote speech server {endpoint.url} stopped answering ({reason}); {tail}")

    def _speak(self, endpoint: _Endpoint, body: bytes) -> Audio:
        try:
            status, headers, data = self._request(endpoint, "POST", "/audio/speech", body, self.timeout)
        except (OSError, http.client.HTTPException) as exc:
            raise _Transport(_reason(exc, self.timeout)) from None
        if status != 200:
            raise _Rejected(status, _error_message(data))
        return self.decode(data, headers)

    def _request(self, endpoint: _Endpoint, method: str, path: str, body: bytes | None, timeout: float):
        """(status, headers, body) over a kept-alive connection; a stale one is replaced once."""
        deadline = time.monotonic() + timeout
        for fresh in (False, True):
            conn = None
            if not fresh:
                try:
                    conn = endpoint.idle.get_nowait()
                except queue.Empty:
                    fresh = True
            if conn is None:
                conn = endpoint.connect(timeout)
            try:
                conn.timeout = timeout
                if conn.sock is not None:
                    conn.sock.settimeout(timeout)
                conn.request(method, endpoint.path + path, body=body, headers=self._headers)
                response = conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                conn.close()
                if fresh:
                    raise exc
                continue  # the server closed the idle connection: once more on a new one
            except BaseException:
                conn.close()
                raise
            try:
                data = self._read(conn, response, deadline, timeout)
            except BaseException:
                conn.close()
                raise
            if response.will_close:
                conn.close()
            else:
                endpoint.idle.put(conn)
            return response.status, response.headers, data
        raise ConnectionResetError("connection reset")  # pragma: no cover - the loop returns or raises

    @staticmethod
    def _read(conn, response, deadline: float, timeout: float) -> bytes:
        chunks = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout(f"no complete answer within {timeout:g} s")
            if conn.sock is not None:
                conn.sock.settimeout(left)
            chunk = response.read(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)

    def decode(self, data: bytes, headers=None) -> Audio:
        """WAV (any PCM or float layout) or raw 16-bit PCM, as mono int16 Audio."""
        if data[:4] == b"RIFF":
            audio = decode_wav(data)
        elif self.response_format == "pcm":
            rate = self.pcm_rate
            for value in (headers.get("X-Sample-Rate") if headers else None, _rate_in(headers)):
                if value and str(value).isdigit():
                    rate = int(value)
                    break
            audio = Audio(data[:len(data) - len(data) % 2], rate)
        else:
            kind = headers.get("Content-Type", "no content type") if headers else "no content type"
            raise SynthesisError(f"the server answered with {kind}, not WAV audio")
        if not audio.samples:
            raise SynthesisError("the server answered with no audio")
        return audio

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        for endpoint in self._endpoints:
            endpoint.close()


def _rate_in(headers) -> str | None:
    if not headers:
        return None
    for param in str(headers.get("Content-Type", "")).split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "rate":
            return value.strip()
    return None


def decode_wav(data: bytes) -> Audio:
    """A RIFF/WAVE file: 8/16/24/32-bit PCM or 32/64-bit float, any channels, as mono int16."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SynthesisError("the server's audio is not a WAV file")
    pos, fmt, samples = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = pos + 8
        if cid == b"fmt ":
            if size < 16:
                raise SynthesisError("the server's WAV has a broken format chunk")
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[body:body + 16])
            if tag == 0xFFFE and size >= 26:  # WAVE_FORMAT_EXTENSIBLE: the subformat GUID starts with the tag
                tag = struct.unpack("<H", data[body + 24:body + 26])[0]
            fmt = (tag, channels, rate, bits)
        elif cid == b"data":
            end = len(data) if size in (0, 0xFFFFFFFF) or body + size > len(data) else body + size
            samples = data[body:end]
            break
        pos = body + size + (size & 1)
    if fmt is None or samples is None:
        raise SynthesisError("the server's WAV has no audio data")
    tag, channels, rate, bits = fmt
    if channels < 1 or rate < 1:
        raise SynthesisError("the server's WAV has no channels or no sample rate")
    width = bits // 8
    if width < 1:
        raise SynthesisError(f"the server's WAV has {bits}-bit samples")
    samples = samples[:len(samples) - len(samples) % (width * channels)]
    pcm = _to_int16(samples, tag, width)
    if channels > 1:
        pcm = array.array("h", (sum(pcm[i:i + channels]) // channels for i in range(0, len(pcm), channels)))
    if sys.byteorder == "big":
        pcm.byteswap()
    return Audio(pcm.tobytes(), rate)


def _to_int16(samples: bytes, tag: int, width: int) -> array.array:
    big = sys.byteorder == "big"
    if tag == 1 and width == 2:
        pcm = array.array("h", samples)
        if big:
            pcm.byteswap()
        return pcm
    if tag == 1 and width == 1:
        return array.array("h", ((b - 128) << 8 for b in samples))
    if tag == 1 and width in (3, 4):  # keep the top 16 bits
        return array.array("h", (int.from_bytes(samples[i + width - 2:i + width], "little", signed=True)
                                 for i in range(0, len(samples), width)))
    if tag == 3 and width in (4, 8):
        floats = array.array("f" if width == 4 else "d", samples)
        if big:
            floats.byteswap()
        return array.array("h", (max(-32768, min(32767, int(round(x * 32767)))) if x == x else 0 for x in floats))
    raise SynthesisError(f"the server's WAV is in an unsupported layout (format {tag}, {width * 8}-bit)")
