"""A warm narration process: the Qwen model stays loaded between builds, and builds speak through it.

With TTS_ENGINE_OPTIONS = {"warm": 900}, the first build that narrates starts this process in
the background (its own session, so it outlives the build), waits for it to load the model, and
narrates through it; it then stays up until it has had no build for 900 seconds. Later builds
find it and send their segments over a Unix socket: they import no torch and load no model, so
an edited paragraph costs Nikola's own build time plus the narration itself.

One process serves one engine configuration (model, device, dtype, seed, instruction, sampling
and the other options): the socket's name is a digest of them, so a build with other settings
starts its own. The socket lives in the temp folder, readable by its user only, and serves one
build at a time. If the process cannot start, the build says why and loads the model itself.

Protocol: each message is a 4-byte big-endian length and that many bytes of JSON; audio follows
its header message as raw 16-bit PCM. A build sends {"speak": [[text, voice, language, instructions], ...]};
the process answers {"index": i, "rate": r, "bytes": n} + PCM, or {"index": i, "error": "..."},
per segment as each finishes, then {"done": true}. {"hello": true} asks what it narrates with;
{"stop": true} stops it at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nikola_tts.audio.pcm import Audio
from nikola_tts.errors import SynthesisError, TTSError

log = logging.getLogger("tts")

READY_TIMEOUT = 900.0  # seconds a starting process may take to load the model (a first download is longer)
HEADER = struct.Struct(">I")
PRIME_AFTER_QUIET = 1.0  # seconds with no build asking before the process sets up graphs for the builds to come


def socket_path(options) -> Path:
    """Where the process for these engine options listens (the options, not the site, name it)."""
    fields = dataclasses.asdict(options)
    fields["extra"] = {k: v for k, v in (fields.get("extra") or {}).items() if k != "warm"}
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:16]
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"nikola-tts-qwen-{uid}-{digest}.sock"


# -- messages -----------------------------------------------------------------------------------------------
def send(conn: socket.socket, message: dict, payload: bytes = b"") -> None:
    body = json.dumps(message).encode("utf-8")
    conn.sendall(HEADER.pack(len(body)) + body + payload)


def receive(conn: socket.socket) -> dict | None:
    head = _exactly(conn, HEADER.size)
    return None if head is None else json.loads(_exactly(conn, HEADER.unpack(head)[0]) or b"null")


def _exactly(conn: socket.socket, count: int) -> bytes | None:
    chunks, left = [], count
    while left:
        chunk = conn.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# -- the build's side ---------------------------------------------------------------------------------------
class WarmClient:
    """A connection to a warm process; `speak` yields (index, Audio or error) as the engine's synthesize does."""

    def __init__(self, path: Path, hello: dict):
        self.path = path
        self.describe = hello["describe"]
        self.speakers = set(hello["speakers"])

    def speak(self, requests):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(str(self.path))
            send(conn, {"speak": [[r.text, r.voice, r.language, r.instructions] for r in requests]})
            while True:
                message = receive(conn)
                if message is None:
                    raise TTSError(f"the warm narration process at {self.path} hung up mid-build")
                if message.get("done"):
                    return
                if "error" in message:
                    yield message["index"], SynthesisError(message["error"])
                else:
                    samples = _exactly(conn, message["bytes"])
                    if samples is None:
                        raise TTSError(f"the warm narration process at {self.path} hung up mid-segment")
                    yield message["index"], Audio(samples, message["rate"])


def hello(path: Path) -> dict | None:
    """The process's answer to a hello, or None if nothing listens there."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(READY_TIMEOUT)
            conn.connect(str(path))
            send(conn, {"hello": True})
            return receive(conn)
    except OSError:
        return None


def stop(path: Path) -> bool:
    """Ask the process at path to stop now; False if none listens there."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(str(path))
            send(conn, {"stop": True})
            return receive(conn) is not None
    except OSError:
        return False


def connect(options, idle_seconds: float) -> WarmClient:
    """The warm process for these options: found, or started now and waited for (TTSError if it cannot start)."""
    path = socket_path(options)
    found = hello(path)
    if found is not None:
        log.info(f"Qwen3-TTS: narrating through the warm process at {path} (loaded {found['loaded_ago']:.0f} s ago)")
        return WarmClient(path, found)
    log_path = path.with_suffix(".log")
    command = [sys.executable, "-m", "nikola_tts.engines.qwen.warm", str(path), str(float(idle_seconds))]
    with open(log_path, "wb") as out:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True, close_fds=True)
        process.stdin.write(json.dumps(dataclasses.asdict(options), default=str).encode("utf-8"))
        process.stdin.close()
    log.info(f"Qwen3-TTS: starting a warm narration process (it stays up {idle_seconds:.0f} s after the last build; "
             f"log: {log_path})")
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            lines = [line for line in log_path.read_text(errors="replace").splitlines() if line.strip()]
            raise TTSError(f"the warm narration process stopped while starting: {lines[-1] if lines else 'no output'}")
        if path.exists():
            found = hello(path)
            if found is not None:
                return WarmClient(path, found)
        time.sleep(0.05)
    raise TTSError(f"the warm narration process did not start within {READY_TIMEOUT:.0f} s (log: {log_path})")


# -- the process's side -------------------------------------------------------------------------------------
def serve(path: Path, options, idle_seconds: float) -> None:
    """Load the engine, then answer builds until none came for idle_seconds."""
    from nikola_tts.engines import Request
    from nikola_tts.engines.qwen import QwenEngine

    extra = {k: v for k, v in (options.extra or {}).items() if k != "warm"}
    engine = QwenEngine(dataclasses.replace(options, extra=extra))
    engine.load()
    loaded = time.monotonic()
    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    os.chmod(path, 0o600)
    listener.listen(8)
    listener.settimeout(idle_seconds)
    log.info(f"warm narration process ready at {path}: {engine.describe()}")
    primed = False
    try:
        while True:
            # Slots and graphs for the builds to come are set up once no build has asked for PRIME_AFTER_QUIET:
            # the build that started this process (and waits for it) is served first, as a cold build would be,
            # and a build that asks meanwhile is served before the sizes left.
            if not primed and not _asked(listener, PRIME_AFTER_QUIET):
                seconds = engine.prime(stop=lambda: _asked(listener, 0.0))
                primed = not _asked(listener, 0.0)
                log.info(f"slots and graphs set up ahead in {seconds:.1f} s, between builds"
                         + ("" if primed else " (in part: a build asked)"))
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                log.info(f"no build for {idle_seconds:.0f} s: stopping")
                return
            with conn:
                message = receive(conn)
                if not message:
                    continue
                if message.get("stop"):
                    send(conn, {"stopping": True})
                    log.info("asked to stop")
                    return
                if message.get("hello"):
                    send(conn, {"describe": engine.describe(), "speakers": sorted(engine._speaker_names),
                                "loaded_ago": time.monotonic() - loaded})
                    continue
                requests = [Request(*fields) for fields in message.get("speak", [])]
                try:
                    for index, result in engine.synthesize(requests):
                        if isinstance(result, Exception):
                            send(conn, {"index": index, "error": str(result)})
                        else:
                            send(conn, {"index": index, "rate": result.sample_rate, "bytes": len(result.samples)},
                                 result.samples)
                    send(conn, {"done": True})
                except OSError:  # the build went away (interrupted): keep serving the next one
                    log.warning("a build hung up mid-run")
    finally:
        listener.close()
        path.unlink(missing_ok=True)
        engine.close()


def _asked(listener: socket.socket, seconds: float) -> bool:
    """Whether a build is waiting to connect, or does within `seconds`."""
    return bool(select.select([listener], [], [], seconds)[0])


def main(argv: list[str]) -> int:
    from nikola_tts.engines.base import EngineOptions

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    path, idle = Path(argv[0]), float(argv[1])
    options = EngineOptions(**json.loads(sys.stdin.read()))
    try:
        serve(path, options, idle)
    except TTSError as exc:
        log.error(str(exc))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
