"""How numbers read in messages."""

from nikola_tts.words import audio_length, counted, size


def test_counts_are_singular_for_one():
    assert counted(1, "segment") == "1 segment"
    assert counted(0, "post") == "0 posts"
    assert counted(1200, "segment") == "1,200 segments"


def test_audio_lengths_read_in_seconds_minutes_or_hours():
    assert audio_length(45) == "45 s"
    assert audio_length(1038) == "17.3 min"
    assert audio_length(6240) == "1.7 h"


def test_sizes_read_in_the_unit_that_fits():
    assert size(38_400) == "38 kB"
    assert size(4_520_000) == "4.5 MB"
    assert size(261_000_000) == "261 MB"
    assert size(1_230_000_000) == "1.2 GB"
