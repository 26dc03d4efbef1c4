"""A narration's segments joined into one stream, with the pauses a listener needs between them,
and where each segment lands in it.

Positions are counted in samples, so they are exact in the joined PCM. The MP3 keeps them: the
encoder's delay and padding are written in its LAME/Info header (ffmpeg does so by default), and
gapless decoders (ffmpeg, Chromium, Firefox, Safari) drop them, so a sample at PCM time t plays at t
(tests/test_timings.py decodes a click to check).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from nikola_tts.audio.pcm import Audio

LEAD_IN_SECONDS = 0.15


@dataclass(frozen=True)
class Span:
    """Where one part is heard in the joined audio, in seconds from its start (pauses excluded)."""

    start: float
    end: float


@dataclass(frozen=True)
class Joined:
    audio: Audio
    spans: tuple[Span, ...]  # one per part, in order


def join_timed(parts: Iterable[tuple[Audio, float]], lead_in: bool = True, tail: float = 0.0) -> Joined:
    """Concatenate (audio, pause after) parts with digital silence after each but the last, after a
    short lead-in (unless not `lead_in`: a later piece of a narration), then `tail` seconds of
    silence; record where each part starts and ends."""
    parts = list(parts)
    if not parts:
        raise ValueError("nothing to join")
    rate = parts[0][0].sample_rate
    chunks = [Audio.silence(LEAD_IN_SECONDS, rate).samples] if lead_in else []
    for i, (audio, pause) in enumerate(parts):
        if audio.sample_rate != rate:
            raise ValueError(f"cannot join audio at {audio.sample_rate} Hz with audio at {rate} Hz")
        chunks.append(audio.samples)
        if i < len(parts) - 1 and pause > 0:
            chunks.append(Audio.silence(pause, rate).samples)
    if tail > 0:
        chunks.append(Audio.silence(tail, rate).samples)
    spans = spans_of([(len(audio.samples) // 2, pause) for audio, pause in parts], rate, lead_in)
    return Joined(Audio(b"".join(chunks), rate), spans)


def join_with_pauses(parts: Iterable[tuple[Audio, float]]) -> Audio:
    """The joined audio alone (see join_timed)."""
    return join_timed(parts).audio


def spans_of(lengths: list[tuple[int, float]], rate: int, lead_in: bool = True) -> tuple[Span, ...]:
    """Where parts of these (samples, pause after) lengths land once joined, counted as join_timed
    lays them out. Also for an MP3 published before timings were recorded: its segments' headers
    give the lengths, and nothing is decoded or encoded again."""
    position = _samples(LEAD_IN_SECONDS, rate) if lead_in else 0
    spans = []
    for i, (length, pause) in enumerate(lengths):
        spans.append(Span(position / rate, (position + length) / rate))
        position += length
        if i < len(lengths) - 1 and pause > 0:
            position += _samples(pause, rate)
    return tuple(spans)


def _samples(seconds: float, rate: int) -> int:
    return int(round(seconds * rate))  # as Audio.silence counts them
