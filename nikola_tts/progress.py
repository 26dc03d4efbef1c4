"""Synthesis progress: a live bar on a terminal, plain log lines anywhere else."""

from __future__ import annotations

import logging
import sys
import time


def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    BAR_WIDTH = 24

    def __init__(self, total_posts: int, total_chars: int, log: logging.Logger, stream=None):
        self.total_posts = total_posts
        self.total_chars = max(total_chars, 1)
        self.log = log
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.posts_done = 0
        self.chars_done = 0
        self.audio_seconds = 0.0
        self.started = time.monotonic()
        self.first_audio_at: float | None = None  # warmup (model compile) is kept out of the live speed
        self._last_line = self.started

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def realtime_factor(self) -> float | None:
        """Wall seconds per audio second since the first audio arrived (steady state)."""
        if self.first_audio_at is None or self.audio_seconds <= 0:
            return None
        steady = time.monotonic() - self.first_audio_at
        # Until a couple of seconds of steady state exist, the whole elapsed time is the honest figure.
        return (steady if steady > 2 else self.elapsed) / self.audio_seconds

    def eta(self) -> float | None:
        if self.chars_done == 0 or not self.audio_seconds:
            return None
        spent = self.elapsed
        return spent * (self.total_chars - self.chars_done) / self.chars_done

    def segment_done(self, chars: int, audio_seconds: float, posts_completed: int) -> None:
        if self.first_audio_at is None:
            self.first_audio_at = time.monotonic() - 1e-3
        self.chars_done += chars
        self.audio_seconds += audio_seconds
        self.posts_done += posts_completed
        if self.tty:
            self._draw()
        elif posts_completed or time.monotonic() - self._last_line > 15:
            self._last_line = time.monotonic()
            self.log.info(self._summary())

    def _summary(self) -> str:
        rtf = self.realtime_factor
        eta = self.eta()
        parts = [f"{self.posts_done}/{self.total_posts} posts",
                 f"{self.audio_seconds:.0f} s of audio"]
        if rtf:
            parts.append(f"RTF {rtf:.3f} ({1 / rtf:.1f}x realtime)")
        if eta is not None and self.chars_done < self.total_chars:
            parts.append(f"ETA {_clock(eta)}")
        return "narrating: " + " · ".join(parts)

    def _draw(self) -> None:
        filled = int(self.BAR_WIDTH * self.chars_done / self.total_chars)
        bar = "#" * filled + "-" * (self.BAR_WIDTH - filled)
        self.stream.write(f"\r[{bar}] {self._summary()}\x1b[K")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
        self.log.info(f"narrated {self.audio_seconds:.1f} s of audio in {self.elapsed:.1f} s")
