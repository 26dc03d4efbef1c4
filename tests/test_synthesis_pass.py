"""One synthesis pass (nikola_tts/synthesis.py) with the real espeak-ng engine: segments are stored in a thread
of their own while the engine makes the next, in the order it gives them, and a post is reported done only
once its last segment is in the store. A segment that cannot be stored stops the pass, and what was stored
before it stays."""

from __future__ import annotations

import shutil

import pytest

from nikola_tts.cache.segments import SegmentStore, segment_key
from nikola_tts.engines import create_engine
from nikola_tts.engines.base import EngineOptions
from nikola_tts.settings import Settings
from nikola_tts.synthesis import SynthesisJob, synthesize

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng (.ci/install)")

# Of four lengths: a pass speaks the longest first.
TEXTS = ["The ferry leaves at dawn.", "The harbour is still grey at this hour.", "A bakery sells warm bread.",
         "Most passengers on the crossing drink tea from paper cups."]


def jobs(engine_identity: str) -> list[SynthesisJob]:
    owners = [frozenset({"first"}), frozenset({"first"}), frozenset({"first", "second"}), frozenset({"second"})]
    return [SynthesisJob(segment_key(text, engine_identity), text, "en-us", "en", "espeak", owner)
            for text, owner in zip(TEXTS, owners)]


@pytest.fixture
def espeak():
    return create_engine("espeak", EngineOptions())


def test_each_segment_is_in_the_store_when_the_pass_says_it_is_settled(espeak, tmp_path):
    store = SegmentStore(tmp_path / "segments")
    todo = jobs(espeak.identity("en-us", "en"))
    seen = []
    report = synthesize(todo, espeak, store, Settings(), settled=lambda job: seen.append((job.key, store.has(job.key))))
    assert sorted(seen) == sorted((job.key, True) for job in todo)  # each one stored before it is settled
    assert report.segments == len(TEXTS) and not report.failed


def test_a_segment_that_cannot_be_stored_stops_the_pass_keeping_those_before_it(espeak, tmp_path):
    store = SegmentStore(tmp_path / "segments")
    todo = jobs(espeak.identity("en-us", "en"))
    blocked = store.path(todo[1].key).parent  # the second longest: spoken second
    blocked.parent.mkdir(parents=True, exist_ok=True)
    if not blocked.exists():
        blocked.write_text("a file where the store wants a folder")
    settled = []
    with pytest.raises(OSError):
        synthesize(todo, espeak, store, Settings(), settled=lambda job: settled.append(job.key))
    assert settled == [todo[3].key] and store.has(todo[3].key)  # the longest, spoken first, stays
    assert not any(store.has(job.key) for job in todo[:3])  # the failure and nothing after it
