"""What a listener reads beside the MP3, made from its manifest and where each segment is heard:
the WebVTT transcript (one cue per segment, in the words the page writes), the chapters (the
title, then each heading) as WebVTT and as Podcasting 2.0 JSON chapters, and where each page
block is heard (for the page, which marks them).

The formats are written here rather than through a library: each is a few lines, and
webvtt-py, the WebVTT library of note, does not escape `&` and `<` in cue text (the tests
read our files back with it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from nikola_tts.audio.join import Span
from nikola_tts.cache.manifest import Manifest, written_text
from nikola_tts.cache.sidecar import Chapter, HeardBlock

JSON_CHAPTERS_VERSION = "1.2.0"  # https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/examples/chapters/jsonChapters.md
MERGE_TITLE_BEFORE = 1.0  # seconds: a heading this close to the start replaces the title chapter


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Timings:
    """Everything a published narration says about where its words are heard."""

    cues: tuple[Cue, ...]
    heard: tuple[HeardBlock, ...]
    page_blocks: int
    chapters: tuple[Chapter, ...]


def timings(manifest: Manifest, spans: tuple[Span, ...]) -> Timings:
    if len(spans) != len(manifest.segments):
        raise ValueError(f"{len(spans)} spans for {len(manifest.segments)} segments")
    pairs = list(zip(manifest.segments, spans))
    cues = tuple(Cue(_ms(span.start), _ms(span.end), written_text(segment)) for segment, span in pairs)
    heard: dict[int, HeardBlock] = {}
    headings = []
    for segment, span in pairs:
        if segment.block is None:
            continue
        first = heard.get(segment.block)
        heard[segment.block] = HeardBlock(segment.block, first.start if first else _ms(span.start), _ms(span.end))
        if segment.kind == "heading" and not first:
            headings.append(Chapter(_ms(span.start), written_text(segment)))
    if headings and headings[0].start < MERGE_TITLE_BEFORE:
        headings[0] = Chapter(0.0, headings[0].title)
    elif headings:
        headings.insert(0, Chapter(0.0, manifest.tags.title))
    blocks = [s.block for s in manifest.segments if s.block is not None]
    return Timings(cues, tuple(heard.values()), max(blocks) + 1 if blocks else 0, tuple(headings))


def transcript_vtt(cues: tuple[Cue, ...]) -> str:
    return "\n\n".join(["WEBVTT"] + [f"{i}\n{_stamp(c.start)} --> {_stamp(c.end)}\n{_escape(c.text)}"
                                 for i, c in enumerate(cues, 1)]) + "\n"


def chapters_vtt(chapters: tuple[Chapter, ...], duration: float) -> str:
    ends = [c.start for c in chapters[1:]] + [duration]
    return "\n\n".join(["WEBVTT"] + [f"chapter-{i}\n{_stamp(c.start)} --> {_stamp(end)}\n{_escape(c.title)}"
                                     for i, (c, end) in enumerate(zip(chapters, ends), 1)]) + "\n"


def chapters_json(chapters: tuple[Chapter, ...], duration: float) -> str:
    ends = [c.start for c in chapters[1:]] + [duration]
    return json.dumps({
        "version": JSON_CHAPTERS_VERSION,
        "chapters": [{"startTime": c.start, "endTime": round(end, 3), "title": c.title}
                     for c, end in zip(chapters, ends)],
    }, ensure_ascii=False, indent=1) + "\n"


def _ms(seconds: float) -> float:
    return round(seconds, 3)


def _stamp(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _escape(text: str) -> str:
    """Cue text: the three characters WebVTT reserves, as its character references; one line."""
    return " ".join(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split())
