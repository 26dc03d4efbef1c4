"""A post's narration manifest: its segments in spoken order, each with its cache key.

Written after the post's HTML is compiled; synthesis reads the keys it lacks, assembly reads
the order. The digest names everything that shapes the published MP3.
"""

from __future__ import annotations

import hashlib
import json

from nikola_tts.cache import segment_key
from nikola_tts.files import atomic_write_json, read_json
from nikola_tts.text.segment import split_into_segments


def build_manifest(spec: dict) -> dict:
    from nikola_tts.text.extract import ExtractOptions, extract_blocks  # BeautifulSoup: only when a post changed

    with open(spec["fragment"], encoding="utf-8-sig") as f:
        html = f.read()
    options = ExtractOptions(
        read_image_alt=spec["extract"]["read_image_alt"],
        table_phrase=spec["extract"]["table_phrase"],
        code_phrase=spec["extract"]["code_phrase"],
        skip_classes=tuple(spec["extract"]["skip_classes"]),
    )
    blocks = extract_blocks(html, options)
    # A title alone is not worth an audio file: narrate only posts that have prose.
    segments = split_into_segments(blocks, spec["max_chars"], title=spec["title"] or None) if blocks else []
    manifest = {key: spec[key] for key in ("id", "source", "lang", "voice", "language", "engine", "identity",
                                            "tags", "encode", "output", "href")}
    manifest["segments"] = [
        {"key": segment_key(seg.text, spec["identity"]), "text": seg.text, "kind": seg.kind,
         "pause_after": seg.pause_after}
        for seg in segments
    ]
    manifest["digest"] = digest(manifest)
    return manifest


def digest(manifest: dict) -> str:
    shape = {
        "keys": [(s["key"], s["pause_after"]) for s in manifest["segments"]],
        "tags": manifest["tags"],
        "encode": manifest["encode"],
        "output": manifest["output"],
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode("utf-8")).hexdigest()


def write_manifest(spec: dict) -> dict:
    manifest = build_manifest(spec)
    if read_json(spec["manifest"]) != manifest:  # unchanged content keeps its file (and doit's md5) as is
        atomic_write_json(spec["manifest"], manifest)
    return manifest


def load_manifest(path) -> dict | None:
    return read_json(path)


def chars(manifest: dict) -> int:
    return sum(len(s["text"]) for s in manifest["segments"])
