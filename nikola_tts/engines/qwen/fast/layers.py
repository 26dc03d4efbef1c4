"""The decoder-layer arithmetic of Qwen3-TTS, written for static shapes.

The same operations as upstream, in the same order and precision where it matters (RMSNorm in
float32, softmax in float32), but on fused projections and with grouped-query attention done
as one batched matrix product per layer: the query heads of a key/value head are laid side by
side, so repeated keys and values are never materialized. The element-wise parts go through
`ops` (ops.TorchOps or kernels.TritonOps). Nothing here reads a tensor's value on the host, so
all of it can be captured in a CUDA graph.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from nikola_tts.engines.qwen.fast.weights import Layer, Stack

# The prefill's attention, anything but cuDNN's: it builds a graph for each new prompt length, and every segment
# brings one. H100, a prompt length's first prefill: 57-95 ms with it, 14-33 ms without; later ones 13-15 ms
# either way (benchmarks/results/2026-12-06-h100-rtf-v35-second-run.log, prefill-b1)
PREFILL_ATTENTION = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]


def project(ops, stack: Stack, layer: Layer, x: torch.Tensor, delta: torch.Tensor | None):
    """The residual stream x (batch, seq, hidden) plus the last layer's output delta, normed and projected ->
    (x + delta, q (batch, seq, heads, dim), k and v (batch, seq, kv_heads, dim), raw)."""
    batch, seq, _ = x.shape
    d, heads, kv = stack.head_dim, stack.heads, stack.kv_heads
    x, projected = ops.add_norm_linear(x, delta, layer.input_norm, stack.eps, layer.qkv)
    q, k, v = projected.split([heads * d, kv * d, kv * d], dim=-1)
    return x, q.view(batch, seq, heads, d), k.view(batch, seq, kv, d), v.view(batch, seq, kv, d)


def qkv(ops, stack: Stack, layer: Layer, x: torch.Tensor, delta, cos: torch.Tensor, sin: torch.Tensor):
    """-> (x + delta, q (batch, heads, seq, dim), k and v (batch, kv_heads, seq, dim))."""
    x, q, k, v = project(ops, stack, layer, x, delta)
    return (x, ops.heads(q, layer.q_norm, stack.eps, cos, sin), ops.heads(k, layer.k_norm, stack.eps, cos, sin),
            v.transpose(1, 2))


def attend_new(ops, stack: Stack, layer: Layer, x: torch.Tensor, delta, cos, sin, k_cache, v_cache,
               positions: torch.Tensor, hidden_mask=None):
    """One new token per row: its key and value go into the caches at positions[row], and its query attends
    over positions 0..positions[row]. Returns (x + delta, the attention's output (batch, 1, heads * dim))."""
    x, q, k, v = project(ops, stack, layer, x, delta)
    return x, ops.attend_new(q, k, v, layer.q_norm, layer.k_norm, stack.eps, cos, sin, k_cache, v_cache, positions,
                             stack.head_dim ** -0.5, hidden_mask)


def new_token(ops, stack: Stack, x: torch.Tensor, cos, sin, k_caches, v_caches, positions: torch.Tensor,
              hidden_mask=None):
    """One new token per row through every layer (attend_new, finish_layer): layer i's keys and values go into
    k_caches[i] and v_caches[i] (batch, kv_heads, length, dim) at positions[row]. Returns (x, the last layer's
    output), for the final norm to add."""
    delta = None
    for i, layer in enumerate(stack.layers):
        x, attn = attend_new(ops, stack, layer, x, delta, cos, sin, k_caches[i], v_caches[i], positions, hidden_mask)
        x, delta = finish_layer(ops, stack, layer, x, attn)
    return x, delta


def grouped_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, hidden_mask: torch.Tensor | None,
                      scale: float) -> torch.Tensor:
    """q (batch, heads, seq, dim) over k, v (batch, kv_heads, length, dim) -> (batch, seq, heads * dim).

    hidden_mask: True where a query may NOT look, broadcastable to (batch, 1, seq, length)."""
    batch, heads, seq, dim = q.shape
    kv_heads, length = k.shape[1], k.shape[2]
    groups = heads // kv_heads
    qg = q.reshape(batch, kv_heads, groups * seq, dim)
    scores = torch.matmul(qg, k.transpose(-1, -2)) * scale  # (batch, kv_heads, groups * seq, length)
    if hidden_mask is not None:
        scores = scores.view(batch, kv_heads, groups, seq, length).masked_fill(hidden_mask[:, :, None], float("-inf"))
        scores = scores.view(batch, kv_heads, groups * seq, length)
    weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
    out = torch.matmul(weights, v).view(batch, heads, seq, dim)
    return out.transpose(1, 2).reshape(batch, seq, heads * dim)


def finish_layer(ops, stack: Stack, layer: Layer, x: torch.Tensor, attn: torch.Tensor):
    """Attention output -> residual, MLP; returns (x, the MLP's output), which the next norm adds to x (so that
    one kernel can add, norm and project: ops.add_norm_linear)."""
    return ops.add_norm_mlp(x, ops.linear(attn, layer.o), layer.post_norm, stack.eps, layer.gate_up, layer.down)


def causal_prefill(ops, stack: Stack, x: torch.Tensor, cos, sin, store, last: torch.Tensor) -> torch.Tensor:
    """All layers over whole prompts (batch, seq, hidden); store(i, k, v) keeps each layer's cache.

    Returns each row's output at position last[row], final-normed."""
    delta = None
    for i, layer in enumerate(stack.layers):
        x, q, k, v = qkv(ops, stack, layer, x, delta, cos, sin)
        store(i, k, v)
        with sdpa_kernel(PREFILL_ATTENTION):
            attn = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=stack.head_dim ** -0.5,
                                                  enable_gqa=True)
        x, delta = finish_layer(ops, stack, layer, x, attn.transpose(1, 2).reshape(x.shape[0], x.shape[1], -1))
    h = ops.add_norm(x, delta, stack.norm, stack.eps)[1]
    return h[torch.arange(h.shape[0], device=h.device), last]
