"""RemoteEngine: settings, identity and request bodies, then every segment spread over the endpoints.

Retries and where they go are decided here; how one request travels is endpoints.py's business,
why one failed failures.py's, what each kind of server takes flavors.py's, and how long a
paragraph may speak lengths.py's.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Iterator, Sequence

from nikola_tts.audio.pcm import Audio
from nikola_tts.audio.wav import WavError
from nikola_tts.engines import languages
from nikola_tts.engines.base import Engine, Request, max_chars_option
from nikola_tts.engines.remote import lengths
from nikola_tts.engines.remote.endpoints import Endpoint
from nikola_tts.engines.remote.failures import NoAnswer, Rejected, SlowAnswer, error_message, rejection
from nikola_tts.engines.remote.flavors import FLAVORS, OPENAI, SETTING_VALUES, Flavor, by_owner
from nikola_tts.errors import SynthesisError, TTSError
from nikola_tts.settings import Settings

log = logging.getLogger("tts")

RESPONSE_FORMATS = ("wav", "pcm")
DEFAULT_PCM_RATE = 24000  # OpenAI's and Qwen3-TTS's rate; raw PCM carries none of its own
PROBE_TIMEOUT = 10.0
DEAD_FOR = 30.0  # seconds an endpoint that stopped answering is left alone
MAX_BACKOFF = 8.0
OPENAI_VOICES = "alloy, ash, ballad, coral, echo, fable, onyx, nova, sage, shimmer, verse, marin, cedar"


def language_name(language) -> str | None:
    """A language as the cache identity names it: Qwen3-TTS's name where it has one ('en' -> 'English'),
    else as written. What goes on the wire depends on the server (Flavor.language)."""
    if not language:
        return None
    text = str(language).strip()
    return languages.qwen_name(text) or text


@dataclass(frozen=True)
class _Try:
    """A segment waiting for its next try."""

    index: int
    attempts: int = 0  # tries so far
    not_before: float = 0.0  # monotonic time of its backoff's end
    failed_on: Endpoint | None = None  # where the last try failed


MAX_CHARS = Settings.serve_max_input_chars  # the longest text `nikola tts serve` takes in one request, by default


class RemoteEngine(Engine):
    name = "remote"
    max_chars = 1000
    realtime_factor_guess = 0.1

    def __init__(self, options):
        super().__init__(options)
        extra = dict(options.extra or {})
        urls = extra.get("remote_urls") or extra.get("urls") or ()
        self.urls = (urls,) if isinstance(urls, str) else tuple(urls)
        self.api_key_env = extra.get("remote_api_key_env")
        self.timeout = float(extra.get("remote_timeout", 120.0))
        self.concurrency = max(1, int(extra.get("remote_concurrency", 4)))
        self.retries = max(0, int(extra.get("remote_retries", 3)))
        self.response_format = str(extra.get("remote_response_format", "wav")).lower()
        self.flavor_setting = str(extra.get("remote_flavor") or "auto").strip().lower()
        self.instructions = extra.get("instruct") or extra.get("instructions") or None
        self.max_instructions = extra.get("max_instructions")  # the server's --tts-max-instructions-length
        self.task_type = extra.get("task_type")
        self.request_fields = dict(extra.get("request") or {})  # more fields for every request body
        self.pcm_rate = int(extra.get("sample_rate", DEFAULT_PCM_RATE))
        self.max_chars = max_chars_option(extra, type(self).max_chars, MAX_CHARS)
        self.flavor: Flavor | None = None  # what the servers are, decided by load()
        self._endpoints: list[Endpoint] = []
        self._pool: ThreadPoolExecutor | None = None
        self._models: list[str] = []  # what the servers list at GET /models
        self._voices: list[str] | None = None  # what they list at GET /audio/voices, where that is the rule
        self._refused: dict[tuple[str, str], str] = {}  # (voice, language) -> why the server refuses them
        self._said_auto: set[str] = set()  # languages already reported as narrated with "Auto"

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
        # The voice in lowercase: vLLM-Omni looks voices up in lowercase, so 'Eric' and 'eric' sound the same.
        parts = [
            "remote",
            f"model={self.options.model or '(server default)'}",
            f"voice={voice.lower() if voice else '(server default)'}",
            f"language={language_name(language) or '(server default)'}",
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
        kind = f" on {self.flavor.label}" if self.flavor else ""
        return (f"{model}{kind} at {', '.join(live)} ({self.concurrency} requests in flight per endpoint"
                + (f"; {down} more not answering)" if down else ")"))

    # -- load: settings, key, one probe per endpoint, then what the servers will refuse --------
    def load(self):
        self._check_settings()
        self._endpoints = [Endpoint.parse(url, self.concurrency) for url in self.urls]
        headers = {"Content-Type": "application/json", "Accept": "audio/*, application/json",
                   "User-Agent": "nikola-tts"}
        if self.api_key_env:
            key = os.environ.get(self.api_key_env)
            if not key:
                raise TTSError(f"TTS_REMOTE_API_KEY_ENV names {self.api_key_env}, but that environment variable "
                               "is not set: export it with the speech server's API key")
            headers["Authorization"] = f"Bearer {key}"
        for endpoint in self._endpoints:
            endpoint.headers = headers
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency * len(self._endpoints),
                                        thread_name_prefix="tts-remote")
        try:
            owners = self._probe_all()
            self.flavor = self._decide_flavor(owners)
            self._check_against_server()
        except BaseException:
            self.close()
            raise

    def _check_settings(self) -> None:
        if not self.urls:
            raise TTSError('TTS_ENGINE is "remote" but TTS_REMOTE_URLS is empty: list the speech servers, '
                           'e.g. TTS_REMOTE_URLS = ["http://gpu-box:8091/v1"]')
        if self.response_format not in RESPONSE_FORMATS:
            raise TTSError(f"TTS_REMOTE_RESPONSE_FORMAT is {self.response_format!r}: use 'wav' or 'pcm'")
        if self.timeout <= 0:
            raise TTSError(f"TTS_REMOTE_TIMEOUT is {self.timeout!r}: give seconds, e.g. 120")
        if self.flavor_setting not in SETTING_VALUES:
            raise TTSError(f"TTS_REMOTE_FLAVOR is {self.flavor_setting!r}: use "
                           + ", ".join(repr(v) for v in SETTING_VALUES))

    def _probe_all(self) -> dict[Endpoint, str | None]:
        """GET {base}/models everywhere at once: endpoint -> the owner its model names (None: not said)."""
        probe_timeout = min(self.timeout, PROBE_TIMEOUT)
        probes = [self._pool.submit(self._probe, e, probe_timeout) for e in self._endpoints]
        owners, failures = {}, []
        for endpoint, probe in zip(self._endpoints, probes):
            try:
                owners[endpoint] = probe.result()
            except NoAnswer as exc:
                failures.append(f"{endpoint.url} ({exc})")
                self._mark_dead(endpoint, str(exc), announce=False)
        if not owners:
            raise TTSError("no remote speech server answers: " + "; ".join(failures))
        for failure in failures:
            log.warning(f"remote speech server {failure} does not answer; narrating with the others")
        return owners

    def _probe(self, endpoint: Endpoint, timeout: float) -> str | None:
        """Is anyone there, is the key right, does it serve TTS_MODEL, and who says they serve it?"""
        reply = endpoint.call("GET", "/models", None, timeout)
        if reply.status in (401, 403):
            hint = (f"check {self.api_key_env}" if self.api_key_env
                    else "set TTS_REMOTE_API_KEY_ENV to the name of a variable holding the key")
            raise TTSError(f"{endpoint.url} refused the API key (HTTP {reply.status}: "
                           f"{error_message(reply.body)}): {hint}")
        if reply.status != 200:
            return None
        try:
            listed = [m for m in json.loads(reply.body.decode("utf-8"))["data"] if isinstance(m, dict) and "id" in m]
        except (ValueError, KeyError, TypeError):
            return None
        ids = [str(m["id"]) for m in listed]
        self._models = self._models or ids
        if ids and self.options.model and self.options.model not in ids:
            raise TTSError(f"{endpoint.url} serves {', '.join(ids)}, not TTS_MODEL {self.options.model!r}: "
                           "set TTS_MODEL to the served model (or None for the server's own)")
        chosen = next((m for m in listed if m["id"] == self.options.model), listed[0] if listed else {})
        return chosen.get("owned_by")

    def _decide_flavor(self, owners: dict[Endpoint, str | None]) -> Flavor:
        if self.flavor_setting != "auto":
            return FLAVORS[self.flavor_setting]
        kinds: dict[Flavor | None, list[str]] = {}
        for endpoint, owner in owners.items():
            kinds.setdefault(by_owner(owner), []).append(endpoint.url)
        if len(kinds) > 1:
            said = "; ".join(f"{', '.join(urls)}: {kind.label if kind else 'unknown'}" for kind, urls in kinds.items())
            raise TTSError(f"TTS_REMOTE_URLS lists different kinds of speech server ({said}): list servers of one "
                           "kind and model, so every paragraph sounds alike")
        (flavor,) = kinds
        if flavor is None:
            log.info(f"the speech server at {', '.join(kinds[None])} does not say what it is; sending it OpenAI's "
                     "fields only (TTS_REMOTE_FLAVOR = 'vllm-omni' or 'nikola-tts' says otherwise)")
            return OPENAI
        return flavor

    def _check_against_server(self) -> None:
        """Settings the server would refuse on every request, refused now, before any work."""
        flavor = self.flavor
        if flavor.needs_model_and_voice:
            if not self.options.model:
                served = f" (it lists {', '.join(self._models[:8])})" if self._models else ""
                raise TTSError(f"{flavor.label} needs a model: set TTS_MODEL to the speech model it serves{served}")
            if not self._configured_voices():
                raise TTSError(f"{flavor.label} needs a voice: set TTS_VOICE (OpenAI's are {OPENAI_VOICES})")
        limit = int(self.max_instructions or flavor.max_instructions or 0)
        if self.instructions and limit and len(self.instructions) > limit:
            fix = ("shorten it, or start vLLM-Omni with --tts-max-instructions-length and set "
                   "TTS_ENGINE_OPTIONS['max_instructions'] to the same" if flavor.name == "vllm-omni" else "shorten it")
            raise TTSError(f"TTS_INSTRUCT has {len(self.instructions)} characters and {flavor.label} takes at most "
                           f"{limit}: {fix}")
        if flavor.lists_voices:
            self._voices = self._listed_voices()
            for voice in self._configured_voices():
                self.check_voice(voice, "")

    def _configured_voices(self) -> list[str]:
        voice = self.options.voice
        values = voice.values() if isinstance(voice, dict) else [voice]
        return [str(v) for v in values if v]

    def _listed_voices(self) -> list[str] | None:
        """vLLM-Omni lists its speakers at GET {base}/audio/voices; a server without the list is trusted."""
        now = time.monotonic()
        for endpoint in self._endpoints:
            if not endpoint.alive(now):
                continue
            try:
                reply = endpoint.call("GET", "/audio/voices", None, min(self.timeout, PROBE_TIMEOUT))
                if reply.status != 200:
                    return None
                listed = json.loads(reply.body.decode("utf-8")).get("voices")
            except (NoAnswer, ValueError, AttributeError):
                return None
            if not isinstance(listed, list):
                return None
            names = [v if isinstance(v, str) else v.get("name") or v.get("id")
                     for v in listed if isinstance(v, (str, dict))]
            return [n for n in names if isinstance(n, str)] or None
        return None

    def check_voice(self, voice, language):
        """Called for every voice and language before their paragraphs go out."""
        if self.flavor and self.flavor.auto_language and language and language not in self._said_auto \
                and self.flavor.language(language) == languages.AUTO and str(language).lower() != "auto":
            self._said_auto.add(language)
            log.warning(f"Qwen3-TTS does not know the language {language!r}; {self.flavor.label} narrates it with "
                        "language 'Auto' (the model guesses the language from the text)")
        if not voice or not self._voices:
            return
        if voice.lower() not in {v.lower() for v in self._voices}:
            raise TTSError(f"the speech server has no voice {voice!r}: set TTS_VOICE to one of "
                           f"{', '.join(self._voices)}")

    # -- synthesis ---------------------------------------------------------------------------
    def payload(self, request: Request, flavor: Flavor) -> dict:
        """The JSON body of one request: OpenAI's fields, and the server's own where it takes them."""
        body = {"input": request.text, "response_format": self.response_format,
                "speed": float(self.options.speed)}
        if self.options.model:
            body["model"] = self.options.model
        if request.voice:
            body["voice"] = flavor.voice(request.voice)
        language = flavor.language(request.language)
        if language:
            body["language"] = language
        if self.instructions:
            body["instructions"] = self.instructions
        if self.task_type and flavor.extensions:
            body["task_type"] = self.task_type
        if flavor.caps_length:
            body["max_new_tokens"] = lengths.max_new_tokens(request.text)
        body.update(self.request_fields)
        return body

    def synthesize(self, requests: Sequence[Request]) -> Iterator[tuple[int, Audio | Exception]]:
        if self._pool is None:
            self.load()
        bodies = [self.payload(r, self.flavor) for r in requests]
        encoded = [json.dumps(b).encode("utf-8") for b in bodies]
        deadlines = [lengths.timeout(r.text, self.timeout) for r in requests]
        pending = deque(_Try(i) for i in range(len(requests)))
        running = {}  # future -> (its try, the endpoint it went to, when it was sent)
        last_error: dict[int, str] = {}
        while pending or running:
            now = time.monotonic()
            waiting = deque()
            while pending:
                attempt = pending.popleft()
                refusal = self._refused.get(_group(requests[attempt.index]))
                if refusal:  # the server refused what this paragraph would send too
                    yield attempt.index, SynthesisError(refusal)
                    continue
                endpoint = self._pick(attempt.failed_on, now) if attempt.not_before <= now else None
                if endpoint is None:
                    waiting.append(attempt)
                    continue
                endpoint.in_flight += 1
                i = attempt.index
                future = self._pool.submit(self._speak, endpoint, encoded[i], deadlines[i])
                running[future] = (attempt, endpoint, time.monotonic())
            pending = waiting
            if not running:
                if pending:  # everything waits out a backoff
                    time.sleep(max(0.01, min(a.not_before for a in pending) - time.monotonic()))
                continue
            soonest = min((a.not_before for a in pending if a.not_before > now), default=None)
            done, _ = wait(list(running), timeout=None if soonest is None else max(0.01, soonest - now),
                           return_when=FIRST_COMPLETED)
            for future in done:
                attempt, endpoint, sent_at = running.pop(future)
                index = attempt.index
                endpoint.in_flight -= 1
                try:
                    audio = future.result()
                except Rejected as exc:
                    message = exc.explain(endpoint.url)
                    if not exc.retryable:
                        if exc.about_settings:
                            self._refused[_group(requests[index])] = message
                        yield index, SynthesisError(message)
                        continue
                    last_error[index] = message
                except SlowAnswer as exc:  # the request was slow, not the server dead: it stays in use
                    last_error[index] = f"{endpoint.url}: {exc}"
                except NoAnswer as exc:
                    self._mark_dead(endpoint, str(exc))
                    last_error[index] = f"{endpoint.url}: {exc}"
                except Exception as exc:  # audio that does not decode, or anything unforeseen
                    last_error[index] = f"{endpoint.url}: {exc}"
                else:
                    if endpoint.answered(sent_at):
                        log.info(f"remote speech server {endpoint.url} answers again")
                    self._warn_if_cut(requests[index], audio, bodies[index], endpoint.url)
                    yield index, audio
                    continue
                attempts = attempt.attempts + 1
                if attempts > self.retries:
                    yield index, SynthesisError(f"gave up after {attempts} attempts: {last_error[index]}")
                    continue
                elsewhere = any(e is not endpoint and e.alive(time.monotonic()) for e in self._endpoints)
                delay = 0.0 if elsewhere else min(MAX_BACKOFF, 0.5 * 2 ** (attempts - 1))
                pending.append(_Try(index, attempts, time.monotonic() + delay, endpoint))

    def _pick(self, avoid: Endpoint | None, now: float) -> Endpoint | None:
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

    def _mark_dead(self, endpoint: Endpoint, reason: str, announce: bool = True) -> None:
        if endpoint.down(DEAD_FOR) and announce:
            others = [e for e in self._endpoints if e is not endpoint and e.alive(time.monotonic())]
            tail = "its segments go to the others" if others else "retrying"
            log.warning(f"remote speech server {endpoint.url} stopped answering ({reason}); {tail}")

    def _speak(self, endpoint: Endpoint, body: bytes, timeout: float) -> Audio:
        try:
            reply = endpoint.call("POST", "/audio/speech", body, timeout)
        except NoAnswer as exc:
            if exc.timed_out and self._answers(endpoint):
                raise SlowAnswer(f"{exc}, though the server answers") from None
            raise
        if reply.status != 200:
            raise rejection(reply.status, reply.body)
        return self.decode(reply.body, reply.headers)

    def _answers(self, endpoint: Endpoint) -> bool:
        """Whether the endpoint answers a cheap request now (any status will do)."""
        try:
            endpoint.call("GET", "/models", None, min(self.timeout, PROBE_TIMEOUT))
            return True
        except NoAnswer:
            return False

    def _warn_if_cut(self, request: Request, audio: Audio, body: dict, url: str) -> None:
        cap = body.get("max_new_tokens")
        why = lengths.cut_short(request.text, audio.seconds, float(self.options.speed),
                                cap if isinstance(cap, int) and not isinstance(cap, bool) else None)
        if why:
            opening = request.text if len(request.text) <= 60 else request.text[:57].rstrip() + "..."
            log.warning(f"the paragraph {opening!r} came back from {url} cut off, it seems ({why}); "
                        "listen to it, and reword or split it if it sounds wrong")

    def decode(self, data: bytes, headers=None) -> Audio:
        """WAV (any PCM or float layout) or raw 16-bit PCM, as mono int16 Audio."""
        if data[:4] == b"RIFF":
            try:
                audio = Audio.from_wav_bytes(data)
            except WavError as exc:  # "the WAV has ..." -> "the server's WAV has ..."
                raise SynthesisError("the server's " + str(exc).removeprefix("the ")) from None
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


def _group(request: Request) -> tuple[str, str]:
    """What a refusal of a setting applies to: every paragraph with this voice and language."""
    return (request.voice or "").lower(), request.language or ""


def _rate_in(headers) -> str | None:
    """The rate=... parameter of an audio/pcm Content-Type."""
    if not headers:
        return None
    for param in str(headers.get("Content-Type", "")).split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "rate":
            return value.strip()
    return None
