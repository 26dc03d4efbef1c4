"""The model's text tokenizer through the `tokenizers` library alone (no transformers).

A folder with tokenizer.json is read as it is. A folder with only vocab.json and merges.txt
(Qwen's slow-tokenizer files) is assembled as transformers' Qwen2 converter assembles it: NFC,
Qwen2's split pattern, byte-level BPE, and the added tokens of tokenizer_config.json, which
must match the special ids of config.json. The prompt texts are upstream's
(qwen_tts Qwen3TTSModel._build_assistant_text and _build_instruct_text).
"""

from __future__ import annotations

import json
from pathlib import Path

from nikola_tts.errors import TTSError

# Qwen2's pre-tokenizer split, as transformers' Qwen2 converter writes it
QWEN_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
              r"|\s*[\r\n]+|\s+(?!\S)|\s+")


class TextTokenizer:
    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    @classmethod
    def from_folder(cls, folder: Path) -> "TextTokenizer":
        from tokenizers import Tokenizer

        try:
            if (folder / "tokenizer.json").exists():
                return cls(Tokenizer.from_file(str(folder / "tokenizer.json")))
            return cls(_from_vocab_and_merges(folder))
        except Exception as exc:  # noqa: BLE001 (OSError, JSON errors, and tokenizers' plain Exceptions)
            raise TTSError(f"TTS_MODEL {str(folder)!r} has no readable text tokenizer ({type(exc).__name__}: {exc})")

    def ids(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=True).ids

    def assistant(self, text: str) -> list[int]:
        return self.ids(f"<|im_start|>assistant\n{text}<|im_end|>\n<|im_start|>assistant\n")

    def instruction(self, text: str) -> list[int]:
        return self.ids(f"<|im_start|>user\n{text}<|im_end|>\n")


def _from_vocab_and_merges(folder: Path):
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    merges = []
    for line in (folder / "merges.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#version"):
            merges.append(tuple(line.split(" ")))
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token=None, continuing_subword_prefix="",
                                     end_of_word_suffix="", fuse_unk=False, byte_fallback=False))
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    config_path = folder / "tokenizer_config.json"
    added = json.loads(config_path.read_text(encoding="utf-8")).get("added_tokens_decoder", {}) if config_path.exists() else {}
    for token_id, spec in sorted(added.items(), key=lambda kv: int(kv[0])):
        token = AddedToken(spec["content"], single_word=spec.get("single_word", False), lstrip=spec.get("lstrip", False),
                           rstrip=spec.get("rstrip", False), normalized=spec.get("normalized", False),
                           special=spec.get("special", True))
        tokenizer.add_special_tokens([token]) if spec.get("special", True) else tokenizer.add_tokens([token])
        if tokenizer.token_to_id(spec["content"]) != int(token_id):
            raise ValueError(f"added token {spec['content']!r} got id {tokenizer.token_to_id(spec['content'])}, "
                             f"not {token_id}")
    return tokenizer
