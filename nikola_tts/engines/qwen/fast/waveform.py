"""The speech decoder's waveform stack with each residual unit's end as one Triton kernel (kernels.unit_mix).

A residual unit (speech.ResidualUnit) is SnakeBeta -> causal convolution of 7 taps -> SnakeBeta -> 1-wide
convolution -> + the unit's input. As torch modules that is five kernels and eleven passes over tensors of up to
96 channels x 1,920 samples a frame. Here the 7-tap convolution stays cuDNN's (a Triton one measured slower at
every width: `benchmarks/speech_decoder.py --unit-tiles`), and what follows it is one kernel: the activation in
the 1-wide convolution's prologue, the residual add in its epilogue, and there too the activation that the
unit's output goes to next (the next unit's first, or after a block's last unit the next block's, and then the
sum itself is not written). So a unit's first activation is a kernel of its own in a block's first unit only.
Units wider than MAX_WIDTH stay torch modules (there the kernel was not faster). On an H100 the decoder took
214.7 ms for 16 chunks of 325 frames with the units up to 384 channels fused, against 220.5 ms as modules
(`speech_decoder.py`, session 13).
Sums are in float32 and rounded once, to the stack's dtype; the activations compute in float32 as snake.py's do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch

log = logging.getLogger("tts")

# Wider units stay torch modules. On the 7-tap convolution's output as the unit hands it over (a view whose rows
# are not 16-byte aligned) the kernel took, against the modules' unit end, 1.39x at 96 channels, 0.98x at 192,
# 0.85x at 384 and 0.52x at 768 (H100, 16 x 325 frames; on aligned input 1.75x, 1.30x, 1.19x, 0.77x).
MAX_WIDTH = 96
CHECK_FRAMES = 3  # codec frames: 5,760 samples, every kernel at least once
MAX_REL_ERROR = {torch.float32: 1e-4, torch.bfloat16: 3e-2, torch.float16: 5e-3}  # against the modules' own path


@dataclass(frozen=True)
class _Unit:
    conv: object  # the unit's 7-tap CausalConv module
    act: tuple[torch.Tensor, torch.Tensor]  # the activation after it: exp(alpha), 1 / (exp(beta) + eps)
    weight: torch.Tensor  # the 1-wide convolution's, (out, in), contiguous
    bias: torch.Tensor
    then: tuple[torch.Tensor, torch.Tensor]  # the activation that the unit's output goes to next


class FusedWaveform:
    """speech_model.decoder's forward (from the stack's first convolution to its last), with fused unit ends."""

    def __init__(self, speech_model):
        from nikola_tts.engines.qwen.fast.snake import constants

        decoder = speech_model.decoder  # [CausalConv, DecoderBlock x N, SnakeBeta, CausalConv]
        self.first, self.last = decoder[0], decoder[-1]
        blocks = list(decoder[1:-2])  # their widths halve block by block: the wide ones lead
        self.plain = [block for block in blocks if _width(block) > MAX_WIDTH]
        self.blocks = blocks[len(self.plain):]
        self.entry = constants(self.blocks[0].block[0])  # the first block's activation; the others are epilogues
        exits = [constants(block.block[0]) for block in self.blocks[1:]] + [constants(decoder[-2])]
        self.starts = [constants(block.block[2].act1) for block in self.blocks]  # each block's first unit's
        self.units = []
        for block, exit_ in zip(self.blocks, exits):
            units = list(block.block[2:])
            self.units.append([_Unit(u.conv1, constants(u.act2), u.conv2.conv.weight.detach()[..., 0].contiguous(),
                                     u.conv2.conv.bias.detach(),
                                     constants(units[i + 1].act1) if i + 1 < len(units) else exit_)
                               for i, u in enumerate(units)])

    @property
    def count(self) -> int:
        return sum(len(units) for units in self.units)  # fused ones

    def __call__(self, h: torch.Tensor) -> torch.Tensor:
        from nikola_tts.engines.qwen.fast import kernels

        h = self.first(h)
        for block in self.plain:
            h = block(h)
        snaked = kernels.snake_activation(_unit_time(h), *self.entry)
        for block, start, units in zip(self.blocks, self.starts, self.units):
            x = _unit_time(block.block[1](snaked))  # the transposed convolution (upsampling)
            snaked = kernels.snake_activation(x, *start)
            for i, unit in enumerate(units):
                inner = _unit_time(unit.conv(snaked))
                x, snaked = kernels.unit_mix(inner, unit.weight, unit.bias, unit.act, unit.then, residual=x,
                                             keep=i + 1 < len(units))
        return self.last(snaked)


def _width(block) -> int:
    return int(block.block[2].conv1.conv.in_channels)


def _unit_time(x: torch.Tensor) -> torch.Tensor:
    return x if x.stride(-1) == 1 else x.contiguous()


def fuse_units(speech_model) -> int:
    """Give speech_model a FusedWaveform (speech_model.waveform) after checking it against the modules' own
    path on a sample; returns how many residual units it fuses (0, and nothing changed, where the check fails:
    no Triton, a failed compile, a difference past MAX_REL_ERROR)."""
    speech_model.waveform = None
    dtype = speech_model.conv_dtype
    if not any(_width(block) <= MAX_WIDTH for block in speech_model.decoder[1:-2]):
        return 0  # a decoder without units this narrow: nothing to fuse
    try:
        fused = FusedWaveform(speech_model)
        error = _check(speech_model, fused, dtype)
    except Exception as exc:  # noqa: BLE001 (an optimisation: the modules' path still works)
        log.warning(f"Qwen3-TTS: the fused residual units are not usable here ({type(exc).__name__}: {exc}); "
                    "the speech decoder runs them as torch modules")
        return 0
    if error > MAX_REL_ERROR.get(dtype, 1e-4):
        log.warning(f"Qwen3-TTS: the fused residual units differ from the torch modules (relative error "
                    f"{error:.1e}); the speech decoder runs them as torch modules")
        return 0
    speech_model.waveform = fused
    return fused.count


def _check(speech_model, fused, dtype) -> float:
    """Relative error of the fused stack against the modules' on a random input of CHECK_FRAMES frames (which also
    compiles the kernels now, not in the decoder's thread)."""
    first = speech_model.decoder[0].conv
    device = first.weight.device
    generator = torch.Generator(device=device).manual_seed(5)
    length = CHECK_FRAMES * speech_model.upsample_total // _stack_upsampling(speech_model)
    h = torch.randn(1, first.in_channels, length, device=device, generator=generator).to(dtype)
    with torch.inference_mode():
        expected = h
        for module in speech_model.decoder:
            expected = module(expected)
        got = fused(h)
    expected, got = expected.float(), got.float()
    return float((got - expected).norm() / expected.norm().clamp_min(1e-30))


def _stack_upsampling(speech_model) -> int:
    total = 1
    for block in speech_model.decoder[1:-2]:
        total *= int(block.block[1].conv.stride[0])
    return total
