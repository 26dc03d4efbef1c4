"""Qwen3-TTS: natural local narration on CUDA (NVIDIA or ROCm), Apple MPS or CPU.

The default model is Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice with the voice "Eric", run through
the upstream `qwen-tts` package. This module stays light: creating the engine, naming
identities and `unavailable_reason` import neither torch nor qwen_tts, so a build with nothing
to narrate costs nothing. `load()` brings in the rest (device, loader, generate).

Engine options (TTS_ENGINE_OPTIONS, some also as their own settings):
  dtype      "auto" (default), "bfloat16", "float16", "float32"          (TTS_DTYPE)
  instruct   a style instruction, e.g. "Read calmly, like a radio host." (TTS_INSTRUCT)
  seed       sampling seed, default 0: unchanged text re-narrates the same (TTS_SEED)
  attention  "sdpa", "flash_attention_2" or "eager" (default: decided per device)
  fast       "auto" (default): the CUDA-graph fast path on NVIDIA GPUs, the plain batched
             path elsewhere; True: the fast path's slot scheduler on any device (graphs on
             NVIDIA only); False: always the plain path                   (TTS_FAST)
  warmup     False skips the short warm-up generation after loading
  do_sample, temperature, top_k, top_p, repetition_penalty, subtalker_dosample,
  subtalker_temperature, subtalker_top_k, subtalker_top_p
             override the model's own sampling defaults (generation_config.json)
"""

from __future__ import annotations

import importlib.util
import logging
import time

from nikola_tts.engines.base import Engine
from nikola_tts.engines.qwen import batching, source as sources
from nikola_tts.engines.languages import is_supported, qwen_language
from nikola_tts.errors import TTSError

log = logging.getLogger("tts")

DEFAULT_VOICE = "Eric"
SAMPLING_KEYS = ("do_sample", "temperature", "top_k", "top_p", "repetition_penalty", "subtalker_dosample",
                 "subtalker_temperature", "subtalker_top_k", "subtalker_top_p")
REQUIRED_MODULES = (("torch", "torch"), ("transformers", "transformers"), ("qwen_tts", "qwen-tts"),
                    ("librosa", "librosa"), ("soundfile", "soundfile"), ("einops", "einops"),
                    ("huggingface_hub", "huggingface-hub"))
STREAM_SIZE = 4096  # segments handed to the fast path at once
INSTALL_HINT = "see the Qwen3-TTS install steps in nikola-tts's README"


class QwenEngine(Engine):
    name = "qwen"
    max_chars = 600  # about 40 s of speech: whole paragraphs, short enough to batch well
    realtime_factor_guess = 1.0

    def __init__(self, options):
        super().__init__(options)
        extra = dict(options.extra or {})
        try:
            self.seed = int(extra.get("seed") or 0)
        except (TypeError, ValueError):
            raise TTSError(f"TTS_SEED is {extra.get('seed')!r}: use a whole number") from None
        self.instruct = str(extra.get("instruct") or "").strip()
        self.dtype_option = extra.get("dtype")
        self.attention_option = extra.get("attention")
        self.warmup = extra.get("warmup", True) is not False
        from nikola_tts.engines.qwen.fast import parse_fast

        self.fast_option = parse_fast(extra.get("fast", "auto"))
        self.fast = False
        self.sampling = _sampling_overrides(extra)
        self._model_name: str | None = None
        self._tts = None
        self._speaker = None
        self._pool = None  # fast/gpus.GpuPool: workers on the other GPUs
        self._placement = None
        self._auto_batch: int | None = None
        self._warned_languages: set = set()

    # -- cheap: every build ------------------------------------------------------------------
    @classmethod
    def unavailable_reason(cls, options):
        missing = [package for module, package in REQUIRED_MODULES if importlib.util.find_spec(module) is None]
        if missing:
            return f"{', '.join(missing)} not installed ({INSTALL_HINT})"
        from nikola_tts.engines.qwen.loader import transformers_problem

        problem = transformers_problem()
        if problem:
            return problem
        try:
            model = sources.resolve(options.model)
        except TTSError as exc:
            return str(exc)
        return sources.not_here_reason(model)

    def resolve_voice(self, voice, language):
        return str(voice).strip() if voice else DEFAULT_VOICE

    def speaks(self, voice, language):
        return is_supported(language)  # elsewhere "Auto": the model guesses, with an accent

    @property
    def model_name(self) -> str:
        if self._model_name is None:
            try:
                self._model_name = sources.identity_name(sources.resolve(self.options.model))
            except TTSError:  # reported properly by load(); planning must not fail on it
                self._model_name = str(self.options.model)
        return self._model_name

    def identity(self, voice, language):
        # Not in it: device, dtype, attention, batch size (they change nothing a listener hears
        # beyond float noise) and TTS_SPEED (Qwen3-TTS has no speaking-rate control).
        parts = [f"qwen3-tts|model={self.model_name}", f"voice={voice.lower()}",
                 f"language={qwen_language(language)}", f"seed={self.seed}"]
        if self.instruct:
            parts.append(f"instruct={self.instruct}")
        parts += [f"{k}={self.sampling[k]!r}" for k in sorted(self.sampling)]
        return "|".join(parts)

    # -- heavy: only when something is stale -------------------------------------------------
    def load(self):
        missing = [package for module, package in REQUIRED_MODULES if importlib.util.find_spec(module) is None]
        if missing:
            raise TTSError(f"TTS_ENGINE 'qwen' needs {', '.join(missing)} (not installed here): {INSTALL_HINT}, "
                           "or set TTS_ENGINE to another engine")
        from nikola_tts.engines.qwen import device as devices, loader

        model = sources.resolve(self.options.model)
        folder = loader.local_folder(model)
        facts = devices.gather_facts()
        placement = devices.place(self.options.device, facts, self.dtype_option, self.attention_option)
        from nikola_tts.engines.qwen.fast import fast_path_decision

        self.fast, why = fast_path_decision(self.fast_option, placement.device_type, rocm=placement.rocm)
        self._start_gpu_workers(folder, placement, facts)
        for warning in placement.warnings:
            log.warning(f"Qwen3-TTS: {warning}")
        if float(self.options.speed or 1.0) != 1.0:
            log.warning(f"Qwen3-TTS: TTS_SPEED = {self.options.speed} is ignored (the model has no speaking-rate "
                        "control); an instruction such as TTS_INSTRUCT = 'Speak a little faster.' changes the pace")
        started = time.monotonic()
        tts = loader.load_model(folder, placement)
        log.info(f"Qwen3-TTS: loaded {self.model_name} in {time.monotonic() - started:.1f} s")

        from nikola_tts.engines.qwen.generate import Speaker, auto_batch_size, release_memory

        self._tts, self._placement = tts, placement
        log.info(f"Qwen3-TTS: {why}")
        if self.fast:
            from nikola_tts.engines.qwen.fast.speaker import FastSpeaker

            self._speaker = FastSpeaker(tts, seed=self.seed, instruct=self.instruct, sampling=self.sampling)
        else:
            self._speaker = Speaker(tts, seed=self.seed, instruct=self.instruct, sampling=self.sampling)
        if self.instruct and tts.model.tts_model_size == "0b6":
            log.warning("Qwen3-TTS: the 0.6B CustomVoice model takes no instruction; TTS_INSTRUCT is ignored")
        if self.warmup:
            started = time.monotonic()
            self._warm_up()
            log.info(f"Qwen3-TTS: warmed up in {time.monotonic() - started:.1f} s")
        release_memory(self._speaker.device)
        self._auto_batch = auto_batch_size(tts, self.max_chars, len(self.instruct))

    def _start_gpu_workers(self, folder, placement, facts) -> None:
        """TTS_DEVICE 'auto' with the fast path on a machine of several NVIDIA GPUs: a worker per extra GPU,
        loading its model while this process loads its own."""
        from nikola_tts.engines.qwen.fast import worker_devices

        extra = worker_devices(self.options.device, facts.device_count,
                               self.fast and placement.device_type == "cuda" and not placement.rocm)
        if not extra:
            return
        import functools

        from nikola_tts.engines.qwen import loader
        from nikola_tts.engines.qwen.fast.gpus import GpuPool

        factory = functools.partial(loader.load_on_device, str(folder), placement)
        self._pool = GpuPool(factory, extra, dict(seed=self.seed, instruct=self.instruct, sampling=self.sampling))
        log.info(f"Qwen3-TTS: starting workers on {', '.join(extra)} (TTS_DEVICE = 'auto' uses every GPU)")

    def _warm_up(self) -> None:
        from nikola_tts.engines.qwen.generate import Item

        speakers = self._speakers()
        speaker = DEFAULT_VOICE.lower() if DEFAULT_VOICE.lower() in speakers else sorted(speakers)[0]
        codes = self._speaker.generate_codes([Item("Hello.", speaker, "English")], limits=[4])
        self._speaker.decode([c.frames for c in codes])

    def check_voice(self, voice, language):
        speakers = self._speakers()
        if speakers and voice.lower() not in speakers:
            names = ", ".join(s.title() for s in sorted(speakers))
            raise TTSError(f"Qwen3-TTS has no voice {voice!r}: set TTS_VOICE to one of {names}")
        if not is_supported(language) and language not in self._warned_languages:
            self._warned_languages.add(language)
            log.warning(f"Qwen3-TTS does not know the language {language!r}; it narrates it with language 'Auto' "
                        "(the model guesses the language from the text)")

    def _speakers(self) -> set:
        return set(self._tts.get_supported_speakers() or ()) if self._tts is not None else set()

    @property
    def batch_size(self):
        if self.fast:  # the fast path streams a whole group through its slots (TTS_BATCH_SIZE caps the slots)
            return STREAM_SIZE
        if self.options.batch_size:
            return max(1, int(self.options.batch_size))
        return self._auto_batch or batching.CPU_BATCH

    def synthesize(self, requests):
        from nikola_tts.engines.qwen.generate import Item

        items = [Item(r.text, r.voice, qwen_language(r.language)) for r in requests]
        if self._pool is not None:
            limits = [batching.frame_limit(len(it.text)) for it in items]
            yield from self._pool.speak(self._speaker, items, self.options.batch_size or STREAM_SIZE, limits)
        elif self.fast:  # slots: TTS_BATCH_SIZE, else as many as memory holds
            yield from self._speaker.speak(items, self.options.batch_size or STREAM_SIZE)
        else:
            yield from self._speaker.speak(items, self.batch_size)

    def close(self):
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self._speaker is None:
            return
        from nikola_tts.engines.qwen.generate import release_memory

        device = self._speaker.device
        self._speaker = self._tts = None
        release_memory(device)

    def describe(self):
        if self._placement is None:
            return f"Qwen3-TTS {self.model_name}"
        p = self._placement
        where = f"{p.device} ({p.device_name})" if p.device_name else p.device
        if self.fast:
            how = "fast path (CUDA graphs, continuous batching)" if p.device_type == "cuda" else "fast path"
            if self._pool is not None:
                where = f"{p.device} and {', '.join(sorted(self._pool.inboxes))}"
        else:
            how = f"batches of up to {self.batch_size}"
        return f"Qwen3-TTS {self.model_name} on {where}, {p.dtype} ({p.dtype_reason}), {p.attention} attention, {how}"


def _sampling_overrides(extra: dict) -> dict:
    """The sampling keys a site set in TTS_ENGINE_OPTIONS, checked here rather than mid-build."""
    kinds = {"do_sample": bool, "subtalker_dosample": bool, "top_k": int, "subtalker_top_k": int}
    chosen = {}
    for key in SAMPLING_KEYS:
        value = extra.get(key)
        if value is None:
            continue
        kind = kinds.get(key, float)
        ok = isinstance(value, bool) if kind is bool else (isinstance(value, (int, float)) and not isinstance(value, bool))
        if not ok or (kind is int and int(value) != value) or (kind is float and value <= 0):
            expected = {bool: "True or False", int: "a whole number", float: "a positive number"}[kind]
            raise TTSError(f"TTS_ENGINE_OPTIONS[{key!r}] is {value!r}: use {expected}")
        chosen[key] = value
    return chosen
