"""Why a request to a speech server failed, and in one line.

Two kinds, handled differently by the engine: no answer at all (the endpoint is left alone for
a while and the request goes elsewhere), and an answer that says no (retried only when the
status says a later try may succeed).
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl

RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class NoAnswer(Exception):
    """The endpoint did not answer: refused, reset, timed out, or hung up mid-answer."""


class Rejected(Exception):
    """The endpoint answered with an error status; the message is the server's own words."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.retryable = status in RETRYABLE_STATUS or status >= 500


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
