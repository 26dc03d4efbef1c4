"""A Qwen3-TTS checkpoint folder read as the fast path needs it: plain JSON and safetensors.

The released layout: config.json (the talker, the code predictor and the special ids),
generation_config.json (sampling defaults), model.safetensors (or shards with an index), the
text tokenizer's files, and speech_tokenizer/ (config.json, model.safetensors) for the speech
decoder. Reading these needs neither transformers nor qwen_tts, whose imports cost more than
the whole narration of an edited paragraph; the config classes here hold only what the fast
path uses. Tensors are read straight onto the device in the dtype asked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from nikola_tts.errors import TTSError


@dataclass(frozen=True)
class StackConfig:
    """A decoder stack (the talker's or the code predictor's) as config.json describes it."""
    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    eps: float
    rope_theta: float
    vocab: int
    activation: str

    @classmethod
    def read(cls, c: dict) -> "StackConfig":
        return cls(hidden=int(c["hidden_size"]), intermediate=int(c["intermediate_size"]),
                   layers=int(c["num_hidden_layers"]), heads=int(c["num_attention_heads"]),
                   kv_heads=int(c["num_key_value_heads"]),
                   head_dim=int(c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]),
                   eps=float(c.get("rms_norm_eps", 1e-6)), rope_theta=float(c.get("rope_theta", 10000.0)),
                   vocab=int(c["vocab_size"]), activation=str(c.get("hidden_act", "silu")))


@dataclass(frozen=True)
class ModelConfig:
    talker: StackConfig
    predictor: StackConfig
    groups: int  # codes per frame
    text_vocab: int
    text_hidden: int
    text_ids: dict  # im_start, im_end, assistant, tts_pad, tts_bos, tts_eos -> token id
    codec_ids: dict  # pad, bos, eos, think, nothink, think_bos, think_eos -> codec id
    languages: dict  # lower-case language name -> codec id
    speakers: dict  # lower-case speaker name -> codec id
    dialects: dict  # speaker -> dialect language name, or False
    model_type: str  # "custom_voice", "base", "voice_design"
    model_size: str  # "1b7", "0b6"
    tokenizer_type: str
    sampling: dict  # generation_config.json

    @property
    def eos(self) -> int:
        return int(self.codec_ids["eos"])


def read_config(folder: Path) -> ModelConfig:
    """config.json and generation_config.json of a CustomVoice checkpoint; TTSError for anything else."""
    try:
        c = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        t = c["talker_config"]
        p = t["code_predictor_config"]
        codec = {name: int(t[key]) for name, key in (
            ("pad", "codec_pad_id"), ("bos", "codec_bos_id"), ("eos", "codec_eos_token_id"), ("think", "codec_think_id"),
            ("nothink", "codec_nothink_id"), ("think_bos", "codec_think_bos_id"), ("think_eos", "codec_think_eos_id"))}
        text = {name: int(c[f"{name}_token_id"]) for name in ("im_start", "im_end", "assistant", "tts_pad", "tts_bos",
                                                               "tts_eos")}
        config = ModelConfig(
            talker=StackConfig.read(t), predictor=StackConfig.read(p), groups=int(t["num_code_groups"]),
            text_vocab=int(t["text_vocab_size"]), text_hidden=int(t["text_hidden_size"]), text_ids=text,
            codec_ids=codec, languages={k.lower(): int(v) for k, v in (t.get("codec_language_id") or {}).items()},
            speakers={k.lower(): v for k, v in (t.get("spk_id") or {}).items()},
            dialects={k.lower(): v for k, v in (t.get("spk_is_dialect") or {}).items()},
            model_type=str(c.get("tts_model_type", "")), model_size=str(c.get("tts_model_size", "")),
            tokenizer_type=str(c.get("tokenizer_type", "")), sampling=_generation_config(folder))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TTSError(f"TTS_MODEL {str(folder)!r} has no readable Qwen3-TTS config.json ({type(exc).__name__}: {exc})")
    if config.model_type != "custom_voice" or config.tokenizer_type != "qwen3_tts_tokenizer_12hz":
        raise TTSError(f"TTS_MODEL {str(folder)!r} is a Qwen3-TTS {config.model_type!r} model with the "
                       f"{config.tokenizer_type!r} tokenizer; this engine speaks with the 12 Hz CustomVoice models, "
                       "e.g. Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice")
    return config


def _generation_config(folder: Path) -> dict:
    path = folder / "generation_config.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


class Tensors:
    """Named tensors of a folder's safetensors file (or shards), read onto a device on demand."""

    def __init__(self, folder: Path, device, prefix: str = ""):
        from safetensors import safe_open

        index = folder / "model.safetensors.index.json"
        if index.exists():
            shards = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
        else:
            shards = ["model.safetensors"]
        self.device = device
        self.prefix = prefix
        self.files = [safe_open(str(folder / shard), framework="pt", device="cpu") for shard in shards]
        self.where = {name: f for f in self.files for name in f.keys()}

    def names(self, under: str = "") -> list[str]:
        start = self.prefix + under
        return [name[len(self.prefix):] for name in self.where if name.startswith(start)]

    def get(self, name: str, dtype=None):
        """The tensor on the device: one host-to-device copy, the dtype changed on the device."""
        full = self.prefix + name
        if full not in self.where:
            raise TTSError(f"the checkpoint has no tensor {full!r}")
        tensor = self.where[full].get_tensor(full).to(self.device, non_blocking=False)
        return tensor if dtype is None else tensor.to(dtype)
