"""Every TTS_* setting with its default, read once from conf.py.

Settings that change the sound enter the segment hash (through the engine's identity);
settings that only change the page (widget texts) reach the page render alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from nikola_tts.errors import TTSError

DEFAULT_TTS_ENGINE = "qwen"
DEFAULT_TTS_OUTPUT = "{slug}_tts.mp3"


@dataclass(frozen=True)
class Settings:
    engine: object = DEFAULT_TTS_ENGINE  # may be a {lang: engine} dict
    voice: object = None  # None: the engine's default voice; may be a {lang: voice} dict
    model: str | None = None
    device: str = "auto"
    language: object = None  # None: each translation's own language; may be a {lang: language} dict
    speed: float = 1.0
    batch_size: int | None = None
    dtype: str | None = None  # model engines: "bfloat16", "float16", "float32"; None decides per chip
    instruct: str | None = None  # model engines that take a style instruction
    seed: int = 0  # sampling seed, so re-narrating unchanged text sounds the same
    fast: object = "auto"  # Qwen: the CUDA-graph fast path ("auto": on NVIDIA GPUs), True, False
    engine_options: dict = field(default_factory=dict)
    output: str = DEFAULT_TTS_OUTPUT
    bitrate: str = "64k"
    loudness: float = -16.0
    cache_folder: str = "tts_cache"
    continue_on_error: bool = False
    narrate_drafts: bool = False
    narrate_private: bool = False
    narrate_pages: bool = False
    read_title: bool = True
    read_image_alt: bool = False
    table_phrase: object = ""
    code_phrase: object = ""
    skip_classes: tuple = ("tts-skip",)
    artist: str | None = None
    album: str | None = None
    widget_label: object = None  # None: built-in translations of "Listen to this article"
    widget_footer: object = None  # None: built-in translations of "{duration} · AI-generated narration"
    widget_icon: str = "\U0001F3A7"
    widget_position: str = "top"  # "top" or "manual" (theme calls tts_widget(post))
    widget_in_feeds: bool = True
    widget_in_indexes: bool = False
    widget_css: bool = True
    # The remote engine (TTS_ENGINE = "remote"): OpenAI-compatible speech endpoints elsewhere.
    remote_urls: tuple = ()  # API base URLs, e.g. ("http://gpu-box:8091/v1",)
    remote_api_key_env: str | None = None  # name of the environment variable holding the API key
    remote_timeout: float = 120.0  # seconds one request may take
    remote_concurrency: int = 4  # requests in flight per endpoint
    remote_retries: int = 3  # further attempts for a segment whose request failed
    remote_response_format: str = "wav"  # "wav" or "pcm"
    # `nikola tts serve`: this site's local engine on the same API.
    serve_engine: str | None = None  # None: TTS_ENGINE (which must then be a local engine)
    serve_token_env: str | None = "NIKOLA_TTS_API_KEY"  # env variable with the bearer token clients must send
    serve_max_input_chars: int = 4096
    serve_max_body_bytes: int = 65536
    serve_batch_wait_ms: float = 10.0  # how long a batch waits for more requests
    # Written text -> spoken text (nikola_tts/text/normalize/).
    normalize: object = True  # numbers, units, abbreviations... read as words; may be a {lang: bool} dict
    lexicon: tuple = ()  # pronunciation lexicon files beside conf.py: .toml respellings, .pls (W3C PLS)
    language_detection: bool = True  # paragraphs in another language get that language's voice
    default_lang: str = "en"  # Nikola's DEFAULT_LANG: the fallback of every per-language setting

    @classmethod
    def from_config(cls, config) -> "Settings":
        values = {}
        for f in fields(cls):
            key = "TTS_" + f.name.upper()
            if key in config:
                values[f.name] = config[key]
        if "DEFAULT_LANG" in config:
            values["default_lang"] = config["DEFAULT_LANG"]
        if "skip_classes" in values:
            values["skip_classes"] = tuple(values["skip_classes"])
        if isinstance(values.get("lexicon"), (str, bytes)):
            values["lexicon"] = (values["lexicon"],)
        if "lexicon" in values:
            values["lexicon"] = tuple(values["lexicon"] or ())
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.widget_position not in ("top", "manual"):
            raise TTSError(f"TTS_WIDGET_POSITION is {self.widget_position!r}: use 'top' or 'manual'")
        if "{slug}" not in self.output:
            raise TTSError(f"TTS_OUTPUT is {self.output!r}: it must contain {{slug}}, e.g. '{{slug}}_tts.mp3'")
        if not self.output.endswith(".mp3"):
            raise TTSError(f"TTS_OUTPUT is {self.output!r}: it must end in .mp3")
        try:
            speed = float(self.speed)
        except (TypeError, ValueError):
            speed = 0
        if not 0.25 <= speed <= 4:
            raise TTSError(f"TTS_SPEED is {self.speed!r}: use a number between 0.25 and 4 (1.0 is normal)")
        normalize = self.normalize.values() if isinstance(self.normalize, dict) else [self.normalize]
        if not all(isinstance(value, bool) for value in normalize):
            raise TTSError(f"TTS_NORMALIZE is {self.normalize!r}: use True, False or {{language: True/False}}")
        if not isinstance(self.language_detection, bool):
            raise TTSError(f"TTS_LANGUAGE_DETECTION is {self.language_detection!r}: use True or False")
        if not all(isinstance(path, str) and path for path in self.lexicon):
            raise TTSError(f"TTS_LEXICON is {self.lexicon!r}: give a file name or a list of them, "
                           "e.g. ['lexicon.toml'] beside conf.py")


    def for_lang(self, name: str, lang: str):
        """The setting `name` (a field, e.g. "voice") as it applies to language lang."""
        return per_lang(getattr(self, name), lang, self.default_lang)


def per_lang(value, lang: str, default_lang: str):
    """A setting given either plainly or as {lang: value}, Nikola's convention for translations:
    the value for lang, else for its primary language ("pt" for "pt_br"), else for default_lang."""
    if not isinstance(value, dict):
        return value
    code = str(lang).replace("-", "_")
    for key in (lang, code, code.split("_")[0], default_lang):
        if key in value:
            return value[key]
    return None


def engine_options(settings: Settings):
    """The EngineOptions an engine is built with; named settings win over TTS_ENGINE_OPTIONS keys."""
    from nikola_tts.engines.base import EngineOptions

    extra = dict(settings.engine_options)
    for key in ("dtype", "instruct"):
        if getattr(settings, key) is not None:
            extra[key] = getattr(settings, key)
    if settings.fast != "auto":
        extra["fast"] = settings.fast
    extra.setdefault("seed", settings.seed)
    engines = settings.engine.values() if isinstance(settings.engine, dict) else [settings.engine]
    if "remote" in engines or settings.remote_urls:
        for key in ("remote_urls", "remote_api_key_env", "remote_timeout", "remote_concurrency", "remote_retries",
                    "remote_response_format"):
            extra.setdefault(key, getattr(settings, key))
    return EngineOptions(voice=settings.voice, model=settings.model, device=settings.device, speed=settings.speed,
                         batch_size=settings.batch_size, extra=extra)
