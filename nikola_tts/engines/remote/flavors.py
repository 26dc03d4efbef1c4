"""The kinds of speech server the remote engine narrates with, and what each one takes.

All three answer OpenAI's `POST /v1/audio/speech`; they differ in the fields beyond OpenAI's, in
how they treat voices, and in what they refuse:

vllm-omni   vLLM-Omni serving Qwen3-TTS. Takes Qwen's language names, title-cased, and "Auto" for
            every other language (anything else is refused); lowercases voices and refuses those
            its model lacks, which GET /v1/audio/voices lists; stops a generation at
            `max_new_tokens` codec frames (2048 unless the request says) without a word; refuses
            instructions over 500 characters (--tts-max-instructions-length).
            Read in vllm_omni/entrypoints/openai/serving_speech.py and tts_adapters/qwen3_tts.py.
nikola-tts  another machine's `nikola tts serve`: any Nikola language code or Qwen language name;
            voices exactly as its engine names them (Piper's are file names, case and all); its
            engine guards lengths itself.
openai      OpenAI's own API, and any server that does not say what it is: `model` and `voice` are
            required and only OpenAI's fields are sent (`language` is not one of them).

`TTS_REMOTE_FLAVOR = "auto"` asks the servers at load: GET /v1/models names an owner for every
model ("vllm" from vLLM's ModelCard, "nikola-tts" from ours, "openai" or "system" from OpenAI).
"""

from __future__ import annotations

from dataclasses import dataclass

from nikola_tts.engines import languages


@dataclass(frozen=True)
class Flavor:
    name: str
    label: str  # for the log
    extensions: bool  # sends vLLM-Omni's fields beyond OpenAI's (language, task_type)
    auto_language: bool  # a language Qwen3-TTS does not know goes as "Auto" (else as written)
    lowercase_voice: bool  # voices are sent lowercased, as the server looks them up
    caps_length: bool  # sends max_new_tokens in proportion to the text
    needs_model_and_voice: bool  # the API requires both
    lists_voices: bool  # GET /audio/voices lists exactly the voices it accepts
    max_instructions: int | None  # longest `instructions` it takes by default (None: no limit we know)

    def language(self, language: str | None) -> str | None:
        """The `language` field for a Nikola language code or Qwen language name (None: not sent)."""
        if not self.extensions or not language:
            return None
        name = languages.qwen_name(language)
        if name:
            return name
        return languages.AUTO if self.auto_language else str(language).strip()

    def voice(self, voice: str) -> str:
        return voice.lower() if self.lowercase_voice else voice


VLLM_OMNI = Flavor("vllm-omni", "vLLM-Omni", extensions=True, auto_language=True, lowercase_voice=True,
                   caps_length=True, needs_model_and_voice=False, lists_voices=True, max_instructions=500)
NIKOLA_TTS = Flavor("nikola-tts", "nikola tts serve", extensions=True, auto_language=False, lowercase_voice=False,
                    caps_length=False, needs_model_and_voice=False, lists_voices=False, max_instructions=None)
OPENAI = Flavor("openai", "the OpenAI speech API", extensions=False, auto_language=False, lowercase_voice=True,
                caps_length=False, needs_model_and_voice=True, lists_voices=False, max_instructions=4096)

FLAVORS = {f.name: f for f in (VLLM_OMNI, NIKOLA_TTS, OPENAI)}
SETTING_VALUES = ("auto", *FLAVORS)

# GET /v1/models `owned_by` -> flavor. vLLM's ModelCard says "vllm" (vLLM-Omni's diffusion mode
# "vllm-omni"); OpenAI's models say "openai", "system" or "openai-internal".
_OWNERS = {"vllm": VLLM_OMNI, "vllm-omni": VLLM_OMNI, "nikola-tts": NIKOLA_TTS,
           "openai": OPENAI, "system": OPENAI, "openai-internal": OPENAI}


def by_owner(owned_by: str | None) -> Flavor | None:
    """The flavor a model's `owned_by` names, or None for a server that does not say."""
    return _OWNERS.get(str(owned_by or "").strip().lower())
