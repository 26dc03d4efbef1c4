"""Every TTS_* setting with its default, read once from conf.py.

Settings that change the sound enter the segment hash (through the engine's identity);
settings that only change the page (widget texts) reach the page render alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from nikola_tts.errors import TTSError

DEFAULT_TTS_ENGINE = "qwen"
DEFAULT_TTS_OUTPUT = "{slug}_tts.mp3"
# TTS_PODCAST's keys; each defaults to the site's own setting where it has one (see site/podcast.py).
PODCAST_KEYS = ("title", "description", "author", "email", "artwork", "category", "explicit", "language")


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
    widget_script: bool = True  # the player's controls (speed, skip, chapters, follow-along): assets/js/nikola_tts.js
    podcast: object = False  # True or a dict of PODCAST_KEYS: output/podcast.xml (per translation)
    # The remote engine (TTS_ENGINE = "remote"): OpenAI-compatible speech endpoints elsewhere.
    remote_urls: tuple = ()  # API base URLs, e.g. ("http://gpu-box:8091/v1",)
    remote_api_key_env: str | None = None  # name of the environment variable holding the API key
    remote_timeout: float = 120.0  # seconds one request may take
    remote_concurrency: int = 4  # requests in flight per endpoint
    remote_retries: int = 3  # further attempts for a segment whose request failed
    remote_response_format: str = "wav"  # "wav" or "pcm"
    remote_flavor: str = "auto"  # what the servers are: "auto" (asked at load), "vllm-omni", "nikola-tts", "openai"
    # `nikola tts serve`: this site's local engine on the same API.
    serve_engine: str | None = None  # None: TTS_ENGINE (which must then be a local engine)
    serve_token_env: str | None = "NIKOLA_TTS_API_KEY"  # env variable with the bearer token clients must send
    serve_max_input_chars: int = 4096
    serve_max_body_bytes: int = 65536
    serve_batch_wait_ms: float = 10.0  # how long a batch waits for more requests
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
        self._validate_podcast()

    def _validate_podcast(self) -> None:
        value = self.podcast
        keys = ", ".join(PODCAST_KEYS)
        if isinstance(value, bool):
            return
        if not isinstance(value, dict):
            raise TTSError(f"TTS_PODCAST is {value!r}: use True, False or a dict with any of {keys}")
        for key, item in value.items():
            if key not in PODCAST_KEYS:
                raise TTSError(f"TTS_PODCAST has the key {key!r}: use any of {keys}")
            if key == "explicit":
                if not isinstance(item, bool):
                    raise TTSError(f"TTS_PODCAST['explicit'] is {item!r}: use True or False")
            elif item is not None and not isinstance(item, (str, dict)):
                raise TTSError(f"TTS_PODCAST[{key!r}] is {item!r}: use a text (or a {{lang: text}} dict)")
        artwork = value.get("artwork")
        if isinstance(artwork, str) and not artwork.lower().endswith((".png", ".jpg", ".jpeg")):
            raise TTSError(f"TTS_PODCAST['artwork'] is {artwork!r}: use a square PNG or JPEG, 1400 to 3000 px, "
                           "e.g. '/images/podcast.png' (below files/ or images/) or a full URL")


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
                    "remote_response_format", "remote_flavor"):
            extra.setdefault(key, getattr(settings, key))
    return EngineOptions(voice=settings.voice, model=settings.model, device=settings.device, speed=settings.speed,
                         batch_size=settings.batch_size, extra=extra)
