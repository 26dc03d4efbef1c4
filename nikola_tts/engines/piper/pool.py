"""The worker processes of one voice, and the line protocol they speak (see worker.py).

A pool starts its workers, hands each an idle text, collects the answers in the order they
come, and replaces a worker that crashes or hangs (up to MAX_RESTARTS a pass): one bad text
fails alone, and no worker outlives the pass that started it.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, fields
from typing import Iterator

from nikola_tts.audio.pcm import Audio
from nikola_tts.engines.piper.voice import VoiceFiles
from nikola_tts.errors import SynthesisError, TTSError

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
START_TIMEOUT = 180.0  # seconds for a worker to load its voice
# Per text: far beyond Piper's ~0.05 s per second of audio, even on a small board.
REQUEST_TIMEOUT_BASE = 120.0
REQUEST_TIMEOUT_PER_CHAR = 0.3
MAX_RESTARTS = 4  # crashed workers replaced per voice and pass before the rest of the texts fail


@dataclass(frozen=True)
class Synthesis:
    """How the voice speaks, as piper's SynthesisConfig takes it (speaker None: a single-speaker voice)."""

    speaker: int | None
    length_scale: float
    noise_scale: float
    noise_w_scale: float


def worker_args(files: VoiceFiles, synthesis: Synthesis, threads: int, sentence_silence: float) -> list[str]:
    """worker.py's command line for this voice and these settings."""
    args = ["--model", files.model, "--config", files.config, "--threads", str(threads),
            "--sentence-silence", repr(sentence_silence)]
    for setting in fields(synthesis):
        value = getattr(synthesis, setting.name)
        if value is not None:
            args += [f"--{setting.name.replace('_', '-')}", repr(value)]
    return args


class Worker:
    """One worker.py process; its stdout lines go to the pool's inbox, tagged (worker, generation)."""

    def __init__(self, pool: "Pool", slot: int):
        self.pool = pool
        self.slot = slot
        self.proc: subprocess.Popen | None = None
        self.generation = 0
        self.state = "stopped"  # stopped -> starting -> idle <-> busy; dead once out of restarts
        self.job: tuple[int, str] | None = None  # (index, wav path) while busy
        self.deadline = 0.0  # monotonic time by which it must be ready (starting) or answer (busy)
        self.timed_out = False
        self.log_path = ""
        self._reader: threading.Thread | None = None

    def start(self) -> None:
        self.generation += 1
        self.timed_out = False
        self.log_path = os.path.join(self.pool.folder, f"worker{self.slot}-{self.generation}.log")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, WORKER, *self.pool.args],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, cwd=self.pool.folder,
            )
        self.state = "starting"
        self.job = None
        self.deadline = time.monotonic() + START_TIMEOUT
        self._reader = threading.Thread(target=self._read, args=(self.proc, self.generation),
                                        name=f"piper-worker-{self.slot}", daemon=True)
        self._reader.start()

    def _read(self, proc, generation) -> None:
        try:
            for line in proc.stdout:
                self.pool.inbox.put((self, generation, line))
        except (OSError, ValueError):
            pass
        self.pool.inbox.put((self, generation, None))

    def send(self, index: int, text: str, wav: str) -> None:
        self.deadline = time.monotonic() + REQUEST_TIMEOUT_BASE + REQUEST_TIMEOUT_PER_CHAR * len(text)
        self.job = (index, wav)
        self.state = "busy"
        line = json.dumps({"id": index, "text": text, "out": wav}) + "\n"
        try:
            self.proc.stdin.write(line.encode("ascii"))
            self.proc.stdin.flush()
        except OSError:
            pass  # it died; its end of stdout is on its way to the inbox

    def last_words(self) -> str:
        """The last line it wrote to stderr (a traceback's last line says what went wrong)."""
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                lines = [line.strip() for line in f if line.strip()]
        except OSError:
            return ""
        return lines[-1] if lines else ""

    def stop(self, kill: bool = False) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                if kill:
                    proc.kill()
                else:
                    proc.stdin.close()  # the worker ends at the end of its input
            except OSError:
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            for stream in (proc.stdin, proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(timeout=5)
        self._reader = None
        self.state = "stopped"
        self.job = None


class Pool:
    """The workers of one voice for one synthesis pass, and a private folder for their WAVs."""

    def __init__(self, voice: str, args: list[str], size: int):
        self.voice = voice
        self.args = args
        self.folder = tempfile.mkdtemp(prefix="nikola-tts-piper-")
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.workers = [Worker(self, slot) for slot in range(size)]
        self.restarts = 0
        self._serial = 0

    @classmethod
    def open(cls, voice: str, args: list[str], size: int) -> "Pool":
        """A pool whose workers have all loaded the voice (TTSError if they cannot)."""
        pool = cls(voice, args, size)
        try:
            pool.start()
        except OSError as exc:
            pool.close()
            raise TTSError(f"cannot start the Piper worker with {sys.executable}: {exc}") from None
        except BaseException:
            pool.close()
            raise
        return pool

    def start(self) -> None:
        """Start every worker and wait until each has loaded the voice (TTSError if one cannot)."""
        for worker in self.workers:
            worker.start()
        deadline = time.monotonic() + START_TIMEOUT
        while any(w.state == "starting" for w in self.workers):
            try:
                worker, generation, line = self.inbox.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TTSError(f"Piper did not load the voice {self.voice} within {START_TIMEOUT:.0f} s") from None
            if generation != worker.generation:
                continue
            if worker.state != "starting":  # ready already, and now gone: replace it
                if line is None:
                    worker.stop(kill=True)
                    self._replace(worker)
                continue
            error = self._handshake(worker, line)
            if error:
                raise TTSError(f"Piper cannot load the voice {self.voice}: {error}")

    def _handshake(self, worker: Worker, line: bytes | None) -> str | None:
        """Handle a starting worker's first line; the reason it failed, or None."""
        message = _message(line)
        if message.get("ready"):
            worker.state = "idle"
            return None
        reason = message.get("error") or worker.last_words() or "the worker stopped before it was ready"
        worker.stop(kill=True)
        worker.state = "dead"
        return reason

    def run(self, texts: list[tuple[int, str]]) -> Iterator[tuple[int, Audio | Exception]]:
        pending = deque(texts)
        try:
            while True:
                for worker in self.workers:
                    if worker.state == "idle" and pending:
                        index, text = pending.popleft()
                        self._serial += 1
                        worker.send(index, text, os.path.join(self.folder, f"{self._serial}.wav"))
                active = [w for w in self.workers if w.state in ("busy", "starting")]
                if not active:
                    break  # all done, or no worker left to do the rest
                deadline = min(w.deadline for w in active)
                try:
                    worker, generation, line = self.inbox.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    for w in active:
                        if w.deadline <= time.monotonic() and not w.timed_out:
                            w.timed_out = True
                            w.proc.kill()  # its reader reports the end; handled below
                    continue
                if generation != worker.generation:
                    continue  # a line from a process already replaced
                if worker.state == "starting":
                    self._handshake(worker, line)
                    continue
                if worker.state != "busy":
                    if line is None and worker.state == "idle":  # ended between texts
                        worker.stop(kill=True)
                        self._replace(worker)
                    continue
                yield self._result(worker, line)
            reason = self._why_no_workers()
            while pending:
                yield pending.popleft()[0], SynthesisError(reason)
        finally:
            # Abandoned midway (an interrupt, an error downstream): no answer may outlive this run.
            for worker in self.workers:
                if worker.state == "busy":
                    worker.stop(kill=True)

    def _result(self, worker: Worker, line: bytes | None) -> tuple[int, Audio | Exception]:
        index, wav = worker.job
        if line is None:  # the process ended while speaking
            timed_out = worker.timed_out
            code = worker.proc.wait() if worker.proc else None
            last = worker.last_words()
            worker.stop(kill=True)
            self._replace(worker)
            if timed_out:
                return index, SynthesisError("Piper took too long on this segment and was stopped")
            return index, SynthesisError(f"the Piper worker stopped (exit status {code}) on this segment"
                                         + (f": {last}" if last else ""))
        message = _message(line)
        if message.get("id") != index:
            worker.stop(kill=True)
            self._replace(worker)
            return index, SynthesisError(f"the Piper worker answered out of turn: {line[:200]!r}")
        worker.job = None
        worker.state = "idle"
        try:
            if message.get("error"):
                return index, SynthesisError(f"Piper failed: {message['error']}")
            with open(wav, "rb") as f:
                return index, Audio.from_wav_bytes(f.read())
        except (OSError, ValueError) as exc:
            return index, SynthesisError(f"cannot read Piper's audio: {exc}")
        finally:
            try:
                os.unlink(wav)
            except OSError:
                pass

    def _replace(self, worker: Worker) -> None:
        if self.restarts >= MAX_RESTARTS:
            worker.state = "dead"
            return
        self.restarts += 1
        try:
            worker.start()
        except OSError:
            worker.state = "dead"

    def _why_no_workers(self) -> str:
        words = [w.last_words() for w in self.workers]
        last = next((w for w in reversed(words) if w), "")
        return (f"the Piper workers stopped {self.restarts + 1} times; the rest of this pass is not narrated"
                + (f" ({last})" if last else ""))

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _message(line: bytes | None) -> dict:
    """A worker's JSON line as a dict; {} for anything else."""
    if not line:
        return {}
    try:
        message = json.loads(line)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}
