"""Why a request to a speech server failed, and in one line.

Three kinds, handled differently by the engine:

* no answer at all (NoAnswer): the endpoint is left alone for a while and the request goes
  elsewhere; SlowAnswer is the exception, a request that ran out of time on a server that still
  answers, which is retried without benching the server;
* a failed generation (Rejected, retryable): the server took the request and could not speak it
  (out of memory, no audio, overloaded); tried again, elsewhere when there is another server;
* a malformed request (Rejected, not retryable): a field the server refuses, named with the
  setting that sets it; not retried, and a setting's refusal fails the paragraphs that would
  send the same at once.

vLLM-Omni answers failed generations with HTTP 400, as it answers malformed requests:
`create_speech` passes every exception to `create_error_response`, whose status is 400, with
"Speech generation failed: ..." for anything but a ValueError; its own ValueErrors when the model
produced nothing, and a client that left, are 400s too (serving_speech.py at vllm-omni 01bc417).
They are told apart by those messages.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl

RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}

# The 400s of vLLM-Omni's create_speech that are a generation failing, not the request being wrong.
GENERATION_FAILED = ("Speech generation failed", "TTS model did not produce audio output",
                     "No output generated from the model", "Client disconnected")

# A refusal's field, where the server names none: the words vLLM-Omni's validation uses.
_FIELD_WORDS = [(re.compile(pattern, re.IGNORECASE), field) for pattern, field in (
    (r"\blanguage\b", "language"), (r"\b(voice|speaker)s?\b", "voice"), (r"\binstructions?\b", "instructions"),
    (r"\bmax_new_tokens\b", "max_new_tokens"), (r"\btask_type\b", "task_type"),
    (r"\bresponse_format\b", "response_format"), (r"\bspeed\b", "speed"), (r"\bmodel\b", "model"),
    (r"\binput\b", "input"))]

# Where a field the engine sends comes from, so that a refusal names the fix.
SETTINGS = {"language": "TTS_LANGUAGE (or the post's language)", "voice": "TTS_VOICE", "instructions": "TTS_INSTRUCT",
            "model": "TTS_MODEL", "max_new_tokens": "TTS_ENGINE_OPTIONS['request']",
            "task_type": "TTS_ENGINE_OPTIONS['task_type']", "response_format": "TTS_REMOTE_RESPONSE_FORMAT",
            "speed": "TTS_SPEED"}


class NoAnswer(Exception):
    """The endpoint did not answer: refused, reset, timed out, or hung up mid-answer."""

    def __init__(self, message: str, timed_out: bool = False):
        super().__init__(message)
        self.timed_out = timed_out


class SlowAnswer(NoAnswer):
    """A request ran out of time while the server still answers: the request was slow, not the server dead."""


class Rejected(Exception):
    """The endpoint answered with an error status; the message is the server's own words."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.field = field
        self.generation_failed = status == 400 and message.startswith(GENERATION_FAILED)
        self.retryable = self.generation_failed or status in RETRYABLE_STATUS or status >= 500

    @property
    def about_settings(self) -> bool:
        """A refusal of a field every paragraph sends alike (not of this paragraph's text)."""
        return not self.retryable and self.field not in (None, "input")

    def explain(self, url: str) -> str:
        """One line for the log: who refused what, and what to change."""
        if self.retryable:
            return f"{url} answered HTTP {self.status}: {self}"
        if self.field == "input":
            return f"{url} refused this paragraph (HTTP {self.status}: {self})"
        if self.field in SETTINGS:
            return (f"{url} refused the {self.field} it was sent (HTTP {self.status}: {self}): "
                    f"check {SETTINGS[self.field]}")
        return f"{url} refused the request (HTTP {self.status}: {self})"


def rejection(status: int, body: bytes) -> Rejected:
    """The Rejected for an error answer: its message, and the field it names (its `param`, or its words)."""
    message, param = _error_of(body)
    field = param if param in SETTINGS or param == "input" else None
    if field is None and status in (400, 404, 422):
        field = next((f for pattern, f in _FIELD_WORDS if pattern.search(message)), None)
    return Rejected(status, message, field)


def reason(exc: BaseException, timeout: float) -> str:
    """A transport failure (socket, TLS, HTTP framing) in a few words."""
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


def error_message(body: bytes) -> str:
    """The server's own words: OpenAI's {"error": {"message"}}, FastAPI's {"detail"}, or the text."""
    return _error_of(body)[0]


def _error_of(body: bytes) -> tuple[str, str | None]:
    """(message, param) of an error body: OpenAI's and vLLM's {"error": {...}}, vLLM's older flat
    {"object": "error", "message", "param"}, FastAPI's {"detail"}, or the text."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        text = body.decode("utf-8", "replace").strip()
        return (text.splitlines()[0][:300] if text else "no details"), None
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:300], _param(err.get("param"))
        if isinstance(err, str):
            return err[:300], None
        if data.get("detail"):
            return str(data["detail"])[:300], None
        if data.get("message"):
            return str(data["message"])[:300], _param(data.get("param"))
    return json.dumps(data)[:300], None


def _param(value) -> str | None:
    return str(value) if isinstance(value, str) and value else None
