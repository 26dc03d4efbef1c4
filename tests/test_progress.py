"""Synthesis progress: a bar on a terminal, log lines elsewhere."""

import io
import logging

from nikola_tts.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_terminal_shows_a_bar_with_posts_audio_eta_and_speed():
    term = Terminal()
    progress = Progress(total_posts=2, total_chars=100, log=logging.getLogger("test"), stream=term)
    progress.segment_done(chars=50, audio_seconds=4.0, posts_completed=1)
    line = term.getvalue().split("\r")[-1]
    assert line.startswith("[" + "#" * 12 + "-" * 12 + "]")
    assert "1/2 posts" in line and "4 s of audio" in line and "ETA" in line and "x realtime" in line


def test_log_gets_a_plain_line_per_finished_post(caplog):
    stream = io.StringIO()
    progress = Progress(total_posts=2, total_chars=100, log=logging.getLogger("test"), stream=stream)
    with caplog.at_level(logging.INFO, logger="test"):
        progress.segment_done(chars=30, audio_seconds=2.0, posts_completed=0)
        progress.segment_done(chars=20, audio_seconds=2.0, posts_completed=1)
        progress.finish()
    assert stream.getvalue() == ""  # no escape codes in a log file
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("narrating: 1/2 posts · 4 s of audio")
    assert lines[-1].startswith("narrated 4.0 s of audio in")
