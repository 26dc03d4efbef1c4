"""Which posts are narrated, in which languages, and where each one's files live.

The Planner turns the scanned site and the settings into NarrationPlans, once per build
(`site_plan`), for the task plugin, the report and `nikola tts` alike.
"""

from __future__ import annotations

import os
import posixpath
import weakref
from dataclasses import dataclass
from urllib.parse import quote

from nikola_tts.audio.mp3 import Encoding, Tags
from nikola_tts.cache.folder import CacheFolder
from nikola_tts.engines import create_engine
from nikola_tts.errors import TTSError
from nikola_tts.plan import NarrationPlan, Silenced, Speakers
from nikola_tts.settings import Settings, engine_options
from nikola_tts.text.blocks import ExtractOptions
from nikola_tts.text.normalize.lexicon import Entry, entries_from_meta, read_lexicon
from nikola_tts.text.normalize.options import NormalizeOptions


def _bool_meta(post, lang, key, default):
    from nikola.utils import bool_from_meta  # Nikola's own parser: "no", "false", "0", YAML false

    return bool_from_meta(post.meta[lang], key, fallback=default, blank=default)


@dataclass(frozen=True)
class SitePlan:
    narrated: tuple[NarrationPlan, ...]
    silenced: tuple[Silenced, ...]  # they may have audio published earlier, which goes


class Planner:
    def __init__(self, site, settings: Settings):
        self.site = site
        self.settings = settings
        self.config = site.config
        self.cache = CacheFolder(settings.cache_folder)
        self._engines = {}
        self.speakers = Speakers(settings.engine, settings.voice, settings.default_lang, engine_options(settings))
        self.lexicon = self._read_lexicon()

    def _read_lexicon(self) -> tuple[Entry, ...]:
        """TTS_LEXICON's entries, read once per build (a bad file stops the build before any work)."""
        conf = getattr(self.site, "configuration_filename", None) or "conf.py"
        folder = os.path.dirname(os.path.abspath(conf))
        entries: list[Entry] = []
        for path in self.settings.lexicon:
            entries.extend(read_lexicon(os.path.join(folder, os.path.expanduser(path))))
        return tuple(entries)

    def engine_for(self, lang: str):
        """The engine that speaks lang (TTS_ENGINE may be a {lang: engine} dict). Cheap: nothing loads."""
        name = self.settings.for_lang("engine", lang)
        if name not in self._engines:
            self._engines[name] = create_engine(name, engine_options(self.settings))
        return self._engines[name]

    @property
    def engine(self):
        return self.engine_for(self.settings.default_lang)

    # -- selection -----------------------------------------------------------------------
    def candidates(self):
        for post in self.site.timeline:
            if post.is_post or self.settings.narrate_pages:
                yield post

    def why_silent(self, post, lang) -> str | None:
        """None if the post is narrated in lang, else the reason it is not."""
        if not _bool_meta(post, lang, "tts", True):
            return "opted out (tts: no)"
        if post.is_draft and not self.settings.narrate_drafts:
            return "draft"
        if post.is_private and not self.settings.narrate_private:
            return "private"
        if post.compiler.extension() == ".php":
            return "PHP post"
        return None

    def spoken_lang(self, post, lang) -> str:
        """The translation whose audio a page in lang plays: an untranslated page plays the original."""
        return lang if post.is_translation_available(lang) else post.default_lang

    def is_narrated(self, post, lang) -> bool:
        """Whether post's page in lang speaks."""
        return (post.is_post or self.settings.narrate_pages) and self.why_silent(post, self.spoken_lang(post, lang)) is None

    def sidecar_path(self, post, lang) -> str:
        """The sidecar a page in lang reads."""
        return self.cache.sidecar(self.spoken_lang(post, lang), post.source_path)

    def languages(self, post):
        return [lang for lang in self.config["TRANSLATIONS"] if post.is_translation_available(lang)]

    # -- one post in one language --------------------------------------------------------
    def plan_for(self, post, lang) -> NarrationPlan:
        s = self.settings
        meta = post.meta[lang]
        # A post may say it is in another language than its translation (`.. tts_language: fr`):
        # then that language's engine and voice speak it, and its MP3 is tagged so.
        meta_language = str(meta.get("tts_language") or "").strip() or None
        language = meta_language or s.for_lang("language", lang) or lang
        engine = self.engine_for(meta_language or lang)
        voice_setting = meta.get("tts_voice") or (
            self.speakers.voice_given_for(meta_language) if meta_language else s.for_lang("voice", lang))
        voice = engine.resolve_voice(voice_setting, language)
        output, href = self.audio(post, lang)
        title = post.title(lang)
        return NarrationPlan(
            source=post.source_path,
            lang=lang,
            fragment=post.translated_base_path(lang),
            title=title if s.read_title else "",
            engine=s.for_lang("engine", meta_language or lang),
            voice=voice,
            language=language,
            identity=engine.identity(voice, language),
            max_chars=engine.max_chars,
            extract=self.extract_options(lang),
            normalize=NormalizeOptions(
                language=str(language),
                normalize=tuple(s.normalize.items()) if isinstance(s.normalize, dict) else (),
                default=s.normalize.get(s.default_lang, True) if isinstance(s.normalize, dict) else s.normalize,
                lexicon=self.lexicon + entries_from_meta(meta.get("tts_lexicon"), f"{post.source_path} (tts_lexicon)"),
                phonemes=engine.phoneme_alphabet,
                identify=bool(s.language_detection),
            ),
            speakers=self.speakers,
            tags=self.tags(post, lang, language),
            encoding=Encoding(bitrate=s.bitrate, loudness=float(s.loudness)),
            output=output,
            href=href,
            cache=self.cache,
        )

    def audio(self, post, lang: str) -> tuple[str, str]:
        """(path below the output folder, site-root URL) of post's MP3 in lang."""
        rel_url = self.output_relpath(post.meta[lang]["slug"], lang)
        return os.path.join(self.config["OUTPUT_FOLDER"], *rel_url.split("/")), "/" + quote(rel_url)

    def extract_options(self, lang: str) -> ExtractOptions:
        s = self.settings
        return ExtractOptions(
            read_image_alt=bool(s.read_image_alt),
            table_phrase=s.for_lang("table_phrase", lang) or "",
            code_phrase=s.for_lang("code_phrase", lang) or "",
            skip_classes=tuple(s.skip_classes),
        )

    def tags(self, post, lang: str, language: str | None = None) -> Tags:
        """What the narration says about itself (ID3 tags, the player's Media Session metadata)."""
        s = self.settings
        return Tags(
            title=post.title(lang),
            artist=s.artist or post.author(lang) or self.config["BLOG_AUTHOR"](lang),
            album=s.album or self.config["BLOG_TITLE"](lang),
            language=language,
        )

    def output_relpath(self, slug: str, lang: str) -> str:
        """Path of the MP3 below the output folder, inside the translation's own folder."""
        name = self.settings.output.format(slug=slug, lang=lang)
        lang_root = self.config["TRANSLATIONS"].get(lang, "").strip("./")
        return posixpath.normpath(posixpath.join(lang_root, name)) if lang_root else posixpath.normpath(name)

    # -- the whole site ------------------------------------------------------------------
    def plan(self) -> SitePlan:
        """Every post's plan; raises TTSError for what no build could narrate (a voice the engine
        does not have, two posts on one MP3), before any work."""
        narrated, silenced, claimed, voices = [], [], {}, {}
        for post in self.candidates():
            for lang in self.languages(post):
                plan = self.plan_for(post, lang)
                reason = self.why_silent(post, lang)
                if reason:
                    silenced.append(Silenced(plan, reason))
                    continue
                if plan.output in claimed:
                    raise TTSError(f"{post.source_path} and {claimed[plan.output]} would both publish "
                                   f"{plan.output}: give one of them another slug")
                claimed[plan.output] = post.source_path
                key = (lang, plan.voice, plan.language)
                if key not in voices:
                    voices[key] = self.engine_for(lang).voice_problem(plan.voice, plan.language)
                if voices[key]:
                    where = (f" (the tts_voice of {post.source_path})" if post.meta[lang].get("tts_voice")
                             else "")
                    raise TTSError(voices[key] + where)
                narrated.append(plan)
        # Never delete audio that a narrated post publishes at the same path.
        return SitePlan(tuple(narrated), tuple(s for s in silenced if s.plan.output not in claimed))


_PLANS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def site_plan(site) -> tuple[Planner, SitePlan]:
    """The site's planner and plan, made once per scanned site (the task and report plugins share it).
    Raises TTSError for bad settings."""
    if site not in _PLANS:
        planner = Planner(site, Settings.from_config(site.config))
        _PLANS[site] = (planner, planner.plan())
    return _PLANS[site]
