"""A real Nikola site in a temp folder, built by the real `nikola build` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS = REPO.parent / "shared" / "corpus"

BASE_CONF = """\
import nikola_tts
BLOG_AUTHOR = "Test Author"
BLOG_TITLE = "Test Blog"
SITE_URL = "https://example.org/"
BLOG_EMAIL = "a@example.org"
BLOG_DESCRIPTION = "A test blog"
DEFAULT_LANG = "en"
TRANSLATIONS = {translations!r}
THEME = {theme!r}
POSTS = (("posts/*.md", "posts", "post.tmpl"), ("posts/*.rst", "posts", "post.tmpl"), ("posts/*.html", "posts", "post.tmpl"))
PAGES = (("pages/*.md", "pages", "page.tmpl"),)
COMPILERS = {{"rest": [".rst"], "markdown": [".md"], "html": [".html"]}}
INDEX_TEASERS = True
TIMEZONE = "UTC"
EXTRA_PLUGINS_DIRS = [nikola_tts.PLUGIN_DIR]
TTS_ENGINE = "tts_test_engines:CountingEspeak"
TTS_VOICE = "en-us"
TTS_ENGINE_OPTIONS = {{"log": {log!r}}}
"""


class BuiltSite:
    def __init__(self, root: Path, theme="bootblog4", translations=None, extra_conf=""):
        self.root = root
        self.log = root / "synthesized.jsonl"
        (root / "posts").mkdir(parents=True)
        (root / "pages").mkdir()
        self.conf_base = BASE_CONF.format(translations=translations or {"en": ""}, theme=theme, log=str(self.log))
        self.set_conf(extra_conf)

    def set_conf(self, extra: str = "") -> None:
        (self.root / "conf.py").write_text(self.conf_base + textwrap.dedent(extra), encoding="utf-8")

    def write_post(self, name: str, title: str, body: str, slug: str | None = None, date="2026-01-02 10:00:00 UTC",
                   **meta) -> Path:
        slug = slug or Path(name).stem.split(".")[0]
        lines = [f".. title: {title}", f".. slug: {slug}", f".. date: {date}"] + [f".. {k}: {v}" for k, v in meta.items()]
        path = self.root / "posts" / name
        if name.endswith(".md"):
            head = "<!--\n" + "\n".join(lines) + "\n-->\n\n"
        elif name.endswith(".html"):
            head = "<!--\n" + "\n".join(lines) + "\n-->\n"
        else:
            head = "\n".join(lines) + "\n\n"
        path.write_text(head + textwrap.dedent(body).strip() + "\n", encoding="utf-8")
        return path

    def run(self, *args: str, check=True, env_extra=None, python_flags=()) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(HERE / "support"), env.get("PYTHONPATH", "")])
        env.pop("NIKOLA_MONO", None)
        env.update(env_extra or {})
        proc = subprocess.run([sys.executable, *python_flags, "-m", "nikola", *args], cwd=self.root, env=env,
                              capture_output=True, text=True, timeout=600)
        if check and proc.returncode != 0:
            raise AssertionError(f"nikola {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc

    def build(self, *args, **kw) -> subprocess.CompletedProcess:
        return self.run("build", *args, **kw)

    def synthesized(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines() if line]

    def engine_loads(self) -> int:
        loads = Path(str(self.log) + ".loads")
        return len(loads.read_text().splitlines()) if loads.exists() else 0

    def reset_log(self) -> None:
        if self.log.exists():
            self.log.unlink()

    def output(self, rel: str) -> Path:
        return self.root / "output" / rel

    def html(self, rel: str) -> str:
        return self.output(rel).read_text(encoding="utf-8")


@pytest.fixture
def site(tmp_path) -> BuiltSite:
    return BuiltSite(tmp_path / "site")


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
