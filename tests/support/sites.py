"""Real Nikola sites in temp folders, built by the real `nikola build` in a subprocess, and what
tests read off them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from bs4 import BeautifulSoup

SUPPORT = Path(__file__).resolve().parent
TESTS = SUPPORT.parent
REPO = TESTS.parent
CORPUS = REPO.parent / "shared" / "corpus"  # real blog posts (CC BY-SA), used by path only

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

    def env(self, extra=None) -> dict:
        """The environment `nikola` runs in: the test engines importable, nothing else changed."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(SUPPORT), env.get("PYTHONPATH", "")])
        env.pop("NIKOLA_MONO", None)
        env.update(extra or {})
        return env

    def run(self, *args: str, check=True, env_extra=None, python_flags=()) -> subprocess.CompletedProcess:
        env = self.env(env_extra)
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
        """Forget what was synthesized and loaded so far."""
        for path in (self.log, Path(str(self.log) + ".loads")):
            path.unlink(missing_ok=True)

    def output(self, rel: str) -> Path:
        return self.root / "output" / rel

    def html(self, rel: str) -> str:
        return self.output(rel).read_text(encoding="utf-8")


POST = """\
    Gardens at night are quieter than you think.

    ## Moths and lanterns

    A single lantern draws moths from across the meadow within minutes.

    Owls keep their distance from the light, hunting at the edges instead.

    ```
    print("this code is never read aloud")
    ```
"""


def error_lines(proc: subprocess.CompletedProcess) -> list[str]:
    """The lines a `nikola` run logged as errors."""
    return [line for line in proc.stderr.splitlines() if "ERROR" in line]


def probe_duration(path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return float(json.loads(out)["format"]["duration"])


def loudness(path) -> tuple[float, float]:
    """(integrated loudness in LUFS, true peak in dBTP) of an audio file, by ffmpeg's ebur128 filter,
    as a podcast app or a loudness meter measures the file a listener gets."""
    err = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true",
                          "-f", "null", "-"], capture_output=True, check=True, text=True).stderr
    summary = err[err.rindex("Summary:"):]
    return (float(re.search(r"I:\s*(-?[\d.]+) LUFS", summary).group(1)),
            float(re.search(r"Peak:\s*(-?[\d.]+|-inf) dBFS", summary).group(1)))


def widget_of(html: str):
    return BeautifulSoup(html, "html.parser").select_one("div.audio-widget")


def footer_minutes(widget) -> str:
    return widget.select_one(".audio-widget-footer").get_text()
