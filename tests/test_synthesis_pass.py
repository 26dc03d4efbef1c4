"""One synthesis pass (nikola_tts/synthesis.py) with the real espeak-ng engine: segments are stored while the
engine makes the next, by a few threads at once where the machine has the cores, and settled in the order the
engine gave them; a post is reported done only once its last segment is in the store. A segment that cannot be
stored stops the pass, and what was stored before it stays."""

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
    assert not store.has(todo[1].key)  # (segments after it may have been written beside it: they are whole)


def test_segments_written_by_several_threads_are_settled_in_the_order_the_engine_gave_them(espeak, tmp_path,
                                                                                          monkeypatch):
    from nikola_tts import synthesis

    monkeypatch.setattr(synthesis, "storing_threads", lambda: 3)
    store = SegmentStore(tmp_path / "segments")
    todo = jobs(espeak.identity("en-us", "en"))
    seen = []
    report = synthesize(todo, espeak, store, Settings(), settled=lambda job: seen.append((job.key, store.has(job.key))))
    spoken = [job.key for job in sorted(todo, key=lambda job: -len(job.text))]  # a pass speaks the longest first
    assert seen == [(key, True) for key in spoken] and report.segments == len(TEXTS)


@pytest.mark.parametrize("cpus,threads", [(1, 1), (2, 1), (4, 3), (16, 4)])
def test_a_machine_keeps_a_core_for_the_engine_beside_the_threads_that_store_segments(cpus, threads):
    from nikola_tts.synthesis import storing_threads

    assert storing_threads(cpus) == threads
