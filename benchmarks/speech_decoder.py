"""The speech decoder (codes -> 24 kHz waveform) alone, in each of its forms, side by side in one process.

    python benchmarks/speech_decoder.py --checkpoint /tmp/qwen3-tts-random-full      # GPU
    python benchmarks/speech_decoder.py --tiny                                       # CPU smoke test

Loads only speech_tokenizer/ of a checkpoint (the full-size decoder with random weights by default, as
benchmarks/qwen_checkpoint.py writes it) through the fast path's loader, and decodes random codes in
batches shaped as the fast path sends them (16 chunks of 25 + 300 frames on a large GPU, 4 on a 24 GB
card, one paragraph alone). Each form starts from a fresh load; every form's samples are compared with
the first form's, float32 by default (the largest sample difference and the signal-to-error ratio), and the median of
--repeat calls is timed. Forms:

    fp32          as the fast path decodes today: SnakeBeta fused, causal paddings folded into cuDNN
    +matmul       the transposed convolutions as one GEMM and an overlap-add (speech.transposed_as_matmul)
    bf16, fp16    the waveform stack's convolutions and activations in that dtype (speech.decoder_precision)
    +tuned        cuDNN's autotuner on (torch.backends.cudnn.benchmark: each new shape tries every algorithm)
    +units        each residual unit's end as one Triton kernel (waveform.fuse_units; half precision on CUDA)

--unit-tiles times each block's residual unit alone at the shapes a 16 x 325 decode gives it: its 7-tap
convolution (cuDNN, in the modules' layout and channels-last), and its end, as the modules run it and as
kernels.unit_mix runs it in each tile listed.

--layers prints where one call's GPU time goes, layer by layer (CUDA events around each module).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]

FORMS = ("fp32", "bf16+matmul", "bf16+matmul+units")


def load(folder: Path, device, form: str):
    import torch

    from nikola_tts.engines.qwen.fast import speech

    model, _ = speech.load_speech_decoder(folder / "speech_tokenizer", device)
    if device.type == "cuda":
        speech.fast_forms(model)
    dtype = form.split("+")[0]
    if dtype != "fp32":
        speech.decoder_precision(model, {"bf16": torch.bfloat16, "fp16": torch.float16}[dtype])
    if "+matmul" in form:
        speech.transposed_as_matmul(model)
    if "+units" in form:
        from nikola_tts.engines.qwen.fast.waveform import fuse_units

        if not fuse_units(model):
            raise RuntimeError("the fused residual units failed their check (see the warning above)")
    return model


def timed(fn, device, repeat: int) -> float:
    import torch

    fn()
    times = []
    for _ in range(repeat):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        started = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def difference(reference, other) -> tuple[float, float]:
    """(largest |sample difference|, signal-to-error ratio in dB) over all the waveforms."""
    import numpy as np

    worst = max(float(np.abs(a - b).max()) for a, b in zip(reference, other))
    signal = sum(float(np.square(a.astype(np.float64)).sum()) for a in reference)
    error = sum(float(np.square((a - b).astype(np.float64)).sum()) for a, b in zip(reference, other))
    return worst, (10 * np.log10(signal / error) if error > 0 else float("inf"))


def layer_times(model, call, device) -> list[tuple[str, float]]:
    """Milliseconds of one call spent in each layer of the waveform stack and in the parts before it."""
    import torch

    named = [("quantizer", model.quantizer), ("pre_conv", model.pre_conv), ("pre_transformer", model.pre_transformer),
             ("upsample", model.upsample)]
    for i, block in enumerate(model.decoder):
        inner = getattr(block, "block", None)
        if inner is None:
            named.append((f"decoder.{i} {type(block).__name__}", block))
        else:
            for j, layer in enumerate(inner):
                shape = ""
                conv = getattr(layer, "conv", None)
                if conv is not None:
                    shape = f" {conv.in_channels}->{conv.out_channels} k{conv.kernel_size[0]} s{conv.stride[0]}"
                elif hasattr(layer, "conv1"):
                    c = layer.conv1.conv
                    shape = f" {c.in_channels} ch, dilation {c.dilation[0]}"
                named.append((f"decoder.{i}.{j} {type(layer).__name__}{shape}", layer))
    events, hooks = {}, []
    for name, module in named:
        def before(_m, _x, name=name):
            events.setdefault(name, []).append([torch.cuda.Event(enable_timing=True),
                                                torch.cuda.Event(enable_timing=True)])
            events[name][-1][0].record()

        def after(_m, _x, _y, name=name):
            events[name][-1][1].record()
        hooks += [module.register_forward_pre_hook(before), module.register_forward_hook(after)]
    whole = [torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)]
    try:
        whole[0].record()
        call()
        whole[1].record()
        torch.cuda.synchronize(device)
    finally:
        for hook in hooks:
            hook.remove()
    times = [(name, sum(a.elapsed_time(b) for a, b in events.get(name, []))) for name, _ in named]
    # fused residual units run outside any module, and so does what the call does between its layers
    return times + [("(outside the modules above: fused units and activations, copies)",
                     whole[0].elapsed_time(whole[1]) - sum(ms for _, ms in times))]


def unit_tile_rows(model, tiles, chunks: int, frames: int, device, repeat: int) -> list[str]:
    """Each block's residual unit (dilation 3) alone at the shape a chunks x frames decode gives it: the 7-tap
    convolution as cuDNN runs it (the modules' NCL layout, and as a 2-D convolution in channels-last memory, cuDNN's
    NHWC kernels), then the unit's end as the modules run it (activation, 1-wide convolution, residual add, and the
    next unit's activation) against kernels.unit_mix in each tile."""
    import torch
    import torch.nn.functional as F

    from nikola_tts.engines.qwen.fast import kernels
    from nikola_tts.engines.qwen.fast.snake import constants

    lines = []
    rate = frames * model.upsample_total
    for block in model.decoder[1:-2]:
        unit = block.block[2 + 1]
        conv, mix = unit.conv1.conv, unit.conv2.conv
        channels, length, dtype = conv.in_channels, rate // _rate_after(model, block), conv.weight.dtype
        x = torch.randn(chunks, channels, length, device=device).to(dtype)
        pad = (conv.kernel_size[0] - 1) * conv.dilation[0]

        def row(name, fn, base=None):
            seconds = timed(fn, device, repeat)
            against = f"  {base / seconds:5.2f}x the modules" if base else ""
            lines.append(f"{channels:4d} ch x {length:7d}, {name:40s} {1000 * seconds:8.2f} ms{against}")
            print(lines[-1], flush=True)
            return seconds

        row("7 taps, cuDNN conv1d (the modules')", lambda: F.conv1d(x, conv.weight, conv.bias, 1, pad, conv.dilation))
        x2d = x[:, :, None, :].contiguous(memory_format=torch.channels_last)
        w2d = conv.weight[:, :, None, :].contiguous(memory_format=torch.channels_last)
        row("7 taps, cuDNN conv2d channels-last", lambda: F.conv2d(x2d, w2d, conv.bias, 1, (0, pad), (1, conv.dilation[0])))
        base = row("unit end, the modules", lambda: unit.act1(mix(unit.act2(x)) + x))
        weight, act_in, act_out = mix.weight.detach()[..., 0].contiguous(), constants(unit.act2), constants(unit.act1)
        inner = F.conv1d(x, conv.weight, conv.bias, 1, pad, conv.dilation)[..., :length]  # as the unit gives it
        row("unit end, unit_mix on the 7-tap output", lambda: kernels.unit_mix(inner, weight, mix.bias, act_in, act_out,
                                                                               x, keep=True), base)
        for tile in tiles:
            tile = tile or kernels.unit_blocks(channels)
            try:
                row(f"unit end, unit_mix {_tile(tile)}",
                    lambda: kernels.unit_mix(x, weight, mix.bias, act_in, act_out, x, keep=True, blocks=tile), base)
            except Exception as exc:  # noqa: BLE001 (a tile too large for this GPU's shared memory)
                lines.append(f"{channels:4d} ch x {length:7d}, unit end, unit_mix {_tile(tile)}: failed: "
                             f"{type(exc).__name__}")
    return lines


def _rate_after(model, block) -> int:
    """How many times fewer samples the stack has after `block` than at its end."""
    blocks = list(model.decoder[1:-2])
    rest = 1
    for later in blocks[blocks.index(block) + 1:]:
        rest *= int(later.block[1].conv.stride[0])
    return rest


def _tile(tile) -> str:
    return f"{tile.co}.{tile.ci}.{tile.t}.{tile.warps}.{tile.stages}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=Path("/tmp/qwen3-tts-random-full"))
    parser.add_argument("--tiny", action="store_true", help="the tests' tiny checkpoint, on the CPU")
    parser.add_argument("--forms", default=",".join(FORMS))
    parser.add_argument("--shapes", default="16x325,4x325,1x300", help="chunks x frames (25 of them context)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--layers", default="fp32,bf16+matmul,bf16+matmul+units",
                        help="forms to time layer by layer (CUDA)")
    parser.add_argument("--unit-tiles", default="",
                        help="CUDA: unit_mix tiles to time alone, 'co.ci.t.warps.stages,...' "
                             "('default': kernels.unit_blocks' choice for each width), in a bf16+matmul decoder")
    args = parser.parse_args()

    import torch

    if args.tiny:
        sys.path.insert(0, str(REPO / "tests" / "support"))
        from tiny_qwen import build_tiny_checkpoint

        folder, device = build_tiny_checkpoint(Path(tempfile.gettempdir()) / "qwen3-tts-tiny-random"), torch.device("cpu")
    else:
        folder, device = args.checkpoint, torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(f"# command: python benchmarks/speech_decoder.py {' '.join(sys.argv[1:])}")
    print(f"# device: {torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'}, torch {torch.__version__}")
    forms = [f.strip() for f in args.forms.split(",") if f.strip()]
    shapes = [tuple(int(n) for n in s.split("x")) for s in args.shapes.split(",")]
    g = torch.Generator().manual_seed(7)
    inputs = {shape: [(torch.randint(0, 2048, (shape[1], 16), generator=g).to(device), 25 if shape[1] > 25 else 0)
                      for _ in range(shape[0])] for shape in shapes}
    reference, rows, layers = {}, [], {}
    for form in forms:
        torch.backends.cudnn.benchmark = "+tuned" in form
        try:
            model = load(folder, device, form)
            measure(form, model, forms, shapes, inputs, reference, rows, layers, device, args)
        except Exception as exc:  # noqa: BLE001 (one form that fails on this machine: say so, time the rest)
            print(f"{form}: failed: {type(exc).__name__}: {exc}", flush=True)
        model = None
        if device.type == "cuda":
            torch.cuda.empty_cache()
    torch.backends.cudnn.benchmark = False
    tile_lines = []
    if args.unit_tiles and device.type == "cuda":
        from nikola_tts.engines.qwen.fast.kernels import UnitBlocks

        tiles = [None if t == "default" else UnitBlocks(*(int(n) for n in t.split(".")))
                 for t in args.unit_tiles.split(",") if t.strip()]
        chunks, frames = shapes[0]
        print(f"\nresidual units alone, {chunks} x {frames} frames", flush=True)
        tile_lines = unit_tile_rows(load(folder, device, "bf16+matmul"), tiles, chunks, frames, device, args.repeat)

    # speed, the largest difference and the signal-to-error ratio: all against the first form listed
    print(f"\nform               chunks x frames      ms      RTF   against {forms[0]}   max |diff|   signal/error")
    for form, shape, seconds, audio, worst, snr in rows:
        base = next((r[2] for r in rows if r[0] == forms[0] and r[1] == shape), float("nan"))
        print(f"{form:18s} {shape[0]:6d} x {shape[1]:3d} {1000 * seconds:9.1f} {seconds / audio:8.5f}   {base / seconds:8.2f}x"
              f"   {worst:10.1e}   {snr:9.1f} dB")
    for form, times in layers.items():
        total = sum(ms for _, ms in times)
        print(f"\nlayer by layer, {form}, {shapes[0][0]} x {shapes[0][1]} frames: {total:.1f} ms in the layers timed")
        for name, ms in times:
            print(f"  {ms:8.2f} ms  {name}")
    if tile_lines:
        print(f"\nresidual units alone, {shapes[0][0]} x {shapes[0][1]} frames (tile: co.ci.t.warps.stages)")
        print("\n".join(tile_lines))


def measure(form, model, forms, shapes, inputs, reference, rows, layers, device, args) -> None:
    """Time one form at every shape (rows), against the first form's samples (reference)."""
    for shape in shapes:
        chunks = inputs[shape]
        call = lambda: model.decode_chunks(chunks)  # noqa: E731
        waves = call()
        if form == forms[0]:
            reference[shape] = waves
        worst, snr = difference(reference[shape], waves)
        seconds = timed(call, device, args.repeat)
        audio = sum(len(w) for w in waves) / 24000
        rows.append((form, shape, seconds, audio, worst, snr))
        print(f"{form:14s} {shape[0]:3d} x {shape[1]:3d} frames {1000 * seconds:9.1f} ms  RTF {seconds / audio:.5f}  "
              f"max |diff| {worst:.1e}  signal to error {snr:6.1f} dB", flush=True)
        if device.type == "cuda" and form in args.layers.split(",") and shape == shapes[0]:
            layers[form] = layer_times(model, call, device)


if __name__ == "__main__":
    main()
