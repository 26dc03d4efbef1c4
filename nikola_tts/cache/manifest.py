"""A post's narration manifest: its segments in spoken order, each with its cache key.

Written after the post's HTML is compiled (from its NarrationPlan); the synthesis pass reads
the keys it lacks, publishing reads the order. The digest names everything that shapes the
published MP3, so a manifest whose digest matches the sidecar's needs no new MP3.

On disk it is JSON with a `format` number. A file of an older format is read through
`_migrate` into today's Manifest, never discarded: its keys still name cached audio.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from nikola_tts.audio.mp3 import Encoding, Tags
from nikola_tts.cache.segments import segment_key
from nikola_tts.files import atomic_write_json, read_json
from nikola_tts.plan import NarrationPlan

FORMAT = 3  # 1: the first release's dict (no "format" key); 2: no "block" in segments


@dataclass(frozen=True)
class SpokenSegment:
    key: str  # segments.segment_key(text, identity)
    text: str
    kind: str  # the block it came from: title, heading, paragraph, item...
    pause_after: float  # seconds of silence after it
    block: int | None = None  # that block's index among the page's blocks (page order); None: the title


def written_text(segment: SpokenSegment) -> str:
    """The segment's words as the page writes them (what a transcript shows)."""
    return segment.text


@dataclass(frozen=True)
class Manifest:
    id: str
    source: str
    lang: str
    voice: str
    language: str
    engine: str
    identity: str
    tags: Tags
    encoding: Encoding
    output: str
    href: str
    segments: tuple[SpokenSegment, ...]

    @property
    def digest(self) -> str:
        # The shape of the first format's digest, kept so that upgrading re-encodes nothing.
        shape = {
            "keys": [(s.key, s.pause_after) for s in self.segments],
            "tags": {"title": self.tags.title, "artist": self.tags.artist, "album": self.tags.album,
                     "language": self.tags.language},
            "encode": {"bitrate": self.encoding.bitrate, "loudness": self.encoding.loudness},
            "output": self.output,
        }
        return hashlib.sha256(json.dumps(shape, sort_keys=True).encode("utf-8")).hexdigest()

    def to_json(self) -> dict:
        return {
            "format": FORMAT, "id": self.id, "source": self.source, "lang": self.lang, "voice": self.voice,
            "language": self.language, "engine": self.engine, "identity": self.identity,
            "tags": {"title": self.tags.title, "artist": self.tags.artist, "album": self.tags.album,
                     "language": self.tags.language},
            "encode": {"bitrate": self.encoding.bitrate, "loudness": self.encoding.loudness},
            "output": self.output, "href": self.href,
            "segments": [{"key": s.key, "text": s.text, "kind": s.kind, "pause_after": s.pause_after,
                          "block": s.block} for s in self.segments],
            "digest": self.digest,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Manifest":
        data = _migrate(data)
        return cls(
            id=data["id"], source=data["source"], lang=data["lang"], voice=data["voice"],
            language=data["language"], engine=data["engine"], identity=data["identity"],
            tags=Tags(**data["tags"]), encoding=Encoding(**data["encode"]),
            output=data["output"], href=data["href"],
            segments=tuple(SpokenSegment(s["key"], s["text"], s["kind"], float(s["pause_after"]), s.get("block"))
                           for s in data["segments"]),
        )


def _migrate(data: dict) -> dict:
    """An older format's fields as today's. Format 1 has format 2's fields, without the number;
    format 2's segments have no block (they read as None, and the next build writes them)."""
    version = data.get("format", 1)
    if version > FORMAT:
        raise ValueError(f"manifest format {version} is newer than this nikola-tts ({FORMAT}): upgrade nikola-tts")
    return data


def build_manifest(plan: NarrationPlan) -> Manifest:
    from nikola_tts.text.extract import extract_blocks  # BeautifulSoup: only when a post changed
    from nikola_tts.text.segment import split_into_segments

    with open(plan.fragment, encoding="utf-8-sig") as f:
        blocks = extract_blocks(f.read(), plan.extract)
    # A title alone is not worth an audio file: narrate only posts that have prose.
    segments = split_into_segments(blocks, plan.max_chars, title=plan.title or None) if blocks else []
    return Manifest(
        id=plan.id, source=plan.source, lang=plan.lang, voice=plan.voice, language=plan.language,
        engine=plan.engine, identity=plan.identity, tags=plan.tags, encoding=plan.encoding,
        output=plan.output, href=plan.href,
        segments=tuple(SpokenSegment(segment_key(s.text, plan.identity), s.text, s.kind, s.pause_after, s.block)
                       for s in segments),
    )


def write_manifest(plan: NarrationPlan) -> Manifest:
    """Build the plan's manifest and store it. An unchanged manifest keeps its file, an older
    format's too, so doit sees no change and nothing downstream runs again."""
    manifest = build_manifest(plan)
    if load_manifest(plan.manifest_path) != manifest:
        atomic_write_json(plan.manifest_path, manifest.to_json())
    return manifest


def load_manifest(path: str) -> Manifest | None:
    """The manifest at path, or None where there is none (or it cannot be read: it is rebuilt)."""
    data = read_json(path)
    if not isinstance(data, dict):
        return None
    try:
        return Manifest.from_json(data)
    except (KeyError, TypeError):
        return None
