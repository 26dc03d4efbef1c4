"""A post's compiled HTML -> what a listener hears: the text stage end to end (extract ->
normalize -> segment), who speaks each segment, and the Manifest the cache keeps of it.

A block in another language than the post's is spoken by that language's engine and voice
(voices.py); where nothing here speaks it, it is left out, and the notes say which setting to add.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass

from nikola_tts.cache.manifest import Manifest, SpokenSegment, load_manifest
from nikola_tts.cache.segments import segment_key
from nikola_tts.files import atomic_write_json
from nikola_tts.plan import NarrationPlan
from nikola_tts.text.blocks import Block, tidy
from nikola_tts.text.segment import Segment
from nikola_tts.voices import Voicing, hint, voicing_for


@dataclass(frozen=True)
class SpokenPost:
    blocks: tuple[Block, ...]  # as spoken, title first; those left out too
    segments: tuple[tuple[Segment, Voicing | None], ...]  # None: the post's own voice speaks it
    left_out: tuple[tuple[str, int], ...]  # (language, blocks) that nothing here speaks
    notes: tuple[str, ...]  # for the build log


def spoken_post(html: str, plan: NarrationPlan) -> SpokenPost:
    from nikola_tts.text.extract import extract_blocks
    from nikola_tts.text.normalize.stage import normalize_blocks
    from nikola_tts.text.segment import split_into_segments

    blocks = extract_blocks(html, plan.extract)
    if not blocks:  # a title alone is not worth an audio file
        return SpokenPost((), (), (), ())
    title = tidy(plan.title or "")
    blocks = normalize_blocks([Block("title", title), *blocks] if title else blocks, plan.normalize)
    segments: list[tuple[Segment, Voicing | None]] = []
    left_out: Counter = Counter()
    voicings: dict[str, Voicing | None] = {}
    for position, block in enumerate(blocks):
        index = position - 1 if title else position  # among the page's blocks, as extraction found them
        voicing = None
        if block.language:
            if block.language not in voicings:
                voicings[block.language] = voicing_for(plan.speakers, block.language)
            voicing = voicings[block.language]
            if voicing is None:
                left_out[block.language] += 1
                continue
        max_chars = min(plan.max_chars, voicing.max_chars) if voicing else plan.max_chars
        segments.extend((dataclasses.replace(segment, block=None if block.kind == "title" else index), voicing)
                        for segment in split_into_segments([block], max_chars))
    if all(segment.kind == "title" for segment, _ in segments):
        segments = []
    notes = tuple(f"{count} paragraph(s) in language {language!r} left out of the narration: no voice here speaks "
                  f"it; to narrate them, set {hint(plan.speakers, language)}" for language, count in left_out.items())
    return SpokenPost(tuple(blocks), tuple(segments), tuple(left_out.items()), notes)


def build_manifest(plan: NarrationPlan, notes=None) -> Manifest:
    """The post's segments as spoken. notes(message) hears what a listener would miss (paragraphs
    in a language nothing here speaks); by default the build log's warning."""
    with open(plan.fragment, encoding="utf-8-sig") as f:
        spoken = spoken_post(f.read(), plan)
    for note in spoken.notes:
        (notes or _warn)(f"{plan.name}: {note}")
    return Manifest(
        id=plan.id, source=plan.source, lang=plan.lang, voice=plan.voice, language=plan.language,
        engine=plan.engine, identity=plan.identity, tags=plan.tags, encoding=plan.encoding,
        output=plan.output, href=plan.href,
        segments=tuple(
            SpokenSegment(segment_key(s.text, v.identity if v else plan.identity), s.text, s.kind, s.pause_after,
                          s.block, s.written, *((v.language, v.engine, v.voice) if v else ()))
            for s, v in spoken.segments),
    )


def _warn(message: str) -> None:
    import logging

    logging.getLogger("tts").warning(message)


def write_manifest(plan: NarrationPlan) -> Manifest:
    """Build the plan's manifest and store it. An unchanged manifest keeps its file, an older
    format's too, so doit sees no change and nothing downstream runs again."""
    return update_manifest(plan)[0]


def update_manifest(plan: NarrationPlan) -> tuple[Manifest, bool]:
    """write_manifest, and whether the stored manifest changed (the synthesis task then runs)."""
    manifest = build_manifest(plan)
    changed = load_manifest(plan.manifest_path) != manifest
    if changed:
        atomic_write_json(plan.manifest_path, manifest.to_json())
    return manifest, changed
