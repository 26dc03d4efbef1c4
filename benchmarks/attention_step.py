"""A new token's attention (kernels._attend_new_kernel) alone, in each launch tile, at the frame step's shapes.

    python3 benchmarks/attention_step.py [--batches 1,16,64,169] [--lengths 64,256,512]      # NVIDIA GPU

Why: at 169 slots the talker's attention over its key/value caches was the largest item of a frame step's
profile (3.6 ms of 8.9 in session 11's `qwen_rtf.py --methods fast-profile`), and the kernel has run in one
launch tile since it was written (64 positions a loop step, 4 warps, 3 stages). Each row here is 28 calls (one
frame's talker layers, each layer its own cache) captured as a CUDA graph and replayed; it prints the time a
call, and the cache bytes a call reads over that time. The caches are the talker's: 16 query heads over 8
key/value heads of 128, 640 positions a slot (--capacity); each slot's last position is drawn around
--lengths (the ragged caches of a real run: +-50 %). The outputs of every tile are checked against the
default tile's. --splits times the kernel that cuts each row's positions into ranges (kernels.TritonOps's
attend_splits) with each tile too. Prints a table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]

HEADS, KV_HEADS, DIM, LAYERS = 16, 8, 128, 28


def inputs(batch: int, length: int, capacity: int, device):
    g = torch.Generator(device=device).manual_seed(batch * 1000 + length)
    rows = torch.randn(batch, 1, (HEADS + 2 * KV_HEADS) * DIM, device=device, generator=g).to(torch.bfloat16)
    q = rows[..., :HEADS * DIM].view(batch, 1, HEADS, DIM)
    k = rows[..., HEADS * DIM:(HEADS + KV_HEADS) * DIM].view(batch, 1, KV_HEADS, DIM)
    v = rows[..., (HEADS + KV_HEADS) * DIM:].view(batch, 1, KV_HEADS, DIM)
    norm = torch.ones(DIM, device=device, dtype=torch.bfloat16)
    angle = torch.rand(batch, 1, DIM, device=device, generator=g)
    cos, sin = angle.cos().to(torch.bfloat16), angle.sin().to(torch.bfloat16)
    caches = [(torch.randn(batch, KV_HEADS, capacity, DIM, device=device, generator=g).to(torch.bfloat16),
               torch.randn(batch, KV_HEADS, capacity, DIM, device=device, generator=g).to(torch.bfloat16))
              for _ in range(LAYERS)]
    spread = torch.rand(batch, device=device, generator=g) + 0.5
    positions = (length * spread).long().clamp(0, capacity - 1)
    return q, k, v, norm, cos, sin, caches, positions


def timed_graph(step, repeat: int) -> float:
    """Seconds per call of `step` (LAYERS calls), replayed as one CUDA graph."""
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        step()  # compiles
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, stream=stream):
            step()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    graph.replay()
    start.record()
    for _ in range(repeat):
        graph.replay()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / 1000 / repeat / LAYERS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", default="1,16,64,169")
    parser.add_argument("--lengths", default="64,256,512", help="typical last position of a slot's cache")
    parser.add_argument("--capacity", type=int, default=640)
    parser.add_argument("--tiles", default="64.4.3,32.4.3,128.4.3,64.2.3,64.8.3,64.4.2,64.4.4,128.8.3,32.2.2,"
                                           "128.4.2,32.4.4,64.2.4",
                        help="t.warps.stages, the first one the baseline")
    parser.add_argument("--splits", default="1",
                        help="kernels.TritonOps's attend_splits to time with every tile (1: one program a head)")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    from nikola_tts.engines.qwen.fast import kernels

    device = torch.device("cuda")
    tiles = [kernels.AttendTile(*(int(n) for n in t.split("."))) for t in args.tiles.split(",")]
    ways = [(tile, splits, kernels.TritonOps(attend_splits=splits)) for splits in map(int, args.splits.split(","))
            for tile in tiles]
    print(f"# command: python benchmarks/attention_step.py {' '.join(sys.argv[1:])}")
    print(f"# device: {torch.cuda.get_device_name(device)}, torch {torch.__version__}")
    rows = []
    for batch, length in itertools.product([int(b) for b in args.batches.split(",")],
                                           [int(n) for n in args.lengths.split(",")]):
        q, k, v, norm, cos, sin, caches, positions = inputs(batch, length, args.capacity, device)
        read = int((positions + 1).sum()) * KV_HEADS * DIM * 2 * 2  # keys and values, bfloat16
        reference = None
        for tile, splits, ops in ways:
            kernels.ATTEND_TILE = tile
            name = f"{tile.t}.{tile.warps}.{tile.stages}/{splits}"

            def step(ops=ops):
                return [ops.attend_new(q, k, v, norm, norm, 1e-6, cos, sin, kc, vc, positions, DIM ** -0.5)
                        for kc, vc in caches]

            try:
                out = step()[0]
                if reference is None:
                    reference = out
                error = float((out.float() - reference.float()).norm() / reference.float().norm())
                seconds = timed_graph(step, args.repeat)
            except Exception as exc:  # noqa: BLE001 (a tile this GPU cannot run: say so, time the rest)
                print(f"batch {batch:3d}, ~{length:3d} positions, tile {name}: "
                      f"failed: {type(exc).__name__}: {exc}", flush=True)
                continue
            rows.append((batch, length, name, seconds, read / seconds / 1e9, error))
            print(f"batch {batch:3d}, ~{length:3d} positions, tile {name:>10}: "
                  f"{1e6 * seconds:8.2f} us a call, {read / seconds / 1e9:7.0f} GB/s, relative difference {error:.1e}",
                  flush=True)
    print("\nbatch  positions  tile (t.warps.stages/ranges)   us a call    GB/s   against the first")
    for batch, length, tile, seconds, rate, error in rows:
        base = next(r[3] for r in rows if r[0] == batch and r[1] == length)
        print(f"{batch:5d}  {length:9d}  {tile:>26}   {1e6 * seconds:9.2f}  {rate:6.0f}"
              f"   {base / seconds:5.2f}x")
    for batch, length in dict.fromkeys((r[0], r[1]) for r in rows):
        best = min((r for r in rows if r[0] == batch and r[1] == length), key=lambda r: r[3])
        print(f"best at batch {batch}, ~{length} positions: {best[2]}")


if __name__ == "__main__":
    main()
