"""Qwen3-TTS: natural local narration on CUDA (NVIDIA or ROCm), Apple MPS or CPU.

The default model is Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice with the voice "Eric". This module
chooses the path and stays light: creating the engine, naming identities and
`unavailable_reason` import neither torch nor qwen_tts, so a build with nothing to narrate costs
nothing. `load()` (or `preload()`, which starts the same in a background thread) brings in the
rest: on NVIDIA GPUs the fast path (fast/), which reads the checkpoint itself and never imports
transformers or qwen_tts; elsewhere the plain batched path through upstream's `qwen-tts`
(loader.py, generate.py), which is also where the fast path's unfinished segments go if it
fails mid-run. With the "warm" option, a warm process (warm.py) keeps the model loaded between
builds and this engine only talks to it.

Engine options (TTS_ENGINE_OPTIONS, some also as their own settings):
  dtype      "auto" (default), "bfloat16", "float16", "float32"          (TTS_DTYPE)
  instruct   a style instruction, e.g. "Read calmly, like a radio host." (TTS_INSTRUCT)
  seed       sampling seed, default 0: unchanged text re-narrates the same (TTS_SEED)
  attention  "sdpa", "flash_attention_2" or "eager" (default: decided per device)
  fast       "auto" (default): the CUDA-graph fast path on NVIDIA GPUs, the plain batched
             path elsewhere; True: the fast path's slot scheduler on any device (graphs on
             NVIDIA only); False: always the plain path                   (TTS_FAST)
  warmup     False skips the short warm-up generation after loading (plain path)
  warm       seconds a warm narration process keeps the model loaded after the last build
             (default 0: none; warm.py)
  fixed_cps  benchmarks only: every segment speaks exactly len(text) / fixed_cps seconds, EOS held
             back (random weights never stop on their own; benchmarks/qwen_build.py)
  do_sample, temperature, top_k, top_p, repetition_penalty, subtalker_dosample,
  subtalker_temperature, subtalker_top_k, subtalker_top_p
             override the model's own sampling defaults (generation_config.json)
"""

from __future__ import annotations

import importlib.util
import logging
import time
from dataclasses import dataclass

from nikola_tts.engines.base import Engine, max_chars_option
from nikola_tts.engines.qwen import batching, source as sources
from nikola_tts.engines.qwen.background import Background
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
PRIME_SLOTS = 64  # slots a warm process sets up ahead (a new post's paragraphs; more refill or set up anew)
INSTALL_HINT = "see the Qwen3-TTS install steps in nikola-tts's README"


class QwenEngine(Engine):
    name = "qwen"
    # At most about 16 s of speech a model call: a longer paragraph is read in pieces of whole sentences,
    # PAUSE_WITHIN_BLOCK apart (text/segment.py), as Piper reads every paragraph sentence by sentence. The pieces are
    # narrated side by side, so a paragraph takes the time of its longest piece, and an edit re-narrates the piece it
    # touched. H100, same call, against whole paragraphs of up to 600 characters: the corpus 5.9 -> 4.1 s, the passage
    # 2.6 -> 1.1 s (2026-12-06-h100-rtf-v20-*.log); at 200, a warm-process edit 4.97 -> 3.57 s
    # (2026-12-06-h100-build-v13-*.log). TTS_ENGINE_OPTIONS["max_chars"] sets it (600 reads most paragraphs whole).
    max_chars = 250
    realtime_factor_guess = 1.0
    takes_instructions = True  # a request's own instruction replaces TTS_INSTRUCT for it (1.7B models)

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
        warm = extra.get("warm") or 0
        if isinstance(warm, bool) or not isinstance(warm, (int, float)) or warm < 0:
            raise TTSError(f"TTS_ENGINE_OPTIONS['warm'] is {warm!r}: use the seconds a warm narration process "
                           "stays up after the last build (e.g. 900), or 0 for none")
        self.warm_seconds = float(warm)
        self.max_chars = max_chars_option(extra, type(self).max_chars, MAX_CHARS)
        self.fixed_cps = float(extra.get("fixed_cps") or 0)  # benchmarks: fixed segment lengths
        self._warm = None  # warm.WarmClient: narrating through a warm process
        from nikola_tts.engines.qwen.fast import parse_fast

        self.fast_option = parse_fast(extra.get("fast", "auto"))
        self.fast = False
        self.sampling = _sampling_overrides(extra)
        self._model_name: str | None = None
        self._speaker = None  # the path's speaker: fast.speaker.FastSpeaker or generate.Speaker
        self._plain = None  # generate.Speaker, once loaded (the plain path, or the fast path's fallback)
        self._speaker_names: set = set()
        self._loading = None  # Background: the model's load, when preload() started it
        self._folder = None
        self._why = ""
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
    def preload(self) -> bool:
        """Start loading the model (or connecting to a warm process) in a background thread; `load()`
        then waits for it. A build calls this as soon as it knows something will be narrated
        (engines/early.py), so the load overlaps Nikola's own work."""
        if self._loading is None and self._speaker is None and self._warm is None:
            self._loading = Background(self._connect_or_load, name="qwen-preload")
            return True
        return False

    def load(self):
        missing = [package for module, package in REQUIRED_MODULES if importlib.util.find_spec(module) is None]
        if missing:
            raise TTSError(f"TTS_ENGINE 'qwen' needs {', '.join(missing)} (not installed here): {INSTALL_HINT}, "
                           "or set TTS_ENGINE to another engine")
        loading, self._loading = self._loading or Background(self._connect_or_load, now=True), None
        loaded = loading.result()
        if loaded is None:  # a warm process narrates
            self._speaker_names = self._warm.speakers
            return
        placement = self._placement
        for warning in placement.warnings:
            log.warning(f"Qwen3-TTS: {warning}")
        if float(self.options.speed or 1.0) != 1.0:
            log.warning(f"Qwen3-TTS: TTS_SPEED = {self.options.speed} is ignored (the model has no speaking-rate "
                        "control); an instruction such as TTS_INSTRUCT = 'Speak a little faster.' changes the pace")
        log.info(f"Qwen3-TTS: loaded {self.model_name} in {loading.seconds:.1f} s ({loaded.how})")
        log.info(f"Qwen3-TTS: {self._why}")
        if self.fast:
            self._speaker = loaded.speaker
            self._speaker_names = set(loaded.model.config.speakers)
            model_size = loaded.model.config.model_size
        else:
            from nikola_tts.engines.qwen.generate import Speaker

            self._speaker = self._plain = Speaker(loaded.model, seed=self.seed, instruct=self.instruct,
                                                  sampling=self.sampling)
            self._speaker_names = set(loaded.model.get_supported_speakers() or ())
            model_size = loaded.model.model.tts_model_size
        if self.instruct and model_size == "0b6":
            log.warning("Qwen3-TTS: the 0.6B CustomVoice model takes no instruction; TTS_INSTRUCT is ignored")
        if self.warmup and not self.fast:  # the fast path warms up as it captures its first graph
            started = time.monotonic()
            self._warm_up()
            log.info(f"Qwen3-TTS: warmed up in {time.monotonic() - started:.1f} s")
        if not self.fast:  # the fast path's load released it already
            from nikola_tts.engines.qwen.generate import auto_batch_size
            from nikola_tts.engines.qwen.memory import release_memory

            release_memory(self._speaker.device)
            self._auto_batch = auto_batch_size(loaded.model, self.max_chars, len(self.instruct))

    def _connect_or_load(self) -> "_Loaded | None":
        """A warm process's connection (None), where TTS_ENGINE_OPTIONS['warm'] asks for one; else the model."""
        if self.warm_seconds:
            from nikola_tts.engines.qwen import warm

            try:
                self._warm = warm.connect(self.options, self.warm_seconds)
                return None
            except TTSError as exc:
                log.warning(f"Qwen3-TTS: {exc}; loading the model in this build instead")
        return self._load_model()

    def _load_model(self) -> "_Loaded":
        """The heavy part of load(), safe to run in a background thread: torch, the device, the weights."""
        from nikola_tts.engines.qwen import device as devices, loader
        from nikola_tts.engines.qwen.shutdown import skip_collecting_at_exit

        skip_collecting_at_exit()
        started = time.perf_counter()
        model = sources.resolve(self.options.model)
        folder = self._folder = loader.local_folder(model)
        facts = devices.gather_facts()
        placement = self._placement = devices.place(self.options.device, facts, self.dtype_option,
                                                    self.attention_option)
        from nikola_tts.engines.qwen.fast import fast_path_decision

        self.fast, self._why = fast_path_decision(self.fast_option, placement.device_type, rocm=placement.rocm)
        ready = time.perf_counter() - started
        self._start_gpu_workers(folder, placement, facts)
        if self.fast:
            from nikola_tts.engines.qwen.fast.model import load_model
            from nikola_tts.engines.qwen.fast.ops import kernels_fit
            from nikola_tts.engines.qwen.fast.speaker import FastSpeaker
            from nikola_tts.engines.qwen.memory import release_memory

            fast = load_model(folder, placement.device, devices.torch_dtype(placement.dtype),
                              fast_decoder=kernels_fit(placement.device))
            parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in fast.seconds.items())
            started = time.perf_counter()
            speaker = FastSpeaker(fast, seed=self.seed, instruct=self.instruct, sampling=self.sampling)
            release_memory(speaker.device)
            return _Loaded(fast, f"torch and {placement.device} {ready:.1f} s, {parts}, "
                                 f"fast path set up {time.perf_counter() - started:.1f} s", speaker)
        return _Loaded(loader.load_model(folder, placement), "qwen_tts")

    def prime(self, stop=None) -> float:
        """Fast path: slots and every graph size for PRIME_SLOTS segments of up to max_chars, set up now (a warm
        process, between builds; stop() asked before each size says a build is waiting); returns seconds. The
        plain path has nothing to prepare."""
        if not self.fast or self._speaker is None:
            return 0.0
        return self._speaker.prime(min(PRIME_SLOTS, int(self.options.batch_size or PRIME_SLOTS)), self.max_chars,
                                   stop)

    def _plain_speaker(self):
        """The plain batched path, for what the fast path could not finish (loads upstream's model now)."""
        if self._plain is None:
            from nikola_tts.engines.qwen import loader
            from nikola_tts.engines.qwen.generate import Speaker

            self._plain = Speaker(loader.load_model(self._folder, self._placement), seed=self.seed,
                                  instruct=self.instruct, sampling=self.sampling)
        return self._plain

    def _start_gpu_workers(self, folder, placement, facts) -> None:
        """TTS_DEVICE 'auto' with the fast path on a machine of several NVIDIA GPUs: a worker per extra GPU,
        loading its model while this process loads its own."""
        from nikola_tts.engines.qwen.fast import worker_devices

        extra = worker_devices(self.options.device, facts.device_count,
                               self.fast and placement.device_type == "cuda" and not placement.rocm)
        if not extra:
            return
        import functools

        from nikola_tts.engines.qwen.fast.gpus import GpuPool
        from nikola_tts.engines.qwen.fast.model import load_on_device

        factory = functools.partial(load_on_device, str(folder), placement.dtype)
        self._pool = GpuPool(factory, extra, dict(seed=self.seed, instruct=self.instruct, sampling=self.sampling))
        log.info(f"Qwen3-TTS: starting workers on {', '.join(extra)} (TTS_DEVICE = 'auto' uses every GPU)")

    def _warm_up(self) -> None:
        from nikola_tts.engines.qwen.segments import Item

        speakers = self._speaker_names
        speaker = DEFAULT_VOICE.lower() if DEFAULT_VOICE.lower() in speakers else sorted(speakers)[0]
        codes = self._speaker.generate_codes([Item("Hello.", speaker, "English")], limits=[4])
        self._speaker.decode([c.frames for c in codes])

    def voices(self):
        return sorted(self._speaker_names) or None

    def check_voice(self, voice, language):
        speakers = self._speaker_names
        if speakers and voice.lower() not in speakers:
            names = ", ".join(s.title() for s in sorted(speakers))
            raise TTSError(f"Qwen3-TTS has no voice {voice!r}: set TTS_VOICE to one of {names}")
        if not is_supported(language) and language not in self._warned_languages:
            self._warned_languages.add(language)
            log.warning(f"Qwen3-TTS does not know the language {language!r}; it narrates it with language 'Auto' "
                        "(the model guesses the language from the text)")

    @property
    def batch_size(self):
        if self.fast or self._warm is not None:  # the fast path streams a whole group through its slots (TTS_BATCH_SIZE caps the slots)
            return STREAM_SIZE
        if self.options.batch_size:
            return max(1, int(self.options.batch_size))
        return self._auto_batch or batching.CPU_BATCH

    def synthesize(self, requests):
        from nikola_tts.engines.qwen.segments import Item

        if self._warm is not None:
            yield from self._warm.speak(requests)
            return
        items = [Item(r.text, r.voice, qwen_language(r.language), r.instructions or "") for r in requests]
        if not self.fast:
            limits, forced = self._limits(items)
            yield from self._speaker.speak(items, self.batch_size, limits, forced)
            return
        from nikola_tts.engines.qwen.fast.speaker import FastPathFailed

        slots = self.options.batch_size or STREAM_SIZE  # slots: TTS_BATCH_SIZE, else as many as memory holds
        limits, forced = self._limits(items)
        try:
            if self._pool is not None:
                yield from self._pool.speak(self._speaker, items, slots, limits, forced)
            else:
                yield from self._speaker.speak(items, slots, limits, forced)
        except FastPathFailed as failure:
            rest = failure.remaining
            log.warning(f"Qwen3-TTS fast path failed ({failure}); narrating the {len(rest)} remaining segments "
                        "with the plain batched path")
            plain = self._plain_speaker()
            for j, result in plain.speak([items[i] for i in rest], self._auto_batch or batching.MAX_BATCH,
                                         [limits[i] for i in rest], forced):
                yield rest[j], result

    def _limits(self, items) -> tuple[list[int], bool]:
        """Each segment's frame limit, and whether it must speak exactly that many (fixed_cps)."""
        if self.fixed_cps:
            return [max(2, round(len(it.text) / self.fixed_cps * batching.FRAMES_PER_SECOND)) for it in items], True
        return [batching.frame_limit(len(it.text)) for it in items], False

    def close(self):
        if self._loading is not None:  # preloaded, never used: let it finish, then drop it
            self._loading.wait()
            self._loading = None
        self._warm = None
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self._speaker is None:
            return
        from nikola_tts.engines.qwen.memory import release_memory

        device = self._speaker.device
        self._speaker = self._plain = None
        release_memory(device)

    def describe(self):
        if self._warm is not None:
            return f"{self._warm.describe}, in a warm process"
        if self._placement is None:
            return f"Qwen3-TTS {self.model_name}"
        p = self._placement
        where = f"{p.device} ({p.device_name})" if p.device_name else p.device
        if self.fast:
            how = "fast path (CUDA graphs, continuous batching)" if p.device_type == "cuda" else "fast path"
            if self._pool is not None:
                where = f"{p.device} and {', '.join(sorted(self._pool.inboxes))}"
            return f"Qwen3-TTS {self.model_name} on {where}, {p.dtype} ({p.dtype_reason}), {how}"
        how = f"batches of up to {self.batch_size}"
        return f"Qwen3-TTS {self.model_name} on {where}, {p.dtype} ({p.dtype_reason}), {p.attention} attention, {how}"


@dataclass(frozen=True)
class _Loaded:
    model: object  # a fast.model.FastModel, or qwen_tts's Qwen3TTSModel for the plain path
    how: str  # where the load's time went, for the log
    speaker: object = None  # the fast path's fast.speaker.FastSpeaker, made with the load


MAX_CHARS = 2000  # the longest max_chars a site may set: about two minutes of speech in one model call


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
