"""The speech decoder's SnakeBeta activations as one Triton kernel each, computing in float32.

In bfloat16 the SnakeBeta activations overflow to NaN (vllm-project/vllm-omni#1663), so they compute in
float32 whatever the decoder's waveform stack is in (float32, or bfloat16 in a bfloat16 run: speech.py),
reading and writing that dtype. Torch runs `x + 1/(exp(b) + eps) *
sin(x * exp(a))^2` as five passes over tensors of up to 96 channels x 1,920 samples per frame,
about a third of the decoder's GPU time (540 -> 363 ms of kernel time for 16 segments of 300
frames on an H100). The kernel reads x once and writes once, with the same float32 operations in
the same order (the constants exp(a) and 1/(exp(b) + eps) are computed once, by torch, as torch
computes them on every call), so the samples are identical.

`fuse(speech_model)` swaps the activations' forward for the kernel after checking it against
torch's on a sample; anything unexpected (no Triton, a failed compile, a mismatch, a tensor that
is not float32, bfloat16 or float16 on CUDA with unit stride along time) keeps torch's forward.
"""

from __future__ import annotations

import logging

import torch

log = logging.getLogger("tts")

MAX_REL_ERROR = 1e-6  # float32 rounding; the kernel does torch's operations in torch's order
FLOATS = (torch.float32, torch.bfloat16, torch.float16)  # what it reads and writes (it computes in float32)


def activations(speech_model) -> list:
    return [m for m in speech_model.modules()
            if type(m).__name__ == "SnakeBeta" and hasattr(m, "alpha") and hasattr(m, "beta")]


def fuse(speech_model) -> int:
    """Fused forwards for the model's SnakeBeta activations on CUDA; returns how many were fused."""
    found = activations(speech_model)
    if not found or next(speech_model.parameters()).device.type != "cuda":
        return 0
    try:
        from nikola_tts.engines.qwen.fast.kernels import snake_activation as kernel

        error = _check(kernel, found[0])
    except Exception as exc:  # noqa: BLE001 (an optimisation: torch's forward still works)
        log.warning(f"Qwen3-TTS: the fused SnakeBeta kernel is not usable here ({type(exc).__name__}: {exc}); "
                    "the speech decoder runs unfused")
        return 0
    if error > MAX_REL_ERROR:
        log.warning(f"Qwen3-TTS: the fused SnakeBeta kernel differs from torch (relative error {error:.1e}); "
                    "the speech decoder runs unfused")
        return 0
    state = {"working": True}  # shared: one failure anywhere sends every activation back to torch
    for module in found:
        module.forward = _fused_forward(kernel, module, state)
    return len(found)


def unfuse(speech_model) -> None:
    for module in activations(speech_model):
        module.__dict__.pop("forward", None)


def constants(module) -> tuple[torch.Tensor, torch.Tensor]:
    """exp(alpha) and 1/(exp(beta) + eps) per channel, computed as SnakeBeta.forward computes them."""
    with torch.no_grad():
        alpha = torch.exp(module.alpha.float().detach())
        inv_beta = 1.0 / (torch.exp(module.beta.float().detach()) + getattr(module, "no_div_by_zero", 1e-9))
    return alpha, inv_beta


def _fused_forward(kernel, module, state):
    torch_forward = type(module).forward.__get__(module)
    alpha, inv_beta = constants(module)  # constant per activation: computed once, not on every call

    def forward(hidden_states):
        if not (state["working"] and hidden_states.device == alpha.device and hidden_states.dtype in FLOATS
                and hidden_states.dim() == 3 and hidden_states.stride(-1) == 1):
            return torch_forward(hidden_states)
        try:
            return kernel(hidden_states, alpha, inv_beta)
        except Exception as exc:  # noqa: BLE001 (e.g. a new specialisation that fails to compile)
            state["working"] = False
            log.warning(f"Qwen3-TTS: the fused SnakeBeta kernel failed ({type(exc).__name__}: {exc}); "
                        "the speech decoder goes on unfused")
            return torch_forward(hidden_states)

    return forward


def _check(kernel, module) -> float:
    """Relative error against torch on contiguous tensors and on a causal convolution's trimmed views,
    of odd lengths and of multiples of 16 (which also compiles the kernel's specialisations now,
    not later in the decoder's thread). Calls the kernel itself, so that its failures surface here."""
    alpha, inv_beta = constants(module)
    error = 0.0
    with torch.no_grad():
        for length in (3001, 3008):
            x = torch.randn(2, module.in_features, length + 16, device=module.alpha.device) * 3
            for sample in (x[..., :length].contiguous(), x[..., 16:]):
                expected = type(module).forward(module, sample)
                got = kernel(sample, alpha, inv_beta)
                error = max(error, float((got - expected).norm() / expected.norm().clamp_min(1e-30)))
    return error

