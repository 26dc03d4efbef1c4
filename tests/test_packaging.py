"""nikola-tts as a user installs it: a wheel and an sdist, built from this checkout, that install
into a fresh virtual environment and narrate the demo site from there (not from this checkout)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest
from sites import REPO, widget_of

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="the demo narrates with espeak-ng here")

PLUGIN_FILES = {"tts_task.plugin", "tts_report.plugin", "tts_command.plugin"}


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The wheel and the sdist, built the standard way (python -m build) into a folder of their own."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--sdist", "--no-isolation", "--outdir", str(out),
                    str(REPO)], check=True, capture_output=True)
    wheels, sdists = list(out.glob("*.whl")), list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1
    return wheels[0], sdists[0]


@pytest.fixture(scope="module")
def venv(tmp_path_factory, dist):
    """A new virtual environment holding the wheel with its demo extra, and nothing of this checkout."""
    folder = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([str(folder / "bin" / "python"), "-m", "pip", "install", "-q", f"{dist[0]}[demo]"],
                   check=True, env=env, cwd=folder, capture_output=True)
    return folder


def test_the_wheel_carries_the_plugin_files_templates_and_stylesheet(dist):
    names = set(zipfile.ZipFile(dist[0]).namelist())
    assert {f"nikola_tts/plugins/{name}" for name in PLUGIN_FILES} <= names
    assert {"nikola_tts/templates/jinja/tts_widget.tmpl", "nikola_tts/templates/mako/tts_widget.tmpl",
            "nikola_tts/assets/css/nikola_tts.css", "nikola_tts/engines/piper/worker.py"} <= names


def test_the_sdist_carries_what_builds_the_wheel_and_the_tests(dist):
    with tarfile.open(dist[1]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"pyproject.toml", "README.md", "LICENSE", "templates/jinja/tts_widget.tmpl", "assets/css/nikola_tts.css",
            "tests/conftest.py", "examples/demo-site/conf.py"} <= names
    assert {f"nikola_tts/plugins/{name}" for name in PLUGIN_FILES} <= names


def test_the_installed_package_is_the_wheel_not_this_checkout(venv):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import nikola_tts; print(nikola_tts.PLUGIN_DIR)"],
                           check=True, capture_output=True, text=True, env=env, cwd=venv).stdout.strip()
    assert where.startswith(str(venv)) and os.path.isdir(where)


def test_the_demo_site_narrates_from_the_installed_wheel(venv, tmp_path):
    site = tmp_path / "demo-site"
    shutil.copytree(REPO / "examples" / "demo-site", site,
                    ignore=shutil.ignore_patterns("output", "cache", "tts_cache", ".doit.db*", "__pycache__"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    build = subprocess.run([str(venv / "bin" / "nikola"), "build"], cwd=site, env=env, capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    # No qwen or piper in this venv: the build says who speaks, and why not the others.
    said = next(line for line in build.stderr.splitlines() if "narrating" in line and "segments" in line)
    assert "espeak-ng" in said and "not qwen:" in said and "piper:" in said
    mp3s = sorted(p.relative_to(site / "output").as_posix() for p in (site / "output").rglob("*_tts.mp3"))
    assert "building-a-silent-home-server_tts.mp3" in mp3s and "es/cleaning-a-dusty-laptop-fan_tts.mp3" in mp3s
    page = (site / "output" / "posts" / "building-a-silent-home-server" / "index.html").read_text(encoding="utf-8")
    assert widget_of(page).select_one("audio")["src"].endswith("building-a-silent-home-server_tts.mp3")
    assert (site / "output" / "assets" / "css" / "nikola_tts.css").exists()
