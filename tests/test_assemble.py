"""Assembly and MP3 encoding, against the real ffmpeg, ffprobe and espeak-ng."""

from __future__ import annotations

import array
import json
import math
import subprocess

import pytest

from nikola_tts.audio.join import LEAD_IN_SECONDS, join_with_pauses
from nikola_tts.audio.mp3 import Tags, encode_mp3, probe_duration, require_ffmpeg
from nikola_tts.audio.pcm import Audio
from nikola_tts.errors import TTSError
from nikola_tts.site.messages import format_duration
from sites import loudness

TAGS = Tags(title="A post", artist="The Author", album="The Blog")


def speak(text: str, tmp_path_factory) -> Audio:
    wav = tmp_path_factory.mktemp("espeak") / "out.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), "--stdin"], input=text.encode(), check=True)
    return Audio.from_wav_bytes(wav.read_bytes())


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> Audio:
    return speak("Hello, and welcome to the blog. Today we talk about static site generators.", tmp_path_factory)


def ffprobe(path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True, check=True,
    ).stdout
    return json.loads(out)


def scaled(audio: Audio, factor: float) -> Audio:
    pcm = array.array("h", audio.samples)
    return Audio(array.array("h", (int(s * factor) for s in pcm)).tobytes(), audio.sample_rate)


# --- joining ---------------------------------------------------------------------------


def test_join_starts_with_lead_in_of_silence(speech):
    joined = join_with_pauses([(speech, 0.0)])
    lead = int(round(LEAD_IN_SECONDS * speech.sample_rate)) * 2
    assert LEAD_IN_SECONDS == 0.15
    assert joined.samples[:lead] == bytes(lead)
    assert joined.samples[lead:] == speech.samples


def test_join_adds_pauses_between_parts_but_not_after_the_last(speech):
    joined = join_with_pauses([(speech, 1.0), (speech, 5.0)])
    assert joined.seconds == pytest.approx(LEAD_IN_SECONDS + 2 * speech.seconds + 1.0, abs=1e-4)
    assert joined.sample_rate == speech.sample_rate


def test_join_pause_is_digital_silence(speech):
    joined = join_with_pauses([(speech, 0.5), (speech, 0.0)])
    start = int(round(LEAD_IN_SECONDS * speech.sample_rate)) * 2 + len(speech.samples)
    pause = int(round(0.5 * speech.sample_rate)) * 2
    assert joined.samples[start:start + pause] == bytes(pause)


def test_join_rejects_mismatched_sample_rates_naming_both(speech):
    other = Audio.silence(0.2, 16000)
    with pytest.raises(ValueError, match=rf"16000.*{speech.sample_rate}|{speech.sample_rate}.*16000"):
        join_with_pauses([(speech, 0.3), (other, 0.0)])


# --- encoding --------------------------------------------------------------------------


def test_encoded_file_is_mono_mp3_with_the_joined_duration(speech, tmp_path):
    joined = join_with_pauses([(speech, 0.0)])
    dest = tmp_path / "post.mp3"
    seconds = encode_mp3(joined, dest, TAGS)
    info = ffprobe(dest)
    [stream] = info["streams"]  # audio only, no video stream
    assert stream["codec_name"] == "mp3"
    assert stream["channels"] == 1
    assert int(stream["sample_rate"]) == speech.sample_rate
    assert seconds == pytest.approx(joined.seconds, abs=0.1)
    assert seconds == probe_duration(dest)


def test_encode_uses_constant_bitrate(speech, tmp_path):
    dest = tmp_path / "post.mp3"
    encode_mp3(join_with_pauses([(speech, 0.0)]), dest, TAGS, bitrate="32k")
    assert int(ffprobe(dest)["streams"][0]["bit_rate"]) == 32000


def test_pauses_lengthen_the_encoded_file_by_their_length(speech, tmp_path):
    plain = encode_mp3(join_with_pauses([(speech, 0.0), (speech, 0.0)]), tmp_path / "plain.mp3", TAGS)
    paused = encode_mp3(join_with_pauses([(speech, 2.0), (speech, 0.0)]), tmp_path / "paused.mp3", TAGS)
    assert paused - plain == pytest.approx(2.0, abs=0.1)


def test_rate_mp3_cannot_carry_is_resampled_to_24000(tmp_path):
    rate = 10000
    tone = array.array("h", (int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(rate * 2)))
    seconds = encode_mp3(Audio(tone.tobytes(), rate), tmp_path / "tone.mp3", TAGS)
    assert int(ffprobe(tmp_path / "tone.mp3")["streams"][0]["sample_rate"]) == 24000
    assert seconds == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize(
    "title",
    ["Plain ASCII title", "Ünïcødé café — “quotes” ✓", "שלום עולם: כותרת בעברית", "مرحبا بالعالم", "日本語のタイトル"],
)
def test_id3_tags_read_back(speech, tmp_path, title):
    dest = tmp_path / "post.mp3"
    encode_mp3(join_with_pauses([(speech, 0.0)]), dest, Tags(title=title, artist="Zoë Ørsted", album="Blög"))
    tags = ffprobe(dest)["format"]["tags"]
    assert (tags["title"], tags["artist"], tags["album"]) == (title, "Zoë Ørsted", "Blög")
    assert dest.read_bytes()[:4] == b"ID3\x03"  # ID3v2.3


def test_language_is_written_as_tlan_frame(speech, tmp_path):
    dest = tmp_path / "post.mp3"
    encode_mp3(join_with_pauses([(speech, 0.0)]), dest, Tags("T", "A", "B", language="heb"))
    assert ffprobe(dest)["format"]["tags"]["language"] == "heb"
    assert b"TLAN" in dest.read_bytes()[:1024]


def test_quiet_and_normal_input_come_out_equally_loud(speech, tmp_path):
    encode_mp3(join_with_pauses([(speech, 0.0)]), tmp_path / "normal.mp3", TAGS)
    encode_mp3(join_with_pauses([(scaled(speech, 0.05), 0.0)]), tmp_path / "quiet.mp3", TAGS)
    loud_normal, _ = loudness(tmp_path / "normal.mp3")
    loud_quiet, _ = loudness(tmp_path / "quiet.mp3")
    assert loud_normal == pytest.approx(-16.0, abs=0.5)
    assert loud_quiet == pytest.approx(-16.0, abs=0.5)


def test_loudness_target_is_configurable(speech, tmp_path):
    encode_mp3(join_with_pauses([(speech, 0.0)]), tmp_path / "soft.mp3", TAGS, loudness=-24.0)
    assert loudness(tmp_path / "soft.mp3")[0] == pytest.approx(-24.0, abs=0.5)


def test_successful_encode_leaves_only_dest_in_its_folder(speech, tmp_path):
    encode_mp3(join_with_pauses([(speech, 0.0)]), tmp_path / "post.mp3", TAGS)
    assert [p.name for p in tmp_path.iterdir()] == ["post.mp3"]


def test_encode_uses_tmp_dir_and_creates_missing_dest_folder(speech, tmp_path):
    scratch = tmp_path / "scratch"
    dest = tmp_path / "out" / "audio" / "post.mp3"
    encode_mp3(join_with_pauses([(speech, 0.0)]), dest, TAGS, tmp_dir=scratch)
    assert dest.is_file()
    assert list(scratch.iterdir()) == []


def test_failing_encode_raises_and_keeps_existing_dest_untouched(speech, tmp_path):
    dest = tmp_path / "post.mp3"
    dest.write_bytes(b"the previous, good narration")
    with pytest.raises(TTSError) as caught:
        encode_mp3(join_with_pauses([(speech, 0.0)]), dest, TAGS, bitrate="banana")
    message = str(caught.value)
    assert "ffmpeg" in message and "\n" not in message
    assert dest.read_bytes() == b"the previous, good narration"
    assert [p.name for p in tmp_path.iterdir()] == ["post.mp3"]


# --- probing and formatting ------------------------------------------------------------


def test_probe_duration_of_unreadable_file_raises_tts_error(tmp_path):
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"not audio at all")
    with pytest.raises(TTSError, match="junk.mp3"):
        probe_duration(junk)


@pytest.mark.parametrize(
    "seconds, text",
    [(0.0, "1 sec"), (0.4, "1 sec"), (1.6, "2 sec"), (45.2, "45 sec"), (59.4, "59 sec"), (60, "1 min"),
     (89, "1 min"), (91, "2 min"), (17 * 60 + 10, "17 min"), (3 * 3600, "180 min")],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_require_ffmpeg_raises_when_not_on_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TTSError, match="ffmpeg not found"):
        require_ffmpeg()


def test_require_ffmpeg_passes_when_installed():
    require_ffmpeg()
