"""When each post of a backlog is narrated through, as the fast path's scheduler orders its queue:
the scheduler's own code (nikola_tts/engines/qwen/fast/scheduler.py) run over a backlog's real
segment lengths, with the device replaced by arithmetic. No GPU, no model.

    python3 benchmarks/fast_waves.py [--posts 30] [--slots 256] [--before 5482a2d]

The backlog: the three corpus posts (../shared/corpus/*.html, extracted and segmented as a build
does), repeated to --posts posts, in a build's order. Every segment speaks its expected frames
(batching.expected_frames: 15 characters a second). A frame step of b slots is modelled as the
H200's: 6.6 ms + 25 us a slot (scheduler.py's figures: 6.6 ms at 1 slot, 10.8 ms at 169); the
counts (frame steps, slot-frames) are exact, the seconds are that model's. Rows: this checkout's
scheduler, and --before's (its scheduler.py read from git), on the same backlog.

A post's MP3 can be encoded once its last segment is narrated (ahead.py): the columns say when the
first post, the median post and the last were narrated through, against the whole narration.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]
CORPUS = REPO.parent / "shared" / "corpus"
BASE_STEP_S = 6.6e-3  # one slot, H200 (scheduler.py)
SLOT_STEP_S = 25e-6


def corpus_posts(folder: Path) -> list[list[int]]:
    """Each corpus post's segments, as characters, as a build segments them."""
    import re

    from nikola_tts.text.extract import extract_blocks
    from nikola_tts.text.segment import split_into_segments

    posts = []
    for path in sorted(folder.glob("*.html")):
        html = path.read_text(encoding="utf-8")
        title = re.search(r"^\.\. title: (.+)$", html, re.M)
        segments = split_into_segments(extract_blocks(html), 600, title=title.group(1) if title else None)
        posts.append([len(s.text) for s in segments])
    return posts


def scheduler_of(commit: str | None):
    """scheduler.py of this checkout, or as `commit` had it."""
    if commit is None:
        from nikola_tts.engines.qwen.fast import scheduler

        return scheduler
    from publish_edit import module_of

    return module_of(commit, "nikola_tts/engines/qwen/fast/scheduler.py", "scheduler_before")


def narrate(module, posts: list[list[int]], slots: int) -> tuple[list[float], float, int, int]:
    """Run the scheduler over the backlog: (when each post was narrated through, the narration's end,
    frame steps, slot-frames stepped), in modelled seconds."""
    from nikola_tts.engines.qwen import batching
    from nikola_tts.engines.qwen.fast.graphs import batch_sizes
    from nikola_tts.engines.qwen.fast.sequence import Sequence

    sequences, owner = [], []
    for p, post in enumerate(posts):
        for chars in post:
            frames = batching.expected_frames(chars)
            sequences.append(Sequence(len(sequences), None, batching.frame_limit(chars), key=len(sequences),
                                      expected=frames))
            owner.append(p)
    speaks = {seq.index: seq.expected for seq in sequences}
    count = min(slots, len(sequences))
    scheduler = module.Scheduler(count, batch_sizes(count), check_every=8)  # every graph size costs nothing
    scheduler.add(sequences)
    clock, steps, stepped = 0.0, 0, 0
    left = [len(post) for post in posts]
    done_at = [0.0] * len(posts)
    spoken = {}  # slot -> frames spoken by the sequence in it
    while not scheduler.is_finished():
        plan = scheduler.schedule()
        for group in plan.prefills:
            for seq in group:
                spoken[seq.slot] = 0
        for src, dst in plan.moves:
            spoken[dst] = spoken.pop(src)
        for slot, seq in scheduler.running.items():
            spoken[slot] = min(spoken[slot] + plan.frames, speaks[seq.index])
        clock += plan.frames * (BASE_STEP_S + SLOT_STEP_S * plan.size)
        steps += plan.frames
        stepped += plan.frames * plan.size
        active = [slot in scheduler.running and spoken[slot] < speaks[scheduler.running[slot].index]
                  for slot in range(plan.size)]
        frames = [spoken.get(slot, 0) for slot in range(plan.size)]
        for seq in scheduler.postprocess(plan, active, frames):
            p = owner[seq.index]
            left[p] -= 1
            if not left[p]:
                done_at[p] = clock
    return done_at, clock, steps, stepped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=30)
    parser.add_argument("--slots", type=int, default=256, help="the fast path's slot count (MAX_SLOTS: 256)")
    parser.add_argument("--before", default="5482a2d", help="the commit whose scheduler is compared")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    corpus = corpus_posts(args.corpus)
    posts = [corpus[i % len(corpus)] for i in range(args.posts)]
    segments, chars = sum(map(len, posts)), sum(map(sum, posts))
    print(f"{args.posts} posts ({segments} segments, {chars / 15 / 3600:.1f} h of audio at 15 characters a second), "
          f"{args.slots} slots; frame step modelled as {BASE_STEP_S * 1e3:.1f} ms + {SLOT_STEP_S * 1e6:.0f} us a slot")
    print("command: python3 benchmarks/fast_waves.py " + " ".join(sys.argv[1:]))
    print()
    print("| scheduler | frame steps | slot-frames | narration | first post through | median post | last post |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, commit in (("this checkout", None), (args.before, args.before)):
        done_at, end, steps, stepped = narrate(scheduler_of(commit), posts, args.slots)
        first, median = min(done_at), statistics.median(done_at)
        print(f"| {name} | {steps:,} | {stepped:,} | {end:.1f} s | {first:.1f} s ({first / end:.0%}) | "
              f"{median:.1f} s ({median / end:.0%}) | {max(done_at):.1f} s |")


if __name__ == "__main__":
    main()
