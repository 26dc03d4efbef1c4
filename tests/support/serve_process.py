"""`nikola tts serve` as a real subprocess in a site folder, for the serve and remote tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

try:
    import soxr  # noqa: F401
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401

    HAVE_SERVE = True
except ImportError:  # the [serve] extra is not installed
    HAVE_SERVE = False

needs_serve = pytest.mark.skipif(not HAVE_SERVE,
                                 reason="nikola tts serve needs starlette, uvicorn and soxr ([serve] extra)")

SUPPORT = Path(__file__).resolve().parent  # on the server's PYTHONPATH, for the test engines
START_TIMEOUT = 60
_URL = re.compile(r"on (http://[^\s/]+)/v1 ")


class ServeProcess:
    """`nikola tts serve` in a site folder, on a port it picks (--port 0) and reports, its output
    in a file, stopped by stop() or kill()."""

    def __init__(self, site, host="127.0.0.1", env_extra=None, extra_args=(), name="serve"):
        self.site = site  # anything with .root, the folder of its conf.py (a conftest.BuiltSite)
        self.host = host
        self.env_extra = dict(env_extra or {})
        self.extra_args = list(extra_args)
        self.output = site.root / f"{name}.log"
        self.proc: subprocess.Popen | None = None
        self.base = ""  # http://127.0.0.1:PORT

    def launch(self) -> "ServeProcess":
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(SUPPORT), env.get("PYTHONPATH", "")])
        env.pop("NIKOLA_MONO", None)
        env.update(self.env_extra)
        with open(self.output, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "nikola", "tts", "serve", "--host", self.host, "--port", "0", *self.extra_args],
                cwd=self.site.root, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def start(self) -> "ServeProcess":
        self.launch()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            match = _URL.search(self.log())
            if match:
                self.base = match.group(1).replace("0.0.0.0", "127.0.0.1")
                return self
            if self.proc.poll() is not None:
                raise AssertionError(f"nikola tts serve exited {self.proc.returncode}:\n{self.log()}")
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"nikola tts serve did not start in {START_TIMEOUT} s:\n{self.log()}")

    @property
    def url(self) -> str:
        return self.base + "/v1"

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    def log(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace") if self.output.exists() else ""

    def wait(self, timeout=30) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self, timeout=30) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"nikola tts serve ignored SIGTERM for {timeout} s:\n{self.log()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)


@contextmanager
def serve_processes() -> Iterator[list[ServeProcess]]:
    """A list for the servers a test starts; whatever still runs when the block ends is killed."""
    started: list[ServeProcess] = []
    try:
        yield started
    finally:
        for proc in started:
            proc.kill()
