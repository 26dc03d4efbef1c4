"""Nikola task plugin: narrate posts during `nikola build` (the work is in nikola_tts.tasks)."""

import sys

from blinker import signal
from nikola import utils
from nikola.plugin_categories import Task

from nikola_tts.errors import TTSError
from nikola_tts.posts import Planner
from nikola_tts.settings import Settings
from nikola_tts.tasks import CSS_NAME, generate
from nikola_tts.widget import NarratedText, WidgetRenderer

LOGGER = utils.get_logger("tts")


def _fatal(exc):
    LOGGER.error(str(exc))
    sys.exit(1)


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

    def _on_scanned(self, site):
        try:
            self.settings = Settings.from_config(site.config)
            self.planner = Planner(site, self.settings)
            self.renderer = WidgetRenderer(site, self.settings, self.planner)
            self.plan = self.planner.plan()
        except TTSError as exc:
            _fatal(exc)
        site._GLOBAL_CONTEXT["tts_widget"] = self.renderer.html
        template_deps = self.renderer.template_deps()
        for post in self.planner.candidates():
            narrated_langs = [lang for lang in site.config["TRANSLATIONS"] if self.planner.is_narrated(post, lang)]
            for lang in narrated_langs:
                post.add_dependency(self.renderer.sidecar_path(post, lang), "page", lang)
                for dep in template_deps:
                    post.add_dependency(dep, "page", lang)
                post.add_dependency_uptodate(
                    utils.config_changed(self._widget_config(lang), "nikola_tts:widget:" + lang), False, "page", lang)
            if narrated_langs and not isinstance(post.text, NarratedText):
                post.text = NarratedText(post, post.text, self.renderer)

    def _widget_config(self, lang):
        s = self.settings
        return {"texts": self.renderer.texts(lang), "position": s.widget_position,
                "feeds": s.widget_in_feeds, "indexes": s.widget_in_indexes}

    def gen_tasks(self):
        self.site.scan_posts()
        yield self.group_task()
        if self.planner is None:
            return
        narrated, silenced = self.plan
        yield from generate(self.name, self.settings, narrated, silenced,
                            self.site.config["OUTPUT_FOLDER"], utils.config_changed)
