"""Fused Triton kernels for the fast path on NVIDIA GPUs: one launch where torch needs several.

Each kernel computes what ops.TorchOps computes (float32 inside, the model's dtype out) and is
checked against it by `benchmarks/qwen_rtf.py --methods fast-kernels` on the GPU; on any other
device these are never used. The sampling kernel reproduces sampling.gumbel_noise's counter
hash exactly (32-bit lowbias32 on the same counters), so a segment draws the same noise here
as on the CPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import triton
import triton.language as tl

from nikola_tts.engines.qwen.fast.ops import TorchOps

try:
    from triton.language.extra import libdevice  # CUDA's accurate sinf, the one torch.sin uses
except ImportError:  # older Triton
    libdevice = tl.math
INTERPRETED = os.environ.get("TRITON_INTERPRET") == "1"  # the tests, on the CPU: no libdevice there
try:  # grid dependency control, for programmatic dependent launch (Hopper on, Triton 3.4 on)
    from triton.language.extra.cuda import gdc_launch_dependents, gdc_wait
    PDL_SERVES = not INTERPRETED
except ImportError:
    PDL_SERVES = False


@triton.jit
def _overlap_previous(PDL: tl.constexpr):
    """With PDL (the kernel launched as a programmatic dependent): let the next kernel of the stream launch as soon
    as every program of this one has begun. Its programs then start while this one's last ones run, and can ask for
    their weights (which depend on nothing) before they wait (_wait_previous)."""
    if PDL:
        gdc_launch_dependents()


@triton.jit
def _wait_previous(PDL: tl.constexpr):
    """With PDL: wait until the kernel before this one has finished and its writes are visible. Every load of what
    an earlier kernel wrote, and every store, comes after it."""
    if PDL:
        gdc_wait()


@triton.jit
def _norm_kernel(x_ptr, d_ptr, w_ptr, sum_ptr, out_ptr, n, eps, HAS_DELTA: tl.constexpr, BLOCK: tl.constexpr,
                 PDL: tl.constexpr = False):
    _overlap_previous(PDL)
    _wait_previous(PDL)
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    mask = cols < n
    x = tl.load(x_ptr + row * n + cols, mask=mask, other=0.0)
    if HAS_DELTA:
        x = (x.to(tl.float32) + tl.load(d_ptr + row * n + cols, mask=mask, other=0.0).to(tl.float32)).to(x.dtype)
        tl.store(sum_ptr + row * n + cols, x, mask=mask)
    xf = x.to(tl.float32)
    rstd = 1.0 / tl.sqrt(tl.sum(xf * xf, axis=0) / n + eps)
    y = (xf * rstd).to(x.dtype).to(tl.float32)
    w = tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
    tl.store(out_ptr + row * n + cols, (w * y).to(x.dtype), mask=mask)


@triton.jit
def _normed_rotated(x_ptr, w_ptr, cos_ptr, sin_ptr, rows, D: tl.constexpr, eps, CACHE: tl.constexpr):
    """Rows of heads at x_ptr + rows[:, None] (each D wide), RMS-normed and rotated (TorchOps.heads, rounded to the
    model's dtype where it rounds), in that dtype: element d's partner is d +- D / 2, taken minus below the half.
    CACHE: tl.load's cache_modifier for x (".cg" where another program of the same launch wrote it)."""
    d = tl.arange(0, D)
    half: tl.constexpr = D // 2
    partner = (d + half) % D
    dtype = x_ptr.dtype.element_ty
    x = tl.load(x_ptr + rows[:, None] + d[None, :], cache_modifier=CACHE).to(tl.float32)
    xp = tl.load(x_ptr + rows[:, None] + partner[None, :], cache_modifier=CACHE).to(tl.float32)
    rstd = 1.0 / tl.sqrt(tl.sum(x * x, axis=1) / D + eps)
    y = (tl.load(w_ptr + d).to(tl.float32)[None, :] * (x * rstd[:, None]).to(dtype).to(tl.float32)).to(dtype)
    yp = (tl.load(w_ptr + partner).to(tl.float32)[None, :] * (xp * rstd[:, None]).to(dtype).to(tl.float32)).to(dtype)
    sign = tl.where(d < half, -1.0, 1.0)
    return (y.to(tl.float32) * tl.load(cos_ptr + d).to(tl.float32)[None, :]
            + sign[None, :] * yp.to(tl.float32) * tl.load(sin_ptr + d).to(tl.float32)[None, :]).to(dtype)


@triton.jit
def _heads_kernel(x_ptr, w_ptr, cos_ptr, sin_ptr, out_ptr, pos_ptr, v_ptr, v_out_ptr, x_row_stride, heads, seq,
                  cos_batch_stride, o_sb, o_sh, o_st, eps, D: tl.constexpr, AT_POSITIONS: tl.constexpr,
                  COPY_V: tl.constexpr, PDL: tl.constexpr = False):
    """Per-head RMSNorm + RoPE of one (batch, seq, head) row, written to out[b, head, s] or, with
    AT_POSITIONS, straight into a cache at row b's position (with COPY_V, the row's values too)."""
    _overlap_previous(PDL)
    _wait_previous(PDL)
    pid = tl.program_id(0)
    head = pid % heads
    token = pid // heads
    s = token % seq
    b = token // seq
    one = tl.arange(0, 1)
    d = tl.arange(0, D)
    trig = b * cos_batch_stride + s * D
    y = _normed_rotated(x_ptr + token * x_row_stride + head * D, w_ptr, cos_ptr + trig, sin_ptr + trig, one, D, eps,
                        "")
    t = s
    if AT_POSITIONS:
        t = tl.load(pos_ptr + b) + s
    offset = b * o_sb + head * o_sh + t * o_st
    tl.store(out_ptr + offset + one[:, None] + d[None, :], y)
    if COPY_V:
        tl.store(v_out_ptr + offset + d, tl.load(v_ptr + token * x_row_stride + head * D + d))


@triton.jit
def _silu_mul_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr, PDL: tl.constexpr = False):
    _overlap_previous(PDL)
    _wait_previous(PDL)
    row = tl.program_id(0)
    block = tl.program_id(1)
    cols = block * BLOCK + tl.arange(0, BLOCK)
    mask = cols < n
    g = tl.load(x_ptr + row * 2 * n + cols, mask=mask, other=0.0).to(tl.float32)
    u = tl.load(x_ptr + row * 2 * n + n + cols, mask=mask, other=0.0)
    silu = (g / (1.0 + tl.exp(-g))).to(u.dtype).to(tl.float32)
    tl.store(out_ptr + row * n + cols, (silu * u.to(tl.float32)).to(u.dtype), mask=mask)


@triton.jit
def _snakebeta(x, alpha, inv_beta, LIBDEVICE: tl.constexpr):
    """x + inv_beta * sin(x * alpha)^2 in float32, as torch orders it (libdevice's sinf, torch's; the interpreter
    has only tl.sin)."""
    if LIBDEVICE:
        s = libdevice.sin(x * alpha)
    else:
        s = tl.sin(x * alpha)
    return x + inv_beta * (s * s)


@triton.jit
def _snake_kernel(x_ptr, alpha_ptr, inv_beta_ptr, out_ptr, channels, length, x_batch_stride, x_channel_stride,
                  BLOCK: tl.constexpr, LIBDEVICE: tl.constexpr):
    """x + inv_beta * sin(x * alpha)^2 along one (batch, channel) row of the speech decoder, in float32 (stored
    in x's dtype)."""
    row = tl.program_id(0).to(tl.int64)  # batch * channels + channel; 64-bit: big batches pass 2**31 elements
    offsets = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < length
    channel = row % channels
    x = tl.load(x_ptr + (row // channels) * x_batch_stride + channel * x_channel_stride + offsets,
                mask=mask).to(tl.float32)
    tl.store(out_ptr + row * length + offsets,
             _snakebeta(x, tl.load(alpha_ptr + channel), tl.load(inv_beta_ptr + channel), LIBDEVICE), mask=mask)


def snake_activation(x: torch.Tensor, alpha: torch.Tensor, inv_beta: torch.Tensor) -> torch.Tensor:
    """SnakeBeta (see snake.py) on a (batch, channels, time) tensor with unit stride in time, out in its dtype."""
    batch, channels, length = x.shape
    out = torch.empty((batch, channels, length), device=x.device, dtype=x.dtype)
    block = 1024
    _snake_kernel[(batch * channels, triton.cdiv(length, block))](x, alpha, inv_beta, out, channels, length,
                                                                x.stride(0), x.stride(1), BLOCK=block,
                                                                LIBDEVICE=not INTERPRETED)
    return out


@triton.jit
def _unit_mix_kernel(h_ptr, w_ptr, bias_ptr, res_ptr, keep_ptr, snaked_ptr, in_alpha_ptr, in_inv_beta_ptr, alpha_ptr,
                     inv_beta_ptr, channels, length, h_sb, h_sc, r_sb, r_sc, KEEP: tl.constexpr,
                     BLOCK_CO: tl.constexpr, BLOCK_CI: tl.constexpr, BLOCK_T: tl.constexpr, LIBDEVICE: tl.constexpr):
    """The end of a residual unit (speech.py), for BLOCK_CO channels x BLOCK_T samples: y = bias + w @ SnakeBeta(h)
    + residual, the 1-wide convolution's GEMM with the activation before it in its prologue (in_alpha, in_inv_beta)
    and the residual add in its epilogue. Stored: y (KEEP) and SnakeBeta(y) with (alpha, inv_beta), the activation
    that y goes to next, both from float32 sums."""
    b = tl.program_id(2).to(tl.int64)
    t = tl.program_id(0) * BLOCK_T + tl.arange(0, BLOCK_T)
    co = tl.program_id(1) * BLOCK_CO + tl.arange(0, BLOCK_CO)
    co_ok = co < channels
    t_ok = t < length
    acc = tl.zeros([BLOCK_CO, BLOCK_T], tl.float32)
    for start in range(0, channels, BLOCK_CI):
        ci = start + tl.arange(0, BLOCK_CI)
        ci_ok = ci < channels
        h = tl.load(h_ptr + b * h_sb + ci[:, None] * h_sc + t[None, :], mask=ci_ok[:, None] & t_ok[None, :],
                    other=0.0)
        h = _snakebeta(h.to(tl.float32), tl.load(in_alpha_ptr + ci, mask=ci_ok, other=0.0)[:, None],
                       tl.load(in_inv_beta_ptr + ci, mask=ci_ok, other=0.0)[:, None], LIBDEVICE).to(h.dtype)
        w = tl.load(w_ptr + co[:, None] * channels + ci[None, :], mask=co_ok[:, None] & ci_ok[None, :], other=0.0)
        acc = tl.dot(w, h, acc)
    ok = co_ok[:, None] & t_ok[None, :]
    acc += tl.load(bias_ptr + co, mask=co_ok, other=0.0).to(tl.float32)[:, None]
    acc += tl.load(res_ptr + b * r_sb + co[:, None] * r_sc + t[None, :], mask=ok, other=0.0).to(tl.float32)
    at = (b * channels + co[:, None]) * length + t[None, :]
    if KEEP:
        tl.store(keep_ptr + at, acc.to(keep_ptr.dtype.element_ty), mask=ok)
    snaked = _snakebeta(acc, tl.load(alpha_ptr + co, mask=co_ok, other=0.0)[:, None],
                        tl.load(inv_beta_ptr + co, mask=co_ok, other=0.0)[:, None], LIBDEVICE)
    tl.store(snaked_ptr + at, snaked.to(snaked_ptr.dtype.element_ty), mask=ok)


@dataclass(frozen=True)
class UnitBlocks:
    """_unit_mix_kernel's tile and launch: output channels x input channels per GEMM step x samples."""

    co: int
    ci: int
    t: int
    warps: int
    stages: int


def unit_blocks(channels: int) -> UnitBlocks:
    """The tile for a residual unit of `channels` channels (96 to 768 in the released decoder): on an H100 the
    fastest of eight at 96, 192 and 384 channels (`speech_decoder.py --unit-tiles`, session 13: 1.77x, 1.33x and
    1.17x the modules' unit end, on contiguous input)."""
    return UnitBlocks(co=128, ci=32, t=32, warps=4, stages=3)


def unit_mix(h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, act_in: tuple, act_out: tuple,
             residual: torch.Tensor, keep: bool = False,
             blocks: UnitBlocks | None = None) -> tuple[torch.Tensor | None, torch.Tensor]:
    """h and residual (B, C, L) with unit stride in time, weight (C, C) contiguous in h's dtype, act_in and act_out
    SnakeBeta constants (snake.constants) -> (y = bias + weight @ SnakeBeta_in(h) + residual if `keep`, else None;
    SnakeBeta_out(y)), new (B, C, L) tensors in h's dtype."""
    batch, channels, length = h.shape
    blocks = blocks or unit_blocks(channels)
    snaked = torch.empty((batch, channels, length), device=h.device, dtype=h.dtype)
    kept = torch.empty_like(snaked) if keep else None
    grid = (triton.cdiv(length, blocks.t), triton.cdiv(channels, blocks.co), batch)
    _unit_mix_kernel[grid](h, weight, bias, residual, kept if keep else snaked, snaked, *act_in, *act_out, channels,
                           length, h.stride(0), h.stride(1), residual.stride(0), residual.stride(1), KEEP=keep,
                           BLOCK_CO=blocks.co, BLOCK_CI=blocks.ci, BLOCK_T=blocks.t, LIBDEVICE=not INTERPRETED,
                           num_warps=blocks.warps, num_stages=blocks.stages)
    return kept, snaked


@triton.jit
def _overlap_add_kernel(taps_ptr, bias_ptr, out_ptr, channels, length, STRIDE: tl.constexpr, HAS_BIAS: tl.constexpr,
                        BLOCK: tl.constexpr):
    """One (batch, channel) row of a transposed convolution's output from its taps (speech.py's
    CausalTransposedConv._matmul_forward): sample m * STRIDE + j = tap j of frame m + tap STRIDE + j of frame m - 1."""
    row = tl.program_id(0).to(tl.int64)  # batch * channels + channel
    b = row // channels
    channel = row % channels
    t = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = t < length * STRIDE
    m = t // STRIDE
    j = t % STRIDE
    plane = channels * length  # taps (B, 2, STRIDE, channels, length)
    at = channel * length + m
    x = tl.load(taps_ptr + (b * 2 * STRIDE + j) * plane + at, mask=mask).to(tl.float32)
    x += tl.load(taps_ptr + ((b * 2 + 1) * STRIDE + j) * plane + at - 1, mask=mask & (m > 0), other=0.0).to(tl.float32)
    if HAS_BIAS:
        x += tl.load(bias_ptr + channel).to(tl.float32)
    tl.store(out_ptr + row * length * STRIDE + t, x, mask=mask)


def overlap_add(taps: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """taps (B, 2, stride, channels, L), contiguous -> (B, channels, L * stride): the overlap-add, in one pass."""
    batch, _, stride, channels, length = taps.shape
    out = torch.empty((batch, channels, length * stride), device=taps.device, dtype=taps.dtype)
    block = 1024
    _overlap_add_kernel[(batch * channels, triton.cdiv(length * stride, block))](
        taps, taps if bias is None else bias, out, channels, length, STRIDE=stride, HAS_BIAS=bias is not None,
        BLOCK=block)
    return out


@triton.jit
def _mix(x):
    """lowbias32 on int64 lanes holding 32-bit values (products wrap mod 2**64; the mask keeps the low 32 bits)."""
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & 0xFFFFFFFF
    x = x ^ (x >> 15)
    x = (x * 0x846CA68B) & 0xFFFFFFFF
    return x ^ (x >> 16)


@triton.jit
def _seeded(h, counter):
    """The noise's seed after one more counter (seeded.gumbel_noise): 32-bit values in int64 lanes."""
    return _mix(h ^ (counter.to(tl.int64) & 0xFFFFFFFF))


@triton.jit
def _draw(raw, cols, mask, h, top_k, inv_temperature, HAS_TOP_K: tl.constexpr, WINNER_FIRST: tl.constexpr):
    """A row's seeded Gumbel-max draw from its scores raw (BLOCK,), -inf where not mask, with the seed h: the code,
    as _draw_kernel says."""
    s = raw * inv_temperature
    token = _mix(cols.to(tl.int64) + 0x9E3779B9)
    uniform = ((_mix(h ^ token) >> 9).to(tl.float32) + 0.5) * (1.0 / 8388608.0)  # 23 random bits: exact in float32
    drawn = tl.where(mask, s - tl.log(-tl.log(uniform)), float("-inf"))
    if HAS_TOP_K:
        bits = raw.to(tl.uint32, bitcast=True)
        one = tl.full([1], 1, tl.uint32)
        sign = one << 31
        key = tl.where(bits < sign, bits | sign, ~bits)  # unsigned 32-bit: 64-bit keys took 1.1-1.2x as long
        if WINNER_FIRST:
            code = tl.argmax(drawn, axis=0, tie_break_left=True)
            winner_key = tl.max(tl.where(cols == code, key, 0), axis=0)
            above = tl.sum(tl.where(key > winner_key, 1, 0), axis=0)
        else:  # the search below always runs and sets the code; Triton wants it set before a runtime if
            code = tl.full([], 0, tl.int32)
            above = top_k
        if above >= top_k:  # the winner may be outside the k largest: the threshold, then the draw over them
            kth_key = tl.zeros([1], tl.uint32)
            for i in tl.static_range(32):
                candidate = kth_key | (one << (31 - i))
                reached = tl.sum(tl.where(key[None, :] >= candidate[:, None], 1, 0), axis=1)
                kth_key = tl.where(reached >= top_k, candidate, kth_key)
            kth_bits = tl.where(kth_key >= sign, kth_key ^ sign, ~kth_key)
            kth = tl.sum(kth_bits.to(tl.float32, bitcast=True), axis=0)  # the one element, as a scalar
            code = tl.argmax(tl.where(s < kth * inv_temperature, float("-inf"), drawn), axis=0, tie_break_left=True)
    else:
        code = tl.argmax(drawn, axis=0, tie_break_left=True)
    return code


@triton.jit(do_not_specialize=["c0", "c1", "c2"])
def _draw_kernel(scores_ptr, keys_ptr, c0_ptr, c1_ptr, c2_ptr, codes_ptr, vocab, c0, c1, c2, top_k,
                 inv_temperature, C0_ROWS: tl.constexpr, C1_ROWS: tl.constexpr, C2_ROWS: tl.constexpr,
                 HAS_TOP_K: tl.constexpr, BLOCK: tl.constexpr, PDL: tl.constexpr = False,
                 WINNER_FIRST: tl.constexpr = False):
    """One row's seeded Gumbel-max draw, whole: the top-k threshold, the noise of seeded.gumbel_noise and the
    argmax, in one launch where torch takes about seven (top-k's select and sort, the counters, the noise, the
    argmax). A counter is a per-row tensor (C*_ROWS) or the scalar c*. The k-th largest score is found exactly,
    bit by bit on the float's order-preserving integer key: the largest key that at least k scores reach (32
    block-wide sums one after another). WINNER_FIRST: the draw over every code first; where fewer than k scores'
    keys are above the winner's, the winner is among the k largest, so it is the draw over them too (the leftmost
    maximum of a superset, inside the subset), and the threshold is looked for only where it is not."""
    _overlap_previous(PDL)
    _wait_previous(PDL)
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    mask = cols < vocab
    raw = tl.load(scores_ptr + row * vocab + cols, mask=mask, other=float("-inf"))
    h = tl.load(keys_ptr + row).to(tl.int64) & 0xFFFFFFFF
    h = _seeded(h, tl.load(c0_ptr + row) if C0_ROWS else c0)
    h = _seeded(h, tl.load(c1_ptr + row) if C1_ROWS else c1)
    h = _seeded(h, tl.load(c2_ptr + row) if C2_ROWS else c2)
    code = _draw(raw, cols, mask, h, top_k, inv_temperature, HAS_TOP_K, WINNER_FIRST)
    tl.store(codes_ptr + row, code.to(tl.int64))


@triton.jit
def _gemv_kernel(x_ptr, w_ptr, b_ptr, y_ptr, idx_ptr, M, N, K, HAS_BIAS: tl.constexpr, INDEXED: tl.constexpr,
                 BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, PDL: tl.constexpr = False):
    """y[m, n] = x[m, :] . w[n, :] (+ b[n]) for the few rows m < M and BLOCK_N outputs n, float32 sums:
    one launch, where cuBLAS's small-M GEMMs take two (split-K, then its reduction). INDEXED: row m of x is
    row idx[m] of the table at x_ptr (an embedding's lookup, in the same launch)."""
    _overlap_previous(PDL)
    n = tl.program_id(0) * BLOCK_N + tl.arange(0, BLOCK_N)
    m = tl.arange(0, BLOCK_M)
    n_ok, m_ok = n < N, m < M
    if PDL:  # the first step's weights, asked for before the wait
        k = tl.arange(0, BLOCK_K)
        w = tl.load(w_ptr + n[:, None] * K + k[None, :], mask=n_ok[:, None] & (k < K)[None, :], other=0.0)
        _wait_previous(PDL)
    if INDEXED:
        x_rows = tl.load(idx_ptr + m, mask=m_ok, other=0).to(tl.int64) * K
    else:
        x_rows = m * K
    acc = tl.zeros([BLOCK_M, BLOCK_N], tl.float32)
    for k0 in range(0, K, BLOCK_K):
        k = k0 + tl.arange(0, BLOCK_K)
        k_ok = k < K
        x = tl.load(x_ptr + x_rows[:, None] + k[None, :], mask=m_ok[:, None] & k_ok[None, :], other=0.0)
        if not PDL or k0 > 0:
            w = tl.load(w_ptr + n[:, None] * K + k[None, :], mask=n_ok[:, None] & k_ok[None, :], other=0.0)
        acc += tl.sum(x.to(tl.float32)[:, None, :] * w.to(tl.float32)[None, :, :], axis=2)
    if HAS_BIAS:
        acc += tl.load(b_ptr + n, mask=n_ok, other=0.0).to(tl.float32)[None, :]
    tl.store(y_ptr + m[:, None] * N + n[None, :], acc.to(y_ptr.dtype.element_ty), mask=m_ok[:, None] & n_ok[None, :])


@triton.jit
def _fused_gemv_kernel(x_ptr, d_ptr, nw_ptr, w_ptr, sum_ptr, y_ptr, M, N, K, eps, INPUT: tl.constexpr,
                       HAS_DELTA: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
                       PDL: tl.constexpr = False, SWIGLU_OUT: tl.constexpr = False):
    """A projection of the few rows m < M and BLOCK_N outputs n whose input is made in the same launch, for rows
    that fit one step (BLOCK_K >= K), rounded as ops.TorchOps rounds: INPUT 1, RMSNorm(x (+ delta)) (the first
    program also stores x + delta: the residual stream); INPUT 2, SwiGLU of x's two halves (x is 2K wide); INPUT 0,
    x itself. Every program makes the whole input row again (a few KB, from L2), which costs less than a launch of
    its own; its weights are asked for first, since they depend on nothing. SWIGLU_OUT: w is 2N rows, a gate's
    then an up's, and output n is SwiGLU of projections n and N + n, so that the next projection's input is ready
    made, not made again by each of its programs."""
    _overlap_previous(PDL)
    pid = tl.program_id(0)
    n = pid * BLOCK_N + tl.arange(0, BLOCK_N)
    m = tl.arange(0, BLOCK_M)
    k = tl.arange(0, BLOCK_K)
    n_ok, m_ok, k_ok = n < N, m < M, k < K
    nk = n_ok[:, None] & k_ok[None, :]
    w = tl.load(w_ptr + n[:, None] * K + k[None, :], mask=nk, other=0.0)
    if SWIGLU_OUT:
        w_up = tl.load(w_ptr + (N + n)[:, None] * K + k[None, :], mask=nk, other=0.0)
    _wait_previous(PDL)
    mk = m_ok[:, None] & k_ok[None, :]
    if INPUT == 0:
        h = tl.load(x_ptr + m[:, None] * K + k[None, :], mask=mk, other=0.0).to(tl.float32)
    elif INPUT == 1:
        at = m[:, None] * K + k[None, :]
        x = tl.load(x_ptr + at, mask=mk, other=0.0)
        if HAS_DELTA:
            x = (x.to(tl.float32) + tl.load(d_ptr + at, mask=mk, other=0.0).to(tl.float32)).to(x.dtype)
            if pid == 0:
                tl.store(sum_ptr + at, x, mask=mk)
        xf = x.to(tl.float32)
        rstd = 1.0 / tl.sqrt(tl.sum(xf * xf, axis=1) / K + eps)
        h = (xf * rstd[:, None]).to(x.dtype).to(tl.float32)
        h = (tl.load(nw_ptr + k, mask=k_ok, other=0.0).to(tl.float32)[None, :] * h).to(x.dtype).to(tl.float32)
    else:
        at = m[:, None] * 2 * K + k[None, :]
        g = tl.load(x_ptr + at, mask=mk, other=0.0).to(tl.float32)
        u = tl.load(x_ptr + at + K, mask=mk, other=0.0)
        silu = (g / (1.0 + tl.exp(-g))).to(u.dtype).to(tl.float32)
        h = (silu * u.to(tl.float32)).to(u.dtype).to(tl.float32)
    acc = tl.sum(h[:, None, :] * w.to(tl.float32)[None, :, :], axis=2)
    if SWIGLU_OUT:  # each projection rounded to the model's dtype, then SwiGLU as INPUT 2 makes it
        dtype = y_ptr.dtype.element_ty
        gate = acc.to(dtype).to(tl.float32)
        up = tl.sum(h[:, None, :] * w_up.to(tl.float32)[None, :, :], axis=2).to(dtype).to(tl.float32)
        acc = (gate / (1.0 + tl.exp(-gate))).to(dtype).to(tl.float32) * up
    tl.store(y_ptr + m[:, None] * N + n[None, :], acc.to(y_ptr.dtype.element_ty), mask=m_ok[:, None] & n_ok[None, :])


def gemv_wins(n: int, k: int) -> bool:
    """The shapes where the one-launch GEMV beat cuBLAS at 1 to 4 rows on an H200: narrow outputs from inputs at
    least twice as wide (the code predictor's 2048 -> 1024 `o` and projection, 12.6 -> 5.3 us at one row), which
    cuBLAS splits over two launches. It lost on the talker's wide shapes
    (benchmarks/results/2026-12-05-h200-small-gemv.log)."""
    return n <= 1024 and k >= 2 * n


def gemv_blocks(rows: int, n: int, k: int, sms: int = 132, whole_rows: bool = True,
                waves: int = 2) -> tuple[int, int, int]:
    """(BLOCK_N, BLOCK_K, warps): enough programs to fill the GPU `waves` times over, at most 128 float32
    products per thread at once (no register spills). whole_rows: each step reads as much of a row as that
    allows (all of it, for the code predictor's shapes), so a program's loads are all in flight at once rather
    than one 256-512 wide step after another; at one slot the GEMVs' kernel time fell from 1.00 to 0.66 ms a
    frame, H100 (2026-12-06-h100-rtf-v26-gemv-whole-rows.log)."""
    block_m = triton.next_power_of_2(rows)
    block_k = 512 if k >= 2048 else 256
    block_n = 32
    while block_n > 4 and (triton.cdiv(n, block_n) < waves * sms or block_m * block_n * block_k > 128 * 128):
        block_n //= 2
    if whole_rows:
        block_k = max(block_k, min(triton.next_power_of_2(k), 128 * 128 // (block_m * block_n)))
    return block_n, block_k, 4


@triton.jit
def _attend_part(q, k_ptr, v_ptr, k_st, v_st, n, scale, BLOCK_G: tl.constexpr, D: tl.constexpr,
                 BLOCK_T: tl.constexpr):
    """Queries q (BLOCK_G, D) over the first n keys and values at k_ptr and v_ptr (rows k_st and v_st apart), an
    online softmax in float32 -> (the scores' maximum, the sum of their exponentials, the exponential-weighted sum
    of the values), each query's; for none, (-inf, 0, 0). (The loop starts at 0: from a position loaded at run
    time, the software pipeliner's code spilled 1 kB a thread, ptxas for sm_90a.)"""
    d = tl.arange(0, D)
    m_i = tl.full([BLOCK_G], float("-inf"), tl.float32)
    l_i = tl.zeros([BLOCK_G], tl.float32)
    acc = tl.zeros([BLOCK_G, D], tl.float32)
    for start in range(0, n, BLOCK_T):
        t = start + tl.arange(0, BLOCK_T)
        t_ok = t < n
        k = tl.load(k_ptr + t[:, None] * k_st + d[None, :], mask=t_ok[:, None], other=0.0)
        scores = tl.dot(q, tl.trans(k)) * scale
        scores = tl.where(t_ok[None, :], scores, float("-inf"))
        m_new = tl.maximum(m_i, tl.max(scores, axis=1))
        p = tl.exp(scores - m_new[:, None])
        alpha = tl.exp(m_i - m_new)
        l_i = l_i * alpha + tl.sum(p, axis=1)
        v = tl.load(v_ptr + t[:, None] * v_st + d[None, :], mask=t_ok[:, None], other=0.0)
        acc = acc * alpha[:, None] + tl.dot(p.to(v.dtype), v)
        m_i = m_new
    return m_i, l_i, acc


@triton.jit
def _attend_over(q, k_ptr, v_ptr, k_st, v_st, n, scale, BLOCK_G: tl.constexpr, D: tl.constexpr,
                 BLOCK_T: tl.constexpr):
    """Queries q (BLOCK_G, D) over the first n keys and values at k_ptr and v_ptr (rows k_st and v_st apart), with
    an online softmax in float32 -> (BLOCK_G, D) in float32."""
    _, l_i, acc = _attend_part(q, k_ptr, v_ptr, k_st, v_st, n, scale, BLOCK_G, D, BLOCK_T)
    return acc / l_i[:, None]


@triton.jit
def _attend_kernel(q_ptr, k_ptr, v_ptr, last_ptr, out_ptr, q_sb, q_sh, k_sb, k_sh, k_st, v_sb, v_sh, v_st, o_sb,
                   scale, G: tl.constexpr, BLOCK_G: tl.constexpr, D: tl.constexpr, BLOCK_T: tl.constexpr):
    """One query per row, grouped-query: program (row, kv head) attends its G query heads over
    positions 0..last[row] only, with an online softmax in float32."""
    b = tl.program_id(0)
    kv = tl.program_id(1)
    n = tl.load(last_ptr + b) + 1
    g = tl.arange(0, BLOCK_G)
    d = tl.arange(0, D)
    g_ok = g < G
    q = tl.load(q_ptr + b * q_sb + (kv * G + g)[:, None] * q_sh + d[None, :], mask=g_ok[:, None], other=0.0)
    out = _attend_over(q, k_ptr + b * k_sb + kv * k_sh, v_ptr + b * v_sb + kv * v_sh, k_st, v_st, n, scale,
                       BLOCK_G, D, BLOCK_T)
    tl.store(out_ptr + b * o_sb + (kv * G + g)[:, None] * D + d[None, :], out.to(out_ptr.dtype.element_ty),
             mask=g_ok[:, None])


@triton.jit
def _new_key_and_query(q_ptr, k_ptr, v_ptr, row_stride, qw_ptr, kw_ptr, cos_ptr, sin_ptr, cos_batch_stride, kc_ptr,
                       vc_ptr, c_sb, c_sh, c_st, b, kv, pos, store, eps, G: tl.constexpr, BLOCK_G: tl.constexpr,
                       D: tl.constexpr):
    """Row b's new key (normed, rotated) and value into the caches of key/value head kv at pos, where `store`; then
    its G query heads of that key/value head, normed and rotated: (BLOCK_G, D), rows past G repeat the first."""
    d = tl.arange(0, D)
    one = tl.arange(0, 1)
    trig = b * cos_batch_stride
    if store:
        key = _normed_rotated(k_ptr + b * row_stride + kv * D, kw_ptr, cos_ptr + trig, sin_ptr + trig, one, D, eps,
                              "")
        cache = b * c_sb + kv * c_sh + pos * c_st
        tl.store(kc_ptr + cache + one[:, None] + d[None, :], key)
        tl.store(vc_ptr + cache + d, tl.load(v_ptr + b * row_stride + kv * D + d))
    tl.debug_barrier()  # a program writes only its own head's cache row: a barrier is all before reading it back
    g = tl.arange(0, BLOCK_G)
    heads = tl.where(g < G, kv * G + g, kv * G)  # rows past G read head kv * G again, and are never stored
    return _normed_rotated(q_ptr + b * row_stride, qw_ptr, cos_ptr + trig, sin_ptr + trig, heads * D, D, eps, "")


@triton.jit
def _attend_new_kernel(q_ptr, k_ptr, v_ptr, row_stride, qw_ptr, kw_ptr, cos_ptr, sin_ptr, cos_batch_stride,
                       kc_ptr, vc_ptr, pos_ptr, out_ptr, c_sb, c_sh, c_st, o_sb, eps, scale, G: tl.constexpr,
                       BLOCK_G: tl.constexpr, D: tl.constexpr, BLOCK_T: tl.constexpr, PDL: tl.constexpr = False):
    """_heads_kernel (the key into the cache, the value beside it; the queries), then _attend_kernel, for one
    new token of row b and one key/value head: its G query heads over positions 0..pos[b]."""
    _overlap_previous(PDL)
    _wait_previous(PDL)
    b = tl.program_id(0)
    kv = tl.program_id(1)
    pos = tl.load(pos_ptr + b)
    q = _new_key_and_query(q_ptr, k_ptr, v_ptr, row_stride, qw_ptr, kw_ptr, cos_ptr, sin_ptr, cos_batch_stride,
                           kc_ptr, vc_ptr, c_sb, c_sh, c_st, b, kv, pos, True, eps, G, BLOCK_G, D)
    out = _attend_over(q, kc_ptr + b * c_sb + kv * c_sh, vc_ptr + b * c_sb + kv * c_sh, c_st, c_st, pos + 1,
                       scale, BLOCK_G, D, BLOCK_T)
    g = tl.arange(0, BLOCK_G)
    tl.store(out_ptr + b * o_sb + (kv * G + g)[:, None] * D + tl.arange(0, D)[None, :],
             out.to(out_ptr.dtype.element_ty), mask=(g < G)[:, None])


@triton.jit
def _attend_new_split_kernel(q_ptr, k_ptr, v_ptr, row_stride, qw_ptr, kw_ptr, cos_ptr, sin_ptr, cos_batch_stride,
                             kc_ptr, vc_ptr, pos_ptr, out_ptr, part_m_ptr, part_l_ptr, part_acc_ptr, tickets_ptr,
                             c_sb, c_sh, c_st, o_sb, eps, scale, G: tl.constexpr, GP: tl.constexpr,
                             BLOCK_G: tl.constexpr, D: tl.constexpr, BLOCK_T: tl.constexpr, SPLITS: tl.constexpr,
                             PDL: tl.constexpr = False):
    """_attend_new_kernel with row b's positions 0..pos[b] cut into SPLITS ranges of whole BLOCK_T steps, one program
    each (where rows times key/value heads leave most SMs idle: one slot's 8 programs walked hundreds of positions
    one step after another). Each program stores its range's softmax state (_attend_part); the last of the SPLITS to
    arrive (a ticket drawn with an acquire-release add: every earlier program's state is visible to it) joins them.
    Tickets only grow, so a launch needs no counter reset: SPLITS is a power of two, and wrapping keeps the count
    modulo SPLITS. Only the program whose range holds pos stores the new key and value; no other reads them."""
    _overlap_previous(PDL)
    _wait_previous(PDL)
    b = tl.program_id(0)
    kv = tl.program_id(1)
    split = tl.program_id(2)
    kv_heads = tl.num_programs(1)
    pos = tl.load(pos_ptr + b)
    per = tl.cdiv(tl.cdiv(pos + 1, SPLITS), BLOCK_T) * BLOCK_T
    start = split * per
    stop = tl.minimum(start + per, pos + 1)
    q = _new_key_and_query(q_ptr, k_ptr, v_ptr, row_stride, qw_ptr, kw_ptr, cos_ptr, sin_ptr, cos_batch_stride,
                           kc_ptr, vc_ptr, c_sb, c_sh, c_st, b, kv, pos, (start <= pos) & (pos < stop), eps, G,
                           BLOCK_G, D)
    first = b * c_sb + kv * c_sh + start * c_st
    m_i, l_i, acc = _attend_part(q, kc_ptr + first, vc_ptr + first, c_st, c_st, stop - start, scale, BLOCK_G, D,
                                 BLOCK_T)
    g = tl.arange(0, BLOCK_G)
    d = tl.arange(0, D)
    head = b * kv_heads + kv
    at = head * SPLITS + split
    tl.store(part_m_ptr + at * GP + g, m_i, mask=g < G)
    tl.store(part_l_ptr + at * GP + g, l_i, mask=g < G)
    tl.store(part_acc_ptr + (at * GP + g)[:, None] * D + d[None, :], acc, mask=(g < G)[:, None])
    tl.debug_barrier()
    ticket = tl.atomic_add(tickets_ptr + head, 1, sem="acq_rel", scope="gpu")
    if ticket % SPLITS == SPLITS - 1:  # the last of this head's programs: join every range's state
        gp = tl.arange(0, GP)
        ok = gp < G
        top = tl.full([GP], float("-inf"), tl.float32)
        total = tl.zeros([GP], tl.float32)
        out = tl.zeros([GP, D], tl.float32)
        for s in tl.static_range(SPLITS):  # an online softmax over the ranges; split 0 always has positions
            rows = (head * SPLITS + s) * GP + gp
            m = tl.load(part_m_ptr + rows, mask=ok, other=float("-inf"))
            l_s = tl.load(part_l_ptr + rows, mask=ok, other=0.0)
            part = tl.load(part_acc_ptr + rows[:, None] * D + d[None, :], mask=ok[:, None], other=0.0)
            new_top = tl.maximum(top, m)
            old_weight = tl.exp(top - new_top)
            weight = tl.exp(m - new_top)  # an empty range's -inf weighs 0
            total = total * old_weight + weight * l_s
            out = out * old_weight[:, None] + weight[:, None] * part
            top = new_top
        tl.store(out_ptr + b * o_sb + (kv * G + gp)[:, None] * D + d[None, :], (out / total[:, None]).to(
            out_ptr.dtype.element_ty), mask=ok[:, None])


@dataclass(frozen=True)
class AttendTile:
    """_attend_new_kernel's launch: positions per step of its loop, warps, pipeline stages."""

    t: int = 64
    warps: int = 4
    stages: int = 3


ATTEND_TILE = AttendTile()  # at every batch size (benchmarks/attention_step.py times others: none won by 2%)
# a new token's positions cut into this many ranges, a program each, where rows times key/value heads times this
# fill at most one wave of the GPU's SMs (_attend_new_split_kernel): at 16, one slot's talker attention on 128
# programs. H100, same process, a frame of one slot 3.85 ms -> 3.78 (4 and 8 ranges: 3.83); of two slots, where a
# second wave of programs was allowed then, 4.53 -> 4.65-4.69 at 4-16 ranges
# (2026-12-07-h100-rtf-v44-session21-variants.log)
ATTEND_SPLITS = 16


# every weight of the model (the talker's gate_up, 50 MB, the largest): the talker's gate_up and down joined the
# code predictor's projections and the talker's qkv once _fused_blocks took rows wider than a program's share, and
# with the talker's o through _gemv_kernel (TritonOps's gemv_any_rows) and programmatic dependent launches, a frame
# of one slot took 3.84 ms against 4.00, H100, same process (2026-12-07-h100-rtf-v43-talker-and-pdl.log)
FUSED_BYTES = 1 << 30
# a row's draw (_draw_kernel), whose top-k threshold is 32 block-wide sums in a row: top-k 50, one row, H100, the
# code predictor's 2048 codes 8.3 us at 8 warps against 9.7 at 4 and 10.4 at 4 with 64-bit keys (the talker's 3072:
# 11.9, 14.2, 17.0 us) (2026-12-06-h100-rtf-v38-draw-warps.log)
DRAW_WARPS = 8
# _draw_kernel's WINNER_FIRST: the threshold only where the draw over every code lands outside the top k. One row,
# top-k 50, H100, the same codes: the code predictor's 2048 codes 2.7 us against 8.3 on peaked scores (a trained
# model's), 7.6 against 8.2 on flat ones; the talker's 3072, 3.6 against 11.0 and 10.2 against 11.0
# (2026-12-07-h100-rtf-v48-draw-winner-first.log)
DRAW_WINNER_FIRST = True
# weights a program of _fused_gemv_kernel takes at once where its input is a SwiGLU of rows wider than gemv_blocks's
# share (the talker's down: 6144 wide, its whole row a step), which every program makes again: with 4 rows a
# program instead of 2, half as many make it. One row, H200, dependent launches: 10.4 us against 12.0 (128 weights
# a thread at 8 warps; the norm-fed gate_up gained nothing from it) (2026-12-07-h200-small-gemv-fused.log). In a
# frame of one slot on an H100 it is within noise: 3.77 ms against 3.76, batch 1 0.0500 against 0.0507
# (2026-12-07-h100-rtf-v56-down-tile-and-l2-diagnostic.log)
SWIGLU_TILE = 32768
# TritonOps's add_norm_mlp at one row: the SwiGLU made once, in gate_up's launch, and down a plain projection of it,
# not made again by each of down's programs. One row, H100, dependent launches: gate_up 19.40 us against 18.95, down
# 10.31 against 11.74 (2026-12-07-h100-small-gemv-fused-v2-swiglu-first.log); a frame of one slot 3.75 ms against
# 3.79, batch 1 0.0483 against 0.0489, the samples equal at one slot and two (2026-12-07-h100-rtf-v60-swiglu-first.log)
SWIGLU_FIRST = True


class TritonOps(TorchOps):
    name = "triton"

    def __init__(self, gemv_rows: int = 0, whole_rows: bool = True, fused_rows: int = 0,
                 fused_bytes: int = FUSED_BYTES, draw_warps: int = DRAW_WARPS, gemv_any_rows: int = 0,
                 pdl: bool = False, attend_splits: int = ATTEND_SPLITS, draw_winner_first: bool = DRAW_WINNER_FIRST,
                 swiglu_tile: int = SWIGLU_TILE, swiglu_first: bool = SWIGLU_FIRST):
        self.draw_warps = draw_warps  # _draw_kernel's
        self.draw_winner_first = draw_winner_first  # and its WINNER_FIRST
        if attend_splits < 1 or attend_splits & (attend_splits - 1):
            raise ValueError(f"attend_splits must be a power of two, not {attend_splits}")
        self.attend_splits = attend_splits
        self._tickets: dict[tuple, torch.Tensor] = {}  # _range_state's
        # _gemv_kernel for every shape of up to this many rows (and gemv_rows), not only gemv_wins's: at one row
        # cuBLAS's kernels read the talker's weights at 2-3 TB/s and are no programmatic dependents; at two rows
        # _gemv_kernel lost (a frame of two slots 5.08 ms against 4.76, 2026-12-07-h100-rtf-v43-talker-and-pdl.log)
        self.gemv_any_rows = gemv_any_rows
        # every launch a programmatic dependent of the kernel before it (_overlap_previous, _wait_previous): at one
        # slot a frame is about 420 launches, each of which, launched after the last has finished, first waits for
        # its own weights (FastSpeaker's pdl)
        self.pdl = pdl and PDL_SERVES
        self._launch = dict(PDL=True, launch_pdl=True) if self.pdl else {}
        self.gemv_rows = gemv_rows  # projections of up to this many rows and of a gemv_wins shape: _gemv_kernel
        self.whole_rows = whole_rows  # gemv_blocks's
        # a norm or SwiGLU and the projection after it in one launch (_fused_gemv_kernel), for up to this many rows
        # and weights of up to fused_bytes (FastSpeaker's fused_rows: 1)
        self.fused_rows, self.fused_bytes = fused_rows, fused_bytes
        self.swiglu_tile = swiglu_tile  # _fused_blocks's tile for a SwiGLU's input
        self.swiglu_first = swiglu_first  # add_norm_mlp's SwiGLU made in gate_up's launch
        self._sms = 0

    def _gemv_takes(self, rows: int, x_dtype, weight) -> bool:
        """Whether _gemv_kernel takes a projection of `rows` rows through `weight` (linear, embed_linear)."""
        return (rows <= self.gemv_rows and (rows <= self.gemv_any_rows or gemv_wins(weight.shape[0], weight.shape[1]))
                and x_dtype == weight.dtype and weight.is_contiguous())

    def linear(self, x, weight, bias=None):
        if weight.shape[1] != x.shape[-1] or not self._gemv_takes(x.numel() // x.shape[-1], x.dtype, weight):
            return super().linear(x, weight, bias)
        return self.gemv(x, weight, bias)

    def _sm_count(self, x) -> int:
        if not self._sms:
            self._sms = torch.cuda.get_device_properties(x.device).multi_processor_count if x.is_cuda else 132
        return self._sms

    def _fused_blocks(self, x, k: int, weight, tile: int = 128 * 128):
        """gemv_blocks for _fused_gemv_kernel, or None where it does not serve: too many rows, too large a
        weight, a row that does not fit one step. tile: the weights a program takes at once where a row is wider
        than gemv_blocks's share."""
        rows = x.numel() // x.shape[-1]
        if (rows > self.fused_rows or weight.numel() * weight.element_size() > self.fused_bytes
                or x.dtype != weight.dtype or not weight.is_contiguous() or weight.shape[1] != k):
            return None
        blocks = gemv_blocks(rows, weight.shape[0], k, self._sm_count(x))
        if blocks[1] < k:  # a whole row a step, in fewer rows a program (the talker's gate_up and down)
            block_k = triton.next_power_of_2(k)
            block_n = tile // (triton.next_power_of_2(rows) * block_k)
            return (block_n, block_k, 8) if block_n >= 1 else None  # 8 warps: no spills at 8192 wide
        return blocks

    def add_norm_linear(self, x, delta, norm_weight, eps, weight):
        k = x.shape[-1]
        blocks = self._fused_blocks(x, k, weight)
        if blocks is None:
            return super().add_norm_linear(x, delta, norm_weight, eps, weight)
        x = x.contiguous()
        total = torch.empty_like(x) if delta is not None else x
        out = self._fused(x, delta.contiguous() if delta is not None else x, norm_weight, weight, total, 1, k, blocks,
                          eps, delta is not None)
        return total, out

    def silu_mul_linear(self, gate_up, weight):
        k = gate_up.shape[-1] // 2
        blocks = self._fused_blocks(gate_up, k, weight, self.swiglu_tile)
        if blocks is None:
            return super().silu_mul_linear(gate_up, weight)
        gate_up = gate_up.contiguous()
        return self._fused(gate_up, gate_up, weight, weight, gate_up, 2, k, blocks, 0.0, False)

    def add_norm_mlp(self, x, delta, norm_weight, eps, gate_up, down):
        """With swiglu_first, two launches: the residual add, the norm, gate_up and SwiGLU (_fused_gemv_kernel's
        SWIGLU_OUT: each program the gate's rows and the up's of its outputs), then down; else add_norm_linear and
        silu_mul_linear, whose every program makes the SwiGLU of the whole row again."""
        k, width = x.shape[-1], down.shape[1]
        blocks = self.swiglu_out_blocks(x, k, gate_up) if self.swiglu_first and gate_up.shape[0] == 2 * width else None
        down_blocks = blocks and self._fused_blocks(x, width, down, self.swiglu_tile)  # x: for its rows and dtype
        if not down_blocks:
            return super().add_norm_mlp(x, delta, norm_weight, eps, gate_up, down)
        x = x.contiguous()
        total = torch.empty_like(x) if delta is not None else x
        act = self._fused(x, delta.contiguous() if delta is not None else x, norm_weight, gate_up, total, 1, k,
                          blocks, eps, delta is not None, swiglu_out=True)
        return total, self._fused(act, act, down, down, act, 0, width, down_blocks, 0.0, False)

    def swiglu_out_blocks(self, x, k: int, gate_up):
        """_fused_blocks for gate_up made SwiGLU in its launch (SWIGLU_OUT), or None: a program's outputs are half
        its rows of weights (a gate's and an up's for each)."""
        blocks = self._fused_blocks(x, k, gate_up)
        return (blocks[0] // 2, *blocks[1:]) if blocks is not None and blocks[0] >= 2 else None

    def _fused(self, x, delta, norm_weight, weight, total, mode: int, k: int, blocks, eps: float, has_delta: bool,
               swiglu_out: bool = False):
        rows, n = x.numel() // x.shape[-1], weight.shape[0] // (2 if swiglu_out else 1)
        out = torch.empty(*x.shape[:-1], n, device=x.device, dtype=x.dtype)
        block_n, block_k, warps = blocks
        _fused_gemv_kernel[(triton.cdiv(n, block_n),)](x, delta, norm_weight, weight, total, out, rows, n, k, eps,
                                                       INPUT=mode, HAS_DELTA=has_delta,
                                                       BLOCK_M=triton.next_power_of_2(rows), BLOCK_N=block_n,
                                                       BLOCK_K=block_k, num_warps=warps, SWIGLU_OUT=swiglu_out,
                                                       **self._launch)
        return out

    def embed_linear(self, codes, table, weight, bias=None):
        """Through _gemv_kernel with the lookup in its launch where the projection would take it (a few rows, a
        gemv_wins shape): one launch a code-predictor step where the lookup and the projection took two. With the
        talker's embeddings gathered once a frame (forward.py), a frame of one slot took 3.65 ms against 3.69
        (419 kernels against 432), of two 4.33 against 4.37, H200 (2026-12-06-h200-rtf-v40-lookup.log)."""
        if (weight is None or weight.shape[1] != table.shape[1] or not table.is_contiguous()
                or not self._gemv_takes(codes.numel(), table.dtype, weight)):
            return super().embed_linear(codes, table, weight, bias)
        return self.gemv(table, weight, bias, codes=codes.contiguous())

    def gemv_config(self, rows: int, n: int, k: int, x) -> tuple[int, int, int]:
        """_gemv_kernel's blocks (gemv_blocks's): at one row, programs to fill the GPU once over, not twice: the
        talker's o (2048 -> 2048) in 256 programs of 8 rows took 3.35 us against 3.96 in 512 of 4, H100, dependent
        launches (2026-12-07-h100-small-gemv-fused.log); the code predictor's narrower shapes get the same blocks
        either way."""
        return gemv_blocks(rows, n, k, self._sm_count(x), self.whole_rows, waves=1 if rows == 1 else 2)

    def gemv(self, x, weight, bias=None, codes=None):
        """x @ weight.T (+ bias) through _gemv_kernel, whatever the shape; with `codes` (n,), of the rows of the table
        x that they pick -> (n, out)."""
        k = x.shape[-1]
        n = weight.shape[0]
        x = x.contiguous()
        if codes is None:
            count = x.numel() // k
            out = torch.empty(*x.shape[:-1], n, device=x.device, dtype=x.dtype)
        else:
            count = codes.numel()
            out = torch.empty(count, n, device=x.device, dtype=x.dtype)
        block_n, block_k, warps = self.gemv_config(count, n, k, x)
        _gemv_kernel[(triton.cdiv(n, block_n),)](x, weight, bias if bias is not None else weight, out,
                                                 codes if codes is not None else out, count, n, k,
                                                 HAS_BIAS=bias is not None, INDEXED=codes is not None,
                                                 BLOCK_M=triton.next_power_of_2(count), BLOCK_N=block_n,
                                                 BLOCK_K=block_k, num_warps=warps, **self._launch)
        return out

    def norm(self, x, weight, eps):
        return self._norm(x, None, weight, eps)[1]

    def add_norm(self, x, delta, weight, eps):
        return self._norm(x, delta, weight, eps)

    def _norm(self, x, delta, weight, eps):
        n = x.shape[-1]
        rows = x.numel() // n
        x = x.contiguous()
        out = torch.empty_like(x)
        total = torch.empty_like(x) if delta is not None else x
        _norm_kernel[(rows,)](x, delta.contiguous() if delta is not None else x, weight, total, out, n, eps,
                              HAS_DELTA=delta is not None, BLOCK=triton.next_power_of_2(n), **self._launch)
        return total, out

    def heads(self, x, weight, eps, cos, sin):
        batch, seq, heads, dim = x.shape
        x = self._rows(x)
        out = torch.empty(batch, heads, seq, dim, device=x.device, dtype=x.dtype)
        self._heads(x, weight, eps, cos, sin, out, out.stride(0), out.stride(1), out.stride(2), None, None, None)
        return out

    def store_kv(self, k, v, weight, eps, cos, sin, k_cache, v_cache, positions):
        batch, seq, heads, dim = k.shape
        if k_cache.stride(3) != 1 or v_cache.stride() != k_cache.stride() or v.stride() != k.stride():
            return super().store_kv(k, v, weight, eps, cos, sin, k_cache, v_cache, positions)
        k = self._rows(k)
        if v.stride() != k.stride():
            return super().store_kv(k, v, weight, eps, cos, sin, k_cache, v_cache, positions)
        self._heads(k, weight, eps, cos, sin, k_cache, k_cache.stride(0), k_cache.stride(1), k_cache.stride(2),
                    positions.contiguous(), v, v_cache)

    @staticmethod
    def _rows(x):
        batch, seq, heads, dim = x.shape
        if x.stride(3) != 1 or x.stride(2) != dim or x.stride(0) != seq * x.stride(1):
            return x.contiguous()
        return x

    def _heads(self, x, weight, eps, cos, sin, out, o_sb, o_sh, o_st, positions, v, v_out):
        batch, seq, heads, dim = x.shape
        cos, sin = cos.contiguous(), sin.contiguous()
        cos_batch_stride = 0 if cos.shape[0] == 1 else seq * dim
        _heads_kernel[(batch * seq * heads,)](x, weight, cos, sin, out, positions if positions is not None else out,
                                              v if v is not None else x, v_out if v_out is not None else out,
                                              x.stride(1), heads, seq, cos_batch_stride, o_sb, o_sh, o_st, eps, D=dim,
                                              AT_POSITIONS=positions is not None, COPY_V=v is not None,
                                              **self._launch)

    def attend(self, q, k, v, last, scale, hidden_mask=None):
        batch, heads, seq, dim = q.shape
        kv_heads = k.shape[1]
        if seq != 1 or k.stride(3) != 1 or v.stride(3) != 1:
            return super().attend(q, k, v, last, scale, hidden_mask)
        q = q.contiguous()
        out = torch.empty(batch, 1, heads * dim, device=q.device, dtype=q.dtype)
        groups = heads // kv_heads
        _attend_kernel[(batch, kv_heads)](q, k, v, last.contiguous(), out, q.stride(0), q.stride(1),
                                          k.stride(0), k.stride(1), k.stride(2), v.stride(0), v.stride(1), v.stride(2),
                                          out.stride(0), scale, G=groups, BLOCK_G=max(16, triton.next_power_of_2(groups)),
                                          D=dim, BLOCK_T=64)
        return out

    def attend_new(self, q, k, v, q_norm, k_norm, eps, cos, sin, k_cache, v_cache, positions, scale, hidden_mask=None):
        batch, seq, heads, dim = q.shape
        kv_heads = k.shape[2]
        row_stride = q.stride(0)  # a batch of one may have any stride there: it is never stepped
        if (seq != 1 or any(t.stride(3) != 1 or t.stride(2) != dim or (batch > 1 and t.stride(0) != row_stride)
                            for t in (q, k, v))
                or k_cache.stride(3) != 1 or v_cache.stride() != k_cache.stride()):
            return super().attend_new(q, k, v, q_norm, k_norm, eps, cos, sin, k_cache, v_cache, positions, scale,
                                      hidden_mask)
        cos, sin = cos.contiguous(), sin.contiguous()
        out = torch.empty(batch, 1, heads * dim, device=q.device, dtype=q.dtype)
        groups = heads // kv_heads
        tile = ATTEND_TILE
        splits = self._ranges(batch, kv_heads, q)
        first = (q, k, v, row_stride, q_norm, k_norm, cos, sin, 0 if cos.shape[0] == 1 else dim, k_cache, v_cache,
                 positions.contiguous(), out)
        last = (k_cache.stride(0), k_cache.stride(1), k_cache.stride(2), out.stride(0), eps, scale)
        meta = dict(G=groups, BLOCK_G=max(16, triton.next_power_of_2(groups)), D=dim, BLOCK_T=tile.t,
                    num_warps=tile.warps, num_stages=tile.stages, **self._launch)
        if splits == 1:
            _attend_new_kernel[(batch, kv_heads)](*first, *last, **meta)
        else:
            group_rows = triton.next_power_of_2(groups)
            _attend_new_split_kernel[(batch, kv_heads, splits)](
                *first, *self._range_state(q, batch * kv_heads, splits, group_rows, dim), *last, GP=group_rows,
                SPLITS=splits, **meta)
        return out

    def _ranges(self, rows: int, kv_heads: int, x) -> int:
        """_attend_new_split_kernel's ranges a (row, key/value head), where rows x heads x ranges fill at most one
        wave of the SMs; else 1 (_attend_new_kernel)."""
        splits = self.attend_splits
        return splits if splits > 1 and rows * kv_heads * splits <= self._sm_count(x) else 1

    def _range_state(self, x, heads: int, splits: int, group_rows: int, dim: int):
        """_attend_new_split_kernel's scratch for each range's softmax state (maxima, sums, weighted values), and
        the heads' tickets: zeroed once, and kept for as long as a captured graph may use them."""
        key = (x.device, heads)
        if key not in self._tickets:
            self._tickets[key] = torch.zeros(heads, device=x.device, dtype=torch.int32)
        part_m = torch.empty(heads * splits * group_rows, device=x.device, dtype=torch.float32)
        part_acc = torch.empty(heads * splits * group_rows, dim, device=x.device, dtype=torch.float32)
        return part_m, torch.empty_like(part_m), part_acc, self._tickets[key]

    def silu_mul(self, gate_up):
        n = gate_up.shape[-1] // 2
        rows = gate_up.numel() // (2 * n)
        gate_up = gate_up.contiguous()
        out = torch.empty(*gate_up.shape[:-1], n, device=gate_up.device, dtype=gate_up.dtype)
        block = 1024
        _silu_mul_kernel[(rows, triton.cdiv(n, block))](gate_up, out, n, BLOCK=block, **self._launch)
        return out

    def sample(self, scores, keys, counters, temperature, top_k, top_p):
        if top_p is not None:  # nucleus sampling sorts: leave it to torch
            return super().sample(scores, keys, counters, temperature, top_k, top_p)
        rows, vocab = scores.shape
        tensors = [c.contiguous() if torch.is_tensor(c) else keys for c in counters]
        scalars = [0 if torch.is_tensor(c) else int(c) for c in counters]
        codes = torch.empty(rows, device=scores.device, dtype=torch.int64)
        _draw_kernel[(rows,)](scores.float().contiguous(), keys.contiguous(), *tensors, codes, vocab, *scalars,
                              int(top_k or vocab), 1.0 / float(temperature), C0_ROWS=torch.is_tensor(counters[0]),
                              C1_ROWS=torch.is_tensor(counters[1]), C2_ROWS=torch.is_tensor(counters[2]),
                              HAS_TOP_K=bool(top_k and top_k < vocab), BLOCK=triton.next_power_of_2(vocab),
                              WINNER_FIRST=self.draw_winner_first, num_warps=self.draw_warps, **self._launch)
        return codes
