"""What a post's first MP3 spends finding its gain (mp3.first_gain: the loudness of the PCM through the limiter at
a few gains, and what the encoder takes from an excerpt), this checkout beside another tree, in turn.

    python3 benchmarks/gain_search.py [--post jevons-paradox.html] [--before COMMIT_OR_FOLDER] [--runs 5]
    python3 benchmarks/gain_search.py --save-audio post.flac        # the narration, for a machine without espeak-ng
    python3 benchmarks/gain_search.py --audio post.flac --before FOLDER

The narration is a real corpus post (../shared/corpus/, used by path) narrated by a real `nikola build` with
espeak-ng (publish_edit.narrate), or a FLAC saved from one. --before names a commit (its nikola_tts is read from
git) or a folder holding a nikola_tts (`git archive COMMIT nikola_tts | tar -x -C FOLDER`). Each tree runs in a
subprocess of its own; the table gives the median of --runs, every run and the gain found (dB).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "support"), str(REPO / "benchmarks")]


def narration(post: str, audio: str | None):
    """The post's narration as one Audio: from a FLAC, or narrated now with espeak-ng."""
    import soundfile

    from nikola_tts.audio.pcm import Audio

    if audio:
        samples, rate = soundfile.read(audio, dtype="int16")
        return Audio(samples.astype("<i2").tobytes(), rate)
    from publish_edit import CORPUS, narrate

    from nikola_tts.assemble import _Narration
    from nikola_tts.cache.manifest import load_manifest
    from nikola_tts.cache.segments import SegmentStore

    root = narrate(CORPUS / post, Path(tempfile.mkdtemp(prefix="gain-search-")))
    manifest = load_manifest(str(next((root / "tts_cache" / "manifests" / "en").glob("*.json"))))
    return _Narration(manifest.segments, SegmentStore(root / "tts_cache" / "segments"), 30.0).whole()


def time_first_gain(package: str, audio_file: str, runs: int) -> None:
    """(In the subprocess.) first_gain of the nikola_tts in `package` on the FLAC, `runs` times: JSON."""
    sys.path.insert(0, package)
    import soundfile

    from nikola_tts.audio import mp3
    from nikola_tts.audio.pcm import Audio

    assert Path(mp3.__file__).resolve().is_relative_to(Path(package).resolve()), mp3.__file__
    samples, rate = soundfile.read(audio_file, dtype="int16")
    audio = Audio(samples.astype("<i2").tobytes(), rate)
    seconds, gains = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            gains.append(mp3.first_gain(audio, -16.0, "64k", folder))
            seconds.append(time.perf_counter() - started)
    print(json.dumps({"seconds": seconds, "gains": gains}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--post", default="jevons-paradox.html")
    parser.add_argument("--audio", help="a FLAC of the narration (made with --save-audio) instead of narrating")
    parser.add_argument("--save-audio", help="write the narration to this FLAC and stop")
    parser.add_argument("--before", help="a commit, or a folder holding a nikola_tts, timed beside this checkout")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--time-first-gain", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.time_first_gain:
        return time_first_gain(args.time_first_gain[0], args.time_first_gain[1], int(args.time_first_gain[2]))

    import numpy
    import soundfile

    audio = narration(args.post, args.audio)
    flac = args.save_audio or args.audio or os.path.join(tempfile.mkdtemp(prefix="gain-search-"), "post.flac")
    if not args.audio:
        soundfile.write(flac, numpy.frombuffer(audio.samples, dtype="<i2"), audio.sample_rate, subtype="PCM_16")
    if args.save_audio:
        print(f"wrote {flac}: {audio.seconds:.0f} s at {audio.sample_rate} Hz")
        return
    trees = [("this checkout", str(REPO))]
    if args.before:
        from publish_edit import package_of

        folder = Path(tempfile.mkdtemp(prefix="gain-search-before-")) / "tree"
        before = package_of(args.before, folder, paths=("nikola_tts",))
        trees.insert(0, (f"before ({args.before})", str(before)))
    print(f"command: python3 benchmarks/{' '.join([Path(sys.argv[0]).name] + sys.argv[1:])}")
    print(f"{audio.seconds:.0f} s of narration at {audio.sample_rate} Hz, {os.cpu_count()} cores, median of {args.runs}")
    print("\n| tree | first_gain | runs | gain (dB) |\n| --- | --- | --- | --- |")
    for label, package in trees:
        out = subprocess.run([sys.executable, __file__, "--time-first-gain", package, flac, str(args.runs)],
                             capture_output=True, text=True, check=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        gains = sorted({round(g, 3) for g in result["gains"] if g is not None}) or ["none"]
        print(f"| {label} | {statistics.median(result['seconds']):.2f} s | "
              f"{', '.join(f'{s:.2f}' for s in result['seconds'])} | {', '.join(map(str, gains))} |", flush=True)


if __name__ == "__main__":
    main()
