"""The player on the page: "🎧 Listen to this article", the audio, "17 min · AI-generated narration".

Stock themes print `post.text()` as the post body, so a narrated post's `text` is wrapped to
put the widget first. Feeds get it too (configurable); index pages do not, unless configured:
stock index templates pass `teaser_only=` explicitly, a post page calls `post.text()` bare.
"""

from __future__ import annotations

import os

from nikola_tts import resource_dir
from nikola_tts.cache.sidecar import read_sidecar
from nikola_tts.site.messages import FOOTER, LABEL, format_duration, message

TEMPLATE = "tts_widget.tmpl"
_UNSET = object()


class WidgetRenderer:
    def __init__(self, site, settings, planner):
        self.site = site
        self.settings = settings
        self.planner = planner
        self._templates_ready = False

    def texts(self, lang: str) -> dict:
        return {
            "label": self.settings.for_lang("widget_label", lang) or message(LABEL, lang),
            "footer": self.settings.for_lang("widget_footer", lang) or message(FOOTER, lang),
            "icon": self.settings.widget_icon,
        }

    def template_deps(self) -> list[str]:
        self._ensure_templates()
        return list(self.site.template_system.template_deps(TEMPLATE))

    def _ensure_templates(self) -> None:
        if not self._templates_ready:
            system = self.site.template_system
            flavour = "jinja" if system.name == "jinja" else "mako"
            system.inject_directory(os.path.join(resource_dir("templates"), flavour))
            self._templates_ready = True

    def html(self, post, lang=None) -> str:
        """The widget for a post, or "" when it has no published audio."""
        if lang is None:
            from nikola.utils import LocaleBorg  # the language of the page being rendered, as Post.text does

            lang = LocaleBorg().current_lang
        sidecar = read_sidecar(self.planner.sidecar_path(post, lang))
        if not sidecar or not sidecar.has_audio or not self.planner.is_narrated(post, lang):
            return ""
        texts = self.texts(lang)
        duration = format_duration(sidecar.duration or 0)
        self._ensure_templates()
        context = {
            "lang": lang,
            # Site-root path: Nikola rewrites it relative on pages (so `nikola serve` plays it) and absolute in feeds.
            "tts_audio_url": sidecar.href,
            "tts_duration": sidecar.duration,
            "tts_duration_text": duration,
            "tts_label": texts["label"],
            "tts_footer": texts["footer"].format(duration=duration),
            "tts_icon": texts["icon"],
        }
        return self.site.template_system.render_template(TEMPLATE, None, context).strip()


class NarratedText:
    """Stands in for a narrated post's bound `text` method."""

    def __init__(self, post, original, renderer: WidgetRenderer):
        self.post = post
        self.original = original
        self.renderer = renderer

    def __call__(self, lang=None, teaser_only=_UNSET, strip_html=False, show_read_more_link=True,
                 feed_read_more_link=False, feed_links_append_query=None):
        explicit = teaser_only is not _UNSET
        teaser = bool(teaser_only) if explicit else False
        data = self.original(lang, teaser, strip_html, show_read_more_link, feed_read_more_link,
                             feed_links_append_query)
        if strip_html or not self._wanted(explicit, feed_read_more_link):
            return data
        widget = self.renderer.html(self.post, lang)
        return widget + "\n" + data if widget else data

    def _wanted(self, explicit_teaser: bool, feed: bool) -> bool:
        settings = self.renderer.settings
        if feed:
            return settings.widget_in_feeds
        if explicit_teaser:
            return settings.widget_in_indexes
        return settings.widget_position == "top"
