"""Storing a pass's segments: how fast the segment cache takes what an engine hands it, by writer threads.

    python benchmarks/segment_store.py                   # 170 segments, 1 and 2 writers (and 4 where there are the cores)
    python benchmarks/segment_store.py --writers 1,2,4 --runs 3

A GPU hands over a scratch build's 170 segments (52 minutes of audio) within seconds; each is encoded as
FLAC and written by the synthesis pass's storing threads (synthesis._Storing), and the engine's caller waits
whenever 32 are queued. This hands the same segments (speech-like audio of the corpus segments' lengths at 24
kHz: a voiced tone with noise, which FLAC compresses as it does speech) to the pass's own storing code as fast
as it takes them, and times it from the first segment to the last one settled, median of --runs, each into a
fresh folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]

RATE = 24000


def segment_seconds(count: int) -> list[float]:
    """Lengths like the corpus's paragraphs at 16 characters a second: 4 to 40 s, 18.5 s on average."""
    import numpy as np

    rng = np.random.default_rng(5)
    return [float(s) for s in np.clip(rng.gamma(4.0, 18.5 / 4.0, count), 4.0, 40.0)]


def speech_like(seconds: float, seed: int):
    from nikola_tts.audio.pcm import Audio
    import numpy as np

    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    voiced = np.sin(2 * np.pi * 140 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)) * 9000
    return Audio((voiced + rng.normal(0, 400, len(t))).astype("<i2").tobytes(), RATE)


def store_all(segments, writers: int, folder: Path) -> float:
    from nikola_tts.cache.segments import SegmentStore
    from nikola_tts.synthesis import SynthesisJob, _Storing

    store = SegmentStore(folder)
    settled = []
    storing = _Storing(lambda job, audio: store.store(job.key, audio), lambda job, audio: settled.append(job.key),
                       writers)
    started = time.perf_counter()
    for i, audio in enumerate(segments):
        storing.put(SynthesisJob(f"{i:064x}", "", "", "", "bench", frozenset()), audio)
    storing.close()
    assert len(settled) == len(segments)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segments", type=int, default=170)
    parser.add_argument("--writers", default=None, help="comma-separated thread counts (default: 1, 2 and 4 if the cores allow)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from nikola_tts.synthesis import storing_threads

    cpus = os.cpu_count() or 1
    counts = [int(n) for n in args.writers.split(",")] if args.writers else [n for n in (1, 2, 4) if n == 1 or n <= cpus]
    seconds = segment_seconds(args.segments)
    segments = [speech_like(s, i) for i, s in enumerate(seconds)]
    print(f"# command: python benchmarks/segment_store.py {' '.join(sys.argv[1:])}")
    print(f"# {cpus} cores; the pass would use {storing_threads()} writer(s) here; {len(segments)} segments, "
          f"{sum(seconds) / 60:.1f} min of audio; median of {args.runs}, runs taken in turn")
    times = {n: [] for n in counts}
    for _ in range(args.runs):
        for n in counts:
            with tempfile.TemporaryDirectory() as folder:
                times[n].append(store_all(segments, n, Path(folder)))
    base = statistics.median(times[counts[0]])
    print("\n| writers | stored in | segments a second | against 1 writer |\n| --- | --- | --- | --- |")
    for n in counts:
        median = statistics.median(times[n])
        print(f"| {n} | {median:.2f} s | {len(segments) / median:.0f} | {base / median:.2f}x |")


if __name__ == "__main__":
    main()
