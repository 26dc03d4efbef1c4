"""A narration cut into parts that are encoded one by one, so that an edit re-encodes only the part
it falls in, and a new post's parts encode on every core at once.

Where to cut is decided by each segment alone (content-defined, as rsync and restic cut files): a
part ends after a segment whose key hashes below its share of PART_SECONDS (a 12-second segment
ends one in five parts, a segment over PART_SECONDS always does), so parts last about PART_SECONDS
whatever the engine's segment length. A cut depends on no other segment, so an edited paragraph
changes the one part it sits in (two, where the edit moves a cut), and every other part keeps its
key and its encoded frames.

Each part is encoded alone, padded to whole MP3 frames: before its audio the encoder's delay plus
the decoder's (ENCODER_DELAY + DECODER_DELAY samples), after it padding to the frame's end. Joined
by copying frames (mp3.concatenate), the whole file's header makes players trim the first part's
delay and the last part's padding; at each seam between parts, the padding of one and the delay of
the next stay as a few tens of milliseconds of silence. The pause before the seam is shortened by
their mean, so the listener hears the pauses the segments asked for, and each part's frame count
says exactly where the next one starts: timings stay exact (tests/test_parts.py decodes clicks).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Sequence

from nikola_tts.audio.join import Joined, Span, join_timed, spans_of
from nikola_tts.audio.mp3 import frame_samples, mp3_rate
from nikola_tts.audio.pcm import Audio

# audio per part, on average: what an edit re-encodes (one part, or two where it moves a cut). Half a
# minute rather than one: an edited paragraph's MP3 0.96 -> 0.53 s on 2 cores, a new post's the same
# (benchmarks/results/2026-12-05-cpu-publish-edit-30s-parts.log)
PART_SECONDS = 30.0
ENCODER_DELAY = 576  # samples LAME puts before the audio
DECODER_DELAY = 529  # samples an MP3 decoder's filter bank adds to that
# What a part's encoding depends on beyond its segments, gain and bitrate: raise it when the
# limiter, the seam or the encoder's settings change, and every part is encoded anew.
PART_FORMAT = "nikola-tts/parts/1"


@dataclass(frozen=True)
class Part:
    """Segments [start, stop) of a narration, encoded together."""

    start: int
    stop: int
    first: bool  # begins the narration: the lead-in is its, and the MP3's Info frame
    last: bool  # ends it: no pause after its last segment


def split_parts(keys: Sequence[str], seconds: Sequence[float], every: float = PART_SECONDS) -> tuple[Part, ...]:
    """The parts of a narration whose segments have these keys and last these seconds, in order."""
    if not keys:
        return ()
    cuts = [i + 1 for i, (key, length) in enumerate(zip(keys[:-1], seconds)) if _cut_after(key, length / every)]
    bounds = [0, *cuts, len(keys)]
    return tuple(Part(a, b, first=a == 0, last=b == len(keys)) for a, b in zip(bounds, bounds[1:]))


def _cut_after(key: str, share: float) -> bool:
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) / 2**32 < share


def part_key(part: Part, keys: Sequence[str], pauses: Sequence[float], gain_db: float | None, bitrate: str,
             sample_rate: int) -> str:
    """Names the part's encoded bytes: its segments and their pauses, where it sits, the gain
    (rounded as the encoder is given it), the bitrate, and the rate the post is narrated at (a
    part of another language's paragraphs alone is resampled to it)."""
    shape = {
        "format": PART_FORMAT, "bitrate": bitrate, "gain": "none" if gain_db is None else f"{gain_db:.2f}",
        "rate": sample_rate,
        "first": part.first, "last": part.last,
        "segments": [[keys[i], pauses[i]] for i in range(part.start, part.stop)],
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode("utf-8")).hexdigest()


def seam_seconds(sample_rate: int) -> float:
    """The silence a seam adds, on average: the delays, and half a frame of padding."""
    rate = mp3_rate(sample_rate)
    return (ENCODER_DELAY + DECODER_DELAY + frame_samples(rate) / 2) / rate


def _tail(part: Part, pauses: Sequence[float], sample_rate: int) -> float:
    return 0.0 if part.last else max(0.0, pauses[part.stop - 1] - seam_seconds(sample_rate))


def part_audio(part: Part, audios: Sequence[Audio], pauses: Sequence[float]) -> Joined:
    """The part's PCM, from its segments' audio (audios[i] for segment part.start + i)."""
    return join_timed(zip(audios, pauses[part.start:part.stop]), lead_in=part.first,
                      tail=_tail(part, pauses, audios[0].sample_rate))


def narration_spans(parts: Sequence[Part], frames: Sequence[int], lengths: Sequence[int],
                    pauses: Sequence[float], sample_rate: int) -> tuple[Span, ...]:
    """Where each segment (of lengths[i] samples) is heard in the concatenated MP3: a part begins
    where the frames of the parts before it end (gapless decoders trim the first part's delay, and
    every part's audio sits that same delay into its own frames)."""
    per_frame = frame_samples(mp3_rate(sample_rate)) / mp3_rate(sample_rate)
    spans: list[Span] = []
    offset = 0.0
    for part, count in zip(parts, frames):
        inner = spans_of([(lengths[i], pauses[i]) for i in range(part.start, part.stop)], sample_rate, part.first)
        spans.extend(Span(offset + s.start, offset + s.end) for s in inner)
        offset += count * per_frame
    return tuple(spans)
