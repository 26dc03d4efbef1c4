"""A post's compiled HTML -> what a listener hears: the text stage end to end (extract ->
normalize -> segment), and who speaks each segment.

A block in another language than the post's is spoken by that language's engine and voice
(voices.py); where nothing here speaks it, it is left out, and the notes say which setting to add.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass

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
