"""The fast path's weights, read from the checkpoint and regrouped for fewer kernels.

Per layer, q/k/v become one matrix and gate/up another (one matrix product each instead of
three and two), and the code predictor's 15 embeddings and 15 heads are stacked so that a frame
can gather from them by index. Each kind of a layer's tensor is one tensor for all layers (the
layers are views of it), so that one kernel can step from layer to layer (persistent.py). Everything is read straight onto the device in the run's dtype
(checkpoint.Tensors), and each source tensor is dropped as soon as it has been regrouped. The
rotary tables are precomputed in float32 the way upstream computes them per call (position x
inverse frequency, cos/sin, then the model's dtype); every text position of the talker gets the
same index in all three MRoPE sections, so its rotation is the plain one.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nikola_tts.engines.qwen.fast.checkpoint import ModelConfig, StackConfig, Tensors

MAX_POSITIONS = 16384  # talker positions with a rotary table: far past any segment's prompt plus frame limit


@dataclass(frozen=True)
class Layer:
    qkv: torch.Tensor  # (heads + 2 kv_heads) * head_dim x hidden
    o: torch.Tensor
    q_norm: torch.Tensor
    k_norm: torch.Tensor
    gate_up: torch.Tensor  # 2 * intermediate x hidden
    down: torch.Tensor
    input_norm: torch.Tensor
    post_norm: torch.Tensor


@dataclass(frozen=True)
class Stack:
    """A decoder: its layers, final norm, shape, and a rotary table by position."""
    layers: list
    norm: torch.Tensor
    eps: float
    heads: int
    kv_heads: int
    head_dim: int
    cos: torch.Tensor  # positions x head_dim, model dtype
    sin: torch.Tensor

    @property
    def groups(self) -> int:
        return self.heads // self.kv_heads


@dataclass(frozen=True)
class TextProjection:
    """Text token -> talker input: the text embedding, then a two-layer MLP (SiLU) with biases."""
    embedding: torch.Tensor  # text vocab x text hidden
    fc1: torch.Tensor
    fc1_bias: torch.Tensor
    fc2: torch.Tensor
    fc2_bias: torch.Tensor


@dataclass(frozen=True)
class Weights:
    talker: Stack
    predictor: Stack
    text: TextProjection
    codec_embedding: torch.Tensor  # talker: vocab x hidden (first code of a frame, special codes)
    codec_head: torch.Tensor  # vocab x hidden
    residual_embeddings: torch.Tensor  # 15 x 2048 x hidden: the predictor's codebook embeddings
    residual_heads: torch.Tensor  # 15 x 2048 x predictor_hidden
    projection: torch.Tensor | None  # talker hidden -> predictor hidden (None: same size)
    projection_bias: torch.Tensor | None
    config: ModelConfig
    dtype: torch.dtype
    device: torch.device

    @property
    def groups(self) -> int:
        return int(self.residual_heads.shape[0]) + 1  # codes per frame


def inverse_frequencies(config: StackConfig, device) -> torch.Tensor:
    """Hugging Face's 'default' rotary initialisation (attention scaling 1)."""
    dim = config.head_dim
    return 1.0 / (config.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.int64, device=device).float() / dim))


def rotary_table(inv_freq: torch.Tensor, positions: int, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    index = torch.arange(positions, device=inv_freq.device, dtype=torch.float32)
    freqs = index[:, None] * inv_freq.float()[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def _stack(tensors: Tensors, prefix: str, config: StackConfig, positions: int, dtype) -> Stack:
    if config.activation != "silu":
        raise ValueError(f"unsupported activation {config.activation!r}")
    if tensors.names(f"{prefix}layers.0.self_attn.q_proj.bias"):
        raise ValueError("attention with bias is not supported by the fast path")

    def get(name):
        return tensors.get(prefix + name, dtype)

    stacked: dict[str, torch.Tensor] = {}  # each kind of tensor, all layers in one: layers are views of it
    for i in range(config.layers):
        at = f"layers.{i}."
        parts = dict(qkv=torch.cat([get(at + f"self_attn.{x}_proj.weight") for x in "qkv"], dim=0),
                     o=get(at + "self_attn.o_proj.weight"), q_norm=get(at + "self_attn.q_norm.weight"),
                     k_norm=get(at + "self_attn.k_norm.weight"),
                     gate_up=torch.cat([get(at + f"mlp.{x}_proj.weight") for x in ("gate", "up")], dim=0),
                     down=get(at + "mlp.down_proj.weight"), input_norm=get(at + "input_layernorm.weight"),
                     post_norm=get(at + "post_attention_layernorm.weight"))
        for name, tensor in parts.items():
            if name not in stacked:
                stacked[name] = torch.empty((config.layers, *tensor.shape), device=tensor.device, dtype=tensor.dtype)
            stacked[name][i].copy_(tensor)
        del parts
    layers = [Layer(**{name: tensor[i] for name, tensor in stacked.items()}) for i in range(config.layers)]
    cos, sin = rotary_table(inverse_frequencies(config, tensors.device), positions, dtype)
    return Stack(layers=layers, norm=get("norm.weight"), eps=config.eps, heads=config.heads, kv_heads=config.kv_heads,
                 head_dim=config.head_dim, cos=cos, sin=sin)


@torch.no_grad()
def load_weights(tensors: Tensors, config: ModelConfig, dtype) -> Weights:
    """The talker, the code predictor and the prompt's text projection from model.safetensors."""
    def get(name):
        return tensors.get(name, dtype)

    groups = config.groups
    has_projection = bool(tensors.names("talker.code_predictor.small_to_mtp_projection.weight"))
    return Weights(
        talker=_stack(tensors, "talker.model.", config.talker, MAX_POSITIONS, dtype),
        predictor=_stack(tensors, "talker.code_predictor.model.", config.predictor, groups + 1, dtype),
        text=TextProjection(embedding=get("talker.model.text_embedding.weight"),
                            fc1=get("talker.text_projection.linear_fc1.weight"),
                            fc1_bias=get("talker.text_projection.linear_fc1.bias"),
                            fc2=get("talker.text_projection.linear_fc2.weight"),
                            fc2_bias=get("talker.text_projection.linear_fc2.bias")),
        codec_embedding=get("talker.model.codec_embedding.weight"),
        codec_head=get("talker.codec_head.weight"),
        residual_embeddings=torch.stack([get(f"talker.code_predictor.model.codec_embedding.{j}.weight")
                                         for j in range(groups - 1)]),
        residual_heads=torch.stack([get(f"talker.code_predictor.lm_head.{j}.weight") for j in range(groups - 1)]),
        projection=get("talker.code_predictor.small_to_mtp_projection.weight") if has_projection else None,
        projection_bias=get("talker.code_predictor.small_to_mtp_projection.bias") if has_projection else None,
        config=config, dtype=dtype, device=torch.device(tensors.device))
