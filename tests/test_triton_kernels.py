"""The fast path's fused Triton kernels (engines/qwen/fast/kernels.py) compute what the torch ops they replace
compute: run here by Triton's interpreter on the CPU, in float32 (the interpreter has no bfloat16 of its own),
against ops.TorchOps. On an NVIDIA GPU `benchmarks/qwen_rtf.py --methods fast-kernels` checks the compiled
kernels in bfloat16 too."""

from __future__ import annotations

import os

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("triton")

from nikola_tts.engines.qwen.fast.ops import TorchOps  # noqa: E402

TOLERANCE = 1e-5  # relative: float32 sums in another order


@pytest.fixture(scope="module")
def kernels():
    """kernels.py, its @triton.jit functions run by the interpreter (conftest.py chose it before Triton's import)."""
    if os.environ.get("TRITON_INTERPRET") != "1":
        pytest.skip("TRITON_INTERPRET is set to something other than 1: the kernels would need a GPU")
    from nikola_tts.engines.qwen.fast import kernels

    return kernels


@pytest.fixture
def rand():
    generator = torch.Generator().manual_seed(3)
    return lambda *shape: torch.randn(*shape, generator=generator)


def relative(a, b) -> float:
    return float((a - b).norm() / b.norm().clamp_min(1e-30))


def test_the_norm_kernels_are_rmsnorm_with_and_without_the_residual_add(kernels, rand):
    fused, plain = kernels.TritonOps(), TorchOps()
    x, delta, weight = rand(5, 1, 256), rand(5, 1, 256), rand(256)
    assert relative(fused.norm(x, weight, 1e-6), plain.norm(x, weight, 1e-6)) < TOLERANCE
    (total, normed), (total_ref, normed_ref) = fused.add_norm(x, delta, weight, 1e-6), plain.add_norm(x, delta, weight, 1e-6)
    assert torch.equal(total, total_ref) and relative(normed, normed_ref) < TOLERANCE


def test_the_heads_kernel_norms_and_rotates_each_head(kernels, rand):
    fused, plain = kernels.TritonOps(), TorchOps()
    x = rand(2, 3, 4, 64)  # (batch, seq, heads, dim)
    weight, cos, sin = rand(64), rand(2, 3, 64), rand(2, 3, 64)
    assert relative(fused.heads(x, weight, 1e-6, cos, sin), plain.heads(x, weight, 1e-6, cos, sin)) < TOLERANCE


def test_the_cache_kernel_writes_each_rows_key_and_value_at_its_position(kernels, rand):
    fused, plain = kernels.TritonOps(), TorchOps()
    k, v, weight, cos, sin = rand(3, 1, 2, 64), rand(3, 1, 2, 64), rand(64), rand(3, 1, 64), rand(3, 1, 64)
    positions = torch.tensor([0, 7, 3])
    caches = [torch.zeros(3, 2, 8, 64) for _ in range(4)]
    fused.store_kv(k, v, weight, 1e-6, cos, sin, caches[0], caches[1], positions)
    plain.store_kv(k, v, weight, 1e-6, cos, sin, caches[2], caches[3], positions)
    assert relative(caches[0], caches[2]) < TOLERANCE and torch.equal(caches[1], caches[3])


def test_the_attention_kernel_sees_each_rows_positions_up_to_its_last(kernels, rand):
    fused, plain = kernels.TritonOps(), TorchOps()
    q, k, v = rand(3, 4, 1, 64), rand(3, 2, 40, 64), rand(3, 2, 40, 64)  # grouped: 4 query heads, 2 key heads
    last = torch.tensor([0, 17, 39])
    assert relative(fused.attend(q, k, v, last, 64 ** -0.5), plain.attend(q, k, v, last, 64 ** -0.5)) < TOLERANCE


@pytest.mark.parametrize("trig_rows", [3, 1], ids=["a rotation per row", "one rotation for all rows"])
def test_the_new_token_kernel_stores_its_key_and_value_then_attends_up_to_them(kernels, rand, trig_rows):
    """One launch for what store_kv, heads and attend do for a new token: its key and value land in the caches at
    each row's position, and its queries see positions 0..position (past one block of 64), nothing after."""
    fused, plain = kernels.TritonOps(), TorchOps()
    q, k, v = rand(3, 1, 8 * 64).split([4 * 64, 2 * 64, 2 * 64], dim=-1)  # one projection: 4 query heads, 2 key heads
    q, k, v = q.view(3, 1, 4, 64), k.view(3, 1, 2, 64), v.view(3, 1, 2, 64)
    q_norm, k_norm, cos, sin = rand(64), rand(64), rand(trig_rows, 1, 64), rand(trig_rows, 1, 64)
    positions = torch.tensor([0, 17, 70])
    before = rand(2, 3, 2, 80, 64)  # earlier keys and values, and stale ones after each position
    caches = [before[0].clone(), before[1].clone(), before[0].clone(), before[1].clone()]
    out = fused.attend_new(q, k, v, q_norm, k_norm, 1e-6, cos, sin, caches[0], caches[1], positions, 64 ** -0.5)
    ref = plain.attend_new(q, k, v, q_norm, k_norm, 1e-6, cos, sin, caches[2], caches[3], positions, 64 ** -0.5)
    assert relative(out, ref) < TOLERANCE
    assert relative(caches[0], caches[2]) < TOLERANCE and torch.equal(caches[1], caches[3])
    assert not torch.equal(caches[0], before[0]) and torch.equal(caches[1][1, :, 17], v[1, 0])


@pytest.mark.parametrize("splits", [2, 8])
def test_the_new_token_kernel_cut_into_position_ranges_equals_the_whole(kernels, rand, splits):
    """At few rows each row's positions are cut into ranges, a program each, joined by the last to finish: the
    same keys, values and attention as torch's, ranges empty (position 0) or past one block of 64 included, and
    again at the next launch (the ranges' tickets carry over)."""
    fused, plain = kernels.TritonOps(attend_splits=splits), TorchOps()
    q, k, v = rand(3, 1, 8 * 64).split([4 * 64, 2 * 64, 2 * 64], dim=-1)
    q, k, v = q.view(3, 1, 4, 64), k.view(3, 1, 2, 64), v.view(3, 1, 2, 64)
    q_norm, k_norm, cos, sin = rand(64), rand(64), rand(3, 1, 64), rand(3, 1, 64)
    before = rand(2, 3, 2, 300, 64)
    caches = [before[0].clone(), before[1].clone(), before[0].clone(), before[1].clone()]
    for positions in (torch.tensor([0, 70, 260]), torch.tensor([1, 71, 261])):
        out = fused.attend_new(q, k, v, q_norm, k_norm, 1e-6, cos, sin, caches[0], caches[1], positions, 64 ** -0.5)
        ref = plain.attend_new(q, k, v, q_norm, k_norm, 1e-6, cos, sin, caches[2], caches[3], positions, 64 ** -0.5)
        assert relative(out, ref) < TOLERANCE
        assert relative(caches[0], caches[2]) < TOLERANCE and torch.equal(caches[1], caches[3])
    assert len(fused._tickets) == 1 and all(int(t) % splits == 0 for t in next(iter(fused._tickets.values())))


def test_the_position_ranges_serve_only_rows_that_leave_sms_idle(kernels, rand, monkeypatch):
    """8 key/value heads in 8 ranges each on 132 SMs: 1-2 rows (one wave of programs), not 3."""
    fused = kernels.TritonOps(attend_splits=8)
    taken = []
    ranges = fused._ranges

    def spy(rows, kv_heads, x):
        if ranges(rows, kv_heads, x) > 1:
            taken.append(rows)
        return 1  # the one-program kernel runs: which rows would take ranges is all this test asks

    monkeypatch.setattr(fused, "_ranges", spy)
    monkeypatch.setattr(fused, "_sm_count", lambda x: 132)
    for batch in (1, 2, 3):
        q, k, v = rand(batch, 1, 32 * 16).split([16 * 16, 8 * 16, 8 * 16], dim=-1)
        q, k, v = q.view(batch, 1, 16, 16), k.view(batch, 1, 8, 16), v.view(batch, 1, 8, 16)
        caches = torch.zeros(2, batch, 8, 4, 16)
        fused.attend_new(q, k, v, rand(16), rand(16), 1e-6, rand(batch, 1, 16), rand(batch, 1, 16), caches[0],
                         caches[1], torch.zeros(batch, dtype=torch.long), 0.25)
    assert taken == [1, 2]


def test_the_new_token_kernel_serves_a_batch_of_one(kernels, rand, monkeypatch):
    """A batch of one's views carry strides of their own in the batch dimension; the kernel still takes it (batch 1
    is what an edited paragraph narrates), rather than the three-launch fallback."""
    fused, plain = kernels.TritonOps(), TorchOps()
    q, k, v = rand(1, 1, 8 * 64).split([4 * 64, 2 * 64, 2 * 64], dim=-1)
    q, k, v = q.view(1, 1, 4, 64), k.view(1, 1, 2, 64), v.view(1, 1, 2, 64)
    assert q.stride(0) != k.stride(0)
    q_norm, k_norm, cos, sin = rand(64), rand(64), rand(1, 1, 64), rand(1, 1, 64)
    caches = [rand(1, 2, 16, 64) for _ in range(2)]
    caches += [c.clone() for c in caches]
    ref = plain.attend_new(q, k, v, q_norm, k_norm, 1e-6, cos, sin, caches[2], caches[3], torch.tensor([9]), 0.125)

    def fallback(*args, **kwargs):
        raise AssertionError("the three-launch fallback was taken")

    monkeypatch.setattr(TorchOps, "attend_new", fallback)
    out = fused.attend_new(q, k, v, q_norm, k_norm, 1e-6, cos, sin, caches[0], caches[1], torch.tensor([9]), 0.125)
    assert relative(out, ref) < TOLERANCE and relative(caches[0], caches[2]) < TOLERANCE


@pytest.mark.parametrize("stride,bias", [(3, True), (8, False)])
def test_the_overlap_add_kernel_interleaves_each_frames_taps_with_the_previous_frames(kernels, rand, stride, bias):
    from nikola_tts.engines.qwen.fast.speech import overlap_add

    taps, b = rand(2, 2, stride, 5, 37), rand(5) if bias else None
    assert relative(kernels.overlap_add(taps, b), overlap_add(taps.clone(), b)) < TOLERANCE


def test_the_activation_kernel_is_snakebeta_along_each_channel(kernels, rand):
    x = rand(2, 5, 40)[..., 3:]
    alpha, inv_beta = rand(5).abs() + 0.5, rand(5).abs()
    s = torch.sin(x * alpha[:, None])
    assert relative(kernels.snake_activation(x, alpha, inv_beta), x + inv_beta[:, None] * (s * s)) < TOLERANCE


@pytest.mark.parametrize("keep", [True, False])
def test_the_unit_end_kernel_is_activation_pointwise_convolution_residual_then_the_next_activation(kernels, rand, keep):
    """kernels.unit_mix: y = bias + w @ SnakeBeta_in(h) + residual, kept if asked, and SnakeBeta_out(y) always; h a
    strided view (as a causal convolution's output is), channels past one tile, samples past the last."""
    channels, length = 20, 37
    h = rand(2, channels, length + 5)[..., 3:-2]
    weight, bias, res = rand(channels, channels), rand(channels), rand(2, channels, length)
    act_in, act_out = (rand(channels).abs() + 0.5, rand(channels).abs()), (rand(channels).abs() + 0.5, rand(channels).abs())

    kept, snaked = kernels.unit_mix(h, weight, bias, act_in, act_out, res, keep=keep,
                                    blocks=kernels.UnitBlocks(co=16, ci=16, t=16, warps=4, stages=1))
    expected = torch.einsum("oc,bcl->bol", weight, snake(h, *act_in)) + bias[:, None] + res
    assert relative(snaked, snake(expected, *act_out)) < TOLERANCE
    assert (kept is None) != keep and (not keep or relative(kept, expected) < TOLERANCE)


def snake(x, alpha, inv_beta, channel_axis=1):
    shape = [1] * x.dim()
    shape[channel_axis] = -1
    s = torch.sin(x * alpha.view(shape))
    return x + inv_beta.view(shape) * (s * s)


def test_the_swiglu_kernel_is_silu_of_the_gate_times_the_up(kernels, rand):
    fused, plain = kernels.TritonOps(), TorchOps()
    gate_up = rand(3, 1, 2 * 96)
    assert relative(fused.silu_mul(gate_up), plain.silu_mul(gate_up)) < TOLERANCE


@pytest.mark.parametrize("rows,k,n,bias", [(1, 2048, 1024, False), (2, 512, 96, True), (3, 300, 70, False),
                                           (1, 9000, 40, False)])
@pytest.mark.parametrize("whole_rows", [True, False])
def test_the_gemv_kernel_is_the_projection(kernels, rand, rows, k, n, bias, whole_rows):
    x, weight, b = rand(rows, 1, k), rand(n, k), rand(n) if bias else None
    fused = kernels.TritonOps(whole_rows=whole_rows)
    assert relative(fused.gemv(x, weight, b), TorchOps().linear(x, weight, b)) < TOLERANCE


@pytest.mark.parametrize("rows", [1, 3])
def test_the_gemv_with_the_lookup_in_its_launch_is_the_embedding_then_the_projection(kernels, rand, rows):
    """A code-predictor step's code to the next step's input (embed_linear): the rows its codes pick from an
    embedding table, through the projection with its bias, as torch's lookup then projection; and the lookup
    alone where there is no projection."""
    table, weight, b = rand(50, 96), rand(40, 96), rand(40)
    codes = torch.tensor([7, 0, 49][:rows])
    fused = kernels.TritonOps(gemv_rows=4)
    expected = TorchOps().embed_linear(codes, table, weight, b)
    assert relative(fused.embed_linear(codes, table, weight, b), expected) < TOLERANCE
    assert torch.equal(fused.embed_linear(codes, table, None), table[codes])


def test_the_gemv_reads_a_code_predictor_row_in_one_step_and_wider_rows_in_several(kernels):
    for n, k in ((1024, 2048), (1024, 3072), (4096, 1024)):  # o and projection, down, qkv
        block_n, block_k, _ = kernels.gemv_blocks(1, n, k)
        assert block_k >= k and block_n * block_k <= 128 * 128
    assert kernels.gemv_blocks(1, 40, 9000)[1] < 9000


def test_the_gemv_fills_the_gpu_once_over_at_one_row_and_twice_at_more(kernels, rand):
    """At one row the talker's o (2048 -> 2048) is 256 programs of 8 rows, not 512 of 4; the code predictor's
    2048 -> 1024 gets the same blocks at one row and at two."""
    ops, x = kernels.TritonOps(gemv_rows=4), rand(1, 2048)
    assert ops.gemv_config(1, 2048, 2048, x)[0] == 8 and ops.gemv_config(2, 2048, 2048, x)[0] == 4
    assert ops.gemv_config(1, 1024, 2048, x) == ops.gemv_config(2, 1024, 2048, x)


@pytest.mark.parametrize("with_delta", [True, False])
@pytest.mark.parametrize("rows", [1, 2])
def test_the_fused_norm_and_projection_is_the_residual_add_the_norm_then_the_projection(kernels, rand, with_delta,
                                                                                        rows):
    x, delta, norm_weight, weight = rand(rows, 1, 96), rand(rows, 1, 96) if with_delta else None, rand(96), rand(40, 96)
    fused = kernels.TritonOps(fused_rows=2)
    assert fused._fused_blocks(x, 96, weight) is not None
    total, out = fused.add_norm_linear(x, delta, norm_weight, 1e-6, weight)
    expected_total, expected = TorchOps().add_norm_linear(x, delta, norm_weight, 1e-6, weight)
    assert relative(total, expected_total) < TOLERANCE and relative(out, expected) < TOLERANCE


def test_the_fused_swiglu_and_projection_is_the_down_projection_of_silu_gate_times_up(kernels, rand):
    gate_up, weight = rand(1, 1, 2 * 96), rand(40, 96)
    fused = kernels.TritonOps(fused_rows=1)
    assert fused._fused_blocks(gate_up, 96, weight) is not None
    assert relative(fused.silu_mul_linear(gate_up, weight), TorchOps().silu_mul_linear(gate_up, weight)) < TOLERANCE


@pytest.mark.parametrize("tile", [32768, 16384], ids=["4 rows a program", "2 rows a program"])
def test_a_fused_swiglu_wider_than_a_programs_share_is_the_down_projection_at_any_tile(kernels, rand, tile):
    """Rows too wide for gemv_blocks's share (the talker's down) are a whole row a step, swiglu_tile weights a
    program: 4 or 2 rows of 6000 (8192 wide) a program, each program making the SwiGLU again."""
    gate_up, weight = rand(1, 1, 2 * 6000), rand(40, 6000) / 6000 ** 0.5
    fused = kernels.TritonOps(fused_rows=1, swiglu_tile=tile)
    assert fused._fused_blocks(gate_up, 6000, weight, tile) == (tile // 8192, 8192, 8)
    assert relative(fused.silu_mul_linear(gate_up, weight), TorchOps().silu_mul_linear(gate_up, weight)) < TOLERANCE


@pytest.mark.parametrize("width", [96, 6000], ids=["a row a step", "rows wider than a program's share"])
@pytest.mark.parametrize("swiglu_first", [True, False], ids=["SwiGLU in gate_up's launch", "in each of down's"])
def test_the_fused_mlp_is_the_residual_add_the_norm_gate_up_swiglu_and_down(kernels, rand, width, swiglu_first,
                                                                            monkeypatch):
    """Two launches either way: with swiglu_first the SwiGLU is made once, by gate_up's programs (each the gate's
    rows and the up's of its outputs), and down projects it as it is; without, each of down's programs makes it."""
    x, delta, norm_weight = rand(1, 1, 96), rand(1, 1, 96), rand(96)
    gate_up, down = rand(2 * width, 96), rand(40, width) / width ** 0.5
    fused = kernels.TritonOps(fused_rows=1, swiglu_first=swiglu_first)
    launched = []
    monkeypatch.setattr(fused, "_fused", lambda *args, _fused=fused._fused, **kw: launched.append(
        (args[5], kw.get("swiglu_out", False))) or _fused(*args, **kw))
    total, out = fused.add_norm_mlp(x, delta, norm_weight, 1e-6, gate_up, down)
    expected_total, expected = TorchOps().add_norm_mlp(x, delta, norm_weight, 1e-6, gate_up, down)
    assert torch.equal(total, expected_total) and relative(out, expected) < TOLERANCE
    assert launched == ([(1, True), (0, False)] if swiglu_first else [(1, False), (2, False)])  # (input, SwiGLU out)


def test_the_fused_projections_serve_only_few_rows_small_weights_and_rows_of_one_step(kernels, rand):
    fused = kernels.TritonOps(fused_rows=1, fused_bytes=40 * 96 * 4)
    assert fused._fused_blocks(rand(1, 1, 96), 96, rand(40, 96)) is not None
    assert fused._fused_blocks(rand(2, 1, 96), 96, rand(40, 96)) is None  # two rows
    assert fused._fused_blocks(rand(1, 1, 96), 96, rand(41, 96)) is None  # a larger weight
    wide = kernels.TritonOps(fused_rows=1, fused_bytes=1 << 30)
    assert wide._fused_blocks(rand(1, 1, 20000), 20000, rand(8, 20000)) is None  # a row of several steps
    assert kernels.TritonOps()._fused_blocks(rand(1, 1, 96), 96, rand(40, 96)) is None  # off by default


def test_a_fused_projection_of_rows_wider_than_a_programs_share_takes_fewer_rows_a_program(kernels, rand):
    """Weights past FUSED_BYTES (the talker's gate_up and down, where asked for): a whole row a step still, in fewer
    output rows a program."""
    gate_up, weight = rand(1, 1, 2 * 6144), rand(8, 6144)
    wide = kernels.TritonOps(fused_rows=1, fused_bytes=1 << 30)
    assert kernels.gemv_blocks(1, 8, 6144)[1] < 6144  # the GEMV's share would take it in two steps
    assert wide._fused_blocks(gate_up, 6144, weight) == (2, 8192, 8)
    assert relative(wide.silu_mul_linear(gate_up, weight), TorchOps().silu_mul_linear(gate_up, weight)) < TOLERANCE


def test_gemv_any_rows_takes_every_projection_of_that_many_rows_to_the_gemv(kernels, rand, monkeypatch):
    """The talker's square o goes to the one-launch GEMV at one row (gemv_any_rows 1); to cuBLAS at two, or
    without it."""
    weight = rand(64, 64)  # square: no gemv_wins shape
    taken = []
    cases = ((kernels.TritonOps(gemv_rows=4), 1, False), (kernels.TritonOps(gemv_rows=4, gemv_any_rows=1), 1, True),
             (kernels.TritonOps(gemv_rows=4, gemv_any_rows=1), 2, False))
    for ops, rows, to_gemv in cases:
        gemv = ops.gemv
        monkeypatch.setattr(ops, "gemv", lambda *args, gemv=gemv, **kw: taken.append(1) or gemv(*args, **kw))
        x = rand(rows, 1, 64)
        assert relative(ops.linear(x, weight), TorchOps().linear(x, weight)) < TOLERANCE
        assert len(taken) == to_gemv, (rows, ops.gemv_any_rows)
        taken.clear()


def test_programmatic_dependent_launches_stay_off_in_the_interpreter(kernels):
    """Triton's interpreter has no grid dependency control: TritonOps(pdl=True) launches as without it there."""
    ops = kernels.TritonOps(pdl=True)
    assert not ops.pdl and ops._launch == {}


@pytest.mark.parametrize("capability,fits", [((8, 9), False), ((8, 0), False), ((9, 0), True), ((10, 0), True)])
def test_dependent_launches_are_asked_for_only_on_hopper_and_newer(monkeypatch, capability, fits):
    """griddepcontrol does not compile for an Ampere or Ada card (an RTX 4090 runs the other kernels)."""
    from nikola_tts.engines.qwen.fast import ops

    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.version, "hip", None)
    assert ops.kernels_fit("cuda") and ops.dependent_launches_fit("cuda") == fits
    assert not ops.dependent_launches_fit("cpu")


def test_the_gemv_takes_only_the_narrow_projections_of_few_rows(kernels):
    assert kernels.gemv_wins(1024, 2048)  # the code predictor's o and projection
    assert not kernels.gemv_wins(2048, 2048) and not kernels.gemv_wins(4096, 1024)  # the talker's, a qkv


@pytest.mark.parametrize("winner_first", [False, True], ids=["threshold first", "winner first"])
def test_the_sampling_kernel_draws_the_codes_torch_draws(kernels, rand, winner_first):
    """Top-k threshold, seeded Gumbel noise and argmax in one launch: the same code as ops.TorchOps.sample for
    the predictor's (per-row frame counter) and the talker's (per-row frame, scalar step) draws, with ties,
    both zeros, masked codes, top-k of 1 and no top-k; with the draw over every code first, the same codes."""
    fused, plain = kernels.TritonOps(draw_winner_first=winner_first), TorchOps()
    generator = torch.Generator().manual_seed(5)
    draws = 0
    for rows, vocab in ((1, 2048), (4, 3072)):
        scores = rand(rows, vocab) * 4
        scores[:, -1024:] = float("-inf")  # the talker's control codes
        scores[:, :64] = (scores[:, :64] * 2).round() / 2  # ties
        scores[:, 64:80] = -0.0
        keys = torch.randint(0, 2 ** 32, (rows,), generator=generator)
        frame = torch.randint(0, 500, (rows,), generator=generator)
        for counters in ((2, frame, 3), (1, 0, frame)):
            for top_k in (50, 1, None):
                got = fused.sample(scores, keys, counters, 0.9, top_k, None)
                assert torch.equal(got, plain.sample(scores, keys, counters, 0.9, top_k, None)), (rows, counters, top_k)
                draws += 1
    assert draws == 12


def test_the_winner_first_draw_is_the_top_k_draw_inside_the_top_k_and_out(kernels, rand):
    """The draw over every code first: where its winner is among the 50 largest scores it is kept, else the
    threshold is found; both happen here (peaked rows keep the winner, flat ones seldom do), and every code is
    torch's top-k draw."""
    fused, plain = kernels.TritonOps(draw_winner_first=True), TorchOps()
    scores = rand(64, 2048) * torch.linspace(0.2, 8.0, 64)[:, None]  # from flat to peaked
    keys = torch.arange(64) * 7919
    frame = torch.arange(64)
    got = fused.sample(scores, keys, (2, frame, 3), 0.9, 50, None)
    assert torch.equal(got, plain.sample(scores, keys, (2, frame, 3), 0.9, 50, None))
    inside = got == plain.sample(scores, keys, (2, frame, 3), 0.9, None, None)  # the unfiltered winner kept
    assert 0 < int(inside.sum()) < 64


def _predictor(rand, layers=2, hidden=48, heads=4, kv_heads=2, dim=16, intermediate=40, vocab=50, steps=3):
    """A random code predictor as weights.py lays one out (each kind of tensor one stack, layers its views):
    widths that are not powers of two, so every mask of the kernel is used; and its 15 heads' stand-in."""
    from nikola_tts.engines.qwen.fast.weights import Layer, Stack

    shapes = dict(qkv=((heads + 2 * kv_heads) * dim, hidden), o=(hidden, heads * dim), q_norm=(dim,), k_norm=(dim,),
                  gate_up=(2 * intermediate, hidden), down=(hidden, intermediate), input_norm=(hidden,),
                  post_norm=(hidden,))
    stacked = {name: rand(layers, *shape) / (shape[-1] ** 0.5 if len(shape) == 2 else 1)
               for name, shape in shapes.items()}
    angles = torch.arange(17.0)[:, None] * rand(dim // 2).abs()[None, :]
    angles = torch.cat([angles, angles], dim=-1)
    stack = Stack(layers=[Layer(**{name: t[i] for name, t in stacked.items()}) for i in range(layers)],
                  norm=rand(hidden), eps=1e-6, heads=heads, kv_heads=kv_heads, head_dim=dim, cos=angles.cos(),
                  sin=angles.sin())
    return stack, rand(steps, vocab, hidden) / hidden ** 0.5


@pytest.mark.parametrize("programs", [1, 3, 7], ids=["one program", "three", "more programs than some phases use"])
@pytest.mark.parametrize("tile", [16384, 128], ids=["a chunk a projection", "several chunks"])
@pytest.mark.parametrize("fold", [False, True], ids=["attention a phase", "attention folded into o"])
def test_the_persistent_predictor_step_is_the_layers_then_the_final_norm_and_the_head(kernels, rand, programs, tile,
                                                                                    fold, monkeypatch):
    """One code-predictor step at one slot, launched phase by phase (the interpreter runs programs one after
    another, so the barrier's launch needs a GPU: qwen_rtf.py's fast-kernels checks it there): the scores of the
    layers and head that forward.py runs, and each layer's key and value in the caches at the step's position;
    with the attention a phase of its own, or done in the o phase by each program of a key/value head (o's
    partial sums by head added up after)."""
    from nikola_tts.engines.qwen.fast import persistent
    from nikola_tts.engines.qwen.fast.layers import new_token

    monkeypatch.setattr(persistent, "MAX_TILE", tile)
    stack, heads = _predictor(rand)
    caches = [rand(2, 2, stack.kv_heads, 17, 16) for _ in range(2)]  # (layers, slots, kv heads, positions, dim)
    expected_caches = [c.clone() for c in caches]
    assert persistent.fits(stack, heads)
    runner = persistent.PersistentPredictor(stack, heads, *caches, programs, persistent=False, fold_attention=fold)
    assert (max(s.rows // s.chunk for s in runner.shares.values()) > 1) == (tile == 128)
    assert runner.phases == (4 if fold else 5)
    plain = TorchOps()
    for step, position in ((1, 2), (2, 9)):
        x = rand(1, 1, 48)
        runner.new_frame()
        got = runner.step(x, step, position)
        cos, sin = stack.cos[position][None, None], stack.sin[position][None, None]
        h, delta = new_token(plain, stack, x, cos, sin, expected_caches[0][:, :1, :, :position + 1],
                             expected_caches[1][:, :1, :, :position + 1], torch.tensor([position]),
                             torch.zeros(1, 1, 1, 1, dtype=torch.bool))
        expected = plain.add_norm_linear(h[:, -1], delta[:, -1], stack.norm, stack.eps, heads[step])[1]
        assert got.shape == (1, 50) and got.dtype == torch.float32 and relative(got, expected) < TOLERANCE, step
        assert all(relative(c, e) < TOLERANCE for c, e in zip(caches, expected_caches))  # projected: sums reordered


@pytest.mark.parametrize("programs", [1, 3], ids=["one program", "three"])
def test_the_persistent_predictor_first_step_is_the_two_token_causal_pass(kernels, rand, programs):
    """Step 0 sees the talker's output and the first code at positions 0 and 1: as two one-token launches, the
    same scores as the layers' causal pass over both, and both positions' keys and values in the caches."""
    from nikola_tts.engines.qwen.fast import persistent
    from nikola_tts.engines.qwen.fast.layers import causal_prefill

    stack, heads = _predictor(rand)
    caches = [torch.zeros(2, 1, stack.kv_heads, 17, 16) for _ in range(2)]
    runner = persistent.PersistentPredictor(stack, heads, *caches, programs, persistent=False, first_step=True)
    x = rand(1, 2, 48)
    runner.new_frame()
    got = runner.first_step(x)
    plain, kept = TorchOps(), {}

    def store(i, k, v):
        kept[i] = (k, v)

    hidden = causal_prefill(plain, stack, x, stack.cos[:2][None], stack.sin[:2][None], store, torch.tensor([1]))
    expected = plain.linear(hidden, heads[0])
    assert got.shape == (1, 50) and relative(got, expected) < TOLERANCE
    for i, (k, v) in kept.items():
        assert relative(caches[0][i, :, :, :2], k) < TOLERANCE and relative(caches[1][i, :, :, :2], v) < TOLERANCE
    assert not caches[0][:, :, :, 2:].any()  # nothing past position 1


def test_the_persistent_predictor_shares_each_projection_out_in_chunks_of_bounded_size(kernels):
    from nikola_tts.engines.qwen.fast.persistent import MAX_TILE, share

    for n, k in ((4096, 1024), (1024, 2048), (6144, 1024), (1024, 3072), (2048, 1024)):  # the 1.7B predictor's
        s = share(n, k, 132)
        assert s.rows * 132 >= n and s.rows % s.chunk == 0 and s.chunk * triton_next_power_of_2(k) <= MAX_TILE
        assert (s.rows - s.chunk) * 132 < n  # no program gets a whole chunk more than it needs
    assert share(50, 48, 7).rows * 7 >= 50


def test_the_step_compiled_ahead_is_the_one_a_run_launches(kernels, rand):
    """compile_ahead's stand-in caches make the kernel's specialization of a run's: the code predictor's caches
    (its steps + 2 positions), whatever the slots."""
    from nikola_tts.engines.qwen.fast import persistent

    stack, heads = _predictor(rand, steps=15)  # 17 positions: a tile of 32, where 16 positions would take 16
    run = [rand(2, 3, stack.kv_heads, int(heads.shape[0]) + 2, 16) for _ in range(2)]  # Slots.pk, 3 slots
    assert (persistent.stand_in(stack, heads, int(heads.shape[0]) + 2).constants
            == persistent.PersistentPredictor(stack, heads, *run).constants)


def test_the_persistent_predictor_serves_only_stacked_layers(kernels, rand):
    from nikola_tts.engines.qwen.fast import persistent

    stack, heads = _predictor(rand)
    assert persistent.fits(stack, heads)
    apart = type(stack)(**{**stack.__dict__, "layers": [type(layer)(**{**layer.__dict__, "qkv": layer.qkv.clone()})
                                                        for layer in stack.layers]})
    assert not persistent.fits(apart, heads)  # layers that are not views of one tensor


def triton_next_power_of_2(n: int) -> int:
    return 1 << (n - 1).bit_length()
