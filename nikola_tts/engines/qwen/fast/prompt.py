"""A segment's prompt for the talker, as Qwen3-TTS CustomVoice builds it (non-streaming mode).

The layout follows upstream `Qwen3TTSForConditionalGeneration.generate`, one segment at a time
and with the same sub-computations, so the fast path starts each segment from bit-identical
embeddings:

    [instruction]  <|im_start|>assistant\\n  (pad x k + bos) + codec tags  (text + eos) + codec pad  pad + codec bos

where the codec tags are think/nothink, the language (or the speaker's dialect), the speaker
and codec pad. After the prompt, every generated frame's input gets the tts pad embedding.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Prompt:
    embeds: torch.Tensor  # (1, tokens, hidden)
    pad: torch.Tensor  # (hidden,): added to every frame's input


@torch.no_grad()
def build(model, input_id: torch.Tensor, language: str, speaker: str | None,
          instruct_id: torch.Tensor | None = None) -> Prompt:
    """input_id: (1, n) token ids of the assistant text; language: a Qwen3-TTS language name or 'auto'."""
    config, talker_config = model.config, model.config.talker_config
    talker = model.talker
    device, dtype = talker.device, input_id.dtype

    def text(ids):
        return talker.text_projection(talker.get_text_embeddings()(ids))

    def codec(ids):
        return talker.get_input_embeddings()(torch.tensor(ids, device=device, dtype=dtype))

    speaker = (speaker or "").lower()
    language = language.lower()
    language_id = None if language == "auto" else talker_config.codec_language_id[language]
    if language in ("chinese", "auto") and speaker and talker_config.spk_is_dialect[speaker] is not False:
        language_id = talker_config.codec_language_id[talker_config.spk_is_dialect[speaker]]

    bos, eos, pad = text(torch.tensor([[config.tts_bos_token_id, config.tts_eos_token_id, config.tts_pad_token_id]],
                                      device=device, dtype=dtype)).chunk(3, dim=1)
    if language_id is None:
        tags = [[talker_config.codec_nothink_id, talker_config.codec_think_bos_id, talker_config.codec_think_eos_id]]
    else:
        tags = [[talker_config.codec_think_id, talker_config.codec_think_bos_id, language_id,
                 talker_config.codec_think_eos_id]]
    parts = [codec(tags)]
    if speaker:
        parts.append(codec(talker_config.spk_id[speaker]).view(1, 1, -1))
    parts.append(codec([[talker_config.codec_pad_id, talker_config.codec_bos_id]]))
    codec_prefix = torch.cat(parts, dim=1)

    role = text(input_id[:, :3])
    framing = torch.cat((pad.expand(-1, codec_prefix.shape[1] - 2, -1), bos), dim=1) + codec_prefix[:, :-1]
    body = input_id[:, 3:-5]
    spoken = torch.cat((text(body), eos), dim=1) + codec([[talker_config.codec_pad_id] * (body.shape[1] + 1)])
    start = pad + codec([[talker_config.codec_bos_id]])
    embeds = torch.cat([role, framing, spoken, start], dim=1)
    if instruct_id is not None:
        embeds = torch.cat([text(instruct_id), embeds], dim=1)
    return Prompt(embeds=embeds, pad=pad.reshape(-1))
