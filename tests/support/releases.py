"""Earlier releases of nikola-tts, taken from this repository's history, for the upgrade tests.

A release is its nikola_tts package, templates and assets at a commit, in a folder of its own;
a site built "with" it has that folder first on the build's PYTHONPATH.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from sites import REPO


def release_at(commit: str, folder: Path) -> Path:
    """nikola_tts, templates and assets as `commit` had them, extracted into folder (skips an sdist)."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout (an sdist): the earlier release's code is not at hand")
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", commit,
                              "nikola_tts", "templates", "assets"], capture_output=True)
    assert archive.returncode == 0, f"cannot read {commit} from the history: {archive.stderr.decode()}"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def build_with(site, release: Path, check=True):
    """`nikola build` of the site with the release's code in front of this checkout's."""
    return site.build(check=check, env_extra={"PYTHONPATH": f"{release}:{site.env()['PYTHONPATH']}"})
