"""A narration's segments joined into one stream, with the pauses a listener needs between them."""

from __future__ import annotations

from typing import Iterable

from nikola_tts.audio.pcm import Audio

LEAD_IN_SECONDS = 0.15


def join_with_pauses(parts: Iterable[tuple[Audio, float]]) -> Audio:
    """Concatenate parts with digital silence after each but the last, after a short lead-in."""
    parts = list(parts)
    if not parts:
        raise ValueError("nothing to join")
    rate = parts[0][0].sample_rate
    chunks = [Audio.silence(LEAD_IN_SECONDS, rate).samples]
    for i, (audio, pause) in enumerate(parts):
        if audio.sample_rate != rate:
            raise ValueError(f"cannot join audio at {audio.sample_rate} Hz with audio at {rate} Hz")
        chunks.append(audio.samples)
        if i < len(parts) - 1 and pause > 0:
            chunks.append(Audio.silence(pause, rate).samples)
    return Audio(b"".join(chunks), rate)
