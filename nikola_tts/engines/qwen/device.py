"""Which accelerator, number format and attention kernel the model runs with.

The decisions are pure functions of plain facts, so every row of the table is testable without
the hardware; `gather_facts()` is the one place that asks torch.

Number format (dtype), unless TTS_DTYPE / the "dtype" engine option says otherwise:
* CUDA with compute capability >= 8.0 (Ampere and newer): bfloat16, the format the weights ship in.
* ROCm (torch reports it as "cuda"): bfloat16 where torch says the GPU does it natively, else float32.
* Apple MPS: bfloat16 where this torch and macOS support it (macOS 14+), else float32.
* Older CUDA (Pascal 6.x such as the Tesla P40, Volta 7.0, Turing 7.5): float32, not float16.
  float16 tops out at 65504, and Qwen3-TTS activations go past that (the code predictor's are
  reported to overflow to inf and then NaN in float16 ports: CrispStrobe/CrispASR#38 and #337),
  which comes out as noise or an error rather than speech. On Pascal float16 would buy little
  anyway: GP102 (P40) does float16 arithmetic at 1/64 of its float32 rate, so the gain is only
  in memory traffic. float32 doubles the weight memory (about 7.7 GB for the 1.7B model), which
  the 16-24 GB of those cards holds. TTS_DTYPE = "float16" is still honoured, with a warning.
* CPU: float32.
The speech decoder (codes -> waveform) always runs in float32: its SnakeBeta activations have
produced NaN (silent output) in reduced precision (vllm-project/vllm-omni#1663). It is about
1-10 % of the time on the plain path; on the fast path it is the last step, and its activations
run fused (fast/snake.py).

Attention: "sdpa" (PyTorch's fused attention); "flash_attention_2" when the flash_attn package is
importable, the device is CUDA with compute capability >= 8.0 and the dtype is 16-bit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nikola_tts.errors import TTSError

DTYPE_ALIASES = {
    "bfloat16": "bfloat16", "bf16": "bfloat16",
    "float16": "float16", "fp16": "float16", "half": "float16",
    "float32": "float32", "fp32": "float32", "float": "float32",
}
ATTENTION_CHOICES = ("sdpa", "eager", "flash_attention_2")


@dataclass(frozen=True)
class DeviceFacts:
    """What torch reports about this machine (gathered once, in load())."""
    torch_version: str = ""
    cuda_available: bool = False
    device_count: int = 0
    cuda_build: str | None = None  # torch.version.cuda
    hip_build: str | None = None  # torch.version.hip: ROCm torch reports its GPUs as "cuda"
    capabilities: tuple = ()  # per CUDA device: (major, minor)
    names: tuple = ()  # per CUDA device
    cuda_bf16: tuple = ()  # per CUDA device: torch's own "native bfloat16?" answer
    mps_available: bool = False
    mps_bf16: bool = False
    flash_attn: bool = False
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Placement:
    device: str  # "cuda:0", "mps", "cpu"
    dtype: str  # "bfloat16", "float16", "float32"
    attention: str  # "sdpa", "flash_attention_2", "eager"
    dtype_reason: str
    device_name: str = ""
    warnings: tuple = ()
    rocm: bool = False  # an AMD GPU behind torch's "cuda" device

    @property
    def device_type(self) -> str:
        return self.device.split(":")[0]


def choose_device(requested, cuda_available: bool, mps_available: bool, device_count: int,
                  cpu_only_torch: bool = False) -> str:
    """'auto' -> cuda (NVIDIA or ROCm) -> mps -> cpu; an explicit device is honoured or refused."""
    text = str(requested or "auto").strip().lower()
    if text == "auto":
        if cuda_available and device_count > 0:
            return "cuda:0"
        return "mps" if mps_available else "cpu"
    if text == "cpu":
        return "cpu"
    if text == "mps":
        if not mps_available:
            raise TTSError("TTS_DEVICE is 'mps' but this torch sees no Apple GPU (MPS needs a Mac with Apple "
                           "silicon and macOS 12.3+): set TTS_DEVICE to 'auto' or 'cpu'")
        return "mps"
    match = re.fullmatch(r"(cuda|gpu|rocm)(?::(\d+))?", text)
    if not match:
        raise TTSError(f"TTS_DEVICE is {requested!r}: use 'auto', 'cuda', 'cuda:N', 'mps' or 'cpu'")
    index = int(match.group(2) or 0)
    if not cuda_available or device_count == 0:
        why = ("this torch is a CPU-only build: install a CUDA or ROCm build of torch" if cpu_only_torch
               else "torch sees no CUDA or ROCm GPU on this machine")
        raise TTSError(f"TTS_DEVICE is {requested!r} but {why}, or set TTS_DEVICE to 'auto' or 'cpu'")
    if index >= device_count:
        have = ", ".join(f"cuda:{i}" for i in range(device_count))
        plural = "device" if device_count == 1 else "devices"
        raise TTSError(f"TTS_DEVICE is {requested!r} but this machine has {device_count} CUDA {plural} "
                       f"({have}): pick one of those or 'auto'")
    return f"cuda:{index}"


def normalize_dtype(value) -> str | None:
    """'bf16' -> 'bfloat16' and so on; None or 'auto' -> None (decide per device)."""
    if value is None:
        return None
    text = str(value).strip().lower().replace("torch.", "")
    if text in ("", "auto"):
        return None
    if text not in DTYPE_ALIASES:
        raise TTSError(f"TTS_DTYPE is {value!r}: use 'auto', 'bfloat16', 'float16' or 'float32'")
    return DTYPE_ALIASES[text]


def choose_dtype(device_type: str, cuda_capability=None, bf16_ok=None, override=None,
                 rocm: bool = False) -> tuple[str, str, tuple]:
    """(dtype, why, warnings) for the talker and code predictor.

    device_type: "cuda", "mps" or "cpu"; cuda_capability: (major, minor) of the CUDA device;
    bf16_ok: torch's answer to "native bfloat16 here?" (used for MPS and ROCm, whose capability
    numbers do not say it); rocm: the "cuda" device is an AMD GPU.
    """
    wanted = normalize_dtype(override)
    warnings = []
    if wanted is not None:
        if wanted == "float16":
            warnings.append("float16 is known to overflow in Qwen3-TTS (noise or errors instead of speech): "
                            "prefer bfloat16 where the device has it, else float32")
        if wanted == "bfloat16" and device_type == "cuda" and not rocm and cuda_capability \
                and tuple(cuda_capability) < (8, 0):
            warnings.append(f"bfloat16 is emulated on compute capability {cuda_capability[0]}.{cuda_capability[1]} "
                            "(slow): float32 is faster there")
        if wanted == "bfloat16" and device_type == "mps" and bf16_ok is False:
            raise TTSError("TTS_DTYPE is 'bfloat16' but this Mac's torch/macOS has no bfloat16 on MPS "
                           "(needs macOS 14+): use 'float32' or 'auto'")
        return wanted, "as configured", tuple(warnings)
    if device_type == "cpu":
        return "float32", "CPU", ()
    if device_type == "mps":
        if bf16_ok:
            return "bfloat16", "MPS supports bfloat16", ()
        return "float32", "no bfloat16 on this MPS (macOS 14+ needed)", ()
    if rocm:
        if bf16_ok:
            return "bfloat16", "ROCm GPU with native bfloat16", ()
        return "float32", "this ROCm GPU has no native bfloat16", ()
    if cuda_capability and tuple(cuda_capability) >= (8, 0):
        return "bfloat16", f"compute capability {cuda_capability[0]}.{cuda_capability[1]}", ()
    cap = f"{cuda_capability[0]}.{cuda_capability[1]}" if cuda_capability else "unknown"
    return "float32", (f"compute capability {cap} has no native bfloat16, and float16 overflows in "
                       "Qwen3-TTS"), ()


def choose_attention(device_type: str, cuda_capability, flash_attn_available: bool, dtype: str,
                     override=None) -> str:
    if override:
        text = str(override).strip().lower()
        if text not in ATTENTION_CHOICES:
            raise TTSError(f"the 'attention' engine option is {override!r}: use one of {', '.join(ATTENTION_CHOICES)}")
        if text == "flash_attention_2" and not flash_attn_available:
            raise TTSError("the 'attention' engine option is 'flash_attention_2' but the flash_attn package is not "
                           "installed: install flash-attn or use 'sdpa'")
        return text
    if (flash_attn_available and device_type == "cuda" and cuda_capability
            and tuple(cuda_capability) >= (8, 0) and dtype in ("bfloat16", "float16")):
        return "flash_attention_2"
    return "sdpa"


def place(requested_device, facts: DeviceFacts, dtype_override=None, attention_override=None) -> Placement:
    """All three decisions for this machine."""
    device = choose_device(requested_device, facts.cuda_available, facts.mps_available, facts.device_count,
                           cpu_only_torch=facts.cuda_build is None and facts.hip_build is None)
    kind = device.split(":")[0]
    index = int(device.split(":")[1]) if kind == "cuda" else None
    capability = facts.capabilities[index] if index is not None and index < len(facts.capabilities) else None
    if kind == "cuda":
        bf16_ok = facts.cuda_bf16[index] if index < len(facts.cuda_bf16) else None
    else:
        bf16_ok = facts.mps_bf16 if kind == "mps" else None
    dtype, why, warnings = choose_dtype(kind, capability, bf16_ok, dtype_override, rocm=facts.hip_build is not None)
    attention = choose_attention(kind, capability, facts.flash_attn, dtype, attention_override)
    name = facts.names[index] if index is not None and index < len(facts.names) else ""
    return Placement(device, dtype, attention, why, name, warnings, rocm=kind == "cuda" and facts.hip_build is not None)


def gather_facts() -> DeviceFacts:
    """Ask torch (imported here, never at module import)."""
    import importlib.util

    import torch

    cuda = torch.cuda.is_available()
    count = torch.cuda.device_count() if cuda else 0
    capabilities, names, bf16 = [], [], []
    for i in range(count):
        capabilities.append(tuple(torch.cuda.get_device_capability(i)))
        names.append(torch.cuda.get_device_name(i))
        bf16.append(_cuda_bf16(torch, i))
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    return DeviceFacts(torch_version=torch.__version__, cuda_available=cuda, device_count=count,
                       cuda_build=torch.version.cuda, hip_build=getattr(torch.version, "hip", None),
                       capabilities=tuple(capabilities), names=tuple(names), cuda_bf16=tuple(bf16),
                       mps_available=mps, mps_bf16=_mps_bf16(torch) if mps else False,
                       flash_attn=importlib.util.find_spec("flash_attn") is not None)


def _cuda_bf16(torch, index: int) -> bool:
    try:
        with torch.cuda.device(index):
            try:
                return bool(torch.cuda.is_bf16_supported(including_emulation=False))
            except TypeError:  # older torch: no including_emulation
                return bool(torch.cuda.is_bf16_supported())
    except Exception:
        return False


def _mps_bf16(torch) -> bool:
    try:
        (torch.ones(2, dtype=torch.bfloat16, device="mps") * 2).sum().item()
        return True
    except Exception:
        return False


def torch_dtype(name: str):
    import torch

    return {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[name]
