"""Every TTS_* setting with its default, read once from conf.py.

Settings that change the sound enter the segment hash (through the engine's identity);
settings that only change the page (widget texts) reach the page render alone.
"""

from __future__ import annotations

import difflib
import numbers
import posixpath
import re
import string
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
    prune_after_days: float | None = 30  # segment audio no post uses goes this long after it fell out of use
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
    # Written text -> spoken text (nikola_tts/text/normalize/).
    normalize: object = True  # numbers, units, abbreviations... read as words; may be a {lang: bool} dict
    lexicon: tuple = ()  # pronunciation lexicon files beside conf.py: .toml respellings, .pls (W3C PLS)
    language_detection: bool = True  # paragraphs in another language get that language's voice
    default_lang: str = "en"  # Nikola's DEFAULT_LANG: the fallback of every per-language setting

    @classmethod
    def from_config(cls, config) -> "Settings":
        known = {"TTS_" + f.name.upper(): f.name for f in fields(cls) if f.name != "default_lang"}
        for key in sorted(k for k in config if str(k).startswith("TTS_") and k not in known):
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]}?" if close else "see the settings table in nikola-tts's README"
            raise TTSError(f"conf.py sets {key}, which is not a nikola-tts setting: {hint}")
        values = {name: config[key] for key, name in known.items() if key in config}
        if "DEFAULT_LANG" in config:
            values["default_lang"] = config["DEFAULT_LANG"]
        if isinstance(values.get("skip_classes"), str):
            values["skip_classes"] = values["skip_classes"].split()  # "a b", as in an HTML class attribute
        if isinstance(values.get("skip_classes"), (set, frozenset)):
            values["skip_classes"] = sorted(values["skip_classes"])
        if isinstance(values.get("skip_classes"), list):
            values["skip_classes"] = tuple(values["skip_classes"])
        if isinstance(values.get("lexicon"), (str, bytes)):
            values["lexicon"] = (values["lexicon"],)
        if "lexicon" in values:
            values["lexicon"] = tuple(values["lexicon"] or ())
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Every setting, before any work: the first bad one raises a TTSError that names the fix."""
        for name, (ok, expected) in _CHECKS.items():
            value = getattr(self, name)
            if name in PER_LANGUAGE and isinstance(value, dict):
                bad = [(lang, v) for lang, v in value.items() if not ok(v)]
                if bad:
                    lang, v = bad[0]
                    raise TTSError(f"TTS_{name.upper()}[{lang!r}] is {v!r}: use {expected}")
            elif not ok(value):
                per_lang = " (or a {language: value} dict)" if name in PER_LANGUAGE else ""
                raise TTSError(f"TTS_{name.upper()} is {value!r}: use {expected}{per_lang}")
        problem = output_problem(self.output)
        if problem:
            raise TTSError(f"TTS_OUTPUT is {self.output!r}: {problem}")
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


PER_LANGUAGE = frozenset({"engine", "voice", "language", "table_phrase", "code_phrase", "widget_label", "normalize",
                          "widget_footer"})
# The MP3 bitrates (kbit/s) of MPEG-1 and -2 layer III; lame caps them at 160k for 24 kHz speech.
MP3_BITRATES = (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 192, 224, 256, 320)


def _text(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _text_or_none(value) -> bool:
    return value is None or isinstance(value, str)


def _number(low=None, high=None, whole=False, none=False):
    def ok(value) -> bool:
        if value is None:
            return none
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        if whole and int(value) != value:
            return False
        return (low is None or value >= low) and (high is None or value <= high)
    return ok


def _flag(value) -> bool:
    return isinstance(value, bool)


def _fields_only(*names):
    """A format string whose {fields} are only these (a stray one would fail every page render)."""
    def ok(value) -> bool:
        if value is None:
            return True
        if not isinstance(value, str):
            return False
        try:
            return all(f in names for _, f, _, _ in string.Formatter().parse(value) if f is not None)
        except ValueError:  # an unmatched brace
            return False
    return ok


def _bitrate(value) -> bool:
    return (isinstance(value, str) and value.endswith("k") and value[:-1].isdigit()
            and int(value[:-1]) in MP3_BITRATES)


def _urls(value) -> bool:
    urls = (value,) if isinstance(value, str) else value
    return isinstance(urls, (list, tuple)) and all(
        isinstance(u, str) and u.startswith(("http://", "https://")) for u in urls)


_CHECKS = {  # setting: (check, what to use instead), read by Settings.validate
    "engine": (_text, "an engine name: 'qwen', 'piper', 'espeak', 'remote' or 'package.module:Class'"),
    "voice": (_text_or_none, "a voice name as a string, or None for the engine's default"),
    "model": (_text_or_none, "a model id or folder as a string, or None for the default"),
    "device": (lambda v: isinstance(v, str) and re.fullmatch(r"auto|cpu|mps|(cuda|gpu|rocm)(:\d+)?", v.strip().lower()),
               "'auto', 'cpu', 'cuda', 'cuda:1' or 'mps'"),
    "language": (_text_or_none, "a language code such as 'en', or None for each translation's own"),
    "speed": (_number(0.25, 4), "a number between 0.25 and 4 (1.0 is normal)"),
    "batch_size": (_number(1, whole=True, none=True), "a whole number of segments, 1 or more, or None"),
    "dtype": (lambda v: v in (None, "auto", "bfloat16", "float16", "float32"),
              "'bfloat16', 'float16', 'float32' or None"),
    "instruct": (_text_or_none, "a style instruction as a string, or None"),
    "seed": (_number(whole=True), "a whole number"),
    "engine_options": (lambda v: isinstance(v, dict), "a dict of engine options, e.g. {'speaker': 0}"),
    "output": (_text, "a file name pattern such as '{slug}_tts.mp3'"),
    "bitrate": (_bitrate, "an MP3 bitrate such as '64k' (8k to 320k, as lame knows them: 32k, 48k, 64k, 96k, 128k...)"),
    "loudness": (_number(-70, -5), "integrated loudness in LUFS between -70 and -5 (-16 suits podcasts)"),
    "cache_folder": (_text, "a folder path such as 'tts_cache'"),
    "prune_after_days": (_number(0, none=True), "a number of days (0: at once), or None to prune only "
                         "with `nikola tts --prune`"),
    "continue_on_error": (_flag, "True or False"),
    "narrate_drafts": (_flag, "True or False"),
    "narrate_private": (_flag, "True or False"),
    "narrate_pages": (_flag, "True or False"),
    "read_title": (_flag, "True or False"),
    "read_image_alt": (_flag, "True or False"),
    "table_phrase": (_text_or_none, "a phrase as a string, or '' to skip tables silently"),
    "code_phrase": (_text_or_none, "a phrase as a string, or '' to skip code silently"),
    "skip_classes": (lambda v: isinstance(v, tuple) and all(_text(c) for c in v),
                     "a list of CSS class names, e.g. ['tts-skip']"),
    "artist": (_text_or_none, "a name as a string, or None for the post's author"),
    "album": (_text_or_none, "a name as a string, or None for the blog title"),
    "widget_label": (_text_or_none, "a label as a string, or None for the built-in translations"),
    "widget_footer": (_fields_only("duration"), "a string whose only field is {duration}, e.g. "
                      "'{duration} · narrated by a machine', or None for the built-in translations"),
    "widget_icon": (lambda v: isinstance(v, str), "a string (an emoji, or '' for none)"),
    "widget_position": (lambda v: v in ("top", "manual"), "'top' or 'manual'"),
    "widget_in_feeds": (_flag, "True or False"),
    "widget_in_indexes": (_flag, "True or False"),
    "widget_css": (_flag, "True or False"),
    "widget_script": (_flag, "True or False"),
    "remote_urls": (_urls, "a list of API base URLs, e.g. ['http://gpu-box:8091/v1']"),
    "remote_api_key_env": (_text_or_none, "the name of an environment variable, or None"),
    "remote_timeout": (_number(0.001), "seconds, more than 0 (e.g. 120)"),
    "remote_concurrency": (_number(1, whole=True), "a whole number of requests, 1 or more"),
    "remote_retries": (_number(0, whole=True), "a whole number, 0 or more"),
    "remote_response_format": (lambda v: v in ("wav", "pcm"), "'wav' or 'pcm'"),
    "remote_flavor": (lambda v: v in ("auto", "vllm-omni", "nikola-tts", "openai"),
                      "'auto', 'vllm-omni', 'nikola-tts' or 'openai'"),
    "serve_engine": (_text_or_none, "an engine name, or None for TTS_ENGINE"),
    "serve_token_env": (_text_or_none, "the name of an environment variable, or None"),
    "serve_max_input_chars": (_number(1, whole=True), "a whole number of characters, 1 or more"),
    "serve_max_body_bytes": (_number(1, whole=True), "a whole number of bytes, 1 or more"),
    "serve_batch_wait_ms": (_number(0), "milliseconds, 0 or more"),
    "normalize": (_flag, "True or False"),
    "language_detection": (_flag, "True or False"),
    "lexicon": (lambda v: isinstance(v, tuple) and all(isinstance(p, str) and p for p in v),
                "a file name or a list of them, e.g. ['lexicon.toml'] beside conf.py"),
}


def output_problem(pattern: str) -> str | None:
    """What is wrong with a TTS_OUTPUT pattern, or None."""
    if "{slug}" not in pattern:
        return "it must contain {slug}, e.g. '{slug}_tts.mp3'"
    if not pattern.endswith(".mp3"):
        return "it must end in .mp3, e.g. '{slug}_tts.mp3'"
    try:
        sample = pattern.format(slug="post", lang="en")
    except (KeyError, IndexError, ValueError):
        return "its only fields may be {slug} and {lang}, e.g. 'audio/{lang}/{slug}.mp3'"
    path = posixpath.normpath(sample.replace("\\", "/"))
    if posixpath.isabs(path) or path == ".." or path.startswith("../"):
        return ("it must stay inside the output folder (a file outside it is never deployed and its player "
                "link is dead), e.g. '{slug}_tts.mp3' or 'audio/{slug}.mp3'")
    return None


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
