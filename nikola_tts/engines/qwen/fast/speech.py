"""The 12 Hz speech decoder (codes -> 24 kHz waveform), ours: the released weights, upstream's arithmetic.

Upstream's decoder (qwen_tts Qwen3TTSTokenizerV2Decoder) is a transformers model: loading it
means importing transformers and qwen_tts, seconds before anything can be spoken. This is the
same network as plain torch modules over speech_tokenizer/model.safetensors, with the same
operations in the same order, and upstream's way of decoding a batch (codes padded with -1 and
read as 0, chunks of 300 frames with 25 frames of left context, each segment cut to its own
length), so the samples match upstream's (tests/test_qwen_fast.py holds them to it on the CPU).

    codes (B, 16, T) -> split residual VQ (1 semantic + 15 acoustic codebooks) -> causal conv
    -> 8-layer transformer (sliding window 72, layer scale) -> 2 x (transposed conv + ConvNeXt)
    -> causal conv -> 4 x (SnakeBeta, transposed conv, 3 residual units) -> SnakeBeta -> conv
    -> clamp to [-1, 1]

It loads in float32. Its SnakeBeta activations compute in float32 whatever their input: in bfloat16
they overflow (vllm-project/vllm-omni#1663). On CUDA each activation runs as one fused kernel
(snake.py), the causal convolutions pad inside cuDNN instead of copying their input (fold_padding),
and in a bfloat16 run the waveform stack runs in bfloat16 (fast_forms).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

CHUNK = 300  # frames per decoder call, as upstream's chunked_decode
LEFT_CONTEXT = 25


class CausalConv(nn.Module):
    def __init__(self, cin, cout, kernel, dilation=1, stride=1, groups=1):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, kernel, stride=stride, dilation=dilation, groups=groups)
        self.stride = stride
        self.span = (kernel - 1) * dilation + 1
        self.padding = self.span - stride
        self.padding_in_conv = False  # fold_padding(): cuDNN pads, no copy of x

    def forward(self, x):
        length = x.shape[-1]
        if self.padding_in_conv:
            # The convolution pads both sides itself and its first `length` outputs are the causal ones
            # (stride 1: no right padding is ever needed); the rest is cut off as a view. What reads it
            # next (SnakeBeta, a convolution, a permute) takes such rows as they are.
            c = self.conv
            return F.conv1d(x, c.weight, c.bias, 1, self.padding, c.dilation, c.groups)[..., :length]
        frames = (length - self.span + self.padding) / self.stride + 1
        extra = (math.ceil(frames) - 1) * self.stride + (self.span - self.padding) - length
        if self.padding or extra:
            x = F.pad(x, (self.padding, extra), mode="constant", value=0)
        # (F.pad copies even when it pads nothing: a whole pass over the tensor for each 1-wide conv.)
        return self.conv(x)


class CausalTransposedConv(nn.Module):
    def __init__(self, cin, cout, kernel, stride=1):
        super().__init__()
        self.conv = nn.ConvTranspose1d(cin, cout, kernel, stride=stride)
        self.trim = int(kernel - stride)
        self.overlap_add = None  # transposed_as_matmul(): one GEMM and this overlap-add instead of cuDNN's dgrad

    def forward(self, x):
        if self.overlap_add is not None:
            return self._matmul_forward(x)
        x = self.conv(x)
        # A view, not a copy: what reads it next (SnakeBeta, and the residual add) takes rows of unit
        # stride as they are, so copying it would be one more pass over the decoder's largest tensors.
        return x[..., : x.shape[-1] - self.trim] if self.trim > 0 else x

    def _matmul_forward(self, x):
        """The same sums for kernel == 2 * stride, as the causal output keeps them: output sample m * stride + j
        is tap j of input frame m plus tap stride + j of frame m - 1. One GEMM gives every tap of every frame
        (on an H100, cuDNN's float32 dgrad for 1536 -> 768, kernel 16, took 31.9 ms of a 357.5 ms decode; this, in
        bfloat16, 4.25 ms); self.overlap_add then adds the taps, interleaved into time order, and the bias."""
        c = self.conv
        stride = c.stride[0]
        cin, cout, kernel = c.weight.shape
        batch, _, length = x.shape
        taps = torch.matmul(c.weight.permute(2, 1, 0).reshape(kernel * cout, cin), x)  # (B, taps x cout, L)
        return self.overlap_add(taps.view(batch, 2, stride, cout, length), c.bias)


def overlap_add(taps, bias):
    """taps (B, 2, stride, channels, L) -> (B, channels, L * stride): sample m * stride + j is tap j of frame m plus
    tap stride + j of frame m - 1, plus the bias (kernels.overlap_add does it in one pass on CUDA)."""
    batch, _, stride, channels, length = taps.shape
    own = taps[:, 0]
    own[..., 1:] += taps[:, 1, ..., :-1]
    out = own.permute(0, 2, 3, 1).reshape(batch, channels, length * stride)
    return out.add_(bias[:, None]) if bias is not None else out


class SnakeBeta(nn.Module):
    """x + 1/(exp(beta) + 1e-9) * sin(x * exp(alpha))^2, per channel (snake.fuse swaps in one kernel on CUDA)."""

    def __init__(self, channels):
        super().__init__()
        self.in_features = channels
        self.alpha = nn.Parameter(torch.zeros(channels))
        self.beta = nn.Parameter(torch.zeros(channels))
        self.no_div_by_zero = 1e-9

    def forward(self, x):
        alpha = torch.exp(self.alpha.unsqueeze(0).unsqueeze(-1))
        beta = torch.exp(self.beta.unsqueeze(0).unsqueeze(-1))
        # float32 inside whatever x is in (the conversions are no-ops for float32): in bfloat16 it overflows
        h = x.float()
        return (h + (1.0 / (beta + self.no_div_by_zero)) * torch.pow(torch.sin(h * alpha), 2)).to(x.dtype)


class ConvNeXt(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dwconv = CausalConv(dim, dim, 7, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        h = self.dwconv(x).permute(0, 2, 1)
        h = self.pwconv2(F.gelu(self.pwconv1(self.norm(h))))
        return x + (self.gamma * h).permute(0, 2, 1)


class ResidualUnit(nn.Module):
    def __init__(self, dim, dilation):
        super().__init__()
        self.act1 = SnakeBeta(dim)
        self.conv1 = CausalConv(dim, dim, 7, dilation=dilation)
        self.act2 = SnakeBeta(dim)
        self.conv2 = CausalConv(dim, dim, 1)

    def forward(self, x):
        return self.conv2(self.act2(self.conv1(self.act1(x)))) + x


class DecoderBlock(nn.Module):
    def __init__(self, cin, cout, rate):
        super().__init__()
        self.block = nn.ModuleList([SnakeBeta(cin), CausalTransposedConv(cin, cout, 2 * rate, rate)]
                                   + [ResidualUnit(cout, d) for d in (1, 3, 9)])

    def forward(self, x):
        for layer in self.block:
            x = layer(x)
        return x


def fold_padding(speech_model, on: bool = True) -> int:
    """Let the convolution pad each stride-1 causal convolution, instead of an F.pad copy of its input
    before it (on CUDA each copy is a pass over tensors of up to 96 channels x 1,920 samples a
    frame); returns how many convolutions changed. The same sums over the same zeros: the samples
    agree within float rounding (TF32's on CUDA: at most 3.4e-5 apart). FastSpeaker switches it on
    with the fused activations: on an H200 the decoder then took 287.6 ms instead of 311.6 for 16
    segments of 300 frames (`qwen_rtf.py --methods decode-variants`)."""
    convs = [m for m in speech_model.modules() if isinstance(m, CausalConv) and m.stride == 1 and m.padding]
    for conv in convs:
        conv.padding_in_conv = on
    return len(convs)


def transposed_as_matmul(speech_model, on: bool = True) -> int:
    """Run each causal transposed convolution whose kernel is twice its stride (every one in the released
    decoder) as a GEMM and an overlap-add (CausalTransposedConv._matmul_forward); returns how many changed."""
    convs = [m for m in speech_model.modules() if isinstance(m, CausalTransposedConv)
             and m.conv.kernel_size[0] == 2 * m.conv.stride[0]]
    add = None
    if on:
        add = overlap_add
        if next(speech_model.parameters()).device.type == "cuda":
            from nikola_tts.engines.qwen.fast import kernels

            add = kernels.overlap_add
    for conv in convs:
        conv.overlap_add = add
    return len(convs)


def decoder_precision(speech_model, dtype) -> int:
    """The waveform stack (from the first causal convolution after the upsampling to the last) in `dtype`:
    its convolutions' weights and its activations, SnakeBeta computing in float32 inside; returns how many
    convolutions changed. The quantizer, transformer and upsampling stay in float32, as does the output."""
    convs = [m for m in speech_model.decoder.modules() if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d))]
    for conv in convs:
        conv.to(dtype)
    speech_model.conv_dtype = dtype
    return len(convs)


def rms_norm(x, weight, eps):
    h = x.to(torch.float32)
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    return weight * h.to(x.dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Attention(nn.Module):
    def __init__(self, hidden, heads, kv_heads, head_dim):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, head_dim
        self.q_proj = nn.Linear(hidden, heads * head_dim, bias=False)
        self.k_proj = nn.Linear(hidden, kv_heads * head_dim, bias=False)
        self.v_proj = nn.Linear(hidden, kv_heads * head_dim, bias=False)
        self.o_proj = nn.Linear(heads * head_dim, hidden, bias=False)

    def forward(self, x, cos, sin, allowed):
        batch, length, _ = x.shape
        shape = (batch, length, -1, self.head_dim)
        q = self.q_proj(x).view(shape).transpose(1, 2)
        k = self.k_proj(x).view(shape).transpose(1, 2)
        v = self.v_proj(x).view(shape).transpose(1, 2)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, is_causal=allowed is None,
                                             scale=self.head_dim ** -0.5, enable_gqa=self.kv_heads != self.heads)
        return self.o_proj(out.transpose(1, 2).reshape(batch, length, -1))


class TransformerLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        hidden = c["hidden_size"]
        self.eps = float(c["rms_norm_eps"])
        self.self_attn = Attention(hidden, c["num_attention_heads"], c["num_key_value_heads"],
                                   c.get("head_dim") or hidden // c["num_attention_heads"])
        self.gate_proj = nn.Linear(hidden, c["intermediate_size"], bias=False)
        self.up_proj = nn.Linear(hidden, c["intermediate_size"], bias=False)
        self.down_proj = nn.Linear(c["intermediate_size"], hidden, bias=False)
        self.input_layernorm = nn.Parameter(torch.ones(hidden))
        self.post_attention_layernorm = nn.Parameter(torch.ones(hidden))
        self.attn_scale = nn.Parameter(torch.ones(hidden))
        self.mlp_scale = nn.Parameter(torch.ones(hidden))

    def forward(self, x, cos, sin, allowed):
        x = x + self.attn_scale * self.self_attn(rms_norm(x, self.input_layernorm, self.eps), cos, sin, allowed)
        h = rms_norm(x, self.post_attention_layernorm, self.eps)
        return x + self.mlp_scale * self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Transformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        hidden = c["hidden_size"]
        self.eps = float(c["rms_norm_eps"])
        self.window = int(c["sliding_window"])
        self.layers = nn.ModuleList([TransformerLayer(c) for _ in range(c["num_hidden_layers"])])
        self.norm = nn.Parameter(torch.ones(hidden))
        self.input_proj = nn.Linear(c["latent_dim"], hidden)
        self.output_proj = nn.Linear(hidden, c["latent_dim"])
        self.rope_dim = c.get("head_dim") or hidden // c["num_attention_heads"]
        self.rope_theta = float(c.get("rope_theta", 10000.0))
        # not in the checkpoint: set by load_speech_decoder (arithmetic on the meta device would import torch._dynamo)
        self.register_buffer("inv_freq", torch.empty(self.rope_dim // 2), persistent=False)

    def forward(self, x):
        x = self.input_proj(x)
        length = x.shape[1]
        positions = torch.arange(length, device=x.device, dtype=torch.float32)
        freqs = positions[:, None] * self.inv_freq.float()[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)[None]
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        q, k = positions[:, None], positions[None, :]
        # causal, and the last `window` positions only; shorter inputs go as plain causal, as Hugging Face sends them
        allowed = None if length < self.window else ((k <= q) & (k > q - self.window))[None, None]
        for layer in self.layers:
            x = layer(x, cos, sin, allowed)
        return self.output_proj(rms_norm(x, self.norm, self.eps))


class Quantizer(nn.Module):
    """Split residual VQ, decode side: one semantic codebook and the rest, each group projected back out."""

    def __init__(self, groups, size, dim, out_dim):
        super().__init__()
        self.register_buffer("first", torch.zeros(1, size, dim))  # codebook tables (EMA sums / usage)
        self.register_buffer("rest", torch.zeros(groups - 1, size, dim))
        self.first_out = nn.Conv1d(dim, out_dim, 1, bias=False)
        self.rest_out = nn.Conv1d(dim, out_dim, 1, bias=False)

    def forward(self, codes):  # (B, groups, T)
        first = self.first_out(_lookup(self.first, codes[:, :1]))
        return first + self.rest_out(_lookup(self.rest, codes[:, 1:]))


def _lookup(tables, codes):
    summed = torch.zeros([1], device=codes.device)[0]
    for k in range(codes.shape[1]):
        summed = summed + F.embedding(codes[:, k], tables[k]).transpose(1, 2)
    return summed


class SpeechDecoder(nn.Module):
    def __init__(self, config: dict):
        super().__init__()
        c = config
        self.upsample_total = int(np.prod(list(c["upsample_rates"]) + list(c["upsampling_ratios"])))
        self.groups = int(c["num_quantizers"])
        self.forms: DecoderForms | None = None  # what fast_forms() changed
        self.conv_dtype = torch.float32  # of the waveform stack (decoder_precision)
        self.waveform = None  # waveform.FusedWaveform: the stack with its residual units' ends fused (fast_forms)
        half = c["codebook_dim"] // 2
        self.quantizer = Quantizer(self.groups, c["codebook_size"], half, c["codebook_dim"])
        self.pre_conv = CausalConv(c["codebook_dim"], c["latent_dim"], 3)
        self.pre_transformer = Transformer(c)
        self.upsample = nn.ModuleList([nn.ModuleList([CausalTransposedConv(c["latent_dim"], c["latent_dim"], f, f),
                                                      ConvNeXt(c["latent_dim"])]) for f in c["upsampling_ratios"]])
        dim = c["decoder_dim"]
        rates = list(c["upsample_rates"])
        self.decoder = nn.ModuleList([CausalConv(c["latent_dim"], dim, 7)]
                                     + [DecoderBlock(dim // 2 ** i, dim // 2 ** (i + 1), r) for i, r in enumerate(rates)]
                                     + [SnakeBeta(dim // 2 ** len(rates)), CausalConv(dim // 2 ** len(rates), 1, 7)])

    def forward(self, codes):
        """codes (B, groups, T), no padding marks -> waveform (B, 1, T * upsample_total) in [-1, 1]."""
        h = self.pre_conv(self.quantizer(codes)).transpose(1, 2)
        h = self.pre_transformer(h).permute(0, 2, 1)
        for blocks in self.upsample:
            for block in blocks:
                h = block(h)
        h = h.to(self.conv_dtype)
        if self.waveform is not None:
            h = self.waveform(h)
        else:
            for block in self.decoder:
                h = block(h)
        return h.float().clamp(min=-1, max=1)

    def chunked(self, codes):
        """Upstream's chunked decode: 300 frames a call, 25 frames of left context, the context cut off."""
        waves, start, total = [], 0, codes.shape[-1]
        while start < total:
            end = min(start + CHUNK, total)
            context = LEFT_CONTEXT if start - LEFT_CONTEXT > 0 else start
            waves.append(self(codes[..., start - context:end])[..., context * self.upsample_total:])
            start = end
        return torch.cat(waves, dim=-1)

    @torch.inference_mode()
    def decode_chunks(self, chunks: list, length: int = 0) -> list[np.ndarray]:
        """(codes (context + frames, groups), context) pieces of chunked() -> each piece's samples, one batch, its
        rows padded to `length` frames or to the longest piece's. The decoder is causal: padding at the end
        changes no sample before it."""
        device = next(self.parameters()).device
        longest = max([length] + [int(codes.shape[0]) for codes, _ in chunks])
        batch = torch.zeros(len(chunks), longest, self.groups, dtype=torch.long, device=device)
        for row, (codes, _) in enumerate(chunks):
            batch[row, :codes.shape[0]] = codes.to(device)
        waves = self(batch.transpose(1, 2)).squeeze(1)
        up = self.upsample_total
        return [w[context * up:int(codes.shape[0]) * up].float().cpu().numpy()
                for w, (codes, context) in zip(waves, chunks)]

    @torch.inference_mode()
    def decode(self, codes: list) -> list[np.ndarray]:
        """(frames, groups) code tensors -> float32 waveforms, as one padded batch."""
        device = next(self.parameters()).device
        longest = max(int(c.shape[0]) for c in codes)
        batch = torch.zeros(len(codes), longest, self.groups, dtype=torch.long, device=device)
        for row, c in enumerate(codes):
            batch[row, :c.shape[0]] = c.to(device)
        waves = self.chunked(batch.transpose(1, 2)).squeeze(1)
        return [w[:int(c.shape[0]) * self.upsample_total].float().cpu().numpy() for w, c in zip(waves, codes)]


WARM_UP_FRAMES = 48  # 4 s of audio: every convolution runs, in a few milliseconds, at a length runs meet (decode.py)


@dataclass(frozen=True)
class DecoderForms:
    """What fast_forms changed in a speech decoder."""

    fused: int  # SnakeBeta activations, one Triton kernel each (snake.fuse)
    folded: int  # causal paddings folded into cuDNN (fold_padding)
    matmuls: int  # transposed convolutions as a GEMM and an overlap-add (transposed_as_matmul)
    dtype: torch.dtype  # of the waveform stack (decoder_precision)
    units: int = 0  # residual units whose end is one Triton kernel (waveform.fuse_units)

    def describe(self) -> str:
        return (f"{self.fused} SnakeBeta activations fused, {self.folded} causal paddings folded into cuDNN, "
                f"{self.matmuls} transposed convolutions as matmuls, {self.units} residual units' ends fused, "
                f"waveform stack in {str(self.dtype).removeprefix('torch.')}")


NO_FORMS = DecoderForms(0, 0, 0, torch.float32)


def fast_forms(speech_model, dtype=torch.float32) -> DecoderForms:
    """The decoder's fast forms: its causal paddings folded into cuDNN (fold_padding, 8-9% off the decoder on an
    H200), and on CUDA its SnakeBeta activations as one Triton kernel each (snake.fuse); where the run is in
    bfloat16 (`dtype`, the talker's: a GPU with bfloat16 arithmetic), the waveform stack in bfloat16 too, with its
    transposed convolutions as matmuls, as vLLM-Omni runs this decoder (H100, 16 chunks of 325 frames: 357.5 ->
    222.1 ms, 1.61x, samples 47 dB above their difference from float32's; benchmarks/speech_decoder.py), and each
    narrow residual unit's end (activation, 1-wide convolution, residual add, the next activation) as one Triton
    kernel (waveform.py). Once per model: a second call returns what the first did."""
    if speech_model.forms is None:
        from nikola_tts.engines.qwen.fast import snake

        fused, folded, matmuls, fused_units = snake.fuse(speech_model), fold_padding(speech_model), 0, 0
        if dtype == torch.bfloat16 and next(speech_model.parameters()).device.type == "cuda":
            decoder_precision(speech_model, torch.bfloat16)
            matmuls = transposed_as_matmul(speech_model)
            from nikola_tts.engines.qwen.fast.waveform import fuse_units

            fused_units = fuse_units(speech_model)
        speech_model.forms = DecoderForms(fused, folded, matmuls, speech_model.conv_dtype, fused_units)
    return speech_model.forms


def prepare(speech_model, dtype=torch.float32) -> None:
    """What a fresh process would otherwise pay at its first decode, after its last frame: the fast forms, and
    one short decode (cuDNN's start and the convolutions' kernels, loaded on first use). load_model runs it
    while the weights are read."""
    fast_forms(speech_model, dtype)
    warm_lengths(speech_model, [WARM_UP_FRAMES])


@torch.inference_mode()
def warm_lengths(speech_model, lengths, stop=None) -> int:
    """One decode of one chunk at each of `lengths` frames, on the calling thread: cuDNN makes its execution plans
    for a new length at its first call (about 40 ms more than the next, H100) and keeps them per thread, so the
    decoding thread does this for the one-chunk calls a one-paragraph edit makes. stop() is asked before each
    length; returns how many were decoded."""
    device = next(speech_model.parameters()).device
    done = 0
    for length in lengths:
        if stop is not None and stop():
            break
        speech_model.decode_chunks([(torch.zeros(length, speech_model.groups, dtype=torch.long, device=device), 0)])
        done += 1
    return done


def load_speech_decoder(folder: Path, device) -> tuple[SpeechDecoder, int]:
    """speech_tokenizer/ -> (the decoder on the device in float32, the output sample rate)."""
    from nikola_tts.engines.qwen.fast.checkpoint import Tensors

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    with torch.device("meta"):
        model = SpeechDecoder(config["decoder_config"])
    tensors = Tensors(folder, device, prefix="decoder.")
    state = {}
    for name in tensors.names():
        target = _our_name(name)
        if target is not None:
            state[target] = tensors.get(name, torch.float32)
    q = "quantizer.rvq_{}.vq.layers.{}._codebook."
    for group, count in (("first", 1), ("rest", model.groups - 1)):
        tables = []
        for k in range(count):
            usage = tensors.get(q.format(group, k) + "cluster_usage", torch.float32)
            tables.append(tensors.get(q.format(group, k) + "embedding_sum", torch.float32)
                          / usage.clamp(min=1e-5)[:, None])
        state[f"quantizer.{group}"] = torch.stack(tables)
    model.load_state_dict(state, strict=True, assign=True)
    t = model.pre_transformer  # the rotary frequencies, as Hugging Face's default initialisation computes them
    t.inv_freq = 1.0 / (t.rope_theta ** (torch.arange(0, t.rope_dim, 2, dtype=torch.int64, device=device).float()
                                         / t.rope_dim))
    return model.eval(), int(config.get("output_sample_rate", 24000))


_RENAMES = (
    ("quantizer.rvq_first.output_proj.", "quantizer.first_out."),
    ("quantizer.rvq_rest.output_proj.", "quantizer.rest_out."),
    (".mlp.gate_proj.", ".gate_proj."), (".mlp.up_proj.", ".up_proj."), (".mlp.down_proj.", ".down_proj."),
    (".input_layernorm.weight", ".input_layernorm"), (".post_attention_layernorm.weight", ".post_attention_layernorm"),
    (".self_attn_layer_scale.scale", ".attn_scale"), (".mlp_layer_scale.scale", ".mlp_scale"),
    ("pre_transformer.norm.weight", "pre_transformer.norm"),
)


def _our_name(name: str) -> str | None:
    """The checkpoint's tensor name -> this module's, or None for what decoding does not use."""
    if "._codebook." in name or ".input_proj.weight" in name and name.startswith("quantizer."):
        return None
    for old, new in _RENAMES:
        name = name.replace(old, new)
    return name
