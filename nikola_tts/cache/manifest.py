"""A post's narration manifest: its segments in spoken order, each with its cache key.

Written by spoken.write_manifest once the post's HTML is compiled; the synthesis pass reads
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
from nikola_tts.files import read_json

FORMAT = 3  # 1: the first release's dict (no "format" key); 2: numbered; 3: segments' page block, written text and voice


@dataclass(frozen=True)
class SpokenSegment:
    key: str  # segments.segment_key(text, identity): the spoken text is what is keyed
    text: str  # as spoken: after the lexicon and normalization; what the engine is given
    kind: str  # the block it came from: title, heading, paragraph, item...
    pause_after: float  # seconds of silence after it
    block: int | None = None  # that block's index among the page's blocks (page order); None: the title
    written: str = ""  # the same words as written on the page; "" (and in older manifests): text
    # Who speaks it, where that is not the manifest's own voice (a paragraph in another language):
    language: str = ""
    engine: str = ""
    voice: str = ""

    def __post_init__(self):
        if not self.written:
            object.__setattr__(self, "written", self.text)

    def to_json(self) -> dict:
        data = {"key": self.key, "text": self.text, "kind": self.kind, "pause_after": self.pause_after,
                "block": self.block, "written": self.written}
        for name in ("language", "engine", "voice"):
            if getattr(self, name):
                data[name] = getattr(self, name)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "SpokenSegment":
        return cls(data["key"], data["text"], data["kind"], float(data["pause_after"]), data.get("block"),
                   data.get("written", ""), data.get("language", ""), data.get("engine", ""), data.get("voice", ""))


def written_text(segment: SpokenSegment) -> str:
    """The segment's words as the page writes them (what a transcript shows)."""
    return segment.written


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
            "segments": [s.to_json() for s in self.segments],
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
            segments=tuple(SpokenSegment.from_json(s) for s in data["segments"]),
        )


def _migrate(data: dict) -> dict:
    """An older format's fields as today's. Formats 1 and 2 have the same fields (1 without the
    number), less the segments' page block (None: the next build writes it), written text and voice
    (which default to their text and the manifest's voice)."""
    version = data.get("format", 1)
    if version > FORMAT:
        raise ValueError(f"manifest format {version} is newer than this nikola-tts ({FORMAT}): upgrade nikola-tts")
    return data


def load_manifest(path: str) -> Manifest | None:
    """The manifest at path, or None where there is none (or it cannot be read: it is rebuilt)."""
    data = read_json(path)
    if not isinstance(data, dict):
        return None
    try:
        return Manifest.from_json(data)
    except (KeyError, TypeError):
        return None
