"""The small element-wise operations of a decoder layer, two ways.

`TorchOps` is upstream's arithmetic op for op (several kernels each: RMSNorm alone is seven),
which the CPU tests hold to upstream generation bit for bit. `kernels.TritonOps` does the same
math in one fused Triton kernel each, on CUDA, where a frame's time is set by how many kernels
it launches rather than by the bytes they move. The frame step is written against this
interface only.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from nikola_tts.engines.qwen.fast.layers import grouped_attention
from nikola_tts.engines.qwen.seeded import gumbel_noise, restrict


class TorchOps:
    name = "torch"

    def linear(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
        """A projection, x (..., in) -> (..., out), weight (out, in) as nn.Linear keeps it."""
        return F.linear(x, weight, bias)

    def embed_linear(self, codes: torch.Tensor, table: torch.Tensor, weight: torch.Tensor | None,
                     bias: torch.Tensor | None = None) -> torch.Tensor:
        """Codes (rows,) -> their rows of `table` through a projection (none: the rows themselves), (rows, out)."""
        rows = F.embedding(codes, table)
        return rows if weight is None else self.linear(rows, weight, bias)

    def norm(self, x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
        dtype = x.dtype
        h = x.to(torch.float32)
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
        return weight * h.to(dtype)

    def add_norm(self, x: torch.Tensor, delta: torch.Tensor, weight: torch.Tensor, eps: float):
        """(x + delta, RMSNorm(x + delta)): a residual connection and the next norm."""
        x = x + delta
        return x, self.norm(x, weight, eps)

    def add_norm_linear(self, x: torch.Tensor, delta: torch.Tensor | None, norm_weight: torch.Tensor, eps: float,
                        weight: torch.Tensor):
        """(x + delta, linear(RMSNorm(x + delta), weight)); without delta, (x, linear(RMSNorm(x), weight)): a
        residual connection, the norm of a layer's input and its projection."""
        if delta is None:
            return x, self.linear(self.norm(x, norm_weight, eps), weight)
        x, h = self.add_norm(x, delta, norm_weight, eps)
        return x, self.linear(h, weight)

    def silu_mul_linear(self, gate_up: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """The MLP's down projection of SwiGLU(gate_up)."""
        return self.linear(self.silu_mul(gate_up), weight)

    def add_norm_mlp(self, x: torch.Tensor, delta: torch.Tensor, norm_weight: torch.Tensor, eps: float,
                     gate_up: torch.Tensor, down: torch.Tensor):
        """(x + delta, the MLP of RMSNorm(x + delta)): a residual connection, the post-attention norm, gate_up,
        SwiGLU and down."""
        x, projected = self.add_norm_linear(x, delta, norm_weight, eps, gate_up)
        return x, self.silu_mul_linear(projected, down)

    def heads(self, x: torch.Tensor, weight: torch.Tensor, eps: float, cos: torch.Tensor, sin: torch.Tensor,
              ) -> torch.Tensor:
        """Per-head RMSNorm then rotary embedding: x (batch, seq, heads, dim) -> (batch, heads, seq, dim).

        cos/sin: (batch or 1, seq, dim)."""
        h = self.norm(x, weight, eps).transpose(1, 2)
        cos, sin = cos[:, None], sin[:, None]
        half = h.shape[-1] // 2
        rotated = torch.cat((-h[..., half:], h[..., :half]), dim=-1)
        return h * cos + rotated * sin

    def store_kv(self, k: torch.Tensor, v: torch.Tensor, weight: torch.Tensor, eps: float, cos: torch.Tensor,
                 sin: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor, positions: torch.Tensor) -> None:
        """One new token per row: k, v (batch, 1, kv_heads, dim) -> k normed and rotated, both written into
        the caches (batch, kv_heads, length, dim) at each row's position."""
        rows = torch.arange(k.shape[0], device=k.device)
        k_cache[rows, :, positions] = self.heads(k, weight, eps, cos, sin)[:, :, 0]
        v_cache[rows, :, positions] = v[:, 0]

    def attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, last: torch.Tensor, scale: float,
               hidden_mask: torch.Tensor | None = None) -> torch.Tensor:
        """One query per row over a cache: q (batch, heads, 1, dim); k, v (batch, kv_heads, length, dim);
        positions 0..last[row] are valid (hidden_mask, if given, says the same). -> (batch, 1, heads * dim)."""
        if hidden_mask is None:
            hidden_mask = (torch.arange(k.shape[2], device=k.device)[None, :] > last[:, None])[:, None, None, :]
        return grouped_attention(q, k, v, hidden_mask, scale)

    def attend_new(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, q_norm: torch.Tensor, k_norm: torch.Tensor,
                   eps: float, cos: torch.Tensor, sin: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor,
                   positions: torch.Tensor, scale: float, hidden_mask: torch.Tensor | None = None) -> torch.Tensor:
        """One new token per row, q (batch, 1, heads, dim), k and v (batch, 1, kv_heads, dim) as projected: its key
        and value go into the caches at positions[row] (store_kv), and its query, normed and rotated, attends
        over positions 0..positions[row] (attend). -> (batch, 1, heads * dim)."""
        self.store_kv(k, v, k_norm, eps, cos, sin, k_cache, v_cache, positions)
        return self.attend(self.heads(q, q_norm, eps, cos, sin), k_cache, v_cache, positions, scale, hidden_mask)

    def silu_mul(self, gate_up: torch.Tensor) -> torch.Tensor:
        gate, up = gate_up.chunk(2, dim=-1)
        return F.silu(gate) * up

    def sample(self, scores: torch.Tensor, keys: torch.Tensor, counters: tuple, temperature: float,
               top_k: int | None, top_p: float | None) -> torch.Tensor:
        """Seeded Gumbel-max draw (sampling.py) from float32 scores -> (rows,) codes."""
        shaped = restrict(scores, temperature, top_k, top_p)
        return (shaped + gumbel_noise(keys, counters, shaped.shape[-1])).argmax(dim=-1)


def kernels_fit(device, capability: tuple[int, int] = (8, 0)) -> bool:
    """The fused Triton kernels need an NVIDIA GPU of compute capability 8.0+ (Ampere and newer)."""
    import importlib.util

    device = torch.device(device)
    if device.type != "cuda" or getattr(torch.version, "hip", None) or importlib.util.find_spec("triton") is None:
        return False
    return tuple(torch.cuda.get_device_capability(device)) >= capability


def dependent_launches_fit(device) -> bool:
    """Programmatic dependent launch (kernels.TritonOps's pdl: griddepcontrol) needs compute capability 9.0+
    (Hopper and newer): on an Ampere or Ada card (an RTX 4090) its instructions do not compile."""
    return kernels_fit(device, (9, 0))
