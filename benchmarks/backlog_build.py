"""A backlog narrated from scratch by the fast path: the whole `nikola build` of a site of many posts,
this checkout beside another commit's nikola_tts, phase by phase (benchmarks/qwen_build.py's).

    python3 benchmarks/backlog_build.py [--posts 12] [--before 0e1db53]     # GPU: the random full-size checkpoint
    python3 benchmarks/backlog_build.py --tiny --posts 4 --slots 16         # CPU smoke test, tiny checkpoint

What it is for: a backlog larger than the fast path's slots is queued in waves, post after post
(scheduler.py), so that the posts' MP3s are encoded (ahead.py, at a lower CPU priority) while the
rest is narrated; before, every post was narrated through only at the end, and all the MP3s came
after. The "mp3s" column (the narration's end to the last MP3 published) is what that changes;
"narrate" says what the waves cost the GPU, and whether the encoders beside it slowed it.

The site: --posts posts, the corpus posts (../shared/corpus/*.html) in turn, each copy's paragraphs
begun with its own words, so that no segment is shared between posts (the cache would speak it
once). Every segment is held to its read-aloud length (fixed_cps: random weights never say
"stop"). Each way builds its own copy of the site from an empty cache, in a fresh process whose
nikola_tts comes first on PYTHONPATH: this checkout's, or --before's read from git.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from publish_edit import package_of  # noqa: E402
from qwen_build import DEFAULT_CORPUS, HEADER, POSTS, build, checkpoint_for, site_conf, summary  # noqa: E402


def backlog_site(root: Path, model: Path, corpus: Path, posts: int, fixed_cps: float, slots: int | None,
                 fast: object) -> Path:
    (root / "posts").mkdir(parents=True)
    conf = site_conf(model, fast, {"fixed_cps": fixed_cps})
    (root / "conf.py").write_text(conf + (f"TTS_BATCH_SIZE = {slots}\n" if slots else ""), encoding="utf-8")
    for copy in range(posts):
        name = POSTS[copy % len(POSTS)]
        html = (corpus / name).read_text(encoding="utf-8")
        html = re.sub(r"^\.\. slug: (.+)$", rf".. slug: \1-{copy}", html, count=1, flags=re.M)
        html = re.sub(r"^\.\. title: (.+)$", rf".. title: \1 ({copy})", html, count=1, flags=re.M)
        head, _, body = html.partition("-->")
        body = re.sub(r"<(p|li|h[1-6])>", rf"<\1>Copy {copy}: ", body)
        (root / "posts" / f"{copy:03d}-{name}").write_text(head + "-->" + body, encoding="utf-8")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=12)
    parser.add_argument("--runs", type=int, default=1, help="builds of each way, taken in turns")
    parser.add_argument("--before", default="0e1db53", help="the commit whose nikola_tts is timed beside this one (or a folder holding it: publish_edit.package_of)")
    parser.add_argument("--model", type=Path, help="checkpoint folder (default: a random full-size one)")
    parser.add_argument("--checkpoint", type=Path, default=Path("/tmp/qwen3-tts-random-full"),
                        help="where the random checkpoint is written (once)")
    parser.add_argument("--tiny", action="store_true", help="the tests' tiny checkpoint, on the CPU (smoke test)")
    parser.add_argument("--slots", type=int, help="TTS_BATCH_SIZE: the fast path's slots (default: as memory allows)")
    parser.add_argument("--fixed-cps", type=float, default=16.0, help="characters per second of audio")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "/tmp")) / "backlog-build")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("NIKOLA_MONO", None)
    root = Path(tempfile.mkdtemp(prefix="backlog-build-"))
    model = checkpoint_for(args, env)
    packages = {"this checkout": REPO, args.before: package_of(args.before, root / "before")}
    print(HEADER, flush=True)
    rows = []
    for run in range(args.runs):
        for name, package in list(packages.items())[::1 if run % 2 == 0 else -1]:  # in turns: A B, then B A
            site = backlog_site(root / f"site-{len(rows)}", model, args.corpus, args.posts, args.fixed_cps,
                                args.slots, True if args.tiny else "auto")  # the fast path on the CPU too
            way_env = dict(env, PYTHONPATH=os.pathsep.join([str(package), env.get("PYTHONPATH", "")]))
            rows.append(build(site, f"{args.posts} posts: {name}", "fast", args.out, way_env))
            print(rows[-1].row(), flush=True)
            line = rows[-1].found(r"Qwen3-TTS fast path: \d+ segments")
            if line:
                print(f"    {line.strip()[:240]}", flush=True)
            shutil.rmtree(site, ignore_errors=True)
    summary("python3 benchmarks/backlog_build.py " + " ".join(sys.argv[1:]), rows)
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
