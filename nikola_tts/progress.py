"""Synthesis progress: a live bar on a terminal, a plain log line every 15 s anywhere else.

Why tqdm: it draws, rate-limits and times the bar (its ETA follows a smoothed rate, so the
model's first slow batch does not dominate), fits the terminal's width and, with
logging_redirect_tqdm, keeps log lines printed during the run from tearing the bar.

The unit of work is a character of text: segments of every stale post stream through the
engine together, so posts finish late and all at once, while characters track audio closely.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time

from nikola_tts.words import audio_length, counted

LOG_EVERY_SECONDS = 15


class _LogLines:
    """A file for tqdm that turns each refreshed line into one log record."""

    def __init__(self, log: logging.Logger):
        self.log = log

    def write(self, text: str) -> None:
        line = text.strip("\r\n ")
        if line:
            self.log.info(line)

    def flush(self) -> None:
        pass


class Progress:
    def __init__(self, segments: int, chars: int, posts: int, log: logging.Logger, stream=None,
                 log_every: float = LOG_EVERY_SECONDS):
        from tqdm import tqdm

        stream = stream or sys.stderr
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.log = log
        self.segments, self.posts = segments, posts
        self.segments_done = self.posts_done = 0
        self.audio_seconds = 0.0
        self.started = time.monotonic()
        self.first_audio_at: float | None = None  # warm-up is kept out of the speed
        timing = "{elapsed} elapsed, {remaining} left"
        self._redirect = contextlib.ExitStack()
        if self.tty:
            from tqdm.contrib.logging import logging_redirect_tqdm

            self._redirect.enter_context(logging_redirect_tqdm())
        self.bar = tqdm(
            total=max(chars, 1), desc=self._counts(), file=stream if self.tty else _LogLines(log),
            mininterval=0.2 if self.tty else log_every, miniters=1, smoothing=0.1, dynamic_ncols=True,
            leave=self.tty,  # in a log file the summary line below says it all
            position=0,  # one bar at a time: never tqdm's cursor moves for nested bars
            bar_format=("narrating {percentage:3.0f}% |{bar}| {desc} · " if self.tty
                        else "narrating: {percentage:3.0f}% · {desc} · ") + timing,
        )

    @property
    def realtime_factor(self) -> float | None:
        """Wall seconds per audio second since the first audio arrived (steady state)."""
        if self.first_audio_at is None or self.audio_seconds <= 0:
            return None
        steady = time.monotonic() - self.first_audio_at
        # Until a couple of seconds of steady state exist, the whole elapsed time is the honest figure.
        return (steady if steady > 2 else time.monotonic() - self.started) / self.audio_seconds

    def _counts(self) -> str:
        parts = [f"{self.segments_done:,}/{counted(self.segments, 'segment')}",
                 f"{self.posts_done:,}/{counted(self.posts, 'post')}",
                 f"{audio_length(self.audio_seconds)} of audio"]
        rtf = self.realtime_factor
        if rtf:
            parts.append(f"{1 / rtf:.1f}x real time")
        return " · ".join(parts)

    def segment_done(self, chars: int, audio_seconds: float, posts_completed: int) -> None:
        if self.first_audio_at is None:
            self.first_audio_at = time.monotonic()
        self.segments_done += 1
        self.posts_done += posts_completed
        self.audio_seconds += audio_seconds
        self.bar.set_description_str(self._counts(), refresh=False)
        self.bar.update(chars)

    def finish(self) -> None:
        self.bar.close()
        self._redirect.close()
        self.log.info(f"narrated {audio_length(self.audio_seconds)} of audio "
                      f"({counted(self.segments_done, 'segment')}) in {time.monotonic() - self.started:.1f} s")
