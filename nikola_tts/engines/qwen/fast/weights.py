"""The fast path's view of a loaded Qwen3-TTS model: its weights, regrouped for fewer kernels.

Nothing is copied that need not be: norms, embeddings and heads are the upstream module's own
tensors. Per layer, q/k/v become one matrix and gate/up another (one matrix product each
instead of three and two), and the code predictor's 15 embeddings and 15 heads are stacked so
that a frame can gather from them by index. The rotary tables are precomputed in float32 the
way upstream computes them per call (position x inverse frequency, cos/sin, then the model's
dtype); every text position of the talker gets the same index in all three MRoPE sections, so
its rotation is the plain one.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Layer:
    qkv: torch.Tensor  # (heads + 2 kv_heads) * head_dim x hidden
    o: torch.Tensor
    q_norm: torch.Tensor
    k_norm: torch.Tensor
    gate_up: torch.Tensor  # 2 * intermediate x hidden
    down: torch.Tensor
    input_norm: torch.Tensor
    post_norm: torch.Tensor


@dataclass
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


@dataclass
class Weights:
    talker: Stack
    predictor: Stack
    codec_embedding: torch.Tensor  # talker: vocab x hidden (first code of a frame, special codes)
    codec_head: torch.Tensor  # vocab x hidden
    residual_embeddings: torch.Tensor  # 15 x 2048 x hidden: the predictor's codebook embeddings
    residual_heads: torch.Tensor  # 15 x 2048 x predictor_hidden
    projection: torch.Tensor | None  # talker hidden -> predictor hidden (None: same size)
    projection_bias: torch.Tensor | None
    config: object  # the talker config (ids, vocab)
    dtype: torch.dtype
    device: torch.device

    @property
    def groups(self) -> int:
        return int(self.residual_heads.shape[0]) + 1  # codes per frame


def rotary_table(inv_freq: torch.Tensor, scaling: float, positions: int, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    index = torch.arange(positions, device=inv_freq.device, dtype=torch.float32)
    freqs = index[:, None] * inv_freq.float()[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return (emb.cos() * scaling).to(dtype), (emb.sin() * scaling).to(dtype)


def _stack(model, config, positions: int, dtype) -> Stack:
    layers = []
    for layer in model.layers:
        attn, mlp = layer.self_attn, layer.mlp
        if getattr(mlp, "act_fn", None) is not None and "silu" not in type(mlp.act_fn).__name__.lower():
            raise ValueError(f"unsupported activation {type(mlp.act_fn).__name__}")
        if attn.q_proj.bias is not None:
            raise ValueError("attention with bias is not supported by the fast path")
        layers.append(Layer(
            qkv=torch.cat([attn.q_proj.weight, attn.k_proj.weight, attn.v_proj.weight], dim=0).contiguous(),
            o=attn.o_proj.weight, q_norm=attn.q_norm.weight, k_norm=attn.k_norm.weight,
            gate_up=torch.cat([mlp.gate_proj.weight, mlp.up_proj.weight], dim=0).contiguous(),
            down=mlp.down_proj.weight, input_norm=layer.input_layernorm.weight,
            post_norm=layer.post_attention_layernorm.weight))
    rotary = model.rotary_emb
    cos, sin = rotary_table(rotary.inv_freq, float(rotary.attention_scaling), positions, dtype)
    return Stack(layers=layers, norm=model.norm.weight, eps=float(model.norm.variance_epsilon),
                 heads=int(config.num_attention_heads), kv_heads=int(config.num_key_value_heads),
                 head_dim=int(getattr(config, "head_dim", config.hidden_size // config.num_attention_heads)),
                 cos=cos, sin=sin)


@torch.no_grad()
def from_model(model, positions: int) -> Weights:
    """Weights of a qwen_tts Qwen3TTSForConditionalGeneration (CustomVoice), rotary tables up to `positions`."""
    talker = model.talker
    predictor = talker.code_predictor
    config = talker.config
    dtype = talker.codec_head.weight.dtype
    projection = predictor.small_to_mtp_projection
    has_projection = isinstance(projection, torch.nn.Linear)
    groups = int(config.num_code_groups)
    return Weights(
        talker=_stack(talker.model, config, positions, dtype),
        predictor=_stack(predictor.model, predictor.config, groups + 1, dtype),
        codec_embedding=talker.model.codec_embedding.weight,
        codec_head=talker.codec_head.weight,
        residual_embeddings=torch.stack([e.weight for e in predictor.model.codec_embedding]),
        residual_heads=torch.stack([h.weight for h in predictor.lm_head]),
        projection=projection.weight if has_projection else None,
        projection_bias=projection.bias if has_projection else None,
        config=config, dtype=dtype, device=talker.codec_head.weight.device)
