"""A post's MP3 is made of parts encoded one by one: an edit re-encodes only the part it falls in,
and the joined MP3 plays every segment where its timings say (real ffmpeg; clicks decoded)."""

from __future__ import annotations

import array
import hashlib
import math
import random
import subprocess

import pytest
from sites import loudness

from nikola_tts.assemble import SEAM_MARGIN, Stopped, assemble, encode_ahead
from nikola_tts.audio.mp3 import (LOUDNESS_TOLERANCE, MAX_LIMITING_DB, PEAK_MARGIN_DB, TRUE_PEAK_DB, Encoding, Tags,
                                  frame_samples, frames_and_blocks, gated_loudness, mp3_rate)
from nikola_tts.audio.parts import DECODER_DELAY, ENCODER_DELAY, PART_SECONDS, split_parts
from nikola_tts.audio.pcm import Audio
from nikola_tts.cache.encoded import PartStore
from nikola_tts.cache.manifest import SpokenSegment
from nikola_tts.cache.segments import SegmentStore

TAGS = Tags("Parts", "The Author", "The Blog")
CLICK_AT = 0.1  # seconds into each segment


def keys(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [hashlib.sha256(str(rng.random()).encode()).hexdigest() for _ in range(n)]


def clicked(rate: int, seconds: float, loud: int = 20000) -> Audio:
    """Silence with a 10 ms buzz CLICK_AT seconds in."""
    samples = array.array("h", bytes(2 * int(seconds * rate)))
    start = int(CLICK_AT * rate)
    for i in range(start, start + rate // 100):
        samples[i] = loud if (i // 5) % 2 else -loud
    return Audio(samples.tobytes(), rate)


class Narration:
    """Segments in a real SegmentStore, and the PartStore of one post, in tmp_path."""

    def __init__(self, root, rate: int = 24000, count: int = 36, seed: int = 1, loudness: float = -24.0):
        self.root, self.rate = root, rate
        self.store = SegmentStore(root / "segments")
        self.parts = PartStore(root / "encoded")
        self.encoding = Encoding(loudness=loudness)  # clicks reach -24 LUFS without the limiter
        rng = random.Random(seed)
        self.segments = []
        for key in keys(count, seed):
            self.store.store(key, clicked(rate, round(rng.uniform(0.3, 0.9), 3)))
            self.segments.append(SpokenSegment(key, f"text {key[:6]}", "paragraph", round(rng.uniform(0.2, 0.9), 2)))

    def replace(self, i: int, audio: Audio) -> None:
        key = hashlib.sha256(f"edited {i} {len(audio.samples)}".encode()).hexdigest()
        self.store.store(key, audio)
        s = self.segments[i]
        self.segments[i] = SpokenSegment(key, "edited", s.kind, s.pause_after)

    def assemble(self, name: str = "post.mp3", **kw):
        kw.setdefault("part_seconds", 3.0)  # a 40-second narration in several parts
        return assemble(self.segments, self.store, self.parts, self.root / name, TAGS, self.encoding, self.root / "tmp",
                        **kw)

    def part_files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in (self.root / "encoded").glob("*.mp3")}


def decoded(mp3, rate: int) -> array.array:
    return array.array("h", subprocess.run(["ffmpeg", "-v", "error", "-i", str(mp3), "-f", "s16le", "-ac", "1", "-"],
                                           capture_output=True, check=True).stdout)


def onsets(samples: array.array, rate: int, threshold: int = 3000) -> list[float]:
    """Where each click begins: a loud sample after at least 50 ms of quiet."""
    found, last = [], -rate
    for i, v in enumerate(samples):
        if abs(v) > threshold:
            if i - last > rate // 20:
                found.append(i / rate)
            last = i
    return found


# --- where parts are cut -------------------------------------------------------------------------


def lengths(n: int, seed: int = 0) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(2.0, 30.0) for _ in range(n)]


def test_parts_cover_every_segment_once_in_order():
    parts = split_parts(keys(200), lengths(200))
    assert parts[0].start == 0 and parts[-1].stop == 200
    assert all(a.stop == b.start for a, b in zip(parts, parts[1:]))
    assert [p.first for p in parts] == [True] + [False] * (len(parts) - 1)
    assert [p.last for p in parts] == [False] * (len(parts) - 1) + [True]


@pytest.mark.parametrize("low, high", [(2.0, 30.0), (40.0, 90.0), (0.5, 3.0)])
def test_parts_last_about_part_seconds_whatever_the_segments_length(low, high):
    rng = random.Random(3)
    seconds = [rng.uniform(low, high) for _ in range(3000)]
    parts = split_parts(keys(3000), seconds)
    mean = sum(seconds) / len(parts)
    assert PART_SECONDS * 0.8 <= mean <= max(PART_SECONDS * 1.2, high)


def test_a_segment_longer_than_part_seconds_always_ends_its_part():
    parts = split_parts(keys(50), [PART_SECONDS + 1] * 50)
    assert len(parts) == 50


def test_editing_one_segment_changes_only_the_part_it_is_in_and_at_most_one_neighbour():
    before, seconds = keys(120), lengths(120)
    for i in range(0, 120, 7):
        after = before[:i] + [hashlib.sha256(b"edit").hexdigest() + str(i)] + before[i + 1:]
        old = {(p.start, p.stop) for p in split_parts(before, seconds)}
        new = {(p.start, p.stop) for p in split_parts(after, seconds)}
        changed = new - old | {p for p in new if p[0] <= i < p[1]}
        assert len(changed) <= 2
        assert all(start <= i < stop or stop == i or start == i + 1 or start <= i + 1 < stop
                   for start, stop in changed)  # the edited segment's part, or the one after it


def test_a_narration_of_one_segment_is_one_part():
    assert len(split_parts(keys(1), [5.0])) == 1


# --- the joined MP3 ------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [24000, 22050, 48000])
def test_every_click_is_heard_where_its_span_says_across_part_seams(tmp_path, rate):
    narration = Narration(tmp_path, rate=rate)
    made = narration.assemble()
    assert made.parts >= 3 and made.encoded == made.parts
    heard = onsets(decoded(tmp_path / "post.mp3", rate), mp3_rate(rate))
    assert heard == pytest.approx([span.start + CLICK_AT for span in made.spans], abs=0.002)


def test_pauses_at_seams_are_heard_as_the_segments_ask_within_half_a_frame(tmp_path):
    narration = Narration(tmp_path)
    made = narration.assemble()
    half_frame = frame_samples(24000) / 2 / 24000
    for segment, span, following in zip(narration.segments, made.spans, made.spans[1:]):
        assert following.start - span.end == pytest.approx(segment.pause_after, abs=half_frame + 0.001)


def test_the_mp3_ends_with_its_last_segment_but_for_the_encoders_padding(tmp_path):
    made = Narration(tmp_path).assemble()
    padding = (ENCODER_DELAY + DECODER_DELAY + frame_samples(24000)) / 24000  # ffprobe counts whole frames
    assert made.spans[-1].end <= made.duration <= made.spans[-1].end + padding


# --- an edit -------------------------------------------------------------------------------------


def test_an_edited_segment_re_encodes_its_part_and_copies_the_others(tmp_path):
    narration = Narration(tmp_path)
    first = narration.assemble()
    before = narration.part_files()
    narration.replace(10, clicked(24000, 0.75))
    second = narration.assemble()
    after = narration.part_files()
    assert 1 <= second.encoded <= 2 < second.parts == first.parts
    kept = set(before) & set(after)
    assert len(kept) == len(after) - second.encoded
    assert all(before[name] == after[name] for name in kept)
    assert len(after) == second.parts  # the replaced part's old frames are gone


def test_after_an_edit_every_click_is_still_where_its_span_says(tmp_path):
    narration = Narration(tmp_path)
    narration.assemble()
    narration.replace(5, clicked(24000, 1.25))
    made = narration.assemble()
    heard = onsets(decoded(tmp_path / "post.mp3", 24000), 24000)
    assert heard == pytest.approx([span.start + CLICK_AT for span in made.spans], abs=0.002)


def test_an_unchanged_narration_encodes_nothing_and_makes_the_same_bytes(tmp_path):
    narration = Narration(tmp_path)
    narration.assemble("one.mp3")
    again = narration.assemble("two.mp3")
    assert again.encoded == 0
    assert (tmp_path / "one.mp3").read_bytes() == (tmp_path / "two.mp3").read_bytes()


def test_fresh_encodes_every_part_again(tmp_path):
    narration = Narration(tmp_path)
    made = narration.assemble()
    assert narration.assemble(fresh=True).encoded == made.parts


def test_lost_parts_are_encoded_again(tmp_path):
    narration = Narration(tmp_path)
    narration.assemble()
    victims = sorted((tmp_path / "encoded").glob("*.mp3"))[:2]
    for path in victims:
        path.unlink()
    assert narration.assemble().encoded == 2
    (tmp_path / "encoded" / "parts.json").write_text("{not json")
    assert narration.assemble().encoded == len(list((tmp_path / "encoded").glob("*.mp3")))


def test_a_part_that_failed_to_encode_leaves_no_part_file(tmp_path):
    narration = Narration(tmp_path)
    narration.store.path(narration.segments[3].key).write_bytes(b"fLaC broken")
    with pytest.raises(Exception):
        narration.assemble()
    assert not (tmp_path / "post.mp3").exists()
    listed = {p.stem for p in (tmp_path / "encoded").glob("*.mp3")}
    recorded = set(narration.parts.index().parts)
    assert listed <= recorded  # every part file there is whole, and recorded


# --- loudness ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> list[Audio]:
    """Twelve sentences of espeak-ng, one segment each."""
    folder = tmp_path_factory.mktemp("espeak")
    out = []
    for i, text in enumerate(["The lantern hung from the oak.", "Moths circled it all night long.",
                              "By dawn the garden was wet with dew.", "Blackbirds began before the light.",
                              "A fox crossed the lawn and paused.", "Nobody saw it but the cat.",
                              "The kettle sang in the kitchen.", "Bread rose slowly by the stove.",
                              "Rain came in from the west at noon.", "The gutters overflowed by one.",
                              "Evening brought the moths again.", "And the lantern was lit once more."]):
        wav = folder / f"{i}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), text], check=True)
        out.append(Audio.from_wav_bytes(wav.read_bytes()))
    return out


def spoken(tmp_path, speech: list[Audio]) -> Narration:
    narration = Narration(tmp_path, rate=speech[0].sample_rate, count=0, loudness=-16.0)
    for i, audio in enumerate(speech):
        key = hashlib.sha256(f"sentence {i} {len(audio.samples)}".encode()).hexdigest()
        narration.store.store(key, audio)
        narration.segments.append(SpokenSegment(key, f"sentence {i}", "paragraph", 0.5))
    return narration


def test_an_edit_keeps_the_gain_and_the_published_loudness_on_target(tmp_path, speech):
    narration = spoken(tmp_path, speech)
    narration.assemble()
    gain = narration.parts.index().gain_db
    narration.replace(4, speech[7])
    made = narration.assemble()
    assert made.encoded < made.parts
    assert narration.parts.index().gain_db == gain
    assert loudness(tmp_path / "post.mp3")[0] == pytest.approx(-16.0, abs=0.2)


def test_an_edit_that_moves_the_loudness_off_target_finds_the_gain_again(tmp_path, speech):
    narration = spoken(tmp_path, speech)
    narration.assemble()
    gain = narration.parts.index().gain_db
    quiet = [Audio(array.array("h", (s // 4 for s in array.array("h", a.samples))).tobytes(), a.sample_rate)
             for a in speech]
    for i in range(len(speech)):  # every sentence a quarter as loud: 12 dB down
        narration.replace(i, quiet[i])
    again = narration.assemble()
    assert again.encoded >= again.parts
    assert narration.parts.index().gain_db == pytest.approx(gain + 12, abs=1.5)
    assert loudness(tmp_path / "post.mp3")[0] == pytest.approx(-16.0, abs=0.2)


def test_a_target_out_of_reach_is_searched_for_once_and_the_next_builds_reuse_the_nearest(tmp_path, speech):
    """-5 LUFS would take espeak-ng's voice more than MAX_LIMITING_DB over the peak ceiling."""
    narration = spoken(tmp_path, speech)
    narration.encoding = Encoding(loudness=-5.0)
    first = narration.assemble("one.mp3")
    reached = narration.parts.index().reached
    assert loudness(tmp_path / "one.mp3")[0] == pytest.approx(reached, abs=0.2)
    assert reached < -5.0 - LOUDNESS_TOLERANCE and first.encoded == first.parts
    again = narration.assemble("two.mp3")
    assert again.encoded == 0
    assert (tmp_path / "one.mp3").read_bytes() == (tmp_path / "two.mp3").read_bytes()
    narration.replace(4, speech[7])
    edited = narration.assemble("three.mp3")
    assert 1 <= edited.encoded <= 2 < edited.parts


def test_a_target_out_of_reach_takes_the_peaks_at_most_max_limiting_db_over_the_ceiling(tmp_path, speech):
    """Not a gain that amplifies the pauses' noise into a buzz while loudness hardly grows."""
    narration = spoken(tmp_path, speech)
    narration.encoding = Encoding(loudness=-5.0)
    narration.assemble()
    peak = max(max(map(abs, array.array("h", audio.samples))) for audio in speech)
    most = TRUE_PEAK_DB - PEAK_MARGIN_DB - 20 * math.log10(peak / 32768) + MAX_LIMITING_DB
    assert narration.parts.index().gain_db == pytest.approx(most, abs=0.01)
    assert loudness(tmp_path / "post.mp3")[0] < -12.0  # the target is missed, not reached by a buzz


def test_a_silent_narration_is_encoded_as_it_is_and_stays_so_after_an_edit(tmp_path):
    narration = Narration(tmp_path, count=12)
    for i in range(12):
        narration.replace(i, clicked(24000, 0.5, loud=0))
    narration.assemble()
    assert narration.parts.index().gain_known and narration.parts.index().gain_db is None
    narration.replace(3, clicked(24000, 0.7, loud=0))
    made = narration.assemble()
    assert made.encoded < made.parts
    assert max(map(abs, decoded(tmp_path / "post.mp3", 24000))) == 0


def test_parts_of_half_a_minute_or_more_are_measured_from_their_blocks_as_the_whole_file_measures(tmp_path, speech):
    narration = spoken(tmp_path, speech * 8)  # 96 sentences, about four minutes
    made = narration.assemble(part_seconds=30.0)
    assert made.parts >= 4 and narration.parts.index().gain_db is not None
    from_blocks = gated_loudness(b for part in narration.parts.index().parts.values() for b in part.blocks)
    whole = gated_loudness(frames_and_blocks(tmp_path / "post.mp3")[1])
    assert from_blocks == pytest.approx(whole, abs=SEAM_MARGIN)
    assert whole == pytest.approx(-16.0, abs=LOUDNESS_TOLERANCE)


def test_a_long_narrations_first_mp3_is_encoded_once_on_target_from_the_windows_its_gain_search_hears(
        tmp_path, speech):
    """Past two minutes the gain search measures windows of the PCM (mp3._probe), not all of it."""
    narration = spoken(tmp_path, speech * 8)
    made = narration.assemble(part_seconds=30.0)
    assert made.seconds > 180
    assert made.encoded == made.parts  # no part encoded at a second gain
    assert loudness(tmp_path / "post.mp3")[0] == pytest.approx(-16.0, abs=LOUDNESS_TOLERANCE)


def test_a_long_narration_measured_in_pieces_side_by_side_reads_as_one_pass_does(speech, monkeypatch):
    """The gain search measures long PCM in pieces, one ffmpeg a core, their blocks gated together."""
    from nikola_tts.audio import mp3

    audio = Audio(b"".join(a.samples for a in speech * 4), speech[0].sample_rate)  # about 100 s
    monkeypatch.setattr(mp3.os, "cpu_count", lambda: 2)
    assert mp3._piece_count() == 1  # on two cores the search runs two ffmpegs at once already: one pass
    monkeypatch.setattr(mp3.os, "cpu_count", lambda: 8)
    assert len(mp3._pieces(audio, mp3._piece_count())) == int(audio.seconds // mp3.PIECE_SECONDS) > 1
    one_pass = mp3._loudness(mp3._normalized(audio, 6.0), audio)
    assert mp3._integrated_loudness(audio, 6.0) == pytest.approx(one_pass, abs=mp3.LIMITER_PRECISION)


def test_the_encoders_loss_measured_in_pieces_side_by_side_is_what_one_pass_measures(tmp_path, speech, monkeypatch):
    from nikola_tts.audio import mp3

    audio = Audio(b"".join(a.samples for a in speech * 4), speech[0].sample_rate)
    monkeypatch.setattr(mp3.os, "cpu_count", lambda: 1)
    one_pass = mp3._encoder_loss(audio, 6.0, "64k", str(tmp_path / "one.mp3"))
    monkeypatch.setattr(mp3.os, "cpu_count", lambda: 8)
    in_pieces = mp3._encoder_loss(audio, 6.0, "64k", str(tmp_path / "pieces.mp3"))
    assert one_pass > 0.2  # lame's low-pass takes something from espeak-ng's bright voice
    assert in_pieces == pytest.approx(one_pass, abs=mp3.LIMITER_PRECISION)


def test_each_parts_frames_are_counted_as_ffprobe_counts_them(tmp_path):
    narration = Narration(tmp_path)
    narration.assemble()
    index = narration.parts.index()
    assert len(index.parts) >= 3
    for key, part in index.parts.items():
        counted = subprocess.run(["ffprobe", "-v", "error", "-count_packets", "-show_entries", "stream=nb_read_packets",
                                  "-of", "csv=p=0", str(narration.parts.path(key))],
                                 capture_output=True, text=True, check=True).stdout
        assert part.frames == int(counted)


def test_a_paragraph_spoken_at_another_rate_is_resampled_to_the_posts_and_heard_where_its_span_says(tmp_path):
    """Another language's engine may speak at another rate (espeak-ng's 22.05 kHz in a 24 kHz post)."""
    narration = Narration(tmp_path)
    narration.replace(5, clicked(22050, 0.8))
    narration.replace(17, clicked(16000, 0.6))
    made = narration.assemble()
    heard = onsets(decoded(tmp_path / "post.mp3", 24000), 24000)
    assert heard == pytest.approx([span.start + CLICK_AT for span in made.spans], abs=0.002)
    assert made.spans[5].end - made.spans[5].start == pytest.approx(0.8, abs=0.001)


# --- encoded ahead -------------------------------------------------------------------------------


def test_parts_encoded_ahead_are_joined_by_assemble_without_encoding_any(tmp_path):
    narration = Narration(tmp_path)
    ahead = encode_ahead(narration.segments, narration.store, narration.parts, narration.encoding, tmp_path / "tmp",
                         part_seconds=3.0)
    made = narration.assemble()
    assert ahead.encoded == ahead.parts == made.parts >= 3 and made.encoded == 0
    assert ahead.loudness == pytest.approx(made.loudness, abs=0.01)


def test_encoding_ahead_called_off_starts_no_part_and_records_none(tmp_path):
    """An interrupted build sets the stop: the posts under way stop at their next part."""
    import threading

    narration = Narration(tmp_path)
    stop = threading.Event()
    stop.set()
    with pytest.raises(Stopped):
        encode_ahead(narration.segments, narration.store, narration.parts, narration.encoding, tmp_path / "tmp",
                     stop=stop, part_seconds=3.0)
    assert narration.part_files() == {} and narration.parts.index().parts == {}
