"""A whole `nikola build` of the three corpus posts (../shared/corpus/, CC BY-SA, used by path) from
an empty cache, narrated by espeak-ng, this checkout against the nikola_tts of an earlier commit,
in turns (A B A B ...) in one run. espeak-ng narrates the corpus's 49 minutes in about 3 s on two
cores, so the MP3s are most of such a build, as they are behind a GPU.

    python3 benchmarks/scratch_build.py [--before 81ae985] [--runs 4]

Each run deletes the site's output, cache and doit state first. Printed: the median wall and CPU
seconds (nikola and every ffmpeg and espeak-ng it ran), and the peak memory of the largest process.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
sys.path.insert(0, str(REPO / "tests" / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def corpus_site(root: Path) -> Path:
    from sites import BuiltSite

    site = BuiltSite(root)
    site.set_conf('TTS_ENGINE = "espeak"\n')
    for post in sorted(CORPUS.glob("*.html")):
        shutil.copy(post, site.root / "posts" / post.name)
    return site.root


def build_from_scratch(site: Path, package: Path | None) -> tuple[float, float, float]:
    """(wall s, CPU s, peak MiB of the largest process) of one `nikola build` from an empty cache."""
    for name in ("output", "tts_cache", "cache"):
        shutil.rmtree(site / name, ignore_errors=True)
    for state in site.glob(".doit.db*"):
        state.unlink()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(package or ""), str(REPO / "tests" / "support")])))
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "nikola", "build"], cwd=site, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)  # this build's own figures: it and what it waited for
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"nikola build failed in {site} (exit {proc.returncode})")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default="81ae985", help="the commit whose nikola_tts is 'before'")
    parser.add_argument("--runs", type=int, default=4)
    args = parser.parse_args()

    from publish_edit import package_of

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        before = package_of(args.before, tmp / "before")
        ways = {f"nikola_tts at {args.before}": (corpus_site(tmp / "site-before"), before),
                "this checkout": (corpus_site(tmp / "site-now"), None)}
        figures = {name: [] for name in ways}
        for name, (site, package) in ways.items():  # a warm-up of each: disk caches, compiled bytecode
            build_from_scratch(site, package)
        for _ in range(args.runs):
            for name, (site, package) in ways.items():
                figures[name].append(build_from_scratch(site, package))

    print(f"{os.cpu_count()} cores; the 3 corpus posts narrated by espeak-ng from an empty cache; "
          f"median of {args.runs} runs after one warm-up each")
    print("command: python3 benchmarks/scratch_build.py " + " ".join(sys.argv[1:]))
    print()
    print("| nikola_tts | wall | CPU (all processes) | peak memory (largest process) |")
    print("| --- | --- | --- | --- |")
    for name, runs in figures.items():
        print(f"| {name} | {statistics.median(r[0] for r in runs):.2f} s | {statistics.median(r[1] for r in runs):.1f} s"
              f" | {statistics.median(r[2] for r in runs):.0f} MiB |")
    then, now = (statistics.median(r[0] for r in runs) for runs in figures.values())
    print(f"\nwall, this checkout / before: {now / then:.2f}")


if __name__ == "__main__":
    main()
