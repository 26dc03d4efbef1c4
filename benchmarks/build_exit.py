"""What a narrating build spends after its last task: from the last line `nikola build` prints to the
end of its process, for this checkout beside another commit's nikola_tts, builds taken in turn.

    python3 benchmarks/build_exit.py [--before 991ca66] [--runs 5]          # CPU: the tests' tiny checkpoint
    python3 benchmarks/build_exit.py --model /tmp/qwen3-tts-random-full      # a GPU, the full-size one

Every build loads the model: each adds a new one-paragraph post to a real Nikola site, so that one
segment is stale, and the site's Qwen3-TTS engine (fast path "auto") narrates it. The model is held
to its read-aloud length (TTS_ENGINE_OPTIONS fixed_cps; random weights never say "stop"). A build
runs in a fresh `python -m nikola build` process whose nikola_tts comes first on PYTHONPATH: this
checkout's, or --before's read from git. Columns: the median of --runs builds of each, wall time
and exit (the last printed line to the process's end: Python's teardown, with torch and the
model in memory).
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
SUPPORT = REPO / "tests" / "support"
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from publish_edit import package_of  # noqa: E402
from qwen_build import site_conf  # noqa: E402


def timed_build(site: Path, package: Path, env: dict, number: int) -> tuple[float, float]:
    """(wall, exit) seconds of a build that narrates one new paragraph."""
    post = site / "posts" / f"run-{number}.html"
    post.write_text(f"<!--\n.. title: Run {number}\n.. slug: run-{number}\n.. date: 2026-01-02 10:00:00 UTC\n-->\n"
                    f"<p>Build number {number} narrates this paragraph, and nothing else is stale.</p>\n",
                    encoding="utf-8")
    env = dict(env, PYTHONPATH=os.pathsep.join([str(package), env.get("PYTHONPATH", "")]))
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "nikola", "build"], cwd=site, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)
    last, lines = started, []
    for line in proc.stdout:
        last = time.perf_counter()
        lines.append(line)
    code = proc.wait()
    ended = time.perf_counter()
    said = "".join(lines)
    if code != 0 or "Qwen3-TTS: loaded" not in said:
        sys.exit(f"the build with {package} did not narrate (exit {code}):\n{said[-2000:]}")
    return ended - started, ended - last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default="991ca66", help="the commit whose nikola_tts is timed beside this one (or a folder holding it: publish_edit.package_of)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model", type=Path, help="a checkpoint folder (default: the tests' tiny one, CPU)")
    parser.add_argument("--fixed-cps", type=float, default=None, help="characters per second of audio")
    args = parser.parse_args()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("NIKOLA_MONO", None)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.model:
            model, cps = args.model, args.fixed_cps or 16.0
        else:
            sys.path.insert(0, str(SUPPORT))
            from tiny_qwen import build_tiny_checkpoint

            model, cps = build_tiny_checkpoint(tmp / "tiny-qwen3-tts"), args.fixed_cps or 40.0
            env["OMP_NUM_THREADS"] = "1"  # tiny matrices: threads only add contention
        site = tmp / "site"
        (site / "posts").mkdir(parents=True)
        (site / "conf.py").write_text(site_conf(model, "auto", {"fixed_cps": cps}),
                                      encoding="utf-8")
        packages = {"this checkout": REPO, args.before: package_of(args.before, tmp / "before")}
        timed_build(site, REPO, env, 0)  # the site's first build renders every page: not counted
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in packages}
        for run in range(args.runs):
            for i, (name, package) in enumerate(packages.items()):
                times[name].append(timed_build(site, package, env, 1 + 2 * run + i))
        shutil.rmtree(site / "cache", ignore_errors=True)

    print(f"\nmodel {model if args.model else 'tiny (tests/support/tiny_qwen.py)'}; {os.cpu_count()} cores; "
          f"median of {args.runs} builds each, taken in turn")
    print("command: python3 benchmarks/build_exit.py " + " ".join(sys.argv[1:]))
    print()
    print("| nikola_tts | build, wall | last line -> process end |")
    print("| --- | --- | --- |")
    for name, rows in times.items():
        wall = statistics.median(w for w, _ in rows)
        exit_ = statistics.median(e for _, e in rows)
        print(f"| {name} | {wall:.2f} s | {exit_:.3f} s |")
    ours, theirs = (statistics.median(e for _, e in times[name]) for name in packages)
    print(f"\nexit: {theirs / ours:.1f}x shorter than {args.before}'s ({theirs:.3f} s -> {ours:.3f} s)")


if __name__ == "__main__":
    main()
