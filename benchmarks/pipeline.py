"""Pipeline figures on the demo site, measured side by side in one run.

    python3 benchmarks/pipeline.py [--runs 5]

1. no-op `nikola build` time with and without the plugin (same site, both already built);
2. espeak-ng's realtime factor over the demo site's first full narration;
3. audio seconds synthesized for a one-paragraph edit versus the whole post;
4. the text stage over the three corpus posts (../shared/corpus): extraction, normalization
   (first run in a fresh process, imports and model loading included; then warm) and segmentation.
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
CORPUS = REPO.parent / "shared" / "corpus"
# Run in a fresh interpreter, so the first normalization pays for every import, as a build does.
TEXT_STAGE = """
import json, statistics, sys, time
sys.path.insert(0, {benchmarks!r})
from pathlib import Path
from roundtrip_wer import read_post
from nikola_tts.text.blocks import Block
from nikola_tts.text.extract import extract_blocks
from nikola_tts.text.segment import split_into_segments
posts = [read_post(p) for p in sorted(Path({corpus!r}).glob("*.html"))]
t = time.perf_counter()
blocks = [[Block("title", title), *extract_blocks(body)] for title, body in posts]
extract = time.perf_counter() - t
t = time.perf_counter()
from nikola_tts.text.normalize.options import NormalizeOptions
from nikola_tts.text.normalize.stage import normalize_blocks
spoken = [normalize_blocks(b, NormalizeOptions()) for b in blocks]
first = time.perf_counter() - t
warm = []
for _ in range(5):
    t = time.perf_counter()
    spoken = [normalize_blocks(b, NormalizeOptions()) for b in blocks]
    warm.append(time.perf_counter() - t)
t = time.perf_counter()
segments = [split_into_segments(b, 1000) for b in spoken]
segment = time.perf_counter() - t
print(json.dumps({{"posts": len(posts), "chars": sum(len(b.text) for p in blocks for b in p),
                  "changes": sum(len(b.changes) for p in spoken for b in p), "extract": extract, "first": first,
                  "warm": statistics.median(warm), "segment": segment}}))
"""
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


def text_stage() -> dict | None:
    if not CORPUS.is_dir():
        return None
    code = TEXT_STAGE.format(benchmarks=str(REPO / "benchmarks"), corpus=str(CORPUS))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--text-only", action="store_true", help="only the text stage (4.)")
    args = parser.parse_args()
    text = text_stage()
    if text:
        print(f"text stage, {text['posts']} corpus posts, {text['chars']:,} characters, "
              f"{text['changes']} spans normalized:")
        print()
        print("| step | seconds |")
        print("| --- | --- |")
        print(f"| extraction | {text['extract']:.3f} |")
        print(f"| normalization, first (imports, language model) | {text['first']:.3f} |")
        print(f"| normalization, warm (median of 5) | {text['warm']:.3f} |")
        print(f"| segmentation | {text['segment']:.3f} |")
        print()
    if args.text_only:
        return
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
