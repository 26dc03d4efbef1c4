"""The player on the page: "🎧 Listen to this article", the audio, "17 min · AI-generated narration",
and on a post's own page the marks that tie its paragraphs to the audio.

Stock themes print `post.text()` as the post body, so a narrated post's `text` is wrapped to
put the widget first. Feeds get it too (configurable, the plain player: no script runs there);
index pages do not, unless configured: stock index templates pass `teaser_only=` explicitly,
a post page calls `post.text()` bare. On the post page every narrated block (paragraph,
heading, item...) gets `data-tts-start` and `data-tts-end`, its seconds in the MP3, which
assets/js/nikola_tts.js reads: the browser only looks times up.

The widget's words follow the language of the audio, not of the page: an untranslated post
under /es/ plays the English narration and says so in English (with lang="en" on the widget).
"""

from __future__ import annotations

import os

from nikola_tts import resource_dir
from nikola_tts.cache.sidecar import OK, Sidecar, read_sidecar
from nikola_tts.plan import Companions
from nikola_tts.site.messages import CONTROLS, FOOTER, LABEL, format_clock, format_duration, message

TEMPLATE = "tts_widget.tmpl"
SPEEDS = (0.75, 1.0, 1.25, 1.5, 1.75, 2.0)
_UNSET = object()


class WidgetRenderer:
    def __init__(self, site, settings, planner):
        self.site = site
        self.settings = settings
        self.planner = planner
        self._templates_ready = False

    def texts(self, lang: str) -> dict:
        """The widget's words in lang (the audio's language)."""
        return {
            "label": self.settings.for_lang("widget_label", lang) or message(LABEL, lang),
            "footer": self.settings.for_lang("widget_footer", lang) or message(FOOTER, lang),
            "icon": self.settings.widget_icon,
            "controls": message(CONTROLS, lang),
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

    def _published(self, post, lang) -> tuple[str, Sidecar | None]:
        """(the audio's language, its sidecar) for post's page in lang; no sidecar when it has no audio."""
        if lang is None:
            from nikola.utils import LocaleBorg  # the language of the page being rendered, as Post.text does

            lang = LocaleBorg().current_lang
        spoken = self.planner.spoken_lang(post, lang)
        sidecar = read_sidecar(self.planner.sidecar_path(post, lang))
        if not sidecar or not sidecar.has_audio or not self.planner.is_narrated(post, lang):
            return spoken, None
        return spoken, sidecar

    def html(self, post, lang=None, feed: bool = False) -> str:
        """The widget for a post, or "" when it has no published audio. feed: the plain player only."""
        spoken, sidecar = self._published(post, lang)
        if sidecar is None:
            return ""
        texts = self.texts(spoken)
        duration = format_duration(sidecar.duration or 0)
        tags = self.planner.tags(post, spoken)
        companions = Companions.of(sidecar.href)
        self._ensure_templates()
        # Site-root paths: Nikola rewrites them relative on pages (so `nikola serve` plays them) and absolute in feeds.
        context = {
            "lang": spoken,
            "tts_lang": spoken,
            "tts_feed": feed,
            "tts_audio_url": sidecar.href,
            "tts_transcript_url": companions.transcript,
            "tts_duration": sidecar.duration,
            "tts_duration_text": duration,
            "tts_label": texts["label"],
            "tts_footer": texts["footer"].format(duration=duration),
            "tts_icon": texts["icon"],
            "tts_controls": texts["controls"],
            "tts_speeds": [(f"{speed:g}", f"{speed:g}×") for speed in SPEEDS],
            "tts_chapters": [{"start": f"{c.start:.3f}", "clock": format_clock(c.start), "title": c.title}
                             for c in sidecar.chapters],
            "tts_title": tags.title,
            "tts_artist": tags.artist,
            "tts_album": tags.album,
        }
        return self.site.template_system.render_template(TEMPLATE, None, context).strip()

    def mark_heard(self, post, lang, html: str) -> str:
        """html (the post's body) with each narrated block's seconds in the MP3 as data attributes."""
        _, sidecar = self._published(post, lang)
        if sidecar is None or sidecar.status != OK or not sidecar.heard or not html:
            return html  # no audio, or audio of an earlier version of the text (its narration failed)
        from nikola_tts.text.extract import locate_blocks, parse_html

        located = locate_blocks(parse_html(html), self.planner.extract_options(self.planner.spoken_lang(post, lang)))
        if len(located) != sidecar.page_blocks:
            return html  # the page reads differently from the narrated text: better no marks than wrong ones
        inserts, marked = [], set()
        for heard in sidecar.heard:
            element = located[heard.block][1]
            if element is None or id(element) in marked or element.sourceline is None:
                continue
            marked.add(id(element))
            inserts.append(((element.sourceline, element.sourcepos), element.name,
                            f' data-tts-start="{heard.start:.3f}" data-tts-end="{heard.end:.3f}"'))
        return _insert_attributes(html, inserts)


def _insert_attributes(html: str, inserts) -> str:
    """Write attributes into start tags where they are in the source (line, column), touching nothing else."""
    line_starts = [0]
    for i, ch in enumerate(html):
        if ch == "\n":
            line_starts.append(i + 1)
    cuts = []
    for (line, column), name, attributes in inserts:
        at = line_starts[line - 1] + column + 1 + len(name)  # just after "<name"
        if html[at - len(name) - 1:at].lower() == "<" + name:
            cuts.append((at, attributes))
    out, last = [], 0
    for at, attributes in sorted(cuts):
        out += [html[last:at], attributes]
        last = at
    return "".join(out + [html[last:]])


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
        if strip_html:
            return data
        feed = bool(feed_read_more_link)
        if not explicit and not feed:  # the post's own page
            data = self.renderer.mark_heard(self.post, lang, data)
        if not self._wanted(explicit, feed):
            return data
        widget = self.renderer.html(self.post, lang, feed=feed)
        return widget + "\n" + data if widget else data

    def _wanted(self, explicit_teaser: bool, feed: bool) -> bool:
        settings = self.renderer.settings
        if feed:
            return settings.widget_in_feeds
        if explicit_teaser:
            return settings.widget_in_indexes
        return settings.widget_position == "top"
