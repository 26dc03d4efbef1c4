"""Nikola task plugin: narrate posts during `nikola build` (the work is in nikola_tts.site)."""

import sys
from urllib.parse import urljoin

from blinker import signal
from nikola import utils
from nikola.plugin_categories import Task

from nikola_tts.errors import TTSError
from nikola_tts.site.enclosure import add_enclosure
from nikola_tts.site.planner import site_plan
from nikola_tts.site.podcast import podcast_feeds
from nikola_tts.site.tasks import CSS_NAME, SCRIPT_NAME, generate
from nikola_tts.site.widget import NarratedText, WidgetRenderer

LOGGER = utils.get_logger("tts")


class RenderTTS(Task):
    """Narrate posts to MP3 and put the player on their pages."""

    name = "render_tts"

    def set_site(self, site):
        super().set_site(site)
        self.planner = None
        signal("scanned").connect(self._on_scanned)
        if site.config.get("TTS_WIDGET_CSS", True):
            site.template_hooks["extra_head"].append(
                f'<link href="/assets/css/{CSS_NAME}" rel="stylesheet" type="text/css">')
        if site.config.get("TTS_WIDGET_SCRIPT", True):
            site.template_hooks["extra_head"].append(f'<script src="/assets/js/{SCRIPT_NAME}" defer></script>')

    def _on_scanned(self, site):
        try:
            self.planner, self.plan = site_plan(site)
        except TTSError as exc:
            LOGGER.error(str(exc))
            sys.exit(1)
        self.renderer = WidgetRenderer(site, self.planner.settings, self.planner)
        site._GLOBAL_CONTEXT["tts_widget"] = self.renderer.html
        template_deps = self.renderer.template_deps()
        for post in self.planner.candidates():
            narrated_langs = [lang for lang in site.config["TRANSLATIONS"] if self.planner.is_narrated(post, lang)]
            for lang in narrated_langs:
                post.add_dependency(self.planner.sidecar_path(post, lang), "page", lang)
                for dep in template_deps:
                    post.add_dependency(dep, "page", lang)
                spoken = self.planner.spoken_lang(post, lang)
                path, href = self.planner.audio(post, spoken)
                add_enclosure(post, lang, urljoin(site.config["BASE_URL"], href.lstrip("/")), path)
                post.add_dependency_uptodate(
                    utils.config_changed(self._widget_config(spoken), "nikola_tts:widget:" + spoken), False, "page", lang)
            if narrated_langs and not isinstance(post.text, NarratedText):
                post.text = NarratedText(post, post.text, self.renderer)

    def _widget_config(self, lang):
        s = self.planner.settings
        return {"texts": self.renderer.texts(lang), "position": s.widget_position,
                "feeds": s.widget_in_feeds, "indexes": s.widget_in_indexes, "script": s.widget_script}

    def gen_tasks(self):
        self.site.scan_posts()
        yield self.group_task()
        if self.planner is None:
            return
        self.planner.cache.sweep()  # what a killed build left half-written; no task of ours runs yet
        podcasts = podcast_feeds(self.site, self.planner, list(self.plan.narrated))
        yield from generate(self.name, self.planner.settings, self.plan.narrated, self.plan.silenced,
                            self.site.config["OUTPUT_FOLDER"], utils.config_changed, podcasts)
