"""Which posts are narrated, in which languages, and where each one's files live.

A plan is a list of plain dicts (picklable, so `nikola build -n N` can ship them to workers):
everything a narration step needs, decided once per build from the scanned site.
"""

from __future__ import annotations

import os
import posixpath
from urllib.parse import quote

from nikola_tts.engines import create_engine
from nikola_tts.errors import TTSError
from nikola_tts.settings import Settings, engine_options, per_lang

PLAN_VERSION = 1


def _bool_meta(post, lang, key, default):
    from nikola.utils import bool_from_meta  # Nikola's own parser: "no", "false", "0", YAML false

    return bool_from_meta(post.meta[lang], key, fallback=default, blank=default)


def _safe_name(source_path: str) -> str:
    return source_path.replace(os.sep, "__").replace("/", "__")


class Planner:
    def __init__(self, site, settings: Settings):
        self.site = site
        self.settings = settings
        self.config = site.config
        self._engines = {}

    def engine_for(self, lang: str):
        """The engine that speaks lang (TTS_ENGINE may be a {lang: engine} dict). Cheap: nothing loads."""
        name = per_lang(self.settings.engine, lang, self.config["DEFAULT_LANG"])
        if name not in self._engines:
            self._engines[name] = create_engine(name, engine_options(self.settings))
        return self._engines[name]

    @property
    def engine(self):
        return self.engine_for(self.config["DEFAULT_LANG"])

    # -- folders -------------------------------------------------------------------------
    @property
    def cache_folder(self) -> str:
        return self.settings.cache_folder

    def state_path(self, kind: str, lang: str, source_path: str, suffix=".json") -> str:
        return os.path.join(self.cache_folder, kind, lang, _safe_name(source_path) + suffix)

    def failures_folder(self) -> str:
        return os.path.join(self.cache_folder, "failed")

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

    def is_narrated(self, post, lang) -> bool:
        """Whether post's page in lang speaks (an untranslated page speaks its original language)."""
        spoken = lang if post.is_translation_available(lang) else post.default_lang
        return (post.is_post or self.settings.narrate_pages) and self.why_silent(post, spoken) is None

    def languages(self, post):
        return [lang for lang in self.config["TRANSLATIONS"] if post.is_translation_available(lang)]

    # -- one post in one language --------------------------------------------------------
    def spec(self, post, lang) -> dict:
        s = self.settings
        default_lang = self.config["DEFAULT_LANG"]
        language = per_lang(s.language, lang, default_lang) or lang
        engine = self.engine_for(lang)
        voice = engine.resolve_voice(
            post.meta[lang].get("tts_voice") or per_lang(s.voice, lang, default_lang), language)
        slug = post.meta[lang]["slug"]
        rel_url = self.output_relpath(slug, lang)
        title = post.title(lang)
        return {
            "version": PLAN_VERSION,
            "id": f"{lang}:{post.source_path}",
            "source": post.source_path,
            "lang": lang,
            "fragment": post.translated_base_path(lang),
            "title": title if s.read_title else "",
            "voice": voice,
            "language": language,
            "engine": per_lang(s.engine, lang, default_lang),
            "identity": engine.identity(voice, language),
            "max_chars": engine.max_chars,
            "extract": {
                "read_image_alt": bool(s.read_image_alt),
                "table_phrase": per_lang(s.table_phrase, lang, default_lang) or "",
                "code_phrase": per_lang(s.code_phrase, lang, default_lang) or "",
                "skip_classes": list(s.skip_classes),
            },
            "tags": {
                "title": title,
                "artist": s.artist or post.author(lang) or self.config["BLOG_AUTHOR"](lang),
                "album": s.album or self.config["BLOG_TITLE"](lang),
                "language": language,
            },
            "encode": {"bitrate": s.bitrate, "loudness": float(s.loudness)},
            "output": os.path.join(self.config["OUTPUT_FOLDER"], *rel_url.split("/")),
            "href": "/" + quote(rel_url),
            "manifest": self.state_path("manifests", lang, post.source_path),
            "sidecar": self.state_path("published", lang, post.source_path),
            "failure": os.path.join(self.failures_folder(), lang, _safe_name(post.source_path) + ".json"),
            "cache_folder": self.cache_folder,
        }

    def output_relpath(self, slug: str, lang: str) -> str:
        """Path of the MP3 below the output folder, inside the translation's own folder."""
        name = self.settings.output.format(slug=slug, lang=lang)
        lang_root = self.config["TRANSLATIONS"].get(lang, "").strip("./")
        return posixpath.normpath(posixpath.join(lang_root, name)) if lang_root else posixpath.normpath(name)

    # -- the whole site ------------------------------------------------------------------
    def plan(self):
        """(narrated specs, silenced specs): silenced ones may have audio published earlier."""
        narrated, silenced, claimed = [], [], {}
        for post in self.candidates():
            for lang in self.languages(post):
                spec = self.spec(post, lang)
                reason = self.why_silent(post, lang)
                if reason:
                    spec["reason"] = reason
                    silenced.append(spec)
                    continue
                if spec["output"] in claimed:
                    raise TTSError(f"{post.source_path} and {claimed[spec['output']]} would both publish "
                                   f"{spec['output']}: give one of them another slug")
                claimed[spec["output"]] = post.source_path
                narrated.append(spec)
        # Never delete audio that a narrated post publishes at the same path.
        silenced = [s for s in silenced if s["output"] not in claimed]
        return narrated, silenced
