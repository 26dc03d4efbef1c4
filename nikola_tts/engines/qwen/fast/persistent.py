"""The code predictor's step at one slot as one persistent Triton kernel.

At one slot a frame's 15 code-predictor steps are chains of small projections (4-13 MB of weights
each, five layers a step), each too small to reach the GPU's bandwidth alone; launched one by one
they are about 27 kernels a step. Here one program per SM runs a whole step: each phase (qkv,
attention, o, gate_up, down for each layer, then the head) is shared out among the programs, a
grid barrier (an atomic counter) stands between phases, and before it waits each program asks for
its next phase's weights into L2. The arithmetic and its roundings are those of ops.TorchOps
through kernels.TritonOps's fused kernels. On an H100 a frame of one slot took 4.05 ms instead of
4.39 (2026-12-06-h100-rtf-v32-layer-prefetch.log); a step is about 120 us for its 160 MB, so it is
still set by the phases' latency more than by bytes: the phases' stamps (`timed`) say the projections
stream at about 2.4 TB/s while they run, and the 25 barriers (1-2.6 us each from the median arrival
to the release) and the attention phase (eight programs) take half of the step
(2026-12-06-h100-rtf-v37-tunings.log).

`fold_attention` (the default) cuts the barriers further: it does each key/value head's attention in
the o phase: every program of that head makes it, then multiplies its block of o's rows by that
head's columns, and the partial sums are added up, in their order, in the gate_up phase. That is 20
barriers a step instead of 25, and no phase where 8 programs work and the rest wait: a step 120.2 us
against 133.5, H100 (2026-12-07-h100-rtf-v50-fold-forms.log). Tried and removed (in history at
6505b58): a frame's steps 1-14 and their draws in one launch (every program drawing each step's code
after a barrier; 155-169 us a step with its draw against 119, H100, *-v54-preload-phases.log), each
phase's first chunk of weights asked for while a program waits at the barrier before it (*-v54-*),
barriers polled with relaxed loads (*-h200-rtf-v55-relaxed-polls.log); and (at 550ebf3) each phase's
second chunk asked for with its first, before the phase makes its input (121.7 us a step against
116.4, *-v59-chunks-ahead.log).
Triton compiles it in about 7 s at its first launch on a machine (then from its disk cache), which
is why FastSpeaker compiles it ahead, in a thread (`compile_ahead`).

Every program must be resident at once (one per SM; another stream's kernels may delay some, and a
barrier that waits too long gives up and sets a flag the host reads: `check()`). Triton's
interpreter runs programs one after another, where a barrier would wait forever: with
persistent=False the same kernel is launched once per phase instead, which is how the tests
check its arithmetic.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
import triton
import triton.language as tl

from nikola_tts.engines.qwen.fast.forward import OneSlotFailed
from nikola_tts.engines.qwen.fast.kernels import (INTERPRETED, PDL_SERVES, _attend_over, _normed_rotated,
                                                  _overlap_previous, _wait_previous)
from nikola_tts.engines.qwen.fast.weights import Stack

PHASES = 5  # a layer's: qkv, attention, o, gate_up, down
_PHASES = tl.constexpr(PHASES)  # the same, for the kernel
PHASE_NAMES = {False: ("qkv", "attention", "o", "gate_up", "down"),  # by fold_attention
               True: ("qkv", "attention+o", "gate_up", "down")}
# PersistentPredictor's fold_attention where none is asked for: H100, a frame's 14 steps as one CUDA graph, 120.2 us
# a step against 133.5, the scores equal (2026-12-07-h100-rtf-v50-fold-forms.log; 116.7 against 121.5 in v48)
FOLD_ATTENTION = True
_SPIN_LIMIT = tl.constexpr(1 << 16)  # polls of a barrier before it gives up: about 0.1 s, where a wait takes us
_POISON = tl.constexpr(1 << 30)  # added to a barrier's counter that gave up: past every target
LAYER_TENSORS = ("qkv", "o", "gate_up", "down", "input_norm", "post_norm", "q_norm", "k_norm")  # the kernel's order
MAX_TILE = 16384  # weights a program multiplies at once (64 float32 products a thread at 8 warps: no spills)
WARPS = 8


@triton.jit
def _stamp(times_ptr, at, TIMES: tl.constexpr):
    """With TIMES, the GPU's global nanosecond clock into times_ptr[at] (PersistentPredictor's `timed`)."""
    if TIMES:
        now = tl.inline_asm_elementwise("mov.u64 $0, %globaltimer;", "=l,r", [at], dtype=tl.int64, is_pure=False,
                                        pack=1)
        tl.store(times_ptr + at, now)


@triton.jit
def _sync(counter_ptr, failed_ptr, phase, nprog, only, times_ptr, TIMES: tl.constexpr):
    """The grid barrier after `phase`, when every phase runs in this launch (only < 0): wait until all programs
    have arrived (phase + 1) times in all. Release and acquire at GPU scope order each program's stores before the
    others' loads. A wait past SPIN_LIMIT polls (programs that never became resident: another stream's kernels
    held the SMs) sets the failure flag, which the host reads, and poisons the counter, which lets every program
    through. With TIMES, the program's arrival and its way out are stamped (times_ptr: this program's row)."""
    if only < 0:
        target = (phase + 1) * nprog
        _stamp(times_ptr, phase * 2 + 1, TIMES)
        tl.debug_barrier()
        tl.atomic_add(counter_ptr, 1, sem="release", scope="gpu")
        seen = tl.atomic_add(counter_ptr, 0, sem="acquire", scope="gpu")
        polls = 0
        while (seen < target) & (polls < _SPIN_LIMIT):
            seen = tl.atomic_add(counter_ptr, 0, sem="acquire", scope="gpu")
            polls += 1
        if seen < target:
            tl.atomic_xchg(failed_ptr, 1)
            tl.atomic_add(counter_ptr, _POISON)
        tl.debug_barrier()
        _stamp(times_ptr, phase * 2 + 2, TIMES)


@triton.jit
def _prefetch(ptr, count, LINES: tl.constexpr, LINE: tl.constexpr, PREFETCH: tl.constexpr):
    """Ask for `count` elements from ptr into L2, one request per cache line of LINE elements."""
    if PREFETCH:
        if count > 0:
            at = tl.minimum(tl.arange(0, LINES) * LINE, count - 1)
            tl.inline_asm_elementwise("{ prefetch.global.L2 [$1]; mov.u32 $0, 0; }", "=r,l", [ptr + at],
                                      dtype=tl.int32, is_pure=False, pack=1)


@triton.jit
def _next_layer(qkv_w, head_ptr, layer, pid, LAYERS: tl.constexpr, H: tl.constexpr, QKV_N: tl.constexpr,
                V: tl.constexpr, QKV_ROWS: tl.constexpr, HEAD_ROWS: tl.constexpr, LINES: tl.constexpr,
                LINE: tl.constexpr, PREFETCH: tl.constexpr):
    """Prefetch this program's share of the next layer's qkv, or after the last layer, of the head."""
    if layer + 1 < LAYERS:
        _prefetch(qkv_w + QKV_N * H + pid * QKV_ROWS * H, tl.minimum(QKV_ROWS, QKV_N - pid * QKV_ROWS) * H, LINES,
                  LINE, PREFETCH)
    else:
        _prefetch(head_ptr + pid * HEAD_ROWS * H, tl.minimum(HEAD_ROWS, V - pid * HEAD_ROWS) * H, LINES, LINE,
                  PREFETCH)


@triton.jit
def _rms(x, w_ptr, k, k_ok, K: tl.constexpr, eps):
    """RMSNorm of a float32 row as TorchOps.norm rounds it (to the weight's dtype, the model's), in float32."""
    dtype = w_ptr.dtype.element_ty
    rstd = 1.0 / tl.sqrt(tl.sum(x * x, axis=0) / K + eps)
    h = (x * rstd).to(dtype).to(tl.float32)
    return (tl.load(w_ptr + k, mask=k_ok, other=0.0).to(tl.float32) * h).to(dtype).to(tl.float32)


@triton.jit
def _residual(a_ptr, b_ptr, k, k_ok):
    """a + b, rounded to their dtype, in float32 (both written in this launch: read from L2)."""
    a = tl.load(a_ptr + k, mask=k_ok, other=0.0, cache_modifier=".cg")
    b = tl.load(b_ptr + k, mask=k_ok, other=0.0, cache_modifier=".cg")
    return (a.to(tl.float32) + b.to(tl.float32)).to(a.dtype).to(tl.float32)


@triton.jit
def _residual_sum(a_ptr, parts_ptr, k, k_ok, PARTS: tl.constexpr, H: tl.constexpr):
    """a + the sum of PARTS float32 rows at parts_ptr (H apart), added in their order and rounded to a's dtype as a
    projection's output is; then the sum rounded to that dtype, in float32 (all written in this launch)."""
    b = tl.load(parts_ptr + k, mask=k_ok, other=0.0, cache_modifier=".cg")
    for p in tl.static_range(1, PARTS):
        b += tl.load(parts_ptr + p * H + k, mask=k_ok, other=0.0, cache_modifier=".cg")
    a = tl.load(a_ptr + k, mask=k_ok, other=0.0, cache_modifier=".cg")
    return (a.to(tl.float32) + b.to(a.dtype).to(tl.float32)).to(a.dtype).to(tl.float32)


@triton.jit
def _chunk(w_ptr, row0, N, K: tl.constexpr, STRIDE: tl.constexpr, BLOCK_K: tl.constexpr, CHUNK: tl.constexpr):
    """Rows row0..row0 + CHUNK of w (those below N; STRIDE apart), their first K columns, BLOCK_K wide."""
    n = row0 + tl.arange(0, CHUNK)
    k = tl.arange(0, BLOCK_K)
    return tl.load(w_ptr + n[:, None] * STRIDE + k[None, :], mask=(n < N)[:, None] & (k < K)[None, :], other=0.0)


@triton.jit
def _project(h, w, w_ptr, out_ptr, row0, N, K: tl.constexpr, STRIDE: tl.constexpr, BLOCK_K: tl.constexpr,
             ROWS: tl.constexpr, CHUNK: tl.constexpr, ROUND: tl.constexpr = True):
    """out[n] = h . w[n, :K] for this program's rows row0..row0 + ROWS (those below N, STRIDE apart), CHUNK rows
    at a time, with ROUND rounded to the weights' dtype (the model's) whatever out's is (without, a partial sum
    in float32); w is the first chunk, which the caller asked for before it made h (its norm waits on a barrier
    of the program's threads, which no load crosses); each next chunk is asked for before the one in hand is
    summed."""
    for c in tl.static_range(0, ROWS, CHUNK):
        held = w
        if c + CHUNK < ROWS:
            w = _chunk(w_ptr, row0 + c + CHUNK, N, K, STRIDE, BLOCK_K, CHUNK)
        n = row0 + c + tl.arange(0, CHUNK)
        acc = tl.sum(h[None, :] * held.to(tl.float32), axis=1)
        if ROUND:
            acc = acc.to(w_ptr.dtype.element_ty)
        tl.store(out_ptr + n, acc.to(out_ptr.dtype.element_ty), mask=n < N)


@triton.jit
def _attend_kv(qkv_out, attn_out, k_norm_w, q_norm_w, cos_ptr, sin_ptr, kc_ptr, vc_ptr, c_st, kv, position, eps,
               scale, HEADS: tl.constexpr, KV: tl.constexpr, D: tl.constexpr, BLOCK_G: tl.constexpr,
               BLOCK_T: tl.constexpr):
    """Key/value head kv: its new key (normed, rotated) and value into its caches (kc_ptr, vc_ptr: this layer's and
    head's) at `position`, then its query heads over positions 0..position -> attn_out, in the model's dtype. Any
    other program that does the same head stores the same bits."""
    QW: tl.constexpr = HEADS * D
    KW: tl.constexpr = KV * D
    G: tl.constexpr = HEADS // KV
    d = tl.arange(0, D)
    one = tl.arange(0, 1)
    key = _normed_rotated(qkv_out + QW + kv * D, k_norm_w, cos_ptr, sin_ptr, one, D, eps, ".cg")
    tl.store(kc_ptr + position * c_st + one[:, None] + d[None, :], key)
    tl.store(vc_ptr + position * c_st + d, tl.load(qkv_out + QW + KW + kv * D + d, cache_modifier=".cg"))
    tl.debug_barrier()
    g = tl.arange(0, BLOCK_G)
    g_ok = g < G
    heads = tl.where(g_ok, kv * G + g, kv * G)  # rows past G read head kv * G again, never stored
    q = _normed_rotated(qkv_out, q_norm_w, cos_ptr, sin_ptr, heads * D, D, eps, ".cg")
    out = _attend_over(q, kc_ptr, vc_ptr, c_st, c_st, position + 1, scale, BLOCK_G, D, BLOCK_T)
    tl.store(attn_out + (kv * G + g)[:, None] * D + d[None, :], out.to(attn_out.dtype.element_ty),
             mask=g_ok[:, None])


@triton.jit(do_not_specialize=["step", "position", "counter", "only"])
def _predictor_step_kernel(
        x_ptr, qkv_ptr, o_ptr, gate_up_ptr, down_ptr, input_norm_ptr, post_norm_ptr, q_norm_ptr, k_norm_ptr,
        norm_ptr, heads_ptr, cos_tab, sin_tab, kc_ptr, vc_ptr, c_sl, c_sh, c_st,
        res_a, res_b, qkv_out, attn_out, o_out, o_parts, gate_up_out, down_out, scores_ptr, sync_ptr, failed_ptr,
        times_ptr, step, position, counter, only, eps, scale,
        LAYERS: tl.constexpr, H: tl.constexpr, BLOCK_H: tl.constexpr, HEADS: tl.constexpr, KV: tl.constexpr,
        D: tl.constexpr, I: tl.constexpr, BLOCK_I: tl.constexpr, V: tl.constexpr, BLOCK_QW: tl.constexpr,
        BLOCK_G: tl.constexpr, BLOCK_T: tl.constexpr,
        QKV_ROWS: tl.constexpr, QKV_CHUNK: tl.constexpr, O_ROWS: tl.constexpr, O_CHUNK: tl.constexpr,
        GU_ROWS: tl.constexpr, GU_CHUNK: tl.constexpr, DOWN_ROWS: tl.constexpr, DOWN_CHUNK: tl.constexpr,
        HEAD_ROWS: tl.constexpr, HEAD_CHUNK: tl.constexpr,
        LINES: tl.constexpr, LINE: tl.constexpr, PREFETCH: tl.constexpr, TIMES: tl.constexpr,
        FOLD: tl.constexpr = False, O_BLOCKS: tl.constexpr = 1, FOLD_ROWS: tl.constexpr = 1,
        FOLD_CHUNK: tl.constexpr = 1, FOLD_G: tl.constexpr = 1, PDL: tl.constexpr = False):
    """One code-predictor step (`step`) of one new token at `position`: x (H,) through every layer, its key and
    value into the caches, then the final norm and this step's head (of heads_ptr) -> scores (V,). `counter`: the
    step's barriers' counter (of sync_ptr). A layer's phases are qkv, attention, o, gate_up, down; with FOLD the
    attention is done in the o phase (qkv, attention and o, gate_up, down): a program per key/value head and block
    of O_BLOCKS of o's rows does that head's attention and its share of the o projection (its columns of those rows:
    FOLD_ROWS, FOLD_CHUNK at a time), a float32 partial sum into o_parts (KV, H), which the gate_up phase adds up in
    their order. Phase p of layer l is number l * PHASES + p (PHASES: 5, with FOLD 4), the head's LAYERS * PHASES;
    only >= 0 runs that phase alone (a launch per phase), only < 0 all of them, with a grid barrier after each.
    res_a/res_b hold the residual stream, alternately written by program 0. TIMES: each program stamps its phases'
    starts and ends into its row of times_ptr (where a step's time goes). PDL (all phases in this launch only):
    launched as a programmatic dependent, the first layer's weights asked for before the wait for the kernel before
    it."""
    _overlap_previous(PDL)
    pid = tl.program_id(0)
    nprog = tl.num_programs(0)
    QW: tl.constexpr = HEADS * D
    KW: tl.constexpr = KV * D
    QKV_N: tl.constexpr = QW + 2 * KW
    GD: tl.constexpr = (HEADS // KV) * D  # a key/value head's query columns
    BLOCK_GD: tl.constexpr = FOLD_G * D
    PH: tl.constexpr = _PHASES - FOLD
    O_AT: tl.constexpr = 2 - FOLD  # the o phase's number in a layer
    times_ptr += pid * (LAYERS * PH + 1) * 2
    _stamp(times_ptr, 0, TIMES)
    hk = tl.arange(0, BLOCK_H)
    h_ok = hk < H
    sync = sync_ptr + counter
    head_ptr = heads_ptr + step * V * H
    cos_ptr = cos_tab + position * D
    sin_ptr = sin_tab + position * D
    for layer in range(LAYERS):
        base = layer * PH
        qkv_w = qkv_ptr + layer * QKV_N * H
        o_w = o_ptr + layer * H * QW
        gu_w = gate_up_ptr + layer * 2 * I * H
        down_w = down_ptr + layer * H * I
        cache = layer * c_sl
        # 1: the residual stream (plus the last layer's output), normed, through qkv
        if (only < 0) | (only == base):
            w = _chunk(qkv_w, pid * QKV_ROWS, QKV_N, H, H, BLOCK_H, QKV_CHUNK)
            if layer == 0:
                _wait_previous(PDL)
                x = tl.load(x_ptr + hk, mask=h_ok, other=0.0, cache_modifier=".cg").to(tl.float32)
            else:
                x = _residual(res_a, down_out, hk, h_ok)
            if pid == 0:
                tl.store(res_b + hk, x.to(res_b.dtype.element_ty), mask=h_ok)
            h = _rms(x, input_norm_ptr + layer * H, hk, h_ok, H, eps)
            _project(h, w, qkv_w, qkv_out, pid * QKV_ROWS, QKV_N, H, H, BLOCK_H, QKV_ROWS, QKV_CHUNK)
            # PREFETCH 1: o and gate_up now, down after o, the next qkv after gate_up; 2: all four now. o's rows are
            # shared out evenly for this, with or without FOLD: L2 is every program's
            _prefetch(o_w + pid * O_ROWS * QW, tl.minimum(O_ROWS, H - pid * O_ROWS) * QW, LINES, LINE, PREFETCH > 0)
            _prefetch(gu_w + pid * GU_ROWS * H, tl.minimum(GU_ROWS, 2 * I - pid * GU_ROWS) * H, LINES, LINE,
                      PREFETCH > 0)
            _prefetch(down_w + pid * DOWN_ROWS * I, tl.minimum(DOWN_ROWS, H - pid * DOWN_ROWS) * I, LINES, LINE,
                      PREFETCH == 2)
            _next_layer(qkv_w, head_ptr, layer, pid, LAYERS, H, QKV_N, V, QKV_ROWS, HEAD_ROWS, LINES, LINE,
                        PREFETCH == 2)
        _sync(sync, failed_ptr, base, nprog, only, times_ptr, TIMES)
        if FOLD:
            # 2: per (key/value head, block of o's rows): the head's attention, then its columns of those rows of o
            if (only < 0) | (only == base + 1):
                for unit in range(pid, KV * O_BLOCKS, nprog):
                    kv = unit % KV
                    row0 = (unit // KV) * FOLD_ROWS
                    w = _chunk(o_w + kv * GD, row0, H, GD, QW, BLOCK_GD, FOLD_CHUNK)
                    _attend_kv(qkv_out, attn_out, k_norm_ptr + layer * D, q_norm_ptr + layer * D, cos_ptr,
                               sin_ptr, kc_ptr + cache + kv * c_sh, vc_ptr + cache + kv * c_sh, c_st, kv, position, eps,
                               scale, HEADS, KV, D, BLOCK_G, BLOCK_T)
                    tl.debug_barrier()  # the program's own stores of attn_out, read back flat
                    ga = tl.arange(0, BLOCK_GD)
                    h = tl.load(attn_out + kv * GD + ga, mask=ga < GD, other=0.0,
                                cache_modifier=".cg").to(tl.float32)
                    _project(h, w, o_w + kv * GD, o_parts + kv * H, row0, H, GD, QW, BLOCK_GD, FOLD_ROWS,
                             FOLD_CHUNK, False)
                _prefetch(down_w + pid * DOWN_ROWS * I, tl.minimum(DOWN_ROWS, H - pid * DOWN_ROWS) * I, LINES, LINE,
                          PREFETCH == 1)
            _sync(sync, failed_ptr, base + 1, nprog, only, times_ptr, TIMES)
        else:
            # 2: a program per key/value head: its key and value into the caches, its query heads over them
            if (only < 0) | (only == base + 1):
                for kv in range(pid, KV, nprog):
                    _attend_kv(qkv_out, attn_out, k_norm_ptr + layer * D, q_norm_ptr + layer * D, cos_ptr, sin_ptr,
                               kc_ptr + cache + kv * c_sh, vc_ptr + cache + kv * c_sh, c_st, kv, position, eps,
                               scale, HEADS, KV, D, BLOCK_G, BLOCK_T)
            _sync(sync, failed_ptr, base + 1, nprog, only, times_ptr, TIMES)
            # 3: the attention's output through o
            if (only < 0) | (only == base + 2):
                w = _chunk(o_w, pid * O_ROWS, H, QW, QW, BLOCK_QW, O_CHUNK)
                qa = tl.arange(0, BLOCK_QW)
                qa_ok = qa < QW
                h = tl.load(attn_out + qa, mask=qa_ok, other=0.0, cache_modifier=".cg").to(tl.float32)
                _project(h, w, o_w, o_out, pid * O_ROWS, H, QW, QW, BLOCK_QW, O_ROWS, O_CHUNK)
                _prefetch(down_w + pid * DOWN_ROWS * I, tl.minimum(DOWN_ROWS, H - pid * DOWN_ROWS) * I, LINES, LINE,
                          PREFETCH == 1)
            _sync(sync, failed_ptr, base + 2, nprog, only, times_ptr, TIMES)
        # 4: the residual plus the attention, normed, through gate_up
        if (only < 0) | (only == base + O_AT + 1):
            w = _chunk(gu_w, pid * GU_ROWS, 2 * I, H, H, BLOCK_H, GU_CHUNK)
            if FOLD:
                x = _residual_sum(res_b, o_parts, hk, h_ok, KV, H)
            else:
                x = _residual(res_b, o_out, hk, h_ok)
            if pid == 0:
                tl.store(res_a + hk, x.to(res_a.dtype.element_ty), mask=h_ok)
            h = _rms(x, post_norm_ptr + layer * H, hk, h_ok, H, eps)
            _project(h, w, gu_w, gate_up_out, pid * GU_ROWS, 2 * I, H, H, BLOCK_H, GU_ROWS, GU_CHUNK)
            _next_layer(qkv_w, head_ptr, layer, pid, LAYERS, H, QKV_N, V, QKV_ROWS, HEAD_ROWS, LINES, LINE,
                        PREFETCH == 1)
        _sync(sync, failed_ptr, base + O_AT + 1, nprog, only, times_ptr, TIMES)
        # 5: SwiGLU through down: the layer's output
        if (only < 0) | (only == base + O_AT + 2):
            w = _chunk(down_w, pid * DOWN_ROWS, H, I, I, BLOCK_I, DOWN_CHUNK)
            ia = tl.arange(0, BLOCK_I)
            i_ok = ia < I
            gate = tl.load(gate_up_out + ia, mask=i_ok, other=0.0, cache_modifier=".cg").to(tl.float32)
            up = tl.load(gate_up_out + I + ia, mask=i_ok, other=0.0, cache_modifier=".cg")
            silu = (gate / (1.0 + tl.exp(-gate))).to(up.dtype).to(tl.float32)
            h = (silu * up.to(tl.float32)).to(up.dtype).to(tl.float32)
            _project(h, w, down_w, down_out, pid * DOWN_ROWS, H, I, I, BLOCK_I, DOWN_ROWS, DOWN_CHUNK)
        _sync(sync, failed_ptr, base + O_AT + 2, nprog, only, times_ptr, TIMES)
    # the head: the residual plus the last layer's output, final-normed, through this step's head
    if (only < 0) | (only == LAYERS * PH):
        w = _chunk(head_ptr, pid * HEAD_ROWS, V, H, H, BLOCK_H, HEAD_CHUNK)
        x = _residual(res_a, down_out, hk, h_ok)
        h = _rms(x, norm_ptr, hk, h_ok, H, eps)
        _project(h, w, head_ptr, scores_ptr, pid * HEAD_ROWS, V, H, H, BLOCK_H, HEAD_ROWS, HEAD_CHUNK)
    _stamp(times_ptr, LAYERS * PH * 2 + 1, TIMES)


@dataclass(frozen=True)
class Share:
    """A projection's rows per program, and how many of them it multiplies at once."""

    rows: int
    chunk: int


def share(n: int, k: int, programs: int) -> Share:
    """n output rows of inputs k wide over `programs` programs, in chunks of at most MAX_TILE weights."""
    rows = triton.cdiv(n, programs)
    chunk = min(triton.next_power_of_2(rows), max(1, MAX_TILE // triton.next_power_of_2(k)))
    chunk = 1 << (chunk.bit_length() - 1)  # a power of two, not above the rows
    return Share(triton.cdiv(rows, chunk) * chunk, chunk)


def attention_tile(positions: int) -> int:
    """The keys the attention takes a loop step (BLOCK_T): as many as the caches' positions, 16 to 64. A
    specialization of the kernel: compile_ahead must see the run's."""
    return max(16, min(64, triton.next_power_of_2(positions)))


def programs_for(device: torch.device) -> int:
    """One program per SM (4 in Triton's interpreter)."""
    return torch.cuda.get_device_properties(device).multi_processor_count if device.type == "cuda" else 4


def _stacked(layers: list, name: str) -> torch.Tensor | None:
    """The layers' `name` tensors as one (layers, ...) tensor when they are evenly spaced views of one
    (weights.py makes them so), else None."""
    first = getattr(layers[0], name)
    step = first.numel() * first.element_size()
    if not first.is_contiguous() or any(getattr(layer, name).data_ptr() != first.data_ptr() + i * step
                                        or not getattr(layer, name).is_contiguous()
                                        for i, layer in enumerate(layers)):
        return None
    return first


def fits(stack: Stack, heads: torch.Tensor) -> bool:
    """Whether the kernel serves this code predictor: its layers stacked, power-of-two heads, one dtype."""
    names = LAYER_TENSORS
    d = stack.head_dim
    return (all(_stacked(stack.layers, name) is not None for name in names) and d >= 16 and d & (d - 1) == 0
            and stack.heads % stack.kv_heads == 0 and heads.is_contiguous() and stack.cos.is_contiguous()
            and stack.sin.is_contiguous()
            and len({getattr(stack.layers[0], name).dtype for name in names} | {heads.dtype}) == 1)


class PersistentPredictor:
    """Steps 1-14 of the code predictor for slot 0 alone, a launch each (step 0 sees two tokens: the layers do it,
    or with first_step, two launches of this kernel: `first_step()`).

    `new_frame()` before a frame's first step (it zeroes the barriers' counters), then `step()` for each step: plain
    launches, captured with the rest of the frame. persistent=False launches each phase on its own (Triton's
    interpreter, and the GPU check of the barrier's launch against it)."""

    def __init__(self, stack: Stack, heads: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor,
                 programs: int | None = None, persistent: bool = not INTERPRETED, prefetch: int = 1,
                 timed: bool = False, pdl: bool = False, first_step: bool = False,
                 fold_attention: bool | None = None):
        programs = programs or programs_for(k_cache.device)
        first = stack.layers[0]
        self.stack, self.heads = stack, heads  # heads: (steps, vocab, hidden), the predictor's 15 heads
        self.k_cache, self.v_cache = k_cache, v_cache  # (layers, slots, kv_heads, positions, head_dim)
        self.programs, self.persistent = programs, persistent
        # weights asked into L2 ahead of their phase: 1, a phase or two ahead; 2, a layer's at its start; 0, never.
        # H100, one slot, same process: 4.05 ms a frame with 1, 4.25 with 2 (2026-12-06-h100-rtf-v32-layer-prefetch.log);
        # 4.09 with 1, 4.14 with 0 (*-v31-one-launch-predictor.log)
        self.prefetch = prefetch if persistent and not INTERPRETED else 0
        # a programmatic dependent of the kernel before it (kernels.TritonOps's pdl): in one launch only, where the
        # first phase is sure to run (it waits there)
        self.pdl = pdl and persistent and PDL_SERVES
        # step 0 too, as two launches of one token each (`first_step`) instead of the layers' two-token pass
        self.first = first_step
        # the attention done in the o phase, by (key/value head, block of o's rows): a layer's phases 5 -> 4. Its
        # output is stored and read back flat: made in registers instead (tl.sum over (2, 32, 128) products, since
        # tl.dot wants 16 rows) a step took 121.4 us against 120.2, H100 (2026-12-07-h100-rtf-v50-fold-forms.log;
        # that form is 0f02cc2's)
        self.fold = bool(FOLD_ATTENTION if fold_attention is None else fold_attention)
        self.phases = PHASES - self.fold  # a layer's
        self.hidden = int(first.qkv.shape[1])
        self.intermediate = int(first.gate_up.shape[0]) // 2
        self.vocab = int(heads.shape[1])
        q_width = stack.heads * stack.head_dim
        qkv_rows = int(first.qkv.shape[0])
        device, dtype = first.qkv.device, first.qkv.dtype

        def scratch(n):
            return torch.zeros(n, device=device, dtype=dtype)

        self.res_a, self.res_b = scratch(self.hidden), scratch(self.hidden)
        self.qkv_out, self.attn_out, self.o_out = scratch(qkv_rows), scratch(q_width), scratch(self.hidden)
        self.gate_up_out, self.down_out = scratch(2 * self.intermediate), scratch(self.hidden)
        # with fold_attention, each key/value head's partial sums of o's output, in float32
        self.o_parts = torch.zeros(stack.kv_heads if self.fold else 1, self.hidden, device=device, dtype=torch.float32)
        self.counters = torch.zeros(int(heads.shape[0]) + 1, device=device, dtype=torch.int32)  # one per step
        self.failed = torch.zeros(1, device=device, dtype=torch.int32)  # set by a barrier that gave up
        # timed (a benchmark's, on the GPU): per program, the global clock at each phase's start and end (_stamp)
        self.timed = timed and not INTERPRETED
        self.times = torch.zeros(programs if self.timed else 1, (len(stack.layers) * self.phases + 1) * 2,
                                 device=device, dtype=torch.int64)
        self.shares = dict(qkv=share(qkv_rows, self.hidden, programs), o=share(self.hidden, q_width, programs),
                           gate_up=share(2 * self.intermediate, self.hidden, programs),
                           down=share(self.hidden, self.intermediate, programs),
                           head=share(self.vocab, self.hidden, programs))
        line = 128 // first.qkv.element_size()
        widest = max(s.rows * k for s, k in ((self.shares["qkv"], self.hidden), (self.shares["o"], q_width),
                                             (self.shares["gate_up"], self.hidden),
                                             (self.shares["down"], self.intermediate),
                                             (self.shares["head"], self.hidden)))
        self.constants = dict(
            LAYERS=len(stack.layers), H=self.hidden, BLOCK_H=triton.next_power_of_2(self.hidden), HEADS=stack.heads,
            KV=stack.kv_heads, D=stack.head_dim, I=self.intermediate,
            BLOCK_I=triton.next_power_of_2(self.intermediate), V=self.vocab, BLOCK_QW=triton.next_power_of_2(q_width),
            BLOCK_G=max(16, triton.next_power_of_2(stack.groups)),
            BLOCK_T=attention_tile(int(k_cache.shape[3])),
            QKV_ROWS=self.shares["qkv"].rows, QKV_CHUNK=self.shares["qkv"].chunk, O_ROWS=self.shares["o"].rows,
            O_CHUNK=self.shares["o"].chunk, GU_ROWS=self.shares["gate_up"].rows,
            GU_CHUNK=self.shares["gate_up"].chunk, DOWN_ROWS=self.shares["down"].rows,
            DOWN_CHUNK=self.shares["down"].chunk, HEAD_ROWS=self.shares["head"].rows,
            HEAD_CHUNK=self.shares["head"].chunk, LINES=triton.next_power_of_2(triton.cdiv(widest, line)), LINE=line,
            PREFETCH=self.prefetch, TIMES=self.timed, PDL=self.pdl)
        if self.fold:
            blocks = max(1, programs // stack.kv_heads)  # of o's rows: a program per (block, key/value head)
            fold = share(self.hidden, triton.next_power_of_2(stack.groups) * stack.head_dim, blocks)
            self.constants.update(FOLD=True, O_BLOCKS=blocks, FOLD_ROWS=fold.rows, FOLD_CHUNK=fold.chunk,
                                  FOLD_G=triton.next_power_of_2(stack.groups))
        self.weights = [_stacked(stack.layers, name) for name in LAYER_TENSORS]

    def new_frame(self) -> None:
        self.counters.zero_()

    def check(self) -> None:
        """Raise if a barrier gave up since the last check (the scores since are wrong: the run must not use
        them). Reads a flag on the device: call where the host synchronizes anyway."""
        if int(self.failed.item()):
            self.failed.zero_()
            raise OneSlotFailed("the code predictor's one-launch step waited too long at a grid barrier (another "
                               "stream's kernels held the GPU's SMs)")

    def first_step(self, x: torch.Tensor) -> torch.Tensor:
        """Step 0: x (1, 2, hidden), the talker's output and the first code's embedding, at positions 0 and 1 ->
        scores (1, vocab) of code 1. Causal attention lets each token be a step of its own: the first launch leaves
        position 0's keys and values in the caches (its scores, of head 0, go unused), the second is step 0 proper.
        The counters of steps 1-14 are left alone: the first launch takes the last one (steps + 1 of them)."""
        self.step(x[:, :1], 0, 0, counter=int(self.counters.shape[0]) - 1)
        return self.step(x[:, 1:], 0, 1)

    def step(self, x: torch.Tensor, step: int, position: int, compile_only: bool = False,
             counter: int | None = None) -> torch.Tensor:
        """x (1, 1, hidden), the step's input -> this step's scores (1, vocab), rounded to the model's dtype and
        stored in float32 (what sampling takes: no conversion's launch); its keys and values are in the caches at
        `position` after it. compile_only: compile the kernel for these arguments, launch nothing (compile_ahead).
        counter: the barriers' counter, if not the step's."""
        scores = torch.empty(1, self.vocab, device=x.device, dtype=torch.float32)
        self._launch(x, step, position, step if counter is None else counter, scores, compile_only)
        return scores

    def _launch(self, x, step: int, position: int, counter: int, scores, compile_only: bool = False) -> None:
        s = self.stack
        args = (x.contiguous(), *self.weights, s.norm, self.heads, s.cos, s.sin,
                self.k_cache, self.v_cache, self.k_cache.stride(0), self.k_cache.stride(2), self.k_cache.stride(3),
                self.res_a, self.res_b, self.qkv_out, self.attn_out, self.o_out, self.o_parts, self.gate_up_out,
                self.down_out, scores, self.counters, self.failed, self.times)
        phases = [-1] if self.persistent else range(len(s.layers) * self.phases + 1)
        for only in phases:
            kernel = (functools.partial(_predictor_step_kernel.warmup, grid=(self.programs,)) if compile_only
                      else _predictor_step_kernel[(self.programs,)])
            kernel(*args, step, position, counter, only, s.eps, s.head_dim ** -0.5, **self.constants,
                   num_warps=WARPS, **(dict(launch_pdl=True) if self.pdl else {}))


def stand_in(stack: Stack, heads: torch.Tensor, positions: int, prefetch: int = 1, pdl: bool = False,
             fold_attention: bool | None = None) -> PersistentPredictor:
    """A step on one-slot stand-in caches of `positions` positions: the kernel's specialization of every run whose
    caches have as many (they set the attention's tile; every run's strides are multiples of 16, as these are)."""
    cache = (len(stack.layers), 1, stack.kv_heads, positions, stack.head_dim)
    return PersistentPredictor(stack, heads, torch.zeros(cache, device=heads.device, dtype=heads.dtype),
                               torch.zeros(cache, device=heads.device, dtype=heads.dtype), prefetch=prefetch, pdl=pdl,
                               fold_attention=fold_attention)


def compile_ahead(stack: Stack, heads: torch.Tensor, positions: int, prefetch: int = 1, pdl: bool = False,
                  fold_attention: bool | None = None) -> None:
    """Compile the kernel for this code predictor on its device without running it (Triton's warmup), for a
    thread beside the run: Triton takes about 7 s at the kernel's first launch on a machine (then reads its disk
    cache), which the first frame of one slot would otherwise wait for. `positions`: the run's caches' (stand_in):
    other positions may make another attention tile, so another specialization, and the run compiles its own at
    its first launch."""
    if INTERPRETED:
        return
    device = heads.device
    runner = stand_in(stack, heads, positions, prefetch, pdl, fold_attention)
    with torch.cuda.device(device):  # Triton compiles for, and caches on, the thread's current device
        runner.step(torch.zeros(1, 1, runner.hidden, device=device, dtype=heads.dtype), 1, 2, compile_only=True)
