"""The Qwen3-TTS engine's decisions, as plain functions: no GPU, no torch, no model needed.

Device, number format and attention per machine; language names; frame limits and batch sizes;
where the model comes from and how it is named in segment identities.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nikola_tts.engines import EngineOptions, create_engine
from nikola_tts.engines.qwen import QwenEngine, batching, source as sources
from nikola_tts.engines.qwen.device import (DeviceFacts, choose_attention, choose_device, choose_dtype,
                                            normalize_dtype, place)
from nikola_tts.engines.languages import is_supported, qwen_language
from nikola_tts.errors import TTSError

REPO = Path(__file__).resolve().parent.parent


# -- device ----------------------------------------------------------------------------------
@pytest.mark.parametrize("requested, cuda, mps, count, expected", [
    ("auto", True, False, 1, "cuda:0"),
    ("auto", True, True, 2, "cuda:0"),  # a ROCm GPU reports as cuda too
    ("auto", False, True, 0, "mps"),
    ("auto", False, False, 0, "cpu"),
    (None, False, False, 0, "cpu"),
    ("cuda", True, False, 1, "cuda:0"),
    ("cuda:1", True, False, 2, "cuda:1"),
    ("CUDA:0", True, False, 1, "cuda:0"),
    ("mps", False, True, 0, "mps"),
    ("cpu", True, True, 4, "cpu"),
])
def test_device_choice(requested, cuda, mps, count, expected):
    assert choose_device(requested, cuda, mps, count) == expected


def test_a_device_that_is_not_there_is_refused_with_what_there_is():
    with pytest.raises(TTSError) as err:
        choose_device("cuda:1", True, False, 1)
    assert str(err.value) == ("TTS_DEVICE is 'cuda:1' but this machine has 1 CUDA device (cuda:0): "
                              "pick one of those or 'auto'")
    with pytest.raises(TTSError, match="CPU-only build: install a CUDA or ROCm build of torch"):
        choose_device("cuda", False, False, 0, cpu_only_torch=True)
    with pytest.raises(TTSError, match="torch sees no CUDA or ROCm GPU"):
        choose_device("cuda:0", False, False, 0)
    with pytest.raises(TTSError, match="TTS_DEVICE is 'mps' but this torch sees no Apple GPU"):
        choose_device("mps", True, False, 1)
    with pytest.raises(TTSError, match="use 'auto', 'cuda', 'cuda:N', 'mps' or 'cpu'"):
        choose_device("tpu", True, False, 1)


# -- number format ---------------------------------------------------------------------------
@pytest.mark.parametrize("device, capability, bf16_ok, rocm, expected", [
    ("cuda", (9, 0), True, False, "bfloat16"),  # H100
    ("cuda", (8, 0), True, False, "bfloat16"),  # A100
    ("cuda", (8, 6), True, False, "bfloat16"),  # RTX 30xx
    ("cuda", (7, 5), False, False, "float32"),  # T4, RTX 20xx
    ("cuda", (7, 0), False, False, "float32"),  # V100
    ("cuda", (6, 1), False, False, "float32"),  # Tesla P40
    ("cuda", (11, 5), True, True, "bfloat16"),  # ROCm: Radeon 8060S (gfx1151)
    ("cuda", (9, 0), False, True, "float32"),  # ROCm GPU without native bf16 (capability says nothing)
    ("mps", None, True, False, "bfloat16"),  # macOS 14+
    ("mps", None, False, False, "float32"),
    ("cpu", None, None, False, "float32"),
])
def test_dtype_choice(device, capability, bf16_ok, rocm, expected):
    dtype, why, warnings = choose_dtype(device, capability, bf16_ok, None, rocm=rocm)
    assert dtype == expected and why and warnings == ()


def test_pascal_gets_float32_and_the_reason_names_float16_overflow():
    dtype, why, _ = choose_dtype("cuda", (6, 1), False)
    assert dtype == "float32"
    assert "6.1" in why and "float16 overflows" in why


@pytest.mark.parametrize("override, device, capability, expected, warns", [
    ("float16", "cuda", (6, 1), "float16", "overflow"),
    ("fp16", "cuda", (7, 5), "float16", "overflow"),
    ("half", "cpu", None, "float16", "overflow"),
    ("bf16", "cuda", (6, 1), "bfloat16", "emulated"),
    ("bfloat16", "cuda", (9, 0), "bfloat16", None),
    ("float32", "cuda", (9, 0), "float32", None),
    ("FP32", "mps", None, "float32", None),
    ("torch.bfloat16", "cpu", None, "bfloat16", None),
    ("auto", "cuda", (9, 0), "bfloat16", None),
    (None, "cuda", (6, 1), "float32", None),
])
def test_dtype_override(override, device, capability, expected, warns):
    dtype, _, warnings = choose_dtype(device, capability, True, override)
    assert dtype == expected
    assert (warns is None and not warnings) or (warns is not None and warns in " ".join(warnings))


def test_bad_dtype_overrides_are_refused():
    with pytest.raises(TTSError, match="TTS_DTYPE is 'int8': use 'auto', 'bfloat16', 'float16' or 'float32'"):
        normalize_dtype("int8")
    with pytest.raises(TTSError, match="no bfloat16 on MPS"):
        choose_dtype("mps", None, False, "bfloat16")


# -- attention -------------------------------------------------------------------------------
@pytest.mark.parametrize("device, capability, flash, dtype, expected", [
    ("cuda", (9, 0), True, "bfloat16", "flash_attention_2"),
    ("cuda", (8, 0), True, "float16", "flash_attention_2"),
    ("cuda", (9, 0), False, "bfloat16", "sdpa"),
    ("cuda", (7, 5), True, "float16", "sdpa"),
    ("cuda", (9, 0), True, "float32", "sdpa"),
    ("mps", None, True, "bfloat16", "sdpa"),
    ("cpu", None, True, "float32", "sdpa"),
])
def test_attention_choice(device, capability, flash, dtype, expected):
    assert choose_attention(device, capability, flash, dtype) == expected


def test_attention_override():
    assert choose_attention("cuda", (9, 0), True, "bfloat16", "eager") == "eager"
    with pytest.raises(TTSError, match="flash_attn package is not installed"):
        choose_attention("cuda", (9, 0), False, "bfloat16", "flash_attention_2")
    with pytest.raises(TTSError, match="use one of sdpa, eager, flash_attention_2"):
        choose_attention("cpu", None, False, "float32", "xformers")


def test_placement_uses_the_chosen_gpus_own_facts():
    facts = DeviceFacts(cuda_available=True, device_count=2, cuda_build="12.4", capabilities=((6, 1), (8, 6)),
                        names=("Tesla P40", "NVIDIA GeForce RTX 3090"), cuda_bf16=(False, True), flash_attn=True)
    first = place("auto", facts)
    assert (first.device, first.dtype, first.attention, first.device_name) == ("cuda:0", "float32", "sdpa", "Tesla P40")
    second = place("cuda:1", facts)
    assert (second.device, second.dtype, second.attention) == ("cuda:1", "bfloat16", "flash_attention_2")
    rocm = DeviceFacts(cuda_available=True, device_count=1, hip_build="6.4", capabilities=((11, 5),),
                       cuda_bf16=(True,))
    assert place("auto", rocm).dtype == "bfloat16"
    cpu_torch = DeviceFacts(torch_version="2.13.0+cpu")
    assert place("auto", cpu_torch).device == "cpu"
    with pytest.raises(TTSError, match="CPU-only build"):
        place("cuda", cpu_torch)


# -- languages -------------------------------------------------------------------------------
@pytest.mark.parametrize("code, name", [
    ("en", "English"), ("en_GB", "English"), ("en-us", "English"), ("es", "Spanish"), ("pt", "Portuguese"),
    ("pt_br", "Portuguese"), ("zh_cn", "Chinese"), ("zh_TW", "Chinese"), ("de", "German"), ("fr", "French"),
    ("it", "Italian"), ("ja", "Japanese"), ("ko", "Korean"), ("ru", "Russian"),
    ("English", "English"), ("spanish", "Spanish"), ("auto", "Auto"),
    ("nl", "Auto"), ("fi", "Auto"), ("", "Auto"), (None, "Auto"),
])
def test_language_names(code, name):
    assert qwen_language(code) == name


def test_unsupported_languages_are_known_as_such():
    assert is_supported("en") and is_supported("pt_br") and is_supported("auto")
    assert not is_supported("nl") and not is_supported("ar")


# -- frame limits and batch sizes ------------------------------------------------------------
def test_frame_limit_is_generous_but_bounded():
    for chars in (1, 10, 100, 600):
        expected_seconds = chars / 15
        limit_seconds = batching.frame_limit(chars) / 12.5
        assert limit_seconds >= 2 * expected_seconds + 3  # slow speech and numbers still fit
    assert batching.frame_limit(600) / 12.5 <= 120  # a runaway costs at most two minutes of audio
    assert batching.frame_limit(5) / 12.5 >= 3  # a one-word title still has room


def test_batch_size_from_memory():
    # Qwen3-TTS-12Hz-1.7B: 28 layers, 8 kv heads of 128, hidden 2048, bfloat16
    per_token = batching.bytes_per_token(28, 8, 128, 2048, 2)
    assert per_token == (2 * 28 * 8 * 128 + 29 * 2048) * 2
    per_segment = batching.segment_bytes(600, per_token)
    assert 300e6 < per_segment < 1e9
    gib = 1 << 30
    h100 = batching.budget(75 * gib, 80 * gib)
    assert batching.batch_size_for(h100, per_segment) == batching.MAX_BATCH
    p40 = batching.budget(15 * gib, 24 * gib)  # float32 weights leave about 15 GiB
    fp32_segment = batching.segment_bytes(600, batching.bytes_per_token(28, 8, 128, 2048, 4))
    assert 5 <= batching.batch_size_for(p40, fp32_segment) <= 20
    assert batching.batch_size_for(batching.budget(2 * gib, 8 * gib), per_segment) == 1  # never 0
    assert batching.budget(gib, 80 * gib) == 0


# -- model source and identity ---------------------------------------------------------------
def fake_model(folder: Path, config: dict | None = None) -> Path:
    (folder / "speech_tokenizer").mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(config or {"tts_model_type": "custom_voice"}))
    (folder / "speech_tokenizer" / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"")
    return folder


def test_model_source_resolution(tmp_path):
    assert sources.resolve(None).hub_id == "Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice"
    assert sources.resolve("Qwen/Qwen3-TTS-12Hz-0.6B-CustomVoice").hub_id == "Qwen/Qwen3-TTS-12Hz-0.6B-CustomVoice"
    folder = fake_model(tmp_path / "qwen")
    assert sources.resolve(str(folder)).folder == folder.resolve()
    with pytest.raises(TTSError, match="neither a folder on this machine nor a model id"):
        sources.resolve(str(tmp_path / "missing" / "model"))
    assert sources.not_here_reason(sources.resolve(str(folder))) is None
    (folder / "speech_tokenizer" / "config.json").unlink()
    assert "is not a Qwen3-TTS model" in sources.not_here_reason(sources.resolve(str(folder)))


def test_identity_names_a_folder_by_name_and_config_not_by_where_it_lies(tmp_path):
    a = fake_model(tmp_path / "one" / "Qwen3-TTS-12Hz-1.7B-CustomVoice")
    b = fake_model(tmp_path / "two" / "Qwen3-TTS-12Hz-1.7B-CustomVoice")
    c = fake_model(tmp_path / "three" / "Qwen3-TTS-12Hz-1.7B-CustomVoice", {"tts_model_size": "0b6"})
    name = sources.identity_name(sources.resolve(str(a)))
    assert name.startswith("Qwen3-TTS-12Hz-1.7B-CustomVoice#")
    assert sources.identity_name(sources.resolve(str(b))) == name
    assert sources.identity_name(sources.resolve(str(c))) != name
    snapshot = fake_model(tmp_path / "hub" / "models--Qwen--Qwen3-TTS-12Hz-1.7B-CustomVoice" / "snapshots" / "abc123")
    assert sources.identity_name(sources.resolve(str(snapshot))) == "Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice"


def test_cached_snapshot_is_found_without_network(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "hub_cache_dir", lambda: tmp_path / "hub")
    hub_id = "Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice"
    assert sources.cached_snapshot(hub_id) is None
    assert sources.not_here_reason(sources.resolve(hub_id)) == f"the model {hub_id!r} is not downloaded yet"
    repo = tmp_path / "hub" / "models--Qwen--Qwen3-TTS-12Hz-1.7B-CustomVoice"
    fake_model(repo / "snapshots" / "deadbeef")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("deadbeef")
    assert sources.cached_snapshot(hub_id) == repo / "snapshots" / "deadbeef"
    assert sources.not_here_reason(sources.resolve(hub_id)) is None


def test_offline_error_is_one_line_naming_the_fix():
    message = str(sources.offline_error("nobody/nothing"))
    assert "\n" not in message
    assert "TTS_MODEL" in message and "huggingface-cli download nobody/nothing" in message and "TTS_ENGINE" in message


def qwen(**kw):
    extra = kw.pop("extra", {})
    return create_engine("qwen", EngineOptions(model=kw.pop("model", None), extra=extra, **kw))


def test_identity_holds_what_changes_the_sound_and_nothing_else():
    base = qwen(extra={"seed": 0})
    voice = base.resolve_voice(None, "en")
    assert voice == "Eric"
    identity = base.identity(voice, "en")
    assert identity == "qwen3-tts|model=Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice|voice=eric|language=English|seed=0"
    # same sound: other device, batch size, dtype, voice spelling, regional language code
    assert qwen(device="cuda:1", batch_size=3, extra={"seed": 0, "dtype": "float32"}).identity("ERIC", "en_GB") == identity
    # other sound: seed, instruction, voice, language, model, sampling
    others = [qwen(extra={"seed": 1}).identity(voice, "en"),
              qwen(extra={"instruct": "Read calmly."}).identity(voice, "en"),
              base.identity("Ryan", "en"), base.identity(voice, "es"),
              qwen(model="Qwen/Qwen3-TTS-12Hz-0.6B-CustomVoice").identity(voice, "en"),
              qwen(extra={"temperature": 0.7}).identity(voice, "en")]
    assert len(set(others + [identity])) == len(others) + 1


def test_engine_is_cheap_and_says_why_it_cannot_run(tmp_path):
    """Creating the engine, identities and unavailable_reason import neither torch nor qwen_tts."""
    code = (
        "import sys\n"
        "from nikola_tts.engines import EngineOptions, create_engine\n"
        f"options = EngineOptions(model={str(tmp_path / 'nothing-here')!r})\n"
        "engine = create_engine('qwen', options)\n"
        "engine.identity(engine.resolve_voice(None, 'en'), 'en')\n"
        "print(engine.unavailable_reason(options))\n"
        "print(engine.describe())\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers', 'qwen_tts'))\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO).stdout
    reason, described, heavy = out.strip().splitlines()
    assert "neither a folder on this machine nor a model id" in reason or "not installed" in reason
    assert described.startswith("Qwen3-TTS")
    assert heavy == "[]"


def test_sampling_options_are_checked_when_the_engine_is_made():
    assert qwen(extra={"temperature": 0.7, "top_k": 20, "do_sample": False}).sampling == \
        {"temperature": 0.7, "top_k": 20, "do_sample": False}
    for bad in ({"temperature": "hot"}, {"top_k": 2.5}, {"do_sample": "yes"}, {"top_p": 0}):
        with pytest.raises(TTSError, match=r"TTS_ENGINE_OPTIONS\['\w+'\] is .*: use"):
            qwen(extra=bad)
    with pytest.raises(TTSError, match="TTS_SEED is 'x': use a whole number"):
        qwen(extra={"seed": "x"})


def test_max_chars_sets_the_longest_piece_read_in_one_call():
    assert qwen().max_chars == QwenEngine.max_chars
    assert qwen(extra={"max_chars": 600}).max_chars == 600
    for bad in (10, 2.5, "300", True, 5000):
        with pytest.raises(TTSError, match=r"TTS_ENGINE_OPTIONS\['max_chars'\] is .*: use a whole number of "
                                           r"characters from 20 to 2000"):
            qwen(extra={"max_chars": bad})
