"""A random-weight Qwen3-TTS-12Hz-1.7B-CustomVoice checkpoint folder in the released layout, for GPU benchmarks.

    python benchmarks/qwen_checkpoint.py DIR [--corpus ../shared/corpus] [--device cuda]

Nothing is downloaded. The full-size architecture (see ../shared/qwen/README.md for where its
numbers come from) is built with qwen_tts's own classes, random weights, and saved the way the
release is: config.json, generation_config.json, model.safetensors in bfloat16, the text
tokenizer's files (tokenizer.json, vocab.json, merges.txt, tokenizer_config.json), and
speech_tokenizer/ (config.json, model.safetensors in float32, preprocessor_config.json). The
engine then loads it from the folder through its normal loaders, upstream's and the fast path's.

The text tokenizer is byte-level BPE with Qwen's split pattern and Qwen's special-token ids
(<|im_start|> 151644, assistant 77091, <|tts_pad|> 151671, ...), trained here on the corpus
text with a vocabulary large enough that most words are one token, as with Qwen's own
tokenizer on English (prompt lengths are what the timing depends on). The speech decoder's
codebooks get random values (the library's initialisation leaves them at zero, which would
decode to silence and time like zeros do).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SPEAKER_IDS = {"serena": 3066, "vivian": 3065, "uncle_fu": 3010, "ryan": 3061, "aiden": 2861, "ono_anna": 2873,
               "sohee": 2864, "eric": 2875, "dylan": 2878}
LANGUAGE_IDS = {"chinese": 2055, "english": 2050, "german": 2053, "italian": 2070, "portuguese": 2071,
                "spanish": 2054, "japanese": 2058, "korean": 2064, "french": 2061, "russian": 2069,
                "beijing_dialect": 2074, "sichuan_dialect": 2062}
CODEC_IDS = dict(codec_pad_id=2148, codec_bos_id=2149, codec_eos_token_id=2150, codec_think_id=2154,
                 codec_nothink_id=2155, codec_think_bos_id=2156, codec_think_eos_id=2157)
TALKER = dict(hidden_size=2048, intermediate_size=6144, num_hidden_layers=28, num_attention_heads=16,
              num_key_value_heads=8, head_dim=128, text_hidden_size=2048, text_vocab_size=151936,
              max_position_embeddings=32768)
PREDICTOR = dict(hidden_size=1024, intermediate_size=3072, num_hidden_layers=5, num_attention_heads=16,
                 num_key_value_heads=8, head_dim=128)
DECODER = dict(codebook_dim=512, latent_dim=1024, hidden_size=512, intermediate_size=1024, head_dim=64,
               num_attention_heads=16, num_key_value_heads=16, num_hidden_layers=8, decoder_dim=1536)
SAMPLING = dict(do_sample=True, top_k=50, top_p=1.0, temperature=0.9, repetition_penalty=1.05,
                subtalker_dosample=True, subtalker_top_k=50, subtalker_top_p=1.0, subtalker_temperature=0.9)
FIRST_SPECIAL = 151643  # <|endoftext|>; the specials follow it, as in Qwen's vocabulary
SPECIALS = {151643: "<|endoftext|>", 151644: "<|im_start|>", 151645: "<|im_end|>", 151671: "<|tts_pad|>",
            151672: "<|tts_text_bos|>", 151673: "<|tts_text_eod|>"}
ASSISTANT_ID = 77091
QWEN_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
              r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def text_tokenizer(texts: list[str]):
    """A Qwen2TokenizerFast: BPE trained on texts, Qwen's special ids."""
    from tokenizers import (AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers,
                            processors, trainers)
    from transformers import Qwen2TokenizerFast

    def shaped(model):
        tok = Tokenizer(model)
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(QWEN_SPLIT), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        tok.decoder = decoders.ByteLevel()
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
        return tok

    trained = shaped(models.BPE(unk_token=None, byte_fallback=False))
    trainer = trainers.BpeTrainer(vocab_size=30000, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    trained.train_from_iterator(list(texts) + ["assistant user system"] * 200, trainer=trainer)
    spec = json.loads(trained.to_str())["model"]
    learned = sorted(spec["vocab"].items(), key=lambda kv: kv[1])
    vocab, taken = {}, set()
    assistant = "assistant"
    vocab[assistant], taken = ASSISTANT_ID, {ASSISTANT_ID}
    next_id = 0
    for token, _ in learned:
        if token == assistant:
            continue
        while next_id in taken:
            next_id += 1
        vocab[token] = next_id
        taken.add(next_id)
    for filler in range(FIRST_SPECIAL):  # unused ids, as a released vocabulary has none: never produced
        if filler not in taken:
            vocab[f"<|unused_{filler}|>"] = filler
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in spec["merges"]]
    tokenizer = shaped(models.BPE(vocab=vocab, merges=merges, unk_token=None, byte_fallback=False))
    specials = []
    for token_id in range(FIRST_SPECIAL, max(SPECIALS) + 1):
        content = SPECIALS.get(token_id, f"<|extra_{token_id}|>")
        tokenizer.add_special_tokens([AddedToken(content, normalized=False, special=True)])
        assert tokenizer.token_to_id(content) == token_id, (content, tokenizer.token_to_id(content))
        specials.append(content)
    wrapped = Qwen2TokenizerFast(tokenizer_object=tokenizer, unk_token=None, bos_token=None, eos_token="<|im_end|>",
                                 pad_token="<|endoftext|>", additional_special_tokens=specials[1:])
    wrapped.model_max_length = 32768
    for piece in ("assistant", "\n", "<|im_start|>"):
        assert len(wrapped(piece)["input_ids"]) == 1, f"{piece!r} must be one token"
    return wrapped


def write_random_checkpoint(folder, texts: list[str], device: str = "cuda", seed: int = 0) -> Path:
    """The full-size random checkpoint in folder (created); returns the folder."""
    import torch
    from transformers import EncodecFeatureExtractor

    from nikola_tts.engines.qwen.compat import import_qwen_tts

    import_qwen_tts()
    from qwen_tts.core import Qwen3TTSTokenizerV2Config, Qwen3TTSTokenizerV2Model
    from qwen_tts.core.models import Qwen3TTSConfig, Qwen3TTSForConditionalGeneration, Qwen3TTSProcessor

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = text_tokenizer(texts)
    token_id = tokenizer.convert_tokens_to_ids
    talker = dict(TALKER, hidden_act="silu", rms_norm_eps=1e-6, rope_theta=1000000, vocab_size=3072, num_code_groups=16,
                  rope_scaling={"interleaved": True, "mrope_section": [24, 20, 20], "rope_type": "default",
                                "type": "default"},
                  position_id_per_seconds=13, attention_bias=False, codec_language_id=LANGUAGE_IDS,
                  spk_id=SPEAKER_IDS, spk_is_dialect={k: {"eric": "sichuan_dialect", "dylan": "beijing_dialect"}
                                                      .get(k, False) for k in SPEAKER_IDS},
                  code_predictor_config=dict(PREDICTOR, vocab_size=2048, num_code_groups=16,
                                             max_position_embeddings=65536, rms_norm_eps=1e-6, rope_theta=1000000,
                                             hidden_act="silu"),
                  **CODEC_IDS)
    config = Qwen3TTSConfig(talker_config=talker, tokenizer_type="qwen3_tts_tokenizer_12hz", tts_model_size="1b7",
                            tts_model_type="custom_voice", im_start_token_id=token_id("<|im_start|>"),
                            im_end_token_id=token_id("<|im_end|>"), tts_pad_token_id=token_id("<|tts_pad|>"),
                            tts_bos_token_id=token_id("<|tts_text_bos|>"), tts_eos_token_id=token_id("<|tts_text_eod|>"),
                            assistant_token_id=token_id("assistant"))
    speech_config = Qwen3TTSTokenizerV2Config(
        encoder_config=dict(codebook_size=2048, codebook_dim=256, num_quantizers=32, frame_rate=12.5, hidden_size=512,
                            upsample_groups=512, use_causal_conv=True, sliding_window=250, intermediate_size=2048,
                            vector_quantization_hidden_dimension=256),
        decoder_config=dict(DECODER, codebook_size=2048, num_quantizers=16, sliding_window=72, rope_theta=10000,
                            rms_norm_eps=1e-5, layer_scale_initial_scale=0.01, max_position_embeddings=8000,
                            hidden_act="silu", attention_bias=False, upsample_rates=[8, 5, 4, 3],
                            upsampling_ratios=[2, 2]),
        encoder_valid_num_quantizers=16)
    torch.manual_seed(seed)
    with torch.device(device):
        model = _from_config(Qwen3TTSForConditionalGeneration, config, torch.bfloat16).eval()
        speech = _from_config(Qwen3TTSTokenizerV2Model, speech_config, torch.float32).eval()
    with torch.no_grad():
        for name, param in speech.decoder.named_parameters():
            if name.endswith("_codebook.embedding_sum"):
                param.normal_(0.0, 1.0)
        for module in speech.decoder.modules():
            if isinstance(module, (torch.nn.Conv1d, torch.nn.ConvTranspose1d, torch.nn.Linear)):
                module.reset_parameters()
        output = [m for m in speech.decoder.modules() if isinstance(m, torch.nn.Conv1d)][-1]
        output.weight.mul_(0.3)
    model.save_pretrained(folder)
    config_path = folder / "config.json"
    saved = json.loads(config_path.read_text(encoding="utf-8"))
    saved.get("speaker_encoder_config", {}).pop("model_type", None)
    config_path.write_text(json.dumps(saved, indent=2), encoding="utf-8")
    Qwen3TTSProcessor(tokenizer=tokenizer).save_pretrained(folder)
    (folder / "generation_config.json").write_text(json.dumps(dict(SAMPLING, max_new_tokens=8192), indent=2),
                                                   encoding="utf-8")
    speech.save_pretrained(folder / "speech_tokenizer")
    EncodecFeatureExtractor(feature_size=1, sampling_rate=24000, padding_value=0.0).save_pretrained(
        folder / "speech_tokenizer")
    del model, speech
    return folder


def ensure_checkpoint(folder, texts: list[str], device: str = "cuda") -> Path:
    """The checkpoint in folder, written first if it is not complete there."""
    folder = Path(folder)
    if not (folder / "speech_tokenizer" / "preprocessor_config.json").exists():
        write_random_checkpoint(folder, texts, device)
    return folder


def _from_config(cls, config, dtype):
    try:
        return cls._from_config(config, dtype=dtype, attn_implementation="sdpa")
    except TypeError:  # older transformers name it torch_dtype
        return cls._from_config(config, torch_dtype=dtype, attn_implementation="sdpa")


def corpus_texts(folder: Path) -> list[str]:
    """The corpus's prose, as the plugin extracts it (the tokenizer's training text)."""
    from nikola_tts.text.extract import extract_blocks

    texts = [block.text for post in sorted(folder.glob("*.html"))
             for block in extract_blocks(post.read_text(encoding="utf-8"))]
    passage = folder / "jevons-passage.txt"
    return texts + ([passage.read_text(encoding="utf-8")] if passage.exists() else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args()
    print(write_random_checkpoint(args.folder, corpus_texts(args.corpus), args.device))


if __name__ == "__main__":
    main()
