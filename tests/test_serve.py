"""`nikola tts serve`: the site's engine on OpenAI's speech API, over real HTTP on loopback.

Every server here is a real `nikola tts serve` subprocess in a real site folder, on a port it
picks itself (--port 0) and reports; every one is stopped when its test ends.
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from sites import BuiltSite
from nikola_tts.audio.join import join_timed
from nikola_tts.audio.pcm import Audio
from nikola_tts.engines.espeak import EspeakEngine
from nikola_tts.text.blocks import Block
from nikola_tts.text.segment import PAUSE_WITHIN_BLOCK, split_into_segments
from serve_process import START_TIMEOUT, ServeProcess, needs_serve

pytestmark = needs_serve


def call(base: str, method: str, path: str, body=None, headers=None, timeout=60):
    """(status, headers, body bytes) of one HTTP request on a fresh connection."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode("utf-8")
            headers = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def speak(base: str, body, headers=None, timeout=60):
    return call(base, "POST", "/v1/audio/speech", body, headers, timeout)


def error_of(data: bytes) -> dict:
    payload = json.loads(data)
    error = payload["error"]
    assert set(error) >= {"message", "type", "code"}, payload
    assert error["message"], payload
    return error


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One espeak server for the tests that only talk to it."""
    proc = ServeProcess(BuiltSite(tmp_path_factory.mktemp("serve") / "site")).start()
    yield proc
    assert proc.stop() == 0, proc.log()


def test_serve_speaks_wav_pcm_and_mp3(server):
    status, headers, data = speak(server.base, {"input": "The ferry leaves at dawn.", "language": "English",
                                                "response_format": "wav"})
    assert status == 200, data
    assert headers["Content-Type"] == "audio/wav" and headers["X-Sample-Rate"] == "22050"
    audio = Audio.from_wav_bytes(data)
    assert audio.sample_rate == 22050 and audio.seconds > 0.5

    status, headers, pcm = speak(server.base, {"input": "The ferry leaves at dawn.", "response_format": "pcm"})
    assert status == 200 and headers["Content-Type"] == "audio/pcm"
    assert headers["X-Sample-Rate"] == "24000"
    assert abs(len(pcm) / 2 / 24000 - audio.seconds) < 0.001  # the same speech ('English' is en), at 24 kHz

    status, headers, mp3 = speak(server.base, {"input": "The ferry leaves at dawn.", "response_format": "mp3",
                                               "model": "espeak", "voice": "en-us+f2", "speed": 1.5})
    assert status == 200 and headers["Content-Type"] == "audio/mpeg"
    assert is_mp3(mp3)


def is_mp3(data: bytes) -> bool:
    return data[:3] == b"ID3" or data[:2] in (b"\xff\xf3", b"\xff\xfb", b"\xff\xf2")


def test_without_a_response_format_the_answer_is_mp3_as_openais_is(server):
    status, headers, data = speak(server.base, {"input": "The ferry leaves at dawn."})
    assert status == 200 and headers["Content-Type"] == "audio/mpeg" and is_mp3(data)


def test_pcm_plays_at_24_khz_whatever_rate_the_engine_speaks(server):
    wav = Audio.from_wav_bytes(speak(server.base, {"input": "A slow river runs to the sea.", "response_format": "wav"})[2])
    _, headers, pcm = speak(server.base, {"input": "A slow river runs to the sea.", "response_format": "pcm"})
    assert wav.sample_rate == 22050  # espeak-ng's
    assert headers["X-Sample-Rate"] == "24000"
    assert len(pcm) // 2 == round(len(wav.samples) // 2 * 24000 / 22050)


def test_voices_are_listed_as_vllm_omni_lists_them(server):
    status, _, data = call(server.base, "GET", "/v1/audio/voices")
    assert status == 200
    listing = json.loads(data)
    assert listing["uploaded_voices"] == []
    assert {"en-us", "es", "de"} <= set(listing["voices"]) and len(listing["voices"]) > 50  # espeak-ng's


def test_streaming_is_refused_saying_what_the_server_does_instead(server):
    status, _, data = speak(server.base, {"input": "Hello", "stream": True})
    assert status == 400
    assert error_of(data)["message"] == ("stream=true is not supported: this server answers with the whole file once "
                                         "it is spoken; leave 'stream' out or false")


def test_speed_stretches_time(server):
    normal = Audio.from_wav_bytes(speak(server.base, {"input": "A slow river runs to the sea.",
                                                      "response_format": "wav"})[2])
    fast = Audio.from_wav_bytes(speak(server.base, {"input": "A slow river runs to the sea.", "speed": 2.0,
                                                    "response_format": "wav"})[2])
    assert fast.sample_rate == normal.sample_rate
    assert 0.4 < fast.seconds / normal.seconds < 0.6


def test_models_and_health(server):
    status, _, data = call(server.base, "GET", "/v1/models")
    assert status == 200
    assert [m["id"] for m in json.loads(data)["data"]] == ["espeak"]
    status, _, data = call(server.base, "GET", "/health")
    assert status == 200 and json.loads(data)["status"] == "ok"


BAD_REQUESTS = [
    # (body, status, error code)
    (b"{not json", 400, "invalid_json"),
    (b"\xff\xfe", 400, "invalid_json"),
    (b"[1, 2]", 400, "invalid_json"),
    ({"voice": "en-us"}, 400, "invalid_input"),
    ({"input": 42}, 400, "invalid_input"),
    ({"input": ""}, 400, "empty_input"),
    ({"input": "   \n "}, 400, "empty_input"),
    ({"input": "word " * 1000}, 400, "input_too_long"),
    ({"input": "Hello", "voice": "no-such-voice"}, 400, "invalid_voice"),
    ({"input": "Hello", "voice": 7}, 400, "invalid_type"),
    ({"input": "Hello", "response_format": "ogg"}, 400, "unsupported_response_format"),
    ({"input": "Hello", "speed": 9}, 400, "invalid_speed"),
    ({"input": "Hello", "speed": "fast"}, 400, "invalid_type"),
    ({"input": "Hello", "speed": True}, 400, "invalid_type"),
    ({"input": "Hello", "language": "not a language!"}, 400, "invalid_language"),
    ({"input": "Hello", "model": "gpt-4o-mini-tts"}, 404, "model_not_found"),
    ({"input": "Hello", "task_type": "VoiceDesign"}, 400, "unsupported_task_type"),
    ({"input": "Hello", "instructions": "whisper"}, 400, "unsupported_instructions"),
    ({"input": "Hello", "stream": True}, 400, "unsupported_stream"),
    (b"{" + b'"input": "' + b"x" * 70000 + b'"}', 413, "request_too_large"),
]


@pytest.mark.parametrize("body,status,code", BAD_REQUESTS, ids=[c for _, _, c in BAD_REQUESTS])
def test_bad_requests_get_a_4xx_with_an_openai_error_and_the_server_keeps_serving(server, body, status, code):
    got, headers, data = speak(server.base, body)
    assert got == status, data
    assert headers["Content-Type"].startswith("application/json")
    error = error_of(data)
    assert error["code"] == code, error
    assert error["type"] == "invalid_request_error"
    ok, _, audio = speak(server.base, {"input": "Still here.", "response_format": "wav"})
    assert ok == 200 and audio[:4] == b"RIFF"


def test_wrong_paths_methods_and_oversized_declared_bodies_are_refused_in_json(server):
    status, _, data = call(server.base, "GET", "/v1/audio/speech")
    assert status == 405 and error_of(data)["code"] == "method_not_allowed"
    status, _, data = call(server.base, "GET", "/v1/nothing")
    assert status == 404 and error_of(data)["code"] == "not_found"
    # A body declared far over the limit is refused before it is read.
    host, port = server.base.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100000000\r\n\r\n{")
        head = sock.recv(65536).decode("latin-1")
    assert head.startswith("HTTP/1.1 413"), head
    assert speak(server.base, {"input": "Still here."})[0] == 200


def test_concurrent_requests_are_batched_and_each_gets_its_own_audio(server):
    texts = [f"Paragraph number {n} of the long post." for n in range(16)]
    before = json.loads(call(server.base, "GET", "/health")[2])
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda t: speak(server.base, {"input": t, "response_format": "wav"}), texts))
    after = json.loads(call(server.base, "GET", "/health")[2])
    assert all(status == 200 for status, _, _ in answers)
    requests = after["requests"] - before["requests"]
    batches = after["batches"] - before["batches"]
    assert requests == 16
    assert batches < requests and after["largest_batch"] > 1, (before, after)
    # Each answer is its own text's audio: the same request alone gives the same bytes.
    for text, (_, _, data) in list(zip(texts, answers))[:3]:
        assert speak(server.base, {"input": text, "response_format": "wav"})[2] == data


def test_an_input_longer_than_the_engines_max_chars_is_read_in_pieces_joined_as_a_build_joins_them(server):
    """espeak-ng takes 1,500 characters a call: 1,900 are two pieces cut at a sentence end, each read as if it
    came alone, with the quarter-second pause a build leaves between the pieces of one paragraph."""
    text = " ".join(f"Sentence {n} says a little more about the long paragraph and why it goes on." for n in range(24))
    assert 1500 < len(text) < 4096
    pieces = split_into_segments([Block("paragraph", text)], EspeakEngine.max_chars)
    assert len(pieces) == 2 and pieces[0].text.endswith(".")
    before = json.loads(call(server.base, "GET", "/health")[2])
    status, _, data = speak(server.base, {"input": text, "response_format": "wav"})
    after = json.loads(call(server.base, "GET", "/health")[2])
    assert status == 200
    assert (after["requests"] - before["requests"], after["pieces"] - before["pieces"]) == (1, 2)
    alone = [Audio.from_wav_bytes(speak(server.base, {"input": p.text, "response_format": "wav"})[2]) for p in pieces]
    expected = join_timed([(alone[0], PAUSE_WITHIN_BLOCK), (alone[1], 0.0)], lead_in=False).audio
    assert Audio.from_wav_bytes(data) == expected


def test_an_engine_that_takes_instructions_gets_each_requests_own(tmp_path, servers):
    site = BuiltSite(tmp_path / "site", extra_conf='TTS_ENGINE = "tts_test_engines:InstructedEspeak"\n'
                                                  'TTS_INSTRUCT = "Read it plainly."\n')
    proc = ServeProcess(site).start()
    servers.append(proc)
    for body in ({"input": "Whispered.", "instructions": "Whisper it."},
                 {"input": "Plain.", "instructions": "Read it plainly."}, {"input": "Default."}):
        status, _, data = speak(proc.base, {**body, "response_format": "wav"})
        assert status == 200, data
    said = {entry["text"]: entry["instructions"] for entry in site.synthesized()}
    assert said == {"Whispered.": "Whisper it.", "Plain.": None, "Default.": None}  # None: the engine's own


def test_binding_beyond_loopback_without_a_token_is_refused(tmp_path, servers):
    site = BuiltSite(tmp_path / "site")
    env = {"NIKOLA_TTS_API_KEY": ""}
    refused = ServeProcess(site, host="0.0.0.0", env_extra=env, name="refused").launch()
    servers.append(refused)
    assert refused.wait(timeout=START_TIMEOUT) == 2
    out = refused.log()
    assert "refusing to listen on 0.0.0.0 without an API key" in out and "NIKOLA_TTS_API_KEY" in out, out
    assert "Traceback" not in out and len([line for line in out.splitlines() if "ERROR" in line]) == 1, out


def test_with_a_token_every_route_but_health_needs_it(tmp_path, servers):
    site = BuiltSite(tmp_path / "site")
    token = "s3cret-token-for-tests"
    guarded = ServeProcess(site, host="0.0.0.0", env_extra={"NIKOLA_TTS_API_KEY": token}, name="guarded").start()
    servers.append(guarded)
    body = {"input": "Only for friends.", "response_format": "wav"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {token}"},
                    {"Authorization": f"Bearer {token}x"}):
        status, answer, data = speak(guarded.base, body, headers)
        assert status == 401, (headers, data)
        assert error_of(data)["code"] == "invalid_api_key" and answer["WWW-Authenticate"] == "Bearer"
    assert call(guarded.base, "GET", "/v1/models")[0] == 401
    assert call(guarded.base, "GET", "/health")[0] == 200  # liveness needs no key
    status, _, data = speak(guarded.base, body, {"Authorization": f"Bearer {token}"})
    assert status == 200 and data[:4] == b"RIFF"
    assert guarded.stop() == 0


def test_sigterm_lets_requests_in_flight_finish(tmp_path, servers):
    said = str(tmp_path / "said.jsonl")
    site = BuiltSite(tmp_path / "site", extra_conf='TTS_ENGINE = "tts_test_engines:SlowEspeak"\n'
                                                  f'TTS_ENGINE_OPTIONS = {{"log": {said!r}, "delay": 2}}\n')
    proc = ServeProcess(site).start()
    servers.append(proc)
    answer = {}

    def ask():
        answer["reply"] = speak(proc.base, {"input": "A sentence that takes its time.", "response_format": "wav"})

    asker = threading.Thread(target=ask)
    asker.start()
    deadline = time.monotonic() + 30
    while json.loads(call(proc.base, "GET", "/health")[2])["requests"] < 1:
        assert time.monotonic() < deadline, proc.log()
        time.sleep(0.05)
    started = time.monotonic()
    proc.proc.send_signal(signal.SIGTERM)
    asker.join(timeout=60)
    assert not asker.is_alive()
    status, _, data = answer["reply"]
    assert status == 200 and Audio.from_wav_bytes(data).seconds > 0.5
    assert proc.wait(timeout=30) == 0, proc.log()
    assert time.monotonic() - started < 30
    assert "stopped serving" in proc.log() and "Traceback" not in proc.log()
    with pytest.raises(OSError):
        call(proc.base, "GET", "/health", timeout=5)


def test_serve_says_in_one_line_why_it_cannot_start(tmp_path, servers):
    laptop = BuiltSite(tmp_path / "remote", extra_conf='TTS_ENGINE = "remote"\n')
    remote = ServeProcess(laptop, name="remote").launch()
    servers.append(remote)
    assert remote.wait(timeout=START_TIMEOUT) == 2
    assert "TTS_SERVE_ENGINE" in remote.log() and "Traceback" not in remote.log()

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    try:
        site = BuiltSite(tmp_path / "busy")
        busy = ServeProcess(site, extra_args=["--port", str(holder.getsockname()[1])], name="busy").launch()
        servers.append(busy)
        assert busy.wait(timeout=START_TIMEOUT) == 2
        assert "cannot listen on 127.0.0.1:" in busy.log() and "Traceback" not in busy.log(), busy.log()
    finally:
        holder.close()

    proc = site.run("tts", "--port", "9999", check=False)
    assert proc.returncode == 2 and "--host and --port go with `nikola tts serve`" in proc.stdout + proc.stderr
