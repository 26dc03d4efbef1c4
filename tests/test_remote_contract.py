"""The remote engine against the servers as they are: vLLM-Omni's contract, and `nikola tts serve`.

Every test of the shared contract runs twice: against the vLLM-Omni contract server
(tests/support/vllm_omni_contract.py, written from vLLM-Omni's source and citing it) and against
a real `nikola tts serve` subprocess speaking with espeak-ng. The tests after them hold what only
vLLM-Omni does: title-cased languages, the 2048-frame default, failures answered with HTTP 400.
"""

from __future__ import annotations

import http.client
import json
import logging
from dataclasses import dataclass
from typing import Callable

import pytest

from nikola_tts.audio.pcm import Audio
from nikola_tts.engines import EngineOptions, Request, create_engine
from nikola_tts.engines.remote import RemoteEngine
from nikola_tts.engines.remote.failures import rejection
from nikola_tts.errors import SynthesisError, TTSError
from serve_process import HAVE_SERVE, ServeProcess
from sites import BuiltSite
from vllm_omni_contract import MODEL, VllmOmniContract

PARAGRAPH = "The ferry leaves at dawn, and the gulls follow it out of the grey harbour."


@dataclass
class SpeechServer:
    kind: str  # the flavor the engine should find
    url: str
    model: str  # what GET /models lists
    voice: str  # one it has, in a case of its own
    missing_voice: str
    speech_posts: Callable[[], int]  # speech requests that reached it so far
    fail_next: Callable[[str], str]  # makes the next try at a text fail once; returns the text to send


@pytest.fixture(scope="module")
def nikola_server(tmp_path_factory):
    """One `nikola tts serve` (espeak-ng; the first try at a text with FLAKY fails) for the module."""
    if not HAVE_SERVE:
        pytest.skip("nikola tts serve needs the [serve] extra")
    site = BuiltSite(tmp_path_factory.mktemp("contract") / "gpu",
                     extra_conf='TTS_ENGINE = "tts_test_engines:FlakyEspeak"\n')
    proc = ServeProcess(site).start()
    yield proc
    assert proc.stop() == 0, proc.log()


def _health(base: str) -> dict:
    host, port = base.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("GET", "/health")
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


@pytest.fixture(params=["vllm-omni", "nikola-tts"])
def server(request) -> SpeechServer:
    if request.param == "vllm-omni":
        contract = VllmOmniContract()
        request.addfinalizer(contract.close)

        def fail_vllm(text):
            contract.fail_next.append("CUDA out of memory")
            return text

        return SpeechServer("vllm-omni", contract.url, MODEL, "Eric", "bob",
                            lambda: len(contract.speech_bodies()), fail_vllm)
    proc = request.getfixturevalue("nikola_server")

    def posts():
        health = _health(proc.base)
        return health["requests"] + health["refused"]

    return SpeechServer("nikola-tts", proc.url, "espeak", "EN-US", "no-such-voice", posts,
                        lambda text: f"FLAKY {text}")


def remote(url, **extra) -> RemoteEngine:
    model = extra.pop("model", None)
    voice = extra.pop("voice", None)
    options = {"remote_urls": [url], "remote_timeout": 30, **extra}
    return create_engine("remote", EngineOptions(voice=voice, model=model, extra=options))


def speak(engine, requests) -> dict:
    """index -> Audio or the error, for one synthesize call; the engine is closed afterwards."""
    try:
        engine.load()
        return dict(engine.synthesize(requests))
    finally:
        engine.close()


# -- the contract both servers keep ----------------------------------------------------------

def test_load_finds_out_what_kind_of_server_it_is(server):
    engine = remote(server.url)
    engine.load()
    try:
        assert engine.flavor.name == server.kind
    finally:
        engine.close()


def test_a_post_in_a_language_qwen3_tts_does_not_know_is_narrated(server):
    results = speak(remote(server.url), [Request("Het veer vertrekt bij zonsopgang.", server.voice, "nl")])
    assert isinstance(results[0], Audio) and results[0].seconds > 0.5, results[0]


def test_a_voice_in_any_case_is_the_voice_the_server_has(server):
    results = speak(remote(server.url, voice=server.voice),
                    [Request(PARAGRAPH, server.voice, "en"), Request(PARAGRAPH, server.voice.lower(), "en")])
    assert isinstance(results[0], Audio) and results[0].samples == results[1].samples


def test_a_voice_the_server_lacks_fails_in_one_line_and_no_more_paragraphs_are_sent(server):
    before = server.speech_posts()
    engine = remote(server.url, voice=server.missing_voice, remote_concurrency=2)
    try:
        results = speak(engine, [Request(f"Paragraph {n}. {PARAGRAPH}", server.missing_voice, "en")
                                 for n in range(12)])
        errors = [str(r) for r in results.values()]
    except TTSError as exc:  # refused at load, before any paragraph
        errors = [str(exc)]
    assert all(server.missing_voice in e and "TTS_VOICE" in e and "\n" not in e for e in errors), errors
    assert server.speech_posts() - before <= 2  # at most those already in flight when the first refusal came


def test_a_failed_generation_is_tried_again_and_the_paragraph_narrated(server):
    text = server.fail_next(f"Once more: {PARAGRAPH}")
    before = server.speech_posts()
    results = speak(remote(server.url), [Request(text, server.voice, "en")])
    assert isinstance(results[0], Audio), results[0]
    assert server.speech_posts() - before == 2


def test_a_model_the_server_does_not_serve_fails_the_load_naming_both(server):
    with pytest.raises(TTSError) as err:
        remote(server.url, model="gpt-4o-mini-tts").load()
    assert f"serves {server.model}, not TTS_MODEL 'gpt-4o-mini-tts'" in str(err.value)


def test_pcm_comes_at_24_khz_and_lasts_as_long_as_the_wav(server):
    request = Request(PARAGRAPH, server.voice, "en")
    (wav,) = speak(remote(server.url), [request]).values()
    (pcm,) = speak(remote(server.url, remote_response_format="pcm"), [request]).values()
    assert pcm.sample_rate == 24000
    assert abs(pcm.seconds - wav.seconds) < 0.01


def test_an_unknown_model_is_refused_with_a_404_naming_the_model(server):
    host, port = server.url.removeprefix("http://").removesuffix("/v1").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("POST", "/v1/audio/speech", json.dumps({"input": "Hello.", "model": "tts-1"}),
                     {"Content-Type": "application/json"})
        reply = conn.getresponse()
        refusal = rejection(reply.status, reply.read())
    finally:
        conn.close()
    assert (refusal.status, refusal.field, refusal.retryable) == (404, "model", False)


# -- what only vLLM-Omni does ---------------------------------------------------------------

@pytest.fixture
def vllm():
    contract = VllmOmniContract()
    yield contract
    contract.close()


def test_vllm_omni_hears_qwen3_tts_language_names_and_auto(vllm):
    speak(remote(vllm.url), [Request(PARAGRAPH, "eric", lang) for lang in ("en", "pt_br", "nl")])
    assert sorted(body["language"] for body in vllm.speech_bodies()) == ["Auto", "English", "Portuguese"]


def test_a_language_qwen3_tts_does_not_know_is_said_once(vllm, caplog):
    caplog.set_level(logging.WARNING, logger="tts")
    engine = remote(vllm.url)
    engine.load()
    try:
        for _ in range(3):
            engine.check_voice("eric", "nl")  # as the synthesis pass calls it, once per voice, language and batch
        engine.check_voice("eric", "en")
    finally:
        engine.close()
    said = [r.getMessage() for r in caplog.records]
    assert said == ["Qwen3-TTS does not know the language 'nl'; vLLM-Omni narrates it with language 'Auto' "
                    "(the model guesses the language from the text)"]


def test_vllm_omni_gets_voices_in_lowercase(vllm):
    speak(remote(vllm.url, voice="Eric"), [Request(PARAGRAPH, "Eric", "en")])
    assert [body["voice"] for body in vllm.speech_bodies()] == ["eric"]


def test_a_voice_vllm_omni_does_not_list_fails_the_load_before_any_paragraph(vllm):
    with pytest.raises(TTSError) as err:
        remote(vllm.url, voice={"en": "Eric", "de": "bob"}).load()
    assert str(err.value) == ("the speech server has no voice 'bob': set TTS_VOICE to one of aiden, dylan, eric, "
                              "ono_anna, ryan, serena, sohee, uncle_fu, vivian")
    assert vllm.speech_bodies() == []


def test_a_failed_generation_answered_with_http_400_is_not_taken_for_a_bad_request(vllm):
    vllm.fail_next.extend(["CUDA out of memory"] * 3)
    results = speak(remote(vllm.url, remote_retries=2), [Request(PARAGRAPH, "eric", "en")])
    assert isinstance(results[0], SynthesisError)
    assert "gave up after 3 attempts" in str(results[0])
    assert "HTTP 400: Speech generation failed: CUDA out of memory" in str(results[0])


def test_each_paragraph_is_capped_in_proportion_to_its_text(vllm):
    short, long = "Yes.", " ".join([PARAGRAPH] * 12)
    speak(remote(vllm.url), [Request(short, "eric", "en"), Request(long, "eric", "en")])
    caps = {body["input"]: body["max_new_tokens"] for body in vllm.speech_bodies()}
    assert caps[short] < 100 < caps[long] <= 4096
    assert caps[long] / caps[short] > 10


def test_without_a_cap_vllm_omni_stops_a_runaway_generation_at_2048_frames():
    runaway = VllmOmniContract(runaway=True)
    try:
        results = speak(remote(runaway.url, request={"max_new_tokens": None}), [Request("Hi.", "eric", "en")])
    finally:
        runaway.close()
    assert results[0].seconds == pytest.approx(2048 / 12.5)


def test_a_paragraph_that_comes_back_at_its_cap_is_reported_cut_off(caplog):
    runaway = VllmOmniContract(runaway=True)
    caplog.set_level(logging.WARNING, logger="tts")
    try:
        results = speak(remote(runaway.url), [Request(PARAGRAPH, "eric", "en"), Request("Yes, quite.", "eric", "en")])
    finally:
        runaway.close()
    assert all(isinstance(a, Audio) for a in results.values())  # kept, as the local engine keeps its cut segments
    cut = [r.getMessage() for r in caplog.records if "cut off" in r.getMessage()]
    assert len(cut) == 2 and any(PARAGRAPH[:40] in line for line in cut), cut
    assert all("reached its limit" in line and runaway.url in line for line in cut), cut


def test_a_paragraph_of_ordinary_length_is_not_reported_cut(vllm, caplog):
    caplog.set_level(logging.WARNING, logger="tts")
    speak(remote(vllm.url), [Request(PARAGRAPH, "eric", "en")])
    assert not [r for r in caplog.records if "cut off" in r.getMessage()]


def test_instructions_over_vllm_omnis_limit_fail_the_load(vllm):
    with pytest.raises(TTSError) as err:
        remote(vllm.url, instruct="Calm. " * 100).load()
    assert str(err.value) == ("TTS_INSTRUCT has 600 characters and vLLM-Omni takes at most 500: shorten it, or start "
                              "vLLM-Omni with --tts-max-instructions-length and set "
                              "TTS_ENGINE_OPTIONS['max_instructions'] to the same")
    assert vllm.speech_bodies() == []
