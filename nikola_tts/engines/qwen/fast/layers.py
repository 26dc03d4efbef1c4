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

from nikola_tts.engines.qwen.fast.weights import Layer, Stack


def project(ops, stack: Stack, layer: Layer, h: torch.Tensor):
    """h (batch, seq, hidden), normed -> q (batch, seq, heads, dim), k and v (batch, seq, kv_heads, dim), raw."""
    batch, seq, _ = h.shape
    d, heads, kv = stack.head_dim, stack.heads, stack.kv_heads
    q, k, v = ops.linear(h, layer.qkv).split([heads * d, kv * d, kv * d], dim=-1)
    return q.view(batch, seq, heads, d), k.view(batch, seq, kv, d), v.view(batch, seq, kv, d)


def qkv(ops, stack: Stack, layer: Layer, h: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor):
    """h (batch, seq, hidden), normed -> q (batch, heads, seq, dim), k and v (batch, kv_heads, seq, dim)."""
    q, k, v = project(ops, stack, layer, h)
    return (ops.heads(q, layer.q_norm, stack.eps, cos, sin), ops.heads(k, layer.k_norm, stack.eps, cos, sin),
            v.transpose(1, 2))


def q_into_cache(ops, stack: Stack, layer: Layer, h: torch.Tensor, cos, sin, k_cache, v_cache, positions):
    """One new token per row: returns q (batch, heads, 1, dim); k and v go straight into the caches."""
    q, k, v = project(ops, stack, layer, h)
    ops.store_kv(k, v, layer.k_norm, stack.eps, cos, sin, k_cache, v_cache, positions)
    return ops.heads(q, layer.q_norm, stack.eps, cos, sin)


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


def finish_layer(ops, stack: Stack, layer: Layer, x: torch.Tensor, attn: torch.Tensor, next_norm: torch.Tensor):
    """Attention output -> residual, MLP, residual; returns (x, x normed by `next_norm`)."""
    x, h = ops.add_norm(x, ops.linear(attn, layer.o), layer.post_norm, stack.eps)
    return ops.add_norm(x, ops.linear(ops.silu_mul(ops.linear(h, layer.gate_up)), layer.down), next_norm, stack.eps)


def next_norms(stack: Stack) -> list:
    """The norm that follows each layer: the next layer's input norm, and the final norm after the last."""
    return [layer.input_norm for layer in stack.layers[1:]] + [stack.norm]


def causal_prefill(ops, stack: Stack, x: torch.Tensor, cos, sin, store, last: torch.Tensor) -> torch.Tensor:
    """All layers over whole prompts (batch, seq, hidden); store(i, k, v) keeps each layer's cache.

    Returns each row's output at position last[row], final-normed."""
    h = ops.norm(x, stack.layers[0].input_norm, stack.eps)
    for i, (layer, after) in enumerate(zip(stack.layers, next_norms(stack))):
        q, k, v = qkv(ops, stack, layer, h, cos, sin)
        store(i, k, v)
        attn = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=stack.head_dim ** -0.5, enable_gqa=True)
        x, h = finish_layer(ops, stack, layer, x, attn.transpose(1, 2).reshape(x.shape[0], x.shape[1], -1), after)
    return h[torch.arange(h.shape[0], device=h.device), last]
