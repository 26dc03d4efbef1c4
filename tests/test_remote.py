"""The remote engine: narrating through OpenAI-compatible speech servers on other machines.

Everything speaks real HTTP on 127.0.0.1: real `nikola tts serve` subprocesses (espeak-ng), and
small stdlib servers in this process where a test needs a server to misbehave on purpose (fail,
refuse a key, hang). Every server is stopped when its test ends; every wait is bounded.
"""

from __future__ import annotations

import json
import logging
import struct
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from sites import BuiltSite
from fake_servers import FakeSpeech, Hanging, closed_port_url
from releases import build_with, release_at
from nikola_tts.audio.pcm import Audio
from nikola_tts.cache.segments import SegmentStore
from nikola_tts.engines import EngineOptions, Request, create_engine
from nikola_tts.engines.espeak import EspeakEngine
from nikola_tts.engines.remote import RemoteEngine
from nikola_tts.engines.remote import lengths
from nikola_tts.engines.remote.flavors import NIKOLA_TTS, OPENAI, VLLM_OMNI
from nikola_tts.errors import SynthesisError, TTSError
from serve_process import ServeProcess, needs_serve

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


# -- servers, stopped when their test ends ----------------------------------------------------

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


def models_then(speech, owned_by="vllm"):
    """GET /models lists a model owned by `owned_by` (vLLM's word by default), GET /audio/voices
    nothing; POSTs go to speech(n, body)."""
    def answer(n, method, path, body):
        if method == "GET" and path.endswith("/models"):
            listing = {"object": "list", "data": [{"id": "m", "object": "model", "owned_by": owned_by}]}
            return 200, {"Content-Type": "application/json"}, json.dumps(listing).encode()
        if method == "GET":
            return 404, {"Content-Type": "application/json"}, b'{"detail": "Not Found"}'
        return speech(n, body)
    return answer


def wav_reply(n, body):
    return 200, {"Content-Type": "audio/wav"}, WAV


# -- what goes over the wire --------------------------------------------------------------------

def test_vllm_omni_gets_its_own_fields_and_a_cap_on_the_length():
    engine = remote(["http://gpu-box:8091/v1"], model="Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice", speed=1.25,
                    instruct="Calm and warm", task_type="CustomVoice", request={"seed": 7})
    body = engine.payload(Request("The ferry leaves at dawn.", "Ryan", "en"), VLLM_OMNI)
    assert body == {
        "input": "The ferry leaves at dawn.",
        "model": "Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice",
        "voice": "ryan",
        "language": "English",
        "instructions": "Calm and warm",
        "task_type": "CustomVoice",
        "response_format": "wav",
        "speed": 1.25,
        "max_new_tokens": lengths.max_new_tokens("The ferry leaves at dawn."),
        "seed": 7,
    }


def test_nothing_configured_lets_the_server_pick_model_voice_and_language():
    bare = remote(["http://gpu-box:8091/v1"]).payload(Request("Hi.", "", ""), VLLM_OMNI)
    assert bare == {"input": "Hi.", "response_format": "wav", "speed": 1.0, "max_new_tokens": lengths.max_new_tokens("Hi.")}


def test_nikola_tts_serve_gets_voices_as_cased_and_no_length_cap():
    engine = remote(["http://gpu-box:8091/v1"], instruct="Calm")
    body = engine.payload(Request("Hallo.", "en_US-joe-medium", "nl"), NIKOLA_TTS)
    assert body == {"input": "Hallo.", "response_format": "wav", "speed": 1.0, "voice": "en_US-joe-medium",
                    "language": "nl", "instructions": "Calm"}


def test_openai_gets_only_openais_fields():
    engine = remote(["https://api.openai.com/v1"], model="gpt-4o-mini-tts", task_type="CustomVoice")
    body = engine.payload(Request("Hello.", "Coral", "de"), OPENAI)
    assert body == {"input": "Hello.", "model": "gpt-4o-mini-tts", "voice": "coral", "response_format": "wav",
                    "speed": 1.0}


@pytest.mark.parametrize("given,vllm_omni,nikola_tts", [
    ("en", "English", "English"), ("pt_br", "Portuguese", "Portuguese"), ("zh_cn", "Chinese", "Chinese"),
    ("de", "German", "German"), ("English", "English", "English"), ("auto", "Auto", "Auto"),
    ("nl", "Auto", "nl"), ("sv", "Auto", "sv"), ("", None, None)])
def test_languages_go_by_the_names_each_server_knows(given, vllm_omni, nikola_tts):
    assert (VLLM_OMNI.language(given), NIKOLA_TTS.language(given), OPENAI.language(given)) == \
        (vllm_omni, nikola_tts, None)


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
    assert identity(model="m", voice="Ryan") == base  # the server looks voices up in lowercase
    assert identity(model="m", remote_flavor="nikola-tts") == base  # the kind of server is not the sound
    changed = [identity(model="other"), identity(model="m", voice="aiden"), identity(model="m", language="de"),
               identity(model="m", speed=1.5), identity(model="m", instruct="Whisper"),
               identity(model="m", request={"max_new_tokens": 100})]
    assert len({base, *changed}) == len(changed) + 1


def test_settings_reach_the_engine():
    from nikola_tts.settings import Settings, engine_options

    settings = Settings.from_config({"TTS_ENGINE": "remote", "TTS_REMOTE_URLS": ["http://gpu:8091/v1"],
                                     "TTS_REMOTE_API_KEY_ENV": "KEY_VAR", "TTS_REMOTE_TIMEOUT": 7,
                                     "TTS_REMOTE_CONCURRENCY": 3, "TTS_REMOTE_RETRIES": 1,
                                     "TTS_REMOTE_RESPONSE_FORMAT": "pcm", "TTS_REMOTE_FLAVOR": "openai"})
    engine = create_engine(settings.engine, engine_options(settings))
    assert isinstance(engine, RemoteEngine)
    assert (engine.urls, engine.api_key_env, engine.timeout, engine.concurrency, engine.retries,
            engine.response_format, engine.flavor_setting) == (("http://gpu:8091/v1",), "KEY_VAR", 7.0, 3, 1, "pcm",
                                                               "openai")


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
    with pytest.raises(TTSError, match="^TTS_REMOTE_FLAVOR is 'vllm': use 'auto', 'vllm-omni', 'nikola-tts', 'openai'$"):
        remote(["http://127.0.0.1:1/v1"], remote_flavor="vllm").load()


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
    decode = remote(["http://gpu-box:8091/v1"]).decode  # what meets a server's answer
    floats = struct.pack("<4f", 0.5, 0.5, -1.0, -0.5)  # two stereo frames
    audio = decode(_wav(3, 2, 24000, 32, floats))
    assert audio.sample_rate == 24000
    assert struct.unpack("<2h", audio.samples) == (16384, -24576)
    pcm24 = b"".join(int(v).to_bytes(3, "little", signed=True) for v in (0x123456, -0x100000))
    assert struct.unpack("<2h", decode(_wav(1, 1, 16000, 24, pcm24)).samples) == (0x1234, -0x1000)
    pcm16 = struct.pack("<3h", 1, -2, 3)
    assert decode(_wav(1, 1, 22050, 16, pcm16, extensible=True)).samples == pcm16
    assert decode(_wav(1, 1, 22050, 16, pcm16, data_size=0xFFFFFFFF)).samples == pcm16  # streamed
    with pytest.raises(SynthesisError, match="^the server's WAV has no audio data$"):
        decode(b"RIFF\x00\x00\x00\x00WAVE")
    with pytest.raises(SynthesisError, match="^the server's audio is not a WAV file$"):
        decode(b"RIFF\x00\x00\x00\x00AVI LIST")


def test_requests_carry_the_fields_and_the_bearer_key_from_the_environment(fakes, monkeypatch):
    fake = fakes(models_then(wav_reply))
    monkeypatch.setenv("NIKOLA_TTS_TEST_KEY", "k-123")
    engine = remote([fake.url], voice="ryan", remote_api_key_env="NIKOLA_TTS_TEST_KEY", instruct="Calm")
    engine.load()
    results = dict(synthesize_all(engine, [Request("One.", "ryan", "en"), Request("Two.", "ryan", "en")]))
    assert all(isinstance(a, Audio) and a.sample_rate == 24000 for a in results.values())
    paths = {(method, path) for method, path, _, _ in fake.requests}
    assert paths == {("GET", "/v1/models"), ("GET", "/v1/audio/voices"), ("POST", "/v1/audio/speech")}
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


def test_a_posts_own_voice_the_server_does_not_list_is_refused_before_synthesis(fakes):
    def answer(n, method, path, body):
        if path.endswith("/audio/voices"):
            return 200, {"Content-Type": "application/json"}, b'{"voices": ["aiden", "ryan", "vivian"]}'
        return 200, {"Content-Type": "application/json"}, b'{"data": [{"id": "m", "owned_by": "vllm"}]}'

    engine = remote([fakes(answer).url])
    engine.load()
    try:
        engine.check_voice("Ryan", "en")  # vLLM-Omni matches speakers case-insensitively
        with pytest.raises(TTSError, match="no voice 'bob': set TTS_VOICE to one of aiden, ryan, vivian"):
            engine.check_voice("bob", "en")
    finally:
        engine.close()


def test_servers_of_different_kinds_are_refused_at_load(fakes):
    vllm = fakes(models_then(wav_reply, owned_by="vllm"))
    ours = fakes(models_then(wav_reply, owned_by="nikola-tts"))
    with pytest.raises(TTSError) as err:
        remote([vllm.url, ours.url]).load()
    assert str(err.value) == (f"TTS_REMOTE_URLS lists different kinds of speech server ({vllm.url}: vLLM-Omni; "
                              f"{ours.url}: nikola tts serve): list servers of one kind and model, so every "
                              "paragraph sounds alike")


def test_a_server_that_does_not_say_what_it_is_needs_a_model_and_a_voice_as_openais_api_does(fakes):
    unknown = fakes(models_then(wav_reply, owned_by="someone"))
    with pytest.raises(TTSError, match=r"^the OpenAI speech API needs a model: set TTS_MODEL to the speech model "
                                       r"it serves \(it lists m\)$"):
        remote([unknown.url]).load()
    with pytest.raises(TTSError, match="^the OpenAI speech API needs a voice: set TTS_VOICE \\(OpenAI's are alloy, "):
        remote([unknown.url], model="m").load()


def test_the_flavor_setting_overrides_what_the_server_says(fakes):
    proxy = fakes(models_then(wav_reply, owned_by="litellm"))
    engine = remote([proxy.url], remote_flavor="vllm-omni")
    results = dict(synthesize_all(engine, [Request("Hallo.", "eric", "nl")]))
    assert isinstance(results[0], Audio)
    assert proxy.posts()[0]["language"] == "Auto"


def test_failed_requests_are_retried_on_the_other_endpoint(fakes):
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


def test_a_refused_voice_fails_its_paragraphs_without_sending_them(fakes):
    rejecting = fakes(models_then(lambda n, body: (400, {"Content-Type": "application/json"},
                                                   b'{"error": {"message": "Invalid voice \'bob\'. Supported: eric"}}')))
    engine = remote([rejecting.url], remote_concurrency=2)
    engine.load()
    results = dict(synthesize_all(engine, [Request(f"Paragraph {n}.", "bob", "en") for n in range(12)]))
    assert len(rejecting.posts()) <= 2  # those in flight when the first refusal came; none retried, none after
    expected = (f"{rejecting.url} refused the voice it was sent (HTTP 400: Invalid voice 'bob'. Supported: eric): "
                "check TTS_VOICE")
    assert [str(results[n]) for n in range(12)] == [expected] * 12


def test_a_refused_paragraph_fails_alone(fakes):
    def speech(n, body):
        if "EMPTY" in body["input"]:
            return 400, {"Content-Type": "application/json"}, b'{"error": {"message": "Input text cannot be empty"}}'
        return wav_reply(n, body)

    refusing = fakes(models_then(speech))
    engine = remote([refusing.url])
    engine.load()
    results = dict(synthesize_all(engine, [Request("One.", "", "en"), Request("EMPTY", "", "en"), Request("Two.", "", "en")]))
    assert isinstance(results[0], Audio) and isinstance(results[2], Audio)
    assert str(results[1]) == f"{refusing.url} refused this paragraph (HTTP 400: Input text cannot be empty)"


def test_retries_are_bounded_when_every_endpoint_fails(fakes):
    failing = fakes(models_then(lambda n, body: (500, {}, b"boom")))
    engine = remote([failing.url], remote_retries=2)
    engine.load()
    started = time.monotonic()
    results = dict(synthesize_all(engine, [Request("A.", "", "en"), Request("B.", "", "en")]))
    assert time.monotonic() - started < 10  # backoff 0.5 s, then 1 s
    assert len(failing.posts()) == 6  # each segment: the first try and two retries
    assert all("gave up after 3 attempts" in str(r) and "HTTP 500: boom" in str(r) for r in results.values())


def test_a_server_that_never_answers_fails_the_load_in_bounded_time_with_one_line(hanging):
    engine = remote([hanging.url], remote_timeout=1)
    started = time.monotonic()
    with pytest.raises(TTSError) as err:
        engine.load()
    assert time.monotonic() - started < 5
    assert str(err.value) == f"no remote speech server answers: {hanging.url} (no answer within 1 s)"


def test_a_server_that_hangs_on_speech_times_out_each_try_and_the_retries_are_bounded(fakes):
    mute = fakes(models_then(lambda n, body: None))
    engine = remote([mute.url], remote_timeout=1, remote_retries=1)
    engine.load()
    started = time.monotonic()
    results = dict(synthesize_all(engine, [Request("A.", "", "en"), Request("B.", "", "en")]))
    assert time.monotonic() - started < 10
    allowed = lengths.timeout("A.", 1)
    for result in results.values():
        assert isinstance(result, SynthesisError) and "\n" not in str(result)
        assert "gave up after 2 attempts" in str(result)
        assert f"no answer within {allowed:g} s, though the server answers" in str(result)


def test_an_answer_to_a_request_sent_before_a_server_went_down_does_not_bring_it_back():
    """A server killed mid-pass may still deliver what it had begun: that says nothing about it now."""
    from nikola_tts.engines.remote.endpoints import Endpoint

    endpoint = Endpoint.parse("http://127.0.0.1:9/v1", slots=2)
    sent_before = time.monotonic()
    assert endpoint.down(30)
    assert not endpoint.answered(sent_before) and not endpoint.alive(time.monotonic())
    assert endpoint.answered(time.monotonic()) and endpoint.alive(time.monotonic())


def test_a_long_paragraph_may_take_longer_than_a_short_one():
    short, long = "Yes.", "word " * 200
    assert lengths.timeout(short, 120) == pytest.approx(120, abs=1)
    assert lengths.timeout(long, 120) - lengths.timeout(short, 120) == pytest.approx(2 * 995 / 15, abs=1)


def test_one_slow_paragraph_does_not_bench_a_healthy_server(fakes, caplog):
    def speech(n, body):
        if "slow" in body["input"] and n == 1:
            return None  # the first try hangs past its deadline
        return wav_reply(n, body)

    server = fakes(models_then(speech))
    engine = remote([server.url], remote_timeout=1, remote_concurrency=2)
    caplog.set_level(logging.INFO, logger="tts")
    engine.load()
    requests = [Request("A slow one.", "", "en")] + [Request(f"Quick {n}.", "", "en") for n in range(8)]
    started = time.monotonic()
    results = dict(synthesize_all(engine, requests))
    assert all(isinstance(a, Audio) for a in results.values()), results
    assert time.monotonic() - started < 15  # benched, the server would have sat out 30 s
    assert not [r for r in caplog.records if "stopped answering" in r.getMessage()]


# -- against real `nikola tts serve` -------------------------------------------------------------

@needs_serve
def test_a_server_dying_mid_pass_loses_no_segment_and_is_reported_once(tmp_path, servers, caplog):
    slow = 'TTS_ENGINE = "tts_test_engines:SlowEspeak"\nTTS_ENGINE_OPTIONS = {{"log": {log!r}, "delay": 0.3}}\n'
    first = ServeProcess(BuiltSite(tmp_path / "gpu1", extra_conf=slow.format(log=str(tmp_path / "gpu1.jsonl")))).start()
    second = ServeProcess(BuiltSite(tmp_path / "gpu2", extra_conf=slow.format(log=str(tmp_path / "gpu2.jsonl")))).start()
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
    gpu = ServeProcess(BuiltSite(tmp_path / "gpu")).start()
    gone = ServeProcess(BuiltSite(tmp_path / "gone"), name="gone").start()
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
    gpu = ServeProcess(BuiltSite(tmp_path / "gpu")).start()
    servers.append(gpu)
    engine = remote([gpu.url], remote_response_format="pcm")
    engine.load()
    ((_, audio),) = synthesize_all(engine, [Request("Raw samples, please.", "en-us", "en")])
    spoken = local_espeak("Raw samples, please.")
    assert spoken.sample_rate == 22050 and audio.sample_rate == 24000  # resampled to OpenAI's rate, and said so
    assert abs(audio.seconds - spoken.seconds) < 0.001


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


# The last commit before the remote engine told kinds of server apart (with it: languages as
# "Auto" for vLLM-Omni, voices lowercase in the cache identity).
BEFORE_SERVER_KINDS = "53673b36111a0c3280db63a97cecfe54b148728c"


def _bilingual_laptop(root: Path, url: str, voices: dict) -> BuiltSite:
    laptop = BuiltSite(root, translations={"en": "", "nl": "./nl"})
    laptop.set_conf(f'TTS_ENGINE = "remote"\nTTS_REMOTE_URLS = [{url!r}]\nTTS_VOICE = {voices!r}\n')
    laptop.write_post("ferry.md", "The Ferry", "The ferry leaves at dawn.\n\nGulls follow it out of the harbour.")
    laptop.write_post("ferry.nl.md", "Het veer", "Het veer vertrekt bij zonsopgang.\n\nMeeuwen volgen het de haven uit.",
                      slug="ferry")
    return laptop


def _mp3s(site: BuiltSite) -> dict:
    return {str(p.relative_to(site.output("."))): p.stat().st_mtime_ns for p in site.output(".").rglob("*_tts.mp3")}


def _narrated_by_the_earlier_release(tmp_path, servers, voices: dict) -> tuple[ServeProcess, BuiltSite]:
    """A GPU box's `nikola tts serve`, and a bilingual laptop site narrated through it by the earlier release."""
    gpu = ServeProcess(BuiltSite(tmp_path / "gpu")).start()
    servers.append(gpu)
    laptop = _bilingual_laptop(tmp_path / "laptop", gpu.url, voices)
    build_with(laptop, release_at(BEFORE_SERVER_KINDS, tmp_path / "release"))
    return gpu, laptop


@needs_serve
def test_a_site_narrated_remotely_before_the_upgrade_rebuilds_with_nothing_synthesized(tmp_path, servers):
    gpu, laptop = _narrated_by_the_earlier_release(tmp_path, servers, {"en": "en-us", "nl": "nl"})
    spoken, published = gpu.site.synthesized(), _mp3s(laptop)
    assert len(spoken) == 6 and len(published) == 2  # title and two paragraphs, in English and in Dutch

    laptop.build()
    assert gpu.site.synthesized() == spoken  # not a paragraph asked again, the Dutch ones included
    assert _mp3s(laptop) == published


@needs_serve
def test_a_voice_written_with_capitals_is_narrated_once_more_after_the_upgrade(tmp_path, servers):
    """The one identity change: voices are lowercase in it now, as the server looks them up."""
    gpu, laptop = _narrated_by_the_earlier_release(tmp_path, servers, {"en": "EN-US", "nl": "nl"})
    before = len(gpu.site.synthesized())
    laptop.build()
    again = [e["text"] for e in gpu.site.synthesized()[before:]]
    assert sorted(again) == sorted(["The Ferry", "The ferry leaves at dawn.", "Gulls follow it out of the harbour."])
    laptop.set_conf(f'TTS_ENGINE = "remote"\nTTS_REMOTE_URLS = [{gpu.url!r}]\nTTS_VOICE = {{"en": "en-us", "nl": "nl"}}\n')
    laptop.build()
    assert len(gpu.site.synthesized()) == before + 3  # and 'EN-US' -> 'en-us' re-narrates nothing


def test_max_chars_is_checked_when_the_engine_is_made():
    assert remote(["http://127.0.0.1:9"]).max_chars == RemoteEngine.max_chars
    assert remote(["http://127.0.0.1:9"], max_chars=3000).max_chars == 3000
    for bad in (10, 2.5, "300", True, 5000):
        with pytest.raises(TTSError, match=r"TTS_ENGINE_OPTIONS\['max_chars'\] is .*: use a whole number of "
                                           r"characters from 20 to 4096"):
            remote(["http://127.0.0.1:9"], max_chars=bad)
