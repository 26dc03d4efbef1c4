"""Synthesis progress: a bar on a terminal, log lines elsewhere, counted in segments, posts and audio."""

import io
import logging
import re

from nikola_tts.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_terminal_bar_counts_segments_posts_and_audio_with_eta_and_speed():
    term = Terminal()
    progress = Progress(segments=4, chars=100, posts=2, log=logging.getLogger("test"), stream=term)
    progress.segment_done(chars=25, audio_seconds=2.0, posts_completed=0)
    progress.segment_done(chars=25, audio_seconds=2.0, posts_completed=1)
    progress.finish()  # draws the bar as it stands (a live one redraws at most five times a second)
    line = term.getvalue().split("\r")[-1]
    assert line.startswith("narrating  50% |")
    assert "2/4 segments · 1/2 posts · 4 s of audio" in line
    assert "x real time" in line and "left" in line


def test_the_bar_moves_with_the_text_spoken_before_any_post_is_finished():
    term = Terminal()
    progress = Progress(segments=3, chars=300, posts=3, log=logging.getLogger("test"), stream=term)
    progress.segment_done(chars=200, audio_seconds=13.0, posts_completed=0)
    progress.finish()
    line = term.getvalue().split("\r")[-1]
    assert line.startswith("narrating  67% |") and "0/3 posts" in line and "13 s of audio" in line


def test_a_log_file_gets_plain_lines_and_a_summary(caplog):
    stream = io.StringIO()
    with caplog.at_level(logging.INFO, logger="test"):
        progress = Progress(segments=2, chars=100, posts=1, log=logging.getLogger("test"), stream=stream, log_every=0)
        progress.segment_done(chars=30, audio_seconds=2.0, posts_completed=0)
        progress.segment_done(chars=70, audio_seconds=100.0, posts_completed=1)
        progress.finish()
    assert stream.getvalue() == ""  # no bar, no escape codes in a log file
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("narrating:   0% · 0/2 segments · 0/1 post · 0 s of audio")
    assert any(line.startswith("narrating:  30% · 1/2 segments · 0/1 post · 2 s of audio") for line in lines)
    assert not any("\r" in line or "\x1b" in line for line in lines)
    assert lines[-1].startswith("narrated 1.7 min of audio (2 segments) in")


def test_a_build_counts_in_words_that_agree_with_the_number(site):
    site.set_conf("TTS_READ_TITLE = False\n")
    site.write_post("ferry.md", "Morning Ferry", "The ferry leaves at dawn.")
    log = site.build().stderr
    assert "narrating 1 segment of 1 post with espeak-ng" in log
    assert re.search(r"narrated \d+ s of audio \(1 segment\) in ", log)
