"""The demo site's conf.py, as the README's first command uses it."""

from __future__ import annotations

import shutil
import subprocess
import sys

from sites import REPO


def test_the_demo_conf_says_nothing_on_commands_that_do_not_narrate(tmp_path):
    site = tmp_path / "demo-site"
    shutil.copytree(REPO / "examples" / "demo-site", site,
                    ignore=shutil.ignore_patterns("output", "cache", "tts_cache", ".doit.db*", "__pycache__"))
    for command in (["help"], ["list"]):
        proc = subprocess.run([sys.executable, "-m", "nikola", *command], cwd=site, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "nikola-tts" not in proc.stdout + proc.stderr and "narrating" not in proc.stdout + proc.stderr
