"""The frame step's matrix-vector products at one to a few slots: cuBLAS beside a Triton GEMV.

    python3 benchmarks/small_gemv.py [--rows 1,2,4] [--repeat 64]      # NVIDIA GPU
    python3 benchmarks/small_gemv.py --fused [--repeat 64]             # the product's fused kernel, by config

Why: at batch 1 a frame is ~1,400 kernels for 5.3 GB of weights (the talker's 28 layers once, the
code predictor's 5 layers 15 times), and the profile (`qwen_rtf.py --methods fast-profile`) puts
most of its 5.5 ms of kernel time in cuBLAS's small-M GEMMs, some split in two launches (split-K
and its reduce). This asks, per weight shape of the 1.7B model, how far each launch is from the
memory bandwidth, and whether a one-launch Triton GEMV (optionally with the RMSNorm before it
fused in, which saves the norm's own launch) is closer.

Each variant is captured as a CUDA graph of --repeat calls that cycle through enough copies of
the weight to overflow the L2 cache (as a frame does), and replayed; a call's time is the
replay's over --repeat. The Triton kernel's outputs are checked against torch's (float32
accumulation both; max relative error printed). Nothing here is product code yet.

--fused times the product's own kernels instead (kernels._fused_gemv_kernel: the talker's norm or
SwiGLU and projection in one launch, what a frame of one slot runs 85 times; kernels._gemv_kernel:
its o, 28) at one row, each call a programmatic dependent of the one before as in a frame, by
(BLOCK_N, warps): the config the product picks (TritonOps._fused_blocks, gemv_blocks) first, then
the others, so a better one shows as a ratio.
"""

from __future__ import annotations

import argparse
import sys

import torch
import triton
import triton.language as tl

# (name, in features K, out features N): nn.Linear weights are [N, K]
SHAPES = [
    ("predictor qkv", 1024, 4096), ("predictor o", 2048, 1024), ("predictor gate_up", 1024, 6144),
    ("predictor down", 3072, 1024), ("predictor lm head", 1024, 2048), ("predictor projection", 2048, 1024),
    ("talker qkv", 2048, 4096), ("talker o", 2048, 2048), ("talker gate_up", 2048, 12288),
    ("talker down", 6144, 2048), ("talker codec head", 2048, 3072),
]
CONFIGS = [(bn, bk, w) for bn in (4, 8, 16, 32) for bk in (256, 512) for w in (4, 8)]
L2_OVERFLOW = 256 << 20  # bytes of distinct weights a graph cycles through


@triton.jit
def _gemv_kernel(x_ptr, w_ptr, y_ptr, nw_ptr, M, N, K, eps, NORM: tl.constexpr, BLOCK_M: tl.constexpr,
                 BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    """y[m, n] = sum_k xn[m, k] * w[n, k] for BLOCK_N outputs of every row m; with NORM, xn is x's
    RMSNorm times nw (each program normalizes the few rows itself: they are short)."""
    pid = tl.program_id(0)
    n = pid * BLOCK_N + tl.arange(0, BLOCK_N)
    m = tl.arange(0, BLOCK_M)
    n_ok, m_ok = n < N, m < M
    if NORM:
        sq = tl.zeros([BLOCK_M], tl.float32)
        for k0 in range(0, K, BLOCK_K):
            k = k0 + tl.arange(0, BLOCK_K)
            xv = tl.load(x_ptr + m[:, None] * K + k[None, :], mask=m_ok[:, None] & (k < K)[None, :], other=0.0)
            xf = xv.to(tl.float32)
            sq += tl.sum(xf * xf, axis=1)
        rstd = 1.0 / tl.sqrt(sq / K + eps)
    acc = tl.zeros([BLOCK_M, BLOCK_N], tl.float32)
    for k0 in range(0, K, BLOCK_K):
        k = k0 + tl.arange(0, BLOCK_K)
        k_ok = k < K
        xv = tl.load(x_ptr + m[:, None] * K + k[None, :], mask=m_ok[:, None] & k_ok[None, :], other=0.0)
        if NORM:
            xn = (xv.to(tl.float32) * rstd[:, None]).to(xv.dtype).to(tl.float32)
            xv = (xn * tl.load(nw_ptr + k, mask=k_ok, other=0.0).to(tl.float32)[None, :]).to(xv.dtype)
        wv = tl.load(w_ptr + n[:, None] * K + k[None, :], mask=n_ok[:, None] & k_ok[None, :], other=0.0)
        acc += tl.sum(xv.to(tl.float32)[:, None, :] * wv.to(tl.float32)[None, :, :], axis=2)
    tl.store(y_ptr + m[:, None] * N + n[None, :], acc.to(y_ptr.dtype.element_ty), mask=m_ok[:, None] & n_ok[None, :])


def gemv(x, w, y, config, norm_weight=None, eps=1e-6):
    rows, k = x.shape
    n = w.shape[0]
    bn, bk, warps = config
    _gemv_kernel[(triton.cdiv(n, bn),)](x, w, y, norm_weight if norm_weight is not None else x, rows, n, k, eps,
                                       NORM=norm_weight is not None, BLOCK_M=max(1, triton.next_power_of_2(rows)),
                                       BLOCK_N=bn, BLOCK_K=bk, num_warps=warps)


def rms_norm(x, weight, eps=1e-6):
    xf = x.float()
    return weight * (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)).to(x.dtype)


def per_call_us(step, repeat: int) -> float:
    """Microseconds per call of step(i) for i in range(repeat), captured as one graph and replayed."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for i in range(repeat):
            step(i)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for i in range(repeat):
            step(i)
    graph.replay()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    replays = 20
    start.record()
    for _ in range(replays):
        graph.replay()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) * 1000 / replays / repeat


# (name, K, weight rows N, input: 0 plain (_gemv_kernel's, or _fused_gemv_kernel's INPUT 0 with SwiGLU made ahead),
# 1 norm-fed, 2 SwiGLU-fed, SwiGLU out: gate_up's N / 2 outputs made SwiGLU in its launch (kernels.SWIGLU_FIRST))
FUSED_SHAPES = [("talker qkv", 2048, 4096, 1, False), ("talker gate_up", 2048, 12288, 1, False),
                ("talker down", 6144, 2048, 2, False), ("talker codec head", 2048, 3072, 1, False),
                ("talker o", 2048, 2048, 0, False), ("talker gate_up, SwiGLU out", 2048, 12288, 1, True),
                ("talker down of a SwiGLU made ahead", 6144, 2048, 0, True)]


def fused_configs(k: int) -> list[tuple[int, int, int]]:
    """(BLOCK_N, BLOCK_K, warps) for _fused_gemv_kernel or _gemv_kernel at one row: a whole row a program (BLOCK_K),
    8 to 128 weights a thread."""
    block_k = triton.next_power_of_2(k)
    return [(bn, block_k, w) for bn in (1, 2, 4, 8, 16, 32) for w in (2, 4, 8, 16)
            if 8 * 32 * w <= bn * block_k <= 128 * 32 * w]


def fused_main(repeat: int) -> None:
    """--fused: kernels._fused_gemv_kernel at the talker's shapes, one row, as dependent launches, by config."""
    from nikola_tts.engines.qwen.fast.kernels import TritonOps, _fused_gemv_kernel, _gemv_kernel

    dtype, device = torch.bfloat16, torch.device("cuda")
    ops = TritonOps(fused_rows=1, pdl=True)
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}, triton {triton.__version__}; "
          f"{repeat} dependent launches per graph over {L2_OVERFLOW >> 20} MiB of distinct weights; one row")
    print("command: python3 benchmarks/small_gemv.py " + " ".join(sys.argv[1:]))
    print()
    print("| shape (K -> N) | config (N, K, warps) | programs | us | GB/s | against the product's | max rel err |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, k, n, mode, swiglu in FUSED_SHAPES:
        copies = max(2, L2_OVERFLOW // (n * k * 2))
        weights = [torch.randn(n, k, device=device, dtype=dtype) * k ** -0.5 for _ in range(copies)]
        x = torch.randn(1, max(1, mode) * k, device=device, dtype=dtype)
        delta = torch.randn(1, max(1, mode) * k, device=device, dtype=dtype)
        norm_weight = (1 + 0.1 * torch.randn(k, device=device)).to(dtype)
        outputs = n // 2 if swiglu and mode == 1 else n
        total, y = torch.empty_like(x), torch.empty(1, outputs, device=device, dtype=dtype)

        def call(i, config):
            bn, bk, warps = config
            if mode == 0 and not swiglu:
                _gemv_kernel[(triton.cdiv(n, bn),)](x, weights[i % copies], y, y, y, 1, n, k, HAS_BIAS=False,
                                                    INDEXED=False, BLOCK_M=1, BLOCK_N=bn, BLOCK_K=bk,
                                                    num_warps=warps, PDL=True, launch_pdl=True)
                return y
            _fused_gemv_kernel[(triton.cdiv(outputs, bn),)](x, delta, norm_weight, weights[i % copies], total, y, 1,
                                                            outputs, k, 1e-6, INPUT=mode, HAS_DELTA=mode == 1,
                                                            BLOCK_M=1, BLOCK_N=bn, BLOCK_K=bk, num_warps=warps,
                                                            SWIGLU_OUT=swiglu and mode == 1, PDL=True, launch_pdl=True)
            return y

        if mode == 0 and not swiglu:
            product = ops.gemv_config(1, n, k, x)
        elif swiglu and mode == 1:
            product = ops.swiglu_out_blocks(x[:, :k], k, weights[0])
        else:  # as add_norm_mlp, silu_mul_linear and add_norm_linear ask (the first two a SwiGLU's tile for down)
            tile = (ops.swiglu_tile,) if mode != 1 else ()
            product = ops._fused_blocks(x[:, :k], k, weights[0], *tile)
        reference, first_us = None, None
        configs = fused_configs(k)
        if swiglu and mode == 1:  # two tiles of weights a program, a gate's and an up's
            configs = [(bn // 2, bk, w) for bn, bk, w in configs if bn > 1]
        for config in [product] + [c for c in configs if c != product]:
            try:
                us = per_call_us(lambda i: call(i, config), repeat)
            except Exception as exc:  # noqa: BLE001 (a config that does not compile or fit: say so, go on)
                print(f"  {name} {config}: {type(exc).__name__}", file=sys.stderr)
                continue
            out = call(0, config).float().clone()
            reference = out if reference is None else reference
            first_us = us if first_us is None else first_us
            err = ((out - reference).abs().max() / reference.abs().max()).item()
            mark = " (the product's)" if config == product else ""
            print(f"| {name} ({k} -> {n}) | {config}{mark} | {triton.cdiv(outputs, config[0])} | {us:.2f} | "
                  f"{n * k * 2 / 1e3 / us:.0f} | {first_us / us:.2f}x | {err:.1e} |", flush=True)
        weights.clear()
        torch.cuda.empty_cache()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1,2,4", help="comma-separated batch sizes (slots)")
    parser.add_argument("--repeat", type=int, default=64, help="calls per captured graph")
    parser.add_argument("--fused", action="store_true", help="the product's fused kernel at one row, by config")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("small_gemv.py needs an NVIDIA GPU")
    if args.fused:
        fused_main(args.repeat)
        return
    torch.manual_seed(0)
    dtype, device = torch.bfloat16, torch.device("cuda")
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}, triton {triton.__version__}; "
          f"{args.repeat} calls per graph over {L2_OVERFLOW >> 20} MiB of distinct weights")
    print("command: python3 benchmarks/small_gemv.py " + " ".join(sys.argv[1:]))
    print()
    print("| shape (K -> N) | rows | cuBLAS us | GB/s | Triton us | GB/s | best config (N, K, warps) | "
          "norm + cuBLAS us | norm fused in Triton us | max rel err |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    totals = {}
    for rows in [int(r) for r in args.rows.split(",")]:
        for name, k, n in SHAPES:
            copies = max(2, L2_OVERFLOW // (n * k * 2))
            weights = [torch.randn(n, k, device=device, dtype=dtype) * k ** -0.5 for _ in range(copies)]
            norm_weight = (1 + 0.1 * torch.randn(k, device=device)).to(dtype)
            x = torch.randn(rows, k, device=device, dtype=dtype)
            y = torch.empty(rows, n, device=device, dtype=dtype)
            mb = n * k * 2 / 1e6
            cublas = per_call_us(lambda i: torch.nn.functional.linear(x, weights[i % copies]), args.repeat)
            block_m = triton.next_power_of_2(rows)
            timed = []
            for config in [c for c in CONFIGS if block_m * c[0] * c[1] <= 128 * 32 * c[2]]:  # no register spills
                try:
                    timed.append((per_call_us(lambda i: gemv(x, weights[i % copies], y, config), args.repeat), config))
                except Exception as exc:  # noqa: BLE001 (a config that does not fit this shape: say so, go on)
                    print(f"  {name} {config}: {type(exc).__name__}", file=sys.stderr)
            best_us, best = min(timed)
            normed = per_call_us(lambda i: torch.nn.functional.linear(rms_norm(x, norm_weight), weights[i % copies]),
                                 args.repeat)
            fused = per_call_us(lambda i: gemv(x, weights[i % copies], y, best, norm_weight), args.repeat)
            reference = torch.nn.functional.linear(rms_norm(x, norm_weight).float(), weights[0].float())
            gemv(x, weights[0], y, best, norm_weight)
            err = ((y.float() - reference).abs().max() / reference.abs().max()).item()
            totals.setdefault(rows, [0.0, 0.0, 0.0, 0.0])
            for i, value in enumerate((cublas, best_us, normed, fused)):
                totals[rows][i] += value
            print(f"| {name} ({k} -> {n}) | {rows} | {cublas:.1f} | {mb * 1e3 / cublas:.0f} | {best_us:.1f} | "
                  f"{mb * 1e3 / best_us:.0f} | {best} | {normed:.1f} | {fused:.1f} | {err:.1e} |", flush=True)
            weights.clear()
            torch.cuda.empty_cache()
    print()
    for rows, (cublas, best_us, normed, fused) in totals.items():
        print(f"rows {rows}: the shapes once each: cuBLAS {cublas:.0f} us, Triton {best_us:.0f} us "
              f"({cublas / best_us:.2f}x); with the norm before: {normed:.0f} us -> {fused:.0f} us ({normed / fused:.2f}x)")


if __name__ == "__main__":
    main()
