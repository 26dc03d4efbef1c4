"""Speech servers on loopback that misbehave on purpose, for the remote engine's tests.

FakeSpeech answers as a test tells it to (fail, refuse a key, hang); Hanging accepts connections
and never says a word; closed_port_url names a port where nothing listens. Loopback is the
threaded stdlib server they and the vLLM-Omni contract server run on.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Loopback:
    """A stdlib HTTP/1.1 server on 127.0.0.1, a port of its own, serving on a thread of its own."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


class FakeSpeech:
    """A stdlib HTTP/1.1 server on loopback; answer(n, method, path, body) -> (status, headers, data) or None (hang)."""

    def __init__(self, answer):
        self.answer = answer
        self.requests: list[tuple[str, str, dict, dict | None]] = []
        self.lock = threading.Lock()
        self.closing = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw) if raw else None
                with fake.lock:
                    fake.requests.append((self.command, self.path, dict(self.headers), body))
                    n = len([r for r in fake.requests if r[0] == self.command and r[1] == self.path])
                reply = fake.answer(n, self.command, self.path, body)
                if reply is None:  # hang until the test ends (bounded)
                    fake.closing.wait(30)
                    self.close_connection = True
                    return
                status, headers, data = reply
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

        self.server = Loopback(Handler)

    @property
    def url(self) -> str:
        return self.server.url

    def posts(self) -> list[dict]:
        with self.lock:
            return [body for method, _, _, body in self.requests if method == "POST"]

    def close(self) -> None:
        self.closing.set()
        self.server.close()


class Hanging:
    """Accepts connections on loopback and never says a word."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.05)
        self.held: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
                self.held.append(conn)
            except OSError:
                continue

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)
        for conn in self.held:
            conn.close()
        self.sock.close()


def closed_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/v1"
