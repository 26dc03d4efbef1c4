"""What publishing a post's MP3 costs, before and after it was made in parts, measured side by
side in one run on a real corpus post (../shared/corpus/, CC BY-SA, used by path) narrated by a
real `nikola build` with espeak-ng.

    python3 benchmarks/publish_edit.py [--post jevons-paradox.html] [--runs 3] [--before 88c94e8]
                                       [--parts-before 2b22d05]

Rows: the post's first MP3, and its MP3 after one paragraph was edited (one segment's audio
replaced under a new key, as an edit does). "before" is the encoder of commit --before (one
encode of the whole joined post, read from git history); "parts" is this checkout's assemble(),
on as many cores as the machine has; with --parts-before, the assemble() of that commit too (its
nikola_tts read from git, run in a subprocess that times the same two calls). Each figure is the
median of --runs, in a fresh cache. The loudness column is the published MP3's, measured by
ffmpeg's ebur128.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
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
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "support"))


def narrate(post: Path, root: Path) -> Path:
    from sites import BuiltSite

    site = BuiltSite(root)
    site.set_conf('TTS_ENGINE = "espeak"\n')
    shutil.copy(post, site.root / "posts" / post.name)
    site.build()
    return site.root


def module_of(commit: str, path: str, name: str):
    """The file at `path` in the repository as `commit` had it, imported as module `name`."""
    source = subprocess.run(["git", "-C", str(REPO), "show", f"{commit}:{path}"],
                            capture_output=True, text=True, check=True).stdout
    file = Path(tempfile.mkdtemp()) / f"{name}.py"
    file.write_text(source)
    spec = importlib.util.spec_from_file_location(name, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def encoder_of(commit: str):
    """audio/mp3.py as commit had it, as a module."""
    return module_of(commit, "nikola_tts/audio/mp3.py", "mp3_before")


def edited(segments, store, index: int):
    """The same narration with segment `index` spoken differently (another segment's audio, a new key)."""
    import dataclasses
    import hashlib

    donor = store.load(segments[(index + 7) % len(segments)].key)
    key = hashlib.sha256(f"edited {index}".encode()).hexdigest()
    store.store(key, donor)
    return tuple(dataclasses.replace(s, key=key) if i == index else s for i, s in enumerate(segments))


def package_of(commit: str, into: Path, paths=("nikola_tts", "templates", "assets")) -> Path:
    """nikola_tts as commit had it, with the templates and assets a build reads from beside it in a
    checkout (or other `paths`), extracted into a folder to put first on sys.path or PYTHONPATH.
    A commit that names a folder is that folder, extracted already (`git archive COMMIT nikola_tts
    templates assets | tar -x -C FOLDER`: for a machine whose copy of the checkout has no .git)."""
    if Path(commit).is_dir():
        return Path(commit).resolve()
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, *paths], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def time_assemble_in(package: Path, site: Path, edited_index: int, edited_key: str, folder: Path) -> dict:
    """Run this file in a subprocess whose nikola_tts is `package`: the first MP3, then the edit."""
    out = subprocess.run([sys.executable, __file__, "--time-assemble", str(package), str(site), str(edited_index),
                          edited_key, str(folder)], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def time_assemble(package: str, site: str, edited_index: str, edited_key: str, folder: str) -> None:
    """(In the subprocess.) Time assemble() of the nikola_tts in `package`, print JSON."""
    import dataclasses

    sys.path.insert(0, package)  # ahead of this checkout, which the top of this file put first

    from nikola_tts.assemble import assemble
    from nikola_tts.cache.encoded import PartStore
    from nikola_tts.cache.manifest import load_manifest
    from nikola_tts.cache.segments import SegmentStore

    root, folder = Path(site), Path(folder)
    manifest = load_manifest(str(next((root / "tts_cache" / "manifests" / "en").glob("*.json"))))
    store = SegmentStore(root / "tts_cache" / "segments")
    segments = manifest.segments
    changed = tuple(dataclasses.replace(s, key=edited_key) if i == int(edited_index) else s
                    for i, s in enumerate(segments))
    parts = PartStore(folder / "encoded")
    times = {}
    for name, narration in (("first MP3", segments), ("after one paragraph edited", changed)):
        times[name], _ = timed(lambda: assemble(narration, store, parts, folder / "parts.mp3", manifest.tags,
                                                manifest.encoding, folder / "scratch"))
    import nikola_tts

    assert Path(nikola_tts.__file__).is_relative_to(package), nikola_tts.__file__
    print(json.dumps(times))


def timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--post", default="jevons-paradox.html")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", default="88c94e8", help="the commit whose encoder is 'before'")
    parser.add_argument("--parts-before", help="a commit whose assemble() (parts) is timed beside this checkout's")
    parser.add_argument("--time-assemble", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.time_assemble:
        return time_assemble(*args.time_assemble)

    from sites import loudness

    from nikola_tts.assemble import assemble
    from nikola_tts.audio.join import join_timed
    from nikola_tts.cache.encoded import PartStore
    from nikola_tts.cache.manifest import load_manifest
    from nikola_tts.cache.segments import SegmentStore

    before = encoder_of(args.before)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"narrating {args.post} with espeak-ng (a real nikola build)...", flush=True)
        root = narrate(CORPUS / args.post, tmp / "site")
        manifest = load_manifest(str(next((root / "tts_cache" / "manifests" / "en").glob("*.json"))))
        store = SegmentStore(root / "tts_cache" / "segments")
        segments = manifest.segments
        middle = len(segments) // 2
        changed = edited(segments, store, middle)
        seconds = join_timed((store.load(s.key), s.pause_after) for s in segments).audio.seconds
        earlier = package_of(args.parts_before, tmp / "parts-before") if args.parts_before else None

        def old(narration, dest):
            audio = join_timed((store.load(s.key), s.pause_after) for s in narration).audio
            before.encode_mp3(audio, dest, manifest.tags, bitrate=manifest.encoding.bitrate,
                              loudness=manifest.encoding.loudness, tmp_dir=tmp / "scratch")

        names = ("first MP3", "after one paragraph edited")
        rows = {name: {"before": [], "parts before": [], "parts": []} for name in names}
        loud = {}
        counts = {}
        for run in range(args.runs):
            folder = tmp / f"run{run}"
            parts = PartStore(folder / "encoded")
            if earlier:
                times = time_assemble_in(earlier, root, middle, changed[middle].key, folder / "parts-before")
                for name in names:
                    rows[name]["parts before"].append(times[name])
            for name, narration in zip(names, (segments, changed)):
                t, _ = timed(lambda: old(narration, folder / "before.mp3"))
                rows[name]["before"].append(t)
                t, made = timed(lambda: assemble(narration, store, parts, folder / "parts.mp3", manifest.tags,
                                                 manifest.encoding, tmp / "scratch"))
                rows[name]["parts"].append(t)
                counts[name] = (made.encoded, made.parts)
                loud[name] = (loudness(folder / "before.mp3")[0], loudness(folder / "parts.mp3")[0])

    print(f"\n{args.post}: {seconds / 60:.1f} min of espeak-ng audio, {len(segments)} segments; "
          f"{os.cpu_count()} cores; median of {args.runs} runs")
    print("command: python3 benchmarks/publish_edit.py " + " ".join(sys.argv[1:]))
    print()
    then = f" | parts at {args.parts_before} | speed-up over it" if earlier else ""
    print(f"| MP3 | before (whole post, one encode) | parts | parts encoded | speed-up{then} | loudness before / parts |")
    print("| --- | --- | --- | --- | ---" + (" | --- | ---" if earlier else "") + " | --- |")
    for name, row in rows.items():
        b, p = statistics.median(row["before"]), statistics.median(row["parts"])
        encoded, total = counts[name]
        also = ""
        if earlier:
            e = statistics.median(row["parts before"])
            also = f" | {e:.2f} s | {e / p:.2f}x"
        print(f"| {name} | {b:.2f} s | {p:.2f} s | {encoded} of {total} | {b / p:.1f}x{also} | "
              f"{loud[name][0]:.1f} / {loud[name][1]:.1f} LUFS |")

if __name__ == "__main__":
    main()
