"""A segment's prompt for the talker, as Qwen3-TTS CustomVoice builds it (non-streaming mode).

The layout follows upstream `Qwen3TTSForConditionalGeneration.generate`, one segment at a time
and with the same sub-computations on the same weights, so the fast path starts each segment
from bit-identical embeddings:

    [instruction]  <|im_start|>assistant\\n  (pad x k + bos) + codec tags  (text + eos) + codec pad  pad + codec bos

where the codec tags are think/nothink, the language (or the speaker's dialect), the speaker
and codec pad. After the prompt, every generated frame's input gets the tts pad embedding.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from nikola_tts.engines.qwen.fast.weights import Weights


@dataclass(frozen=True)
class Prompt:
    embeds: torch.Tensor  # (1, tokens, hidden)
    pad: torch.Tensor  # (hidden,): added to every frame's input


def text_embeddings(w: Weights, ids: torch.Tensor) -> torch.Tensor:
    """Text token ids (1, n) -> talker inputs (1, n, hidden): embedding, then the projection MLP."""
    t = w.text
    return F.linear(F.silu(F.linear(F.embedding(ids, t.embedding), t.fc1, t.fc1_bias)), t.fc2, t.fc2_bias)


@torch.no_grad()
def build(w: Weights, ids: list[int], language: str, speaker: str | None, instruct_ids: list[int] | None = None) -> Prompt:
    """ids: token ids of the assistant text; language: a Qwen3-TTS language name or 'auto'."""
    config = w.config
    device = w.device
    input_id = torch.tensor([ids], device=device, dtype=torch.long)

    def text(token_ids):
        return text_embeddings(w, token_ids)

    def codec(codes):
        return F.embedding(torch.tensor(codes, device=device, dtype=torch.long), w.codec_embedding)

    speaker = (speaker or "").lower()
    language = language.lower()
    language_id = None if language == "auto" else config.languages[language]
    if language in ("chinese", "auto") and speaker and config.dialects[speaker] is not False:
        language_id = config.languages[config.dialects[speaker]]

    ids_ = config.text_ids
    bos, eos, pad = text(torch.tensor([[ids_["tts_bos"], ids_["tts_eos"], ids_["tts_pad"]]], device=device)).chunk(3, dim=1)
    c = config.codec_ids
    if language_id is None:
        tags = [[c["nothink"], c["think_bos"], c["think_eos"]]]
    else:
        tags = [[c["think"], c["think_bos"], language_id, c["think_eos"]]]
    parts = [codec(tags)]
    if speaker:
        parts.append(codec(config.speakers[speaker]).view(1, 1, -1))
    parts.append(codec([[c["pad"], c["bos"]]]))
    codec_prefix = torch.cat(parts, dim=1)

    role = text(input_id[:, :3])
    framing = torch.cat((pad.expand(-1, codec_prefix.shape[1] - 2, -1), bos), dim=1) + codec_prefix[:, :-1]
    body = input_id[:, 3:-5]
    spoken = torch.cat((text(body), eos), dim=1) + codec([[c["pad"]] * (body.shape[1] + 1)])
    start = pad + codec([[c["bos"]]])
    embeds = torch.cat([role, framing, spoken, start], dim=1)
    if instruct_ids is not None:
        embeds = torch.cat([text(torch.tensor([instruct_ids], device=device, dtype=torch.long)), embeds], dim=1)
    return Prompt(embeds=embeds, pad=pad.reshape(-1))
