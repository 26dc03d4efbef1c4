"""Start, run and stop the speech server: checks first, one line for anything wrong.

Order: the token rule (no token, no listening beyond loopback), the engine (loaded before the
port opens, so a request never waits for a model), the socket (a busy port is one line, not a
traceback), then uvicorn. SIGTERM and SIGINT stop accepting, let the requests in flight finish
(up to GRACE seconds), answer what is queued, close the engine and return 0.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import os
import signal
import socket

from nikola_tts.errors import TTSError

GRACE = 60  # seconds the requests in flight get to finish after SIGTERM
log = logging.getLogger("tts")


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise TTSError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(address)
        sock.listen(2048)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise TTSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(settings, host: str, port: int, default_language: str, announce=None) -> int:
    """Serve until SIGTERM/SIGINT; 0 after a clean stop, 2 when it cannot start (said in one line)."""
    announce = announce or log
    try:
        import uvicorn

        from nikola_tts.serve.app import create_app
    except ImportError as exc:
        announce.error(f"nikola tts serve needs the [serve] extra ({exc}): pip install 'nikola-tts[serve]'")
        return 2
    from nikola_tts.engines import create_engine
    from nikola_tts.serve.config import ServeConfig
    from nikola_tts.settings import engine_options

    name = settings.serve_engine or settings.engine
    if isinstance(name, dict):
        announce.error("TTS_ENGINE names an engine per language: set TTS_SERVE_ENGINE to the one engine to serve")
        return 2
    if name == "remote":
        announce.error("nikola tts serve speaks with a local engine, and TTS_ENGINE is 'remote' here: set "
                       "TTS_SERVE_ENGINE (e.g. 'espeak', or the model engine this machine runs) in conf.py")
        return 2
    env = settings.serve_token_env
    token = os.environ.get(env) if env else None
    if not is_loopback(host) and not token:
        how = f"export {env}=<a long random key>" if env else "set TTS_SERVE_TOKEN_ENV to a variable holding a key"
        announce.error(f"refusing to listen on {host} without an API key: {how}, or keep to --host 127.0.0.1")
        return 2
    engine = None
    sock = None
    try:
        engine = create_engine(name, engine_options(dataclasses.replace(settings, engine=name)))
        config = ServeConfig(
            models=tuple(dict.fromkeys(m for m in (settings.model, engine.name, name) if m)),
            default_language=default_language,
            voice=settings.voice,
            instructions=settings.instruct,
            takes_instructions=engine.takes_instructions,
            token=token,
            max_input_chars=int(settings.serve_max_input_chars),
            max_body_bytes=int(settings.serve_max_body_bytes),
            batch_wait_seconds=float(settings.serve_batch_wait_ms) / 1000.0,
        )
        engine.load()
        # The voice a request without one gets: checked before the port opens, as a build would check it.
        voice = engine.resolve_voice(config.voice_for(default_language), default_language)
        engine.check_voice(voice, default_language)
        sock = _bind(host, port)
    except TTSError as exc:
        announce.error(str(exc))
        if engine is not None:
            engine.close()
        return 2
    app = create_app(engine, config)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                                           timeout_graceful_shutdown=GRACE, server_header=False))
    url = _url(sock)
    auth = "a bearer token" if token else "no token (loopback only)"
    announce.info(f"serving {engine.describe()} on {url}/v1 (POST /v1/audio/speech, GET /v1/audio/voices, "
                  f"GET /health) with {auth}; "
                  "Ctrl+C stops")
    # uvicorn re-raises the signal that stopped it once it is done: let that land on a no-op, so
    # a clean stop is exit status 0 rather than death by signal.
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
    if not server.started:
        announce.error(f"the server on {url} did not start")
        return 2
    announce.info(f"stopped serving on {url}")
    return 0
