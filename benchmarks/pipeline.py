"""Pipeline figures on the demo site, measured side by side in one run.

    python3 benchmarks/pipeline.py [--runs 5]

1. no-op `nikola build` time with and without the plugin (same site, both already built);
2. espeak-ng's realtime factor over the demo site's first full narration;
3. audio seconds synthesized for a one-paragraph edit versus the whole post.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "examples" / "demo-site"
PLUGIN_LINE = "EXTRA_PLUGINS_DIRS = [nikola_tts.PLUGIN_DIR]"


def copy_site(dest: Path, plugin: bool) -> Path:
    shutil.copytree(DEMO, dest, ignore=shutil.ignore_patterns("output", "cache", "tts_cache", ".doit.db*"))
    conf = dest / "conf.py"
    text = conf.read_text(encoding="utf-8")
    if not plugin:
        text = text.replace(PLUGIN_LINE, "EXTRA_PLUGINS_DIRS = []")
    text += '\nTTS_ENGINE = "espeak"\n'  # measure espeak-ng whatever this machine has
    conf.write_text(text, encoding="utf-8")
    return dest


def build(site: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nikola", "build"], cwd=site, check=True, capture_output=True)
    return time.perf_counter() - start


def synthesized_seconds(site: Path) -> float:
    """Audio seconds in the segment cache (every synthesized segment lands there exactly once)."""
    from nikola_tts.cache.segments import SegmentStore

    store = SegmentStore(site / "tts_cache" / "segments")
    return sum(store.load(s.key).seconds for s in {s.key: s for s in store.stored()}.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        with_plugin = copy_site(Path(tmp) / "with", plugin=True)
        without = copy_site(Path(tmp) / "without", plugin=False)

        first_with = build(with_plugin)
        first_without = build(without)
        stats = json.loads((with_plugin / "tts_cache" / "stats.json").read_text())["espeak"]

        noop_with, noop_without = [], []
        for _ in range(args.runs):  # interleaved so drift affects both alike
            noop_without.append(build(without))
            noop_with.append(build(with_plugin))

        post = with_plugin / "posts" / "building-a-silent-home-server.md"
        whole = json.loads(next((with_plugin / "tts_cache" / "published" / "en").glob("*silent-home-server*")).read_text())
        before = synthesized_seconds(with_plugin)
        text = post.read_text(encoding="utf-8")
        paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip() and p[0].isalpha()]
        target = paragraphs[len(paragraphs) // 2]
        post.write_text(text.replace(target, target.rstrip(".") + ", and it stays that way."), encoding="utf-8")
        edit_build = build(with_plugin)
        edited = synthesized_seconds(with_plugin) - before

    mw, mo = statistics.median(noop_with), statistics.median(noop_without)
    print(f"demo site: {DEMO.relative_to(REPO)}   ({args.runs} no-op runs each, interleaved; medians)")
    print()
    print("| measurement | without plugin | with plugin | ratio |")
    print("| --- | --- | --- | --- |")
    print(f"| first build (s) | {first_without:.2f} | {first_with:.2f} | {first_with / first_without:.2f} |")
    print(f"| no-op rebuild (s) | {mo:.2f} | {mw:.2f} | {mw / mo:.3f} |")
    print()
    print("| espeak-ng narration | value |")
    print("| --- | --- |")
    print(f"| realtime factor (wall s per audio s) | {stats['realtime_factor']:.4f} |")
    print(f"| x realtime | {1 / stats['realtime_factor']:.0f} |")
    print()
    print("| one-paragraph edit of building-a-silent-home-server | audio seconds |")
    print("| --- | --- |")
    print(f"| whole post (published MP3) | {whole['duration']:.1f} |")
    print(f"| synthesized for the edit | {edited:.1f} |")
    print(f"| rebuild after the edit, wall | {edit_build:.2f} s |")


if __name__ == "__main__":
    main()
