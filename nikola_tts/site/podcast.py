"""The podcast feed (TTS_PODCAST): output/podcast.xml, and <lang>/podcast.xml for each translation.

RSS 2.0 with Apple's iTunes tags and the Podcasting 2.0 namespace: one item per narrated post
with published audio, its enclosure's exact byte length, its exact duration, a GUID that stays
(the post's own), the WebVTT transcript and the JSON chapters. The feed task depends on every
narrated post's sidecar, so an item follows its audio: rewritten when the audio changes, gone
when the post stops being narrated.

Written with lxml (already Nikola's): feedgen, the feed library of note, knows no Podcasting 2.0
tags and accepts only the retired yes/no/clean for itunes:explicit, so it would need an extension
and a workaround for little it does beyond what lxml does. feedparser reads it back in the tests.
"""

from __future__ import annotations

import dataclasses
import email.utils
import os
import posixpath
import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from nikola_tts.cache.sidecar import read_sidecar
from nikola_tts.plan import Companions, NarrationPlan

FEED_NAME = "podcast.xml"
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
# The Podcasting 2.0 namespace's UUIDv5 namespace for <podcast:guid> (made from the feed's URL).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


@dataclass(frozen=True)
class Show:
    """The channel."""

    title: str
    description: str
    link: str  # the site (in this language)
    feed_url: str
    language: str
    author: str
    email: str
    artwork: str | None  # absolute URL
    category: str | None  # "Technology", or "Arts/Books" for a subcategory
    explicit: bool

    @property
    def guid(self) -> str:
        address = self.feed_url.split("://", 1)[-1].rstrip("/")
        return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, address))


@dataclass(frozen=True)
class Episode:
    title: str
    link: str
    guid: str
    date: datetime
    description: str  # the post's description; "" for its first paragraph (read when the feed is written)
    author: str
    audio: str  # the MP3's path below the output folder
    sidecar: str
    manifest: str
    base_url: str  # the audio's URLs are the sidecar's site-root ones on this base

    def as_config(self) -> dict:
        return {**dataclasses.asdict(self), "date": self.date.isoformat()}


@dataclass(frozen=True)
class PodcastFeed:
    show: Show
    episodes: tuple[Episode, ...]  # newest first
    output: str  # where the feed goes

    def as_config(self) -> dict:
        return {"show": dataclasses.asdict(self.show), "episodes": [e.as_config() for e in self.episodes]}


def podcast_feeds(site, planner, narrated: list[NarrationPlan]) -> list[PodcastFeed]:
    """One feed per language that has narrated posts (none when TTS_PODCAST is off)."""
    settings = planner.settings
    if not settings.podcast:
        return []
    options = settings.podcast if isinstance(settings.podcast, dict) else {}
    config = site.config
    posts = {post.source_path: post for post in planner.candidates() if post.is_post}
    feeds = []
    for lang in config["TRANSLATIONS"]:
        plans = [plan for plan in narrated if plan.lang == lang and plan.source in posts]
        if not plans:
            continue
        lang_root = config["TRANSLATIONS"].get(lang, "").strip("./")
        root = posixpath.join(lang_root, FEED_NAME) if lang_root else FEED_NAME  # beside the translation's audio
        base = config["BASE_URL"]

        def option(key, default, lang=lang):
            value = options.get(key)
            value = value.get(lang) if isinstance(value, dict) else value
            return default if value in (None, "") else value

        artwork = option("artwork", config.get("LOGO_URL") or None)
        show = Show(
            title=option("title", config["BLOG_TITLE"](lang)),
            description=option("description", config["BLOG_DESCRIPTION"](lang) or config["BLOG_TITLE"](lang)),
            link=urljoin(base, site.link("root", None, lang).lstrip("/")),
            feed_url=urljoin(base, root),
            language=option("language", lang.replace("_", "-")),
            author=option("author", config["BLOG_AUTHOR"](lang)),
            email=option("email", config.get("BLOG_EMAIL") or ""),
            artwork=urljoin(base, artwork.lstrip("/")) if artwork and "://" not in artwork else artwork,
            category=option("category", None),
            explicit=bool(options.get("explicit", False)),
        )
        episodes = []
        for plan in plans:
            post = posts[plan.source]
            episodes.append(Episode(
                title=post.title(lang),
                link=post.permalink(lang, absolute=True),
                guid=post.guid(lang),
                date=post.date,
                description=post.description(lang) or "",
                author=planner.tags(post, lang).artist,
                audio=plan.output,
                sidecar=plan.sidecar_path,
                manifest=plan.manifest_path,
                base_url=base,
            ))
        episodes.sort(key=lambda e: e.date, reverse=True)
        feeds.append(PodcastFeed(show, tuple(episodes), os.path.join(config["OUTPUT_FOLDER"], *root.split("/"))))
    return feeds


def write_feed(feed: PodcastFeed) -> None:
    """Write the feed atomically, with the episodes whose audio is published now."""
    from lxml import etree

    from nikola_tts.files import atomic_write_bytes

    def sub(parent, tag, content=None, **attributes):
        element = etree.SubElement(parent, tag, attributes)
        if content is not None:
            element.text = content
        return element

    show = feed.show
    rss = etree.Element("rss", version="2.0", nsmap={"itunes": ITUNES, "podcast": PODCAST, "atom": ATOM})
    channel = sub(rss, "channel")
    sub(channel, "title", show.title)
    sub(channel, "link", show.link)
    sub(channel, "description", show.description)
    sub(channel, "language", show.language)
    sub(channel, "generator", "nikola-tts")
    sub(channel, f"{{{ATOM}}}link", href=show.feed_url, rel="self", type="application/rss+xml")
    sub(channel, f"{{{ITUNES}}}author", show.author)
    sub(channel, f"{{{ITUNES}}}explicit", "true" if show.explicit else "false")
    sub(channel, f"{{{ITUNES}}}type", "episodic")
    if show.artwork:
        sub(channel, f"{{{ITUNES}}}image", href=show.artwork)
        image = sub(channel, "image")
        sub(image, "url", show.artwork)
        sub(image, "title", show.title)
        sub(image, "link", show.link)
    if show.category:
        top, _, below = show.category.partition("/")
        category = sub(channel, f"{{{ITUNES}}}category", text=top.strip())  # Apple's: an attribute
        if below.strip():
            sub(category, f"{{{ITUNES}}}category", text=below.strip())
    if show.email:
        owner = sub(channel, f"{{{ITUNES}}}owner")
        sub(owner, f"{{{ITUNES}}}name", show.author)
        sub(owner, f"{{{ITUNES}}}email", show.email)
    sub(channel, f"{{{PODCAST}}}guid", show.guid)
    sub(channel, f"{{{PODCAST}}}locked", "no")
    for episode in feed.episodes:
        sidecar = read_sidecar(episode.sidecar)
        if not sidecar or not sidecar.has_audio or not os.path.exists(episode.audio):
            continue
        url = urljoin(episode.base_url, sidecar.href.lstrip("/"))
        files = Companions.of(url)
        item = sub(channel, "item")
        sub(item, "title", episode.title)
        sub(item, "link", episode.link)
        sub(item, "guid", episode.guid, isPermaLink="true" if episode.guid == episode.link else "false")
        sub(item, "pubDate", email.utils.format_datetime(episode.date))
        sub(item, "description", episode.description or _first_paragraph(episode) or episode.title)
        sub(item, "enclosure", url=url, length=str(os.path.getsize(episode.audio)), type="audio/mpeg")
        sub(item, f"{{{ITUNES}}}duration", str(round(sidecar.duration or 0)))
        sub(item, f"{{{ITUNES}}}author", episode.author)
        sub(item, f"{{{ITUNES}}}episodeType", "full")
        sub(item, f"{{{ITUNES}}}explicit", "true" if show.explicit else "false")
        if os.path.exists(Companions.of(episode.audio).transcript):
            sub(item, f"{{{PODCAST}}}transcript", url=files.transcript, type="text/vtt", rel="captions")
            sub(item, f"{{{PODCAST}}}chapters", url=files.chapters_json, type="application/json+chapters")
    atomic_write_bytes(feed.output, etree.tostring(rss, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _first_paragraph(episode: Episode) -> str:
    from nikola_tts.cache.manifest import load_manifest, written_text

    manifest = load_manifest(episode.manifest)
    segments = manifest.segments if manifest else ()
    return next((written_text(s) for s in segments if s.kind == "paragraph"), "")
