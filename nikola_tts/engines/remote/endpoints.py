"""One speech server: its URL, its kept-alive connections, one request at a time, alive or not."""

from __future__ import annotations

import http.client
import queue
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from nikola_tts.engines.remote.failures import NoAnswer, reason
from nikola_tts.errors import TTSError


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


@dataclass(eq=False)
class Endpoint:
    url: str  # the API base as given, e.g. http://gpu-box:8091/v1
    scheme: str
    host: str
    port: int
    path: str  # the base's path, e.g. /v1
    slots: int  # requests it may have in flight
    headers: dict[str, str] = field(default_factory=dict)  # sent with every request (the API key)
    in_flight: int = 0
    dead_until: float = 0.0  # monotonic time until which it is left alone
    down_at: float = 0.0  # monotonic time it was last marked down
    reported: bool = False  # its failure has been logged; the next success logs the recovery
    idle: queue.LifoQueue = field(default_factory=queue.LifoQueue)  # kept-alive connections

    @classmethod
    def parse(cls, url: str, slots: int) -> "Endpoint":
        """An endpoint for an entry of TTS_REMOTE_URLS (TTSError if it is not an http(s) URL)."""
        parts = urlsplit(str(url).strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TTSError(f"TTS_REMOTE_URLS has {url!r}: give API base URLs such as 'http://gpu-box:8091/v1'")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise TTSError(f"TTS_REMOTE_URLS has {url!r}, whose port is not a number") from None
        return cls(url=str(url).strip().rstrip("/"), scheme=parts.scheme, host=parts.hostname, port=port,
                   path=parts.path.rstrip("/"), slots=slots)

    # -- alive or not --------------------------------------------------------------------------
    def alive(self, now: float) -> bool:
        return self.dead_until <= now

    def down(self, seconds: float) -> bool:
        """Leave it alone for a while; True the first time since it last answered (the time to say so)."""
        self.down_at = time.monotonic()
        self.dead_until = self.down_at + seconds
        self.close()
        first, self.reported = not self.reported, True
        return first

    def answered(self, sent_at: float) -> bool:
        """It answered a request sent at `sent_at` (monotonic); True if it had been reported down (the time to say
        it is back). An answer to a request sent before it was marked down says nothing about it now (a server
        killed mid-pass may finish what it had begun): it stays down."""
        if not self.reported or sent_at < self.down_at:
            return False
        self.reported = False
        self.dead_until = 0.0
        return True

    # -- one request -----------------------------------------------------------------------------
    def call(self, method: str, path: str, body: bytes | None, timeout: float) -> Reply:
        """One request, its whole answer within `timeout` seconds (NoAnswer, with the reason, if not)."""
        try:
            return self._exchange(method, path, body, timeout)
        except (OSError, http.client.HTTPException) as exc:
            raise NoAnswer(reason(exc, timeout), timed_out=isinstance(exc, (socket.timeout, TimeoutError))) from None

    def _exchange(self, method: str, path: str, body: bytes | None, timeout: float) -> Reply:
        """Over a kept-alive connection; one the server has closed meanwhile is replaced once."""
        deadline = time.monotonic() + timeout
        for fresh in (False, True):
            conn = None
            if not fresh:
                try:
                    conn = self.idle.get_nowait()
                except queue.Empty:
                    fresh = True
            if conn is None:
                conn = self._connect(timeout)
            try:
                conn.timeout = timeout
                if conn.sock is not None:
                    conn.sock.settimeout(timeout)
                conn.request(method, self.path + path, body=body, headers=self.headers)
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
                data = _read(conn, response, deadline, timeout)
            except BaseException:
                conn.close()
                raise
            if response.will_close:
                conn.close()
            else:
                self.idle.put(conn)
            return Reply(response.status, response.headers, data)
        raise ConnectionResetError("connection reset")  # pragma: no cover - the loop returns or raises

    def _connect(self, timeout: float) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def close(self) -> None:
        """Close its idle connections (one in use is closed by its request)."""
        while True:
            try:
                self.idle.get_nowait().close()
            except queue.Empty:
                return


def _read(conn, response, deadline: float, timeout: float) -> bytes:
    """The whole body by the deadline: a server that trickles bytes must not reset the clock."""
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
