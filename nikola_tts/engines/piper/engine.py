"""PiperEngine: TTS_VOICE and TTS_ENGINE_OPTIONS in, the voice's workers (pool.py) out.

Cheap on every build (identity reads the voice's config and its remembered digests); the
workers start only when something is stale.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import fields
from typing import Iterator, Sequence

from nikola_tts.audio.pcm import Audio
from nikola_tts.engines.base import Engine, Request, inline_phonemes
from nikola_tts.engines.piper.digest import file_digest
from nikola_tts.engines.piper.pool import WORKER, Pool, Synthesis, worker_args
from nikola_tts.engines.piper.voice import (INSTALL_HINT, NO_VOICE, PACKAGED_VOICE, PACKAGED_VOICE_LANGUAGE,
                                            PACKAGED_VOICE_MODULE, VoiceConfig, VoiceFiles, primary)
from nikola_tts.errors import TTSError


class PiperEngine(Engine):
    name = "piper"
    realtime_factor_guess = 0.05
    phoneme_alphabet = "ipa"  # [[ ... ]] in the text: espeak-ng IPA phonemes, as Piper's voices are trained on

    def __init__(self, options):
        super().__init__(options)
        # TTS_ENGINE_OPTIONS is shared with other engines (and settings add keys of their own, such
        # as "seed"), so keys this engine does not know are left alone; the ones it knows are checked.
        extra = dict(options.extra or {})
        self.speaker = extra.get("speaker")
        if self.speaker is not None and (isinstance(self.speaker, bool) or not isinstance(self.speaker, (int, str))):
            raise TTSError(f"TTS_ENGINE_OPTIONS['speaker'] is {self.speaker!r}: use a speaker id or name of the voice")
        self.noise_scale = _number(extra, "noise_scale", 0, 2)
        self.noise_w_scale = _number(extra, "noise_w_scale", 0, 2)
        self.sentence_silence = _number(extra, "sentence_silence", 0, 5) or 0.0
        cpus = _usable_cpus()
        workers = _number(extra, "workers", 1, 64, integer=True)
        self.workers = int(workers or min(2, cpus))
        threads = _number(extra, "threads", 1, 256, integer=True)
        self.threads = int(threads or max(1, cpus // self.workers))
        self._pools: dict[str, Pool] = {}

    # -- cheap questions (every build) -------------------------------------------------------
    @classmethod
    def unavailable_reason(cls, options):
        if importlib.util.find_spec("piper") is None:  # finds, does not import
            return f"Piper is not installed ({INSTALL_HINT})"
        voices = options.voice.values() if isinstance(options.voice, dict) else [options.voice]
        for voice in voices:
            if not voice or voice == PACKAGED_VOICE:
                if importlib.util.find_spec(PACKAGED_VOICE_MODULE) is None:
                    return f"the Piper voice {PACKAGED_VOICE} is not installed ({INSTALL_HINT})"
                continue
            files = VoiceFiles.of(str(voice))
            if not os.path.isfile(files.model):
                return f"Piper voice file {files.model} not found"
            if not os.path.isfile(files.config):
                return f"Piper voice config {files.config} not found"
        return None

    def resolve_voice(self, voice, language):
        if voice:
            return str(voice)
        # Only English has a voice in the box; any other language is told to set one (check_voice),
        # never narrated by the English voice.
        return PACKAGED_VOICE if primary(language) == PACKAGED_VOICE_LANGUAGE else NO_VOICE

    def speaks(self, voice, language):
        return voice != NO_VOICE

    def identity(self, voice, language):
        # Everything that changes the sound: the voice's content (not its path), then the settings.
        # The piper-tts version stays out: an upgrade should not re-narrate a whole blog.
        # A voice nothing can be synthesized with (check_voice will say why) needs only a key of its own.
        unusable = f"piper|voice=unusable:{voice}|language={language}"
        if voice == NO_VOICE:
            return unusable
        try:
            files = VoiceFiles.of(voice)
            model_id = file_digest(files.model)[:32]
            config_id = file_digest(files.config)[:16]
            synthesis = self._synthesis(VoiceConfig.read(files.config))
        except (TTSError, OSError, ValueError):
            return unusable
        settings = "|".join(f"{f.name}={_identity_value(getattr(synthesis, f.name))}" for f in fields(synthesis))
        return f"piper|model={model_id}|config={config_id}|{settings}|sentence_silence={self.sentence_silence:.3g}"

    def _synthesis(self, config: VoiceConfig) -> Synthesis:
        """The options over the voice's own defaults (ValueError: the voice has no such speaker)."""
        return Synthesis(
            speaker=config.speaker_id(self.speaker),
            length_scale=config.length_scale / float(self.options.speed),
            noise_scale=float(self.noise_scale if self.noise_scale is not None else config.noise_scale),
            noise_w_scale=float(self.noise_w_scale if self.noise_w_scale is not None else config.noise_w_scale),
        )

    # -- synthesis (only when something is stale) ----------------------------------------------
    def load(self):
        if importlib.util.find_spec("piper") is None:
            raise TTSError(f"Piper is not installed: {INSTALL_HINT}")
        if not os.path.isfile(WORKER):
            raise TTSError(f"the Piper worker {WORKER} is missing: reinstall nikola-tts")

    def check_voice(self, voice, language):
        if voice == NO_VOICE:
            raise TTSError(f"Piper has no built-in voice for language {language!r}: set TTS_VOICE (per language, "
                           f"e.g. {{{language!r}: 'voices/xx_XX-name-medium.onnx'}}) to a Piper .onnx voice for it")
        files = VoiceFiles.of(voice)
        if not os.path.isfile(files.model):
            raise TTSError(f"Piper voice file {files.model} not found: set TTS_VOICE to a Piper .onnx voice "
                           f"(its .onnx.json beside it), or leave it unset for {PACKAGED_VOICE}")
        if not os.path.isfile(files.config):
            raise TTSError(f"Piper voice config {files.config} not found: put the voice's .onnx.json "
                           f"beside {files.model}")
        try:
            config = VoiceConfig.read(files.config)
        except (OSError, ValueError) as exc:
            raise TTSError(f"cannot read the Piper voice config {files.config}: {exc}") from None
        if config.language and config.language != primary(language):
            raise TTSError(f"the Piper voice {voice} speaks {config.language!r}, not {language!r}: set TTS_VOICE for "
                           f"{language!r} to a Piper voice in that language (TTS_VOICE takes a per-language dict)")
        try:
            self._synthesis(config)
        except ValueError as exc:
            raise TTSError(f"TTS_ENGINE_OPTIONS['speaker']: {exc}") from None
        self._pool(voice)  # loads the voice in its workers; a voice that cannot load fails here

    @property
    def batch_size(self):
        return self.options.batch_size or 16 * self.workers

    def synthesize(self, requests: Sequence[Request]) -> Iterator[tuple[int, Audio | Exception]]:
        by_voice: dict[str, list[int]] = {}
        for i, request in enumerate(requests):
            by_voice.setdefault(request.voice, []).append(i)
        for voice, indices in by_voice.items():
            try:
                if voice not in self._pools:
                    self.check_voice(voice, requests[indices[0]].language)  # starts its workers
                pool = self._pools[voice]
            except TTSError as exc:
                for i in indices:
                    yield i, exc
                continue
            texts = [(i, inline_phonemes(requests[i].text)) for i in indices]
            yield from pool.run(texts)

    def _pool(self, voice: str) -> Pool:
        if voice not in self._pools:
            for other in list(self._pools):  # one voice's workers at a time: groups arrive voice by voice
                self._pools.pop(other).close()
            files = VoiceFiles.of(voice)
            synthesis = self._synthesis(VoiceConfig.read(files.config))
            args = worker_args(files, synthesis, self.threads, self.sentence_silence)
            self._pools[voice] = Pool.open(voice, args, self.workers)
        return self._pools[voice]

    def close(self):
        while self._pools:
            self._pools.popitem()[1].close()

    def describe(self):
        voices = self.options.voice
        voice = (", ".join(str(v or PACKAGED_VOICE) for v in voices.values()) if isinstance(voices, dict)
                 else (voices or PACKAGED_VOICE))
        return (f"Piper, voice {voice}, in {self.workers} worker process{'es' if self.workers > 1 else ''} "
                f"of {self.threads} thread{'s' if self.threads > 1 else ''}")


def _identity_value(value) -> str:
    return "-" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)


def _number(extra: dict, key: str, low: float, high: float, integer: bool = False):
    value = extra.get(key)
    if value is None:
        return None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high
    if ok and integer:
        ok = float(value).is_integer()
    if not ok:
        kind = "a whole number" if integer else "a number"
        raise TTSError(f"TTS_ENGINE_OPTIONS[{key!r}] is {value!r}: use {kind} from {low:g} to {high:g}")
    return int(value) if integer else float(value)


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
