"""Fixtures: real Nikola sites in temp folders (support/sites.py), the tiny Qwen3-TTS checkpoint."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The tests run on the CPU: Triton's kernels (test_triton_kernels.py) run in its interpreter, which must be
# chosen before Triton is first imported.
os.environ.setdefault("TRITON_INTERPRET", "1")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "support"))

from sites import BuiltSite  # noqa: E402


@pytest.fixture
def site(tmp_path) -> BuiltSite:
    return BuiltSite(tmp_path / "site")


@pytest.fixture
def servers():
    """`nikola tts serve` processes a test starts; whatever is still running at its end is killed."""
    from serve_process import serve_processes

    with serve_processes() as started:
        yield started


@pytest.fixture
def make_site(tmp_path):
    counter = iter(range(100))

    def make(**kw) -> BuiltSite:
        return BuiltSite(tmp_path / f"site{next(counter)}", **kw)

    return make


def import_qwen_tts_or_skip() -> None:
    """Skip the calling test module (or test) where torch, transformers or qwen-tts cannot be imported.
    qwen-tts goes through the engine's own import, which stands in for its unused sox/onnxruntime/torchaudio."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    try:
        from nikola_tts.engines.qwen.compat import import_qwen_tts

        import_qwen_tts()
    except ImportError as exc:  # qwen-tts not installed, or one of its real dependencies missing
        pytest.skip(f"qwen-tts cannot be imported here: {exc}", allow_module_level=True)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A tiny random-weight Qwen3-TTS checkpoint, built once per test session (the qwen tests)."""
    import_qwen_tts_or_skip()
    from tiny_qwen import build_tiny_checkpoint

    folder = tmp_path_factory.getbasetemp() / "tiny-qwen3-tts"
    if not (folder / "speech_tokenizer" / "preprocessor_config.json").exists():
        build_tiny_checkpoint(folder)
    return folder


# ---- Qwen3-TTS: fixtures the test_qwen_* modules share --------------------------------------------------
# (test modules do not import each other; torch is imported inside the fixtures, never by conftest itself)

@pytest.fixture(scope="module")
def qwen_one_thread():
    """Tiny matrices: torch threads only add contention."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def qwen_engine(tiny_model, qwen_one_thread):
    """The Qwen engine on the tiny checkpoint, plain path (CPU), loaded as a build loads it."""
    from tiny_qwen import load_engine

    engine = load_engine(tiny_model)
    yield engine
    engine.close()
