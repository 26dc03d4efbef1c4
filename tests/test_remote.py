"""The remote engine: narrating through OpenAI-compatible speech servers on other machines.

Everything speaks real HTTP on 127.0.0.1: real `nikola tts serve` subprocesses (espeak-ng), and
small stdlib servers in this process where a test needs a server to misbehave on purpose (fail,
refuse a key, hang). Every server is stopped when its test ends; every wait is bounded.
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import BuiltSite
from nikola_tts.audio.pcm import Audio
from nikola_tts.cache.segments import SegmentStore
from nikola_tts.engines import EngineOptions, Request, create_engine
from nikola_tts.engines.espeak import EspeakEngine
from nikola_tts.engines.remote import RemoteEngine, decode_wav, wire_language
from nikola_tts.errors import SynthesisError, TTSError
from test_serve import ServeProcess, needs_serve, serve_site, servers  # noqa: F401  (servers is a fixture)

WAV = Audio(struct.pack("<4h", 0, 1000, -1000, 0) * 600, 24000).to_wav_bytes()


def remote(urls, model=None, voice=None, speed=1.0, **extra) -> RemoteEngine:
    extra = {"remote_urls": list(urls), "remote_timeout": 30, **extra}
    return create_engine("remote", EngineOptions(voice=voice, model=model, speed=speed, extra=extra))


def synthesize_all(engine, requests) -> list:
    """Every (index, result) of one synthesize call; the engine is closed after it, as a build closes it."""
    try:
        return list(engine.synthesize(requests))
    finally:
        engine.close()


def local_espeak(text: str) -> Audio:
    """What an espeak-ng server says for this text (en-us, 175 wpm): espeak-ng is deterministic."""
    return EspeakEngine(EngineOptions())._speak(Request(text, "en-us", "en"))


# -- servers that misbehave on purpose ---------------------------------------------------------

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

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def posts(self) -> list[dict]:
        with self.lock:
            return [body for method, _, _, body in self.requests if method == "POST"]

    def close(self) -> None:
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


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


@pytest.fixture
def fakes():
    made = []

    def make(answer):
        made.append(FakeSpeech(answer))
        return made[-1]

    yield make
    for fake in made:
        fake.close()


@pytest.fixture
def hanging():
    server = Hanging()
    yield server
    server.close()


def models_then(speech):
    """GET /models answers with an empty list; POSTs go to speech(n, body)."""
    def answer(n, method, path, body):
        if method == "GET":
            return 200, {"Content-Type": "application/json"}, json.dumps({"object": "list", "data": []}).encode()
        return speech(n, body)
    return answer


def wav_reply(n, body):
    return 200, {"Content-Type": "audio/wav"}, WAV


def closed_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/v1"


# -- what goes over the wire --------------------------------------------------------------------

def test_the_request_body_has_vllm_omni_field_names():
    engine = remote(["http://gpu-box:8091/v1"], model="Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice", speed=1.25,
                    instruct="Calm and warm", task_type="CustomVoice", request={"max_new_tokens": 2048})
    body = engine.payload(Request("The ferry leaves at dawn.", "ryan", "en"))
    assert body == {
        "input": "The ferry leaves at dawn.",
        "model": "Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice",
        "voice": "ryan",
        "language": "English",
        "instructions": "Calm and warm",
        "task_type": "CustomVoice",
        "response_format": "wav",
        "speed": 1.25,
        "max_new_tokens": 2048,
    }
    # Nothing configured: the server picks model, voice and language.
    bare = remote(["http://gpu-box:8091/v1"]).payload(Request("Hi.", "", ""))
    assert bare == {"input": "Hi.", "response_format": "wav", "speed": 1.0}


@pytest.mark.parametrize("given,sent", [("en", "English"), ("pt_br", "Portuguese"), ("zh_cn", "Chinese"),
                                        ("de", "German"), ("English", "English"), ("auto", "Auto"),
                                        ("nl", "nl"), ("", None)])
def test_languages_go_by_the_names_qwen3_tts_knows(given, sent):
    assert wire_language(given) == sent


def test_the_cache_identity_follows_the_sound_and_not_the_url():
    def identity(urls=("http://a:1/v1",), **kw):
        voice = kw.pop("voice", "ryan")
        language = kw.pop("language", "en")
        return remote(urls, **kw).identity(voice, language)

    base = identity(model="m")
    assert identity(urls=("https://elsewhere.example/v1", "http://b:2/v1"), model="m") == base
    assert identity(urls=("http://a:1/v1",), model="m", remote_concurrency=9, remote_timeout=5,
                    remote_response_format="pcm") == base
    assert identity(model="m", language="English") == base  # the same language, spelled as sent
    changed = [identity(model="other"), identity(model="m", voice="aiden"), identity(model="m", language="de"),
               identity(model="m", speed=1.5), identity(model="m", instruct="Whisper"),
               identity(model="m", request={"max_new_tokens": 100})]
    assert len({base, *changed}) == len(changed) + 1


def test_settings_reach_the_engine():
    from nikola_tts.settings import Settings, engine_options

    settings = Settings.from_config({"TTS_ENGINE": "remote", "TTS_REMOTE_URLS": ["http://gpu:8091/v1"],
                                     "TTS_REMOTE_API_KEY_ENV": "KEY_VAR", "TTS_REMOTE_TIMEOUT": 7,
                                     "TTS_REMOTE_CONCURRENCY": 3, "TTS_REMOTE_RETRIES": 1,
                                     "TTS_REMOTE_RESPONSE_FORMAT": "pcm"})
    engine = create_engine(settings.engine, engine_options(settings))
    assert isinstance(engine, RemoteEngine)
    assert (engine.urls, engine.api_key_env, engine.timeout, engine.concurrency, engine.retries,
            engine.response_format) == (("http://gpu:8091/v1",), "KEY_VAR", 7.0, 3, 1, "pcm")


def test_configuration_mistakes_are_one_line_errors(monkeypatch):
    with pytest.raises(TTSError, match="TTS_REMOTE_URLS is empty"):
        remote([]).load()
    assert RemoteEngine.unavailable_reason(EngineOptions(extra={})) == "TTS_REMOTE_URLS is empty"
    with pytest.raises(TTSError, match="give API base URLs"):
        remote(["gpu-box:8091"]).load()
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    with pytest.raises(TTSError, match="TTS_REMOTE_API_KEY_ENV names NO_SUCH_KEY_VAR"):
        remote(["http://127.0.0.1:1/v1"], remote_api_key_env="NO_SUCH_KEY_VAR").load()
    with pytest.raises(TTSError, match="use 'wav' or 'pcm'"):
        remote(["http://127.0.0.1:1/v1"], remote_response_format="ogg").load()


def _wav(fmt_tag, channels, rate, bits, frames: bytes, data_size=None, extensible=False) -> bytes:
    block = channels * bits // 8
    if extensible:
        fmt = struct.pack("<HHIIHH", 0xFFFE, channels, rate, rate * block, block, bits)
        fmt += struct.pack("<HHI", 22, bits, 0) + struct.pack("<H", fmt_tag) + b"\x00" * 14
    else:
        fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate, rate * block, block, bits)
    size = len(frames) if data_size is None else data_size
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"LIST" + struct.pack("<I", 4) + b"INFO"
    body += b"data" + struct.pack("<I", size) + frames
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_wav_in_any_common_layout_becomes_mono_int16():
    floats = struct.pack("<4f", 0.5, 0.5, -1.0, -0.5)  # two stereo frames
    audio = decode_wav(_wav(3, 2, 24000, 32, floats))
    assert audio.sample_rate == 24000
    assert struct.unpack("<2h", audio.samples) == (16384, -24576)
    pcm24 = b"".join(int(v).to_bytes(3, "little", signed=True) for v in (0x123456, -0x100000))
    assert struct.unpack("<2h", decode_wav(_wav(1, 1, 16000, 24, pcm24)).samples) == (0x1234, -0x1000)
    pcm16 = struct.pack("<3h", 1, -2, 3)
    assert decode_wav(_wav(1, 1, 22050, 16, pcm16, extensible=True)).samples == pcm16
    assert decode_wav(_wav(1, 1, 22050, 16, pcm16, data_size=0xFFFFFFFF)).samples == pcm16  # streamed
    with pytest.raises(SynthesisError):
        decode_wav(b"RIFF\x00\x00\x00\x00WAVE")


def test_requests_carry_the_fields_and_the_bearer_key_from_the_environment(fakes, monkeypatch):
    fake = fakes(models_then(wav_reply))
    monkeypatch.setenv("NIKOLA_TTS_TEST_KEY", "k-123")
    engine = remote([fake.url], voice="ryan", remote_api_key_env="NIKOLA_TTS_TEST_KEY", instruct="Calm")
    engine.load()
    results = dict(synthesize_all(engine, [Request("One.", "ryan", "en"), Request("Two.", "ryan", "en")]))
    assert all(isinstance(a, Audio) and a.sample_rate == 24000 for a in results.values())
    paths = {(method, path) for method, path, _, _ in fake.requests}
    assert paths == {("GET", "/v1/models"), ("POST", "/v1/audio/speech")}
    assert all(headers.get("Authorization") == "Bearer k-123" for _, _, headers, _ in fake.requests)
    assert sorted(b["input"] for b in fake.posts()) == ["One.", "Two."]
    assert all(b["voice"] == "ryan" and b["language"] == "English" and b["instructions"] == "Calm"
               for b in fake.posts())


def test_a_refused_key_or_another_model_stops_the_pass_in_one_line(fakes):
    refusing = fakes(lambda n, method, path, body: (401, {"Content-Type": "application/json"},
                                                     b'{"error": {"message": "Unauthorized"}}'))
    with pytest.raises(TTSError) as err:
        remote([refusing.url]).load()
    assert "refused the API key (HTTP 401: Unauthorized)" in str(err.value) and "\n" not in str(err.value)

    other = fakes(lambda n, method, path, body: (200, {"Content-Type": "application/json"},
                                                  b'{"object": "list", "data": [{"id": "Qwen/Other"}]}'))
    with pytest.raises(TTSError, match="serves Qwen/Other, not TTS_MODEL 'Qwen/Mine'"):
        remote([other.url], model="Qwen/Mine").load()


def test_a_voice_the_server_does_not_list_is_refused_before_synthesis(fakes):
    def answer(n, method, path, body):
        if path.endswith("/audio/voices"):
            return 200, {"Content-Type": "application/json"}, b'{"voices": ["aiden", "ryan", "vivian"]}'
        return 200, {"Content-Type": "application/json"}, b'{"data": []}'

    engine = remote([fakes(answer).url])
    engine.load()
    try:
        engine.check_voice("Ryan", "en")  # vLLM-Omni matches speakers case-insensitively
        with pytest.raises(TTSError, match="no voice 'bob': set TTS_VOICE to one of aiden, ryan, vivian"):
            engine.check_voice("bob", "en")
    finally:
        engine.close()


def test_failed_requests_are_retried_on_the_other_endpoint_and_bad_ones_are_not(fakes):
    failing = fakes(models_then(lambda n, body: (503, {"Content-Type": "application/json"},
                                                 b'{"error": {"message": "overloaded"}}')))
    working = fakes(models_then(wav_reply))
    engine = remote([failing.url, working.url], remote_concurrency=2)
    engine.load()
    try:
        requests = [Request(f"Segment {i}.", "", "en") for i in range(10)]
        results = list(engine.synthesize(requests))
    finally:
        engine.close()
    assert sorted(i for i, _ in results) == list(range(10))
    assert all(isinstance(a, Audio) for _, a in results)
    assert failing.posts(), "the failing endpoint got its share first"
    assert Counter(b["input"] for b in working.posts()) == Counter(r.text for r in requests)

    rejecting = fakes(models_then(lambda n, body: (400, {"Content-Type": "application/json"},
                                                   b'{"error": {"message": "Invalid speaker \'bob\'"}}')))
    engine = remote([rejecting.url])
    engine.load()
    results = dict(synthesize_all(engine, [Request("A.", "bob", "en"), Request("B.", "bob", "en")]))
    assert len(rejecting.posts()) == 2  # not retried: the request itself is wrong
    assert all(isinstance(r, SynthesisError) and "HTTP 400: Invalid speaker 'bob'" in str(r) for r in results.values())


def test_retries_are_bounded_when_every_endpoint_fails(fakes):
    failing = fakes(models_then(lambda n, body: (500, {}, b"boom")))
    engine = remote([failing.url], remote_retries=2)
    engine.load()
    started = time.monotonic()
    results = dict(synthesize_all(engine, [Request("A.", "", "en"), Request("B.", "", "en")]))
    assert time.monotonic() - started < 10  # backoff 0.5 s, then 1 s
    assert len(failing.posts()) == 6  # each segment: the first try and two retries
    assert all("gave up after 3 attempts" in str(r) and "HTTP 500: boom" in str(r) for r in results.values())


def test_a_server_that_hangs_times_out_in_bounded_time_with_one_line(hanging, fakes):
    engine = remote([hanging.url], remote_timeout=1)
    started = time.monotonic()
    with pytest.raises(TTSError) as err:
        engine.load()
    assert time.monotonic() - started < 5
    assert str(err.value) == f"no remote speech server answers: {hanging.url} (no answer within 1 s)"

    # One that answers the probe, then hangs on speech: each try times out, the retries are bounded.
    mute = fakes(models_then(lambda n, body: None))
    engine = remote([mute.url], remote_timeout=1, remote_retries=1)
    engine.load()
    started = time.monotonic()
    results = dict(synthesize_all(engine, [Request("A.", "", "en"), Request("B.", "", "en")]))
    assert time.monotonic() - started < 10
    for result in results.values():
        assert isinstance(result, SynthesisError) and "\n" not in str(result)
        assert "gave up after 2 attempts" in str(result) and "no answer within 1 s" in str(result)


# -- against real `nikola tts serve` -------------------------------------------------------------

@needs_serve
def test_a_server_dying_mid_pass_loses_no_segment_and_is_reported_once(tmp_path, servers, caplog):
    slow = 'TTS_ENGINE = "tts_test_engines:SlowEspeak"\nTTS_ENGINE_OPTIONS = {{"log": {log!r}, "delay": 0.3}}\n'
    first = ServeProcess(serve_site(tmp_path / "gpu1", slow.format(log=str(tmp_path / "gpu1.jsonl")))).start()
    second = ServeProcess(serve_site(tmp_path / "gpu2", slow.format(log=str(tmp_path / "gpu2.jsonl")))).start()
    servers.extend([first, second])
    second_log = tmp_path / "gpu2.jsonl"

    def kill_second_after_its_first_answer():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (second_log.exists() and second_log.read_text().strip()):
            time.sleep(0.01)
        second.kill()

    killer = threading.Thread(target=kill_second_after_its_first_answer)
    texts = [f"Paragraph {i}: the harbour wakes and the gulls cry over the grey water." for i in range(24)]
    engine = remote([first.url, second.url], voice="en-us", remote_concurrency=2)
    caplog.set_level(logging.INFO, logger="tts")
    engine.load()
    killer.start()
    try:
        results = synthesize_all(engine, [Request(t, "en-us", "en") for t in texts])
    finally:
        killer.join(timeout=60)
    assert second.proc.poll() is not None, "the second server was killed mid-pass"
    assert sorted(i for i, _ in results) == list(range(len(texts)))  # every segment exactly once
    for index, audio in results:
        assert isinstance(audio, Audio), audio
        assert audio.samples == local_espeak(texts[index]).samples  # and in its own place
    deaths = [r for r in caplog.records if "stopped answering" in r.getMessage()]
    assert len(deaths) == 1 and second.url in deaths[0].getMessage()


def _laptop(root: Path, urls, extra="") -> BuiltSite:
    site = BuiltSite(root)
    site.set_conf(f'TTS_ENGINE = "remote"\nTTS_REMOTE_URLS = {list(urls)!r}\nTTS_REMOTE_TIMEOUT = 30\n{extra}')
    return site


LONG_POST = "\n\n".join(f"Paragraph {i} of the long walk: the path climbs past the old mill and the river "
                        f"bends away to the west, number {i}." for i in range(14))


@needs_serve
def test_build_narrates_through_the_servers_that_answer_and_moving_them_renarrates_nothing(tmp_path, servers):
    gpu = ServeProcess(serve_site(tmp_path / "gpu")).start()
    gone = ServeProcess(serve_site(tmp_path / "gone"), name="gone").start()
    servers.extend([gpu, gone])
    gone.kill()  # listed in TTS_REMOTE_URLS, but down for the whole build
    laptop = _laptop(tmp_path / "laptop", [gone.url, gpu.url])
    laptop.write_post("walk.md", "The Long Walk", LONG_POST)

    out = laptop.build()
    log = out.stdout + out.stderr
    assert laptop.output("walk_tts.mp3").stat().st_size > 10000
    assert len([line for line in log.splitlines() if gone.url in line]) == 1, log  # reported once

    manifest = json.loads((laptop.root / "tts_cache" / "manifests" / "en" / "posts__walk.md.json").read_text())
    texts = [s["text"] for s in manifest["segments"]]
    assert len(texts) == 15 and texts[0] == "The Long Walk"
    said = Counter(e["text"] for e in gpu.site.synthesized())
    assert said == Counter(texts)  # every segment spoken once, by the server that answered
    for segment in manifest["segments"]:  # and each one's audio stored under its own key
        stored = SegmentStore(laptop.root / "tts_cache" / "segments").load(segment["key"])
        assert stored.samples == local_espeak(segment["text"]).samples
    assert manifest["identity"] == "remote|model=(server default)|voice=en-us|language=English|speed=1"

    # The GPU box moves: nothing is stale, so nothing is asked of anyone (not even the new address).
    laptop.set_conf(f'TTS_ENGINE = "remote"\nTTS_REMOTE_URLS = ["{closed_port_url()}"]\n')
    laptop.build()
    assert Counter(e["text"] for e in gpu.site.synthesized()) == said
    assert json.loads((laptop.root / "tts_cache" / "manifests" / "en" / "posts__walk.md.json").read_text()) == manifest


@needs_serve
def test_pcm_answers_carry_their_rate(tmp_path, servers):
    gpu = ServeProcess(serve_site(tmp_path / "gpu")).start()
    servers.append(gpu)
    engine = remote([gpu.url], remote_response_format="pcm")
    engine.load()
    ((_, audio),) = synthesize_all(engine, [Request("Raw samples, please.", "en-us", "en")])
    assert audio.sample_rate == 22050 and audio.samples == local_espeak("Raw samples, please.").samples


def test_a_build_against_a_hanging_server_fails_in_bounded_time_with_one_line(tmp_path, hanging):
    laptop = _laptop(tmp_path / "laptop", [hanging.url], "TTS_REMOTE_TIMEOUT = 1\nTTS_REMOTE_RETRIES = 1\n")
    laptop.write_post("walk.md", "The Long Walk", LONG_POST)
    started = time.monotonic()
    proc = laptop.build(check=False)
    assert time.monotonic() - started < 120
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"no remote speech server answers: {hanging.url} (no answer within 1 s)" in log, log
    assert "Traceback" not in log
    assert not laptop.output("walk_tts.mp3").exists()
