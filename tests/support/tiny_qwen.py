"""A tiny random-weight Qwen3-TTS-12Hz CustomVoice checkpoint, written to a folder for tests.

It has the real layout (config.json, model.safetensors, tokenizer files, generation_config.json,
speech_tokenizer/), the real speaker, language and codec special ids, and the real code path
(the qwen_tts config and model classes, loaded back with `from_pretrained`), but a couple of
small layers, a tiny speech decoder and a byte-level BPE text tokenizer trained here on a few
lines. Nothing is downloaded. It speaks noise, in about 20 MB, built in well under a second.

Things that have to be right for the checkpoint to load and generate:
* config.json: `speaker_encoder_config.model_type` is saved as "" but its config class takes no
  extra keyword arguments, so the key is dropped after saving.
* The speech decoder's EMA codebooks start at zero (every code would decode to silence) and the
  HF init shrinks the conv stack's signal to ~1e-9: the codebooks get random values and the
  conv/linear layers PyTorch's default init, so the output is audible noise (the last layer is
  scaled down so it does not sit clipped at +1).
* The model slices the prompt at fixed token positions (`<|im_start|>`, `assistant`, `\\n` first;
  `<|im_end|>`, `\\n`, `<|im_start|>`, `assistant`, `\\n` last), so each must be one token, and the
  pre-tokenizer must be a Sequence laid out like Qwen's (transformers may replace its first
  element when loading with fix_mistral_regex=True).
* generation_config.json is qwen_tts's own plain dict of sampling defaults;
  speech_tokenizer/preprocessor_config.json must exist (AutoFeatureExtractor runs on load).
"""

from __future__ import annotations

import json
from pathlib import Path

SPEAKERS = {"serena": 3066, "vivian": 3065, "uncle_fu": 3010, "ryan": 3061, "aiden": 2861,
            "ono_anna": 2873, "sohee": 2864, "eric": 2875, "dylan": 2878}
DIALECTS = {"eric": "sichuan_dialect", "dylan": "beijing_dialect"}
LANGUAGES = {"chinese": 2055, "english": 2050, "german": 2053, "italian": 2070, "portuguese": 2071,
             "spanish": 2054, "japanese": 2058, "korean": 2064, "french": 2061, "russian": 2069,
             "beijing_dialect": 2074, "sichuan_dialect": 2062}
SAMPLING_DEFAULTS = {"do_sample": True, "top_k": 50, "top_p": 1.0, "temperature": 0.9,
                     "repetition_penalty": 1.05, "subtalker_dosample": True, "subtalker_top_k": 50,
                     "subtalker_top_p": 1.0, "subtalker_temperature": 0.9, "max_new_tokens": 8192}

# Qwen2's pre-tokenizer split, as in its tokenizer.json
QWEN_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
              r"|\s*[\r\n]+|\s+(?!\S)|\s+")
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|tts_pad|>", "<|tts_text_bos|>",
                  "<|tts_text_eod|>"]
TRAINING_LINES = [
    "The ferry leaves at dawn, when the harbour is still grey and the gulls are asleep.",
    "Every post of the blog gets an audio version, narrated on the author's own machine.",
    "Numbers like 1,234 and 56.7 percent, dates like 2026-01-02, and names like Jevons appear too.",
    "La narración se genera en el ordenador del autor. O texto é lido em voz alta.",
    "user system",
]


def _text_tokenizer():
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Qwen2TokenizerFast

    bpe = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    bpe.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIAL_TOKENS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator(TRAINING_LINES * 10 + ["assistant"] * 100, trainer=trainer)
    tokenizer = Qwen2TokenizerFast(tokenizer_object=bpe, unk_token=None, bos_token=None, eos_token="<|im_end|>",
                                   pad_token="<|endoftext|>", additional_special_tokens=SPECIAL_TOKENS[1:])
    tokenizer.model_max_length = 32768
    for piece in ("assistant", "\n"):
        assert len(tokenizer(piece)["input_ids"]) == 1, f"{piece!r} must be one token"
    return tokenizer


def _configs(tokenizer):
    from qwen_tts.core import Qwen3TTSTokenizerV2Config
    from qwen_tts.core.models import Qwen3TTSConfig

    token_id = tokenizer.convert_tokens_to_ids
    code_predictor = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                          num_key_value_heads=1, head_dim=16, vocab_size=2048, num_code_groups=16,
                          max_position_embeddings=64, rope_theta=1000000, rms_norm_eps=1e-6)
    talker = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, head_dim=16, max_position_embeddings=4096, rope_theta=1000000,
                  rms_norm_eps=1e-6,
                  # head_dim 16: 8 rotary frequencies over the 3 MRoPE sections
                  rope_scaling={"interleaved": True, "mrope_section": [4, 2, 2], "rope_type": "default",
                                "type": "default"},
                  vocab_size=3072, text_vocab_size=((len(tokenizer) + 63) // 64) * 64, text_hidden_size=64,
                  num_code_groups=16, position_id_per_seconds=13,
                  codec_bos_id=2149, codec_eos_token_id=2150, codec_think_id=2154, codec_nothink_id=2155,
                  codec_think_bos_id=2156, codec_think_eos_id=2157, codec_pad_id=2148,
                  codec_language_id=LANGUAGES, spk_id=SPEAKERS,
                  spk_is_dialect={name: DIALECTS.get(name, False) for name in SPEAKERS},
                  code_predictor_config=code_predictor)
    model = Qwen3TTSConfig(talker_config=talker, tokenizer_type="qwen3_tts_tokenizer_12hz", tts_model_size="1b7",
                           tts_model_type="custom_voice",
                           im_start_token_id=token_id("<|im_start|>"), im_end_token_id=token_id("<|im_end|>"),
                           tts_pad_token_id=token_id("<|tts_pad|>"), tts_bos_token_id=token_id("<|tts_text_bos|>"),
                           tts_eos_token_id=token_id("<|tts_text_eod|>"), assistant_token_id=token_id("assistant"))
    decoder = dict(codebook_size=2048, codebook_dim=32, latent_dim=32, hidden_size=32, intermediate_size=64,
                   head_dim=16, num_attention_heads=2, num_key_value_heads=2, num_hidden_layers=1,
                   num_quantizers=16, sliding_window=72, decoder_dim=32,
                   upsample_rates=[8, 5, 4, 3], upsampling_ratios=[2, 2])  # 1920 samples per frame, as released
    encoder = dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                   num_key_value_heads=2, head_dim=8, num_filters=2, codebook_size=2048, codebook_dim=16,
                   num_quantizers=16, vector_quantization_hidden_dimension=16, frame_rate=12.5,
                   upsample_groups=16, use_causal_conv=True, sliding_window=250)
    speech = Qwen3TTSTokenizerV2Config(encoder_config=encoder, decoder_config=decoder, encoder_valid_num_quantizers=16)
    return model, speech


def build_tiny_checkpoint(folder, seed: int = 0) -> Path:
    """Write the checkpoint into folder (created) and return its path."""
    import torch
    from transformers import EncodecFeatureExtractor

    from nikola_tts.engines.qwen.compat import import_qwen_tts

    import_qwen_tts()
    from qwen_tts.core import Qwen3TTSTokenizerV2Model
    from qwen_tts.core.models import Qwen3TTSForConditionalGeneration, Qwen3TTSProcessor

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    tokenizer = _text_tokenizer()
    model_config, speech_config = _configs(tokenizer)

    Qwen3TTSForConditionalGeneration(model_config).eval().save_pretrained(folder)
    config_path = folder / "config.json"
    saved = json.loads(config_path.read_text(encoding="utf-8"))
    saved.get("speaker_encoder_config", {}).pop("model_type", None)
    config_path.write_text(json.dumps(saved, indent=2), encoding="utf-8")
    Qwen3TTSProcessor(tokenizer=tokenizer).save_pretrained(folder)
    (folder / "generation_config.json").write_text(json.dumps(SAMPLING_DEFAULTS, indent=2), encoding="utf-8")

    speech = Qwen3TTSTokenizerV2Model(speech_config).eval()
    with torch.no_grad():
        for name, param in speech.decoder.named_parameters():
            if name.endswith("_codebook.embedding_sum"):
                param.normal_(0.0, 1.0)
        for module in speech.decoder.modules():
            if isinstance(module, (torch.nn.Conv1d, torch.nn.ConvTranspose1d, torch.nn.Linear)):
                module.reset_parameters()
        output = [m for m in speech.decoder.modules() if isinstance(m, torch.nn.Conv1d)][-1]
        output.weight.mul_(0.3)  # keeps the noise inside [-1, 1], where the decoder clamps it
    speech.save_pretrained(folder / "speech_tokenizer")
    EncodecFeatureExtractor(feature_size=1, sampling_rate=24000, padding_value=0.0).save_pretrained(
        folder / "speech_tokenizer")
    return folder


def load_engine(folder, **extra):
    """A loaded QwenEngine on the checkpoint in folder (no warm-up unless asked), as a build loads it."""
    from nikola_tts.engines import EngineOptions, create_engine

    extra.setdefault("warmup", False)
    engine = create_engine("qwen", EngineOptions(model=str(folder), extra=extra))
    engine.load()
    return engine


if __name__ == "__main__":
    import sys

    print(build_tiny_checkpoint(sys.argv[1] if len(sys.argv) > 1 else "tiny-qwen3-tts"))
