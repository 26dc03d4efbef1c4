"""A post's MP3 from its cached segments, in parts (audio/parts.py): the parts an edit did not touch
are copied as they were encoded, the others are encoded side by side on every core, and the MP3 is
measured as a listener's player decodes it. encode_ahead() does all but the publishing, in the
narration task (ahead.py), so that assemble() then finds every part and joins them.

Loudness: a post's first MP3 gets its gain from its PCM (mp3.first_gain: a few passes over
windows spread across the whole post). Later MP3s reuse that gain, since an edited paragraph moves a post's loudness by
hundredths of a LU. Every MP3 is measured as a player decodes it: each part's blocks are measured
once, when it is encoded (in a thread of its own, while the parts are joined), and gated together; only an MP3 that misses the target by
more than mp3.LOUDNESS_TOLERANCE (less SEAM_MARGIN) has its gain found again, and every part
encoded at it.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Sequence

from nikola_tts.audio.join import Span
from nikola_tts.audio.mp3 import (LOUDNESS_TOLERANCE, MAX_ENCODES, SILENT_LUFS, Encoding, Tags, concatenate,
                                  corrected_gain, encode_part, file_loudness, first_gain, frames_and_blocks, gated_loudness,
                                  probe_duration)
from nikola_tts.audio.parts import PART_SECONDS, Part, narration_spans, part_audio, part_key, split_parts
from nikola_tts.audio.pcm import Audio
from nikola_tts.audio.resample import resampled
from nikola_tts.cache.encoded import EncodedPart, PartStore
from nikola_tts.cache.folder import TEMP_PREFIX
from nikola_tts.cache.manifest import SpokenSegment
from nikola_tts.cache.segments import SegmentStore
from nikola_tts.errors import TTSError
from nikola_tts.files import atomic_move


# Each part's blocks start 400 ms into it, so the blocks across a seam are not measured. With parts
# of MEASURED_PART_SECONDS or more that moves the whole's loudness by SEAM_MARGIN at most (measured:
# 0.006 LU with 75-second parts, 0.21 LU with 3-second ones); shorter parts are measured joined.
MEASURED_PART_SECONDS = 20.0
SEAM_MARGIN = 0.05  # LU


class Stopped(TTSError):
    """encode_ahead was called off before it was done."""


@dataclass(frozen=True)
class Assembled:
    duration: float  # seconds, as the MP3 reads
    spans: tuple[Span, ...]  # where each segment is heard in it
    seconds: float  # of narration: the segments and the pauses between them
    parts: int  # parts the MP3 is made of
    encoded: int  # parts encoded this time (a part may be encoded at two gains); the others' frames were copied
    loudness: float  # LUFS, as a player decodes it: on the target, or as near as the gain search got


@dataclass(frozen=True)
class EncodedAhead:
    parts: int  # parts the MP3 will be made of
    encoded: int  # parts encoded to get there
    loudness: float  # LUFS, as the MP3 they make will decode: on the target, or as near as the gain search got


class _Narration:
    """One post's segments, their audio loaded at most once, and its parts."""

    def __init__(self, segments: Sequence[SpokenSegment], store: SegmentStore, part_seconds: float):
        self.keys = [s.key for s in segments]
        self.pauses = [s.pause_after for s in segments]
        self.store = store
        measured = [store.length(key) for key in self.keys]
        # The post's rate is its voice's, the one most of it is spoken at; a paragraph another
        # engine speaks at another rate is resampled to it (its length in samples too).
        spoken: dict[int, float] = {}
        for n, rate in measured:
            spoken[rate] = spoken.get(rate, 0.0) + n / rate
        self.rate = max(spoken, key=lambda rate: (spoken[rate], rate))
        self.lengths = [n if rate == self.rate else round(n * self.rate / rate) for n, rate in measured]
        self.seconds = sum(self.lengths) / self.rate + sum(self.pauses[:-1])
        self.parts = split_parts(self.keys, [n / self.rate for n in self.lengths], part_seconds)
        self._audio: dict[str, Audio] = {}
        self._parts: dict[Part, Audio] = {}

    def audio(self, i: int) -> Audio:
        key = self.keys[i]
        if key not in self._audio:
            self._audio[key] = resampled(self.store.load(key), self.rate)
        return self._audio[key]

    def part(self, part: Part) -> Audio:
        if part not in self._parts:
            self._parts[part] = part_audio(part, [self.audio(i) for i in range(part.start, part.stop)],
                                           self.pauses).audio
        return self._parts[part]

    def whole(self) -> Audio:
        """The narration's PCM, as its parts lay it out."""
        return Audio(b"".join(self.part(part).samples for part in self.parts), self.rate)


class _Joined:
    """The published file in the making: the parts of one gain joined and tagged, once. `early`:
    joined as soon as the parts are encoded, while the new ones are measured."""

    def __init__(self, path: str, tags: Tags, folder: str, early: bool):
        self.path, self.tags, self.folder, self.early = path, tags, folder, early
        self.keys: list[str] | None = None  # the parts it holds

    def join(self, parts: PartStore, keys: list[str]) -> str:
        if self.keys != keys:
            concatenate([str(parts.path(key)) for key in keys], self.path, self.tags, self.folder)
            self.keys = keys
        return self.path


def assemble(segments: Sequence[SpokenSegment], store: SegmentStore, parts: PartStore, dest: str | os.PathLike,
             tags: Tags, encoding: Encoding, scratch: str | os.PathLike, fresh: bool = False,
             announce: Callable[[float, str], None] | None = None, part_seconds: float = PART_SECONDS) -> Assembled:
    """Publish the MP3 of these segments at `dest` atomically. With `fresh`, the gain is found
    anew and no part is reused (`nikola tts --regenerate-all`). `announce(seconds, doing)` is told
    the narration's length and what is about to be done."""
    narration = _Narration(segments, store, part_seconds)
    os.makedirs(scratch, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch, prefix=TEMP_PREFIX) as folder:
        # The parts are joined while the new ones are measured; the join is published if they are on target.
        joined = _Joined(os.path.join(folder, "narration.mp3"), tags, folder, early=True)
        made, gain, measured, encoded = _parts_on_target(narration, parts, encoding, folder, joined, fresh, announce)
        return _publish(narration, parts, made, gain, measured, encoding, joined, dest, encoded)


def encode_ahead(segments: Sequence[SpokenSegment], store: SegmentStore, parts: PartStore, encoding: Encoding,
                 scratch: str | os.PathLike, announce: Callable[[float, str], None] | None = None,
                 stop: threading.Event | None = None, part_seconds: float = PART_SECONDS) -> EncodedAhead:
    """Encode every part of the MP3 these segments make, at a gain on target, and record them in
    `parts`, where assemble() finds them: publishing is then a join.
    Once `stop` is set, no part starts encoding: Stopped is raised (an interrupted build)."""
    narration = _Narration(segments, store, part_seconds)
    os.makedirs(scratch, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch, prefix=TEMP_PREFIX) as folder:
        joined = _Joined(os.path.join(folder, "measured.mp3"), Tags("", "", ""), folder, early=False)
        made, gain, measured, encoded = _parts_on_target(narration, parts, encoding, folder, joined,
                                                         announce=announce, stop=stop)
        parts.keep_only(dict(made), gain, encoding.loudness, measured)
    return EncodedAhead(len(made), encoded, measured)


def _parts_on_target(narration: _Narration, parts: PartStore, encoding: Encoding, folder: str, joined: _Joined,
                     fresh: bool = False, announce: Callable[[float, str], None] | None = None,
                     stop: threading.Event | None = None) -> tuple[list[tuple[str, EncodedPart]], float | None, float, int]:
    """(key, part) of each part of the MP3, at a gain (its second item) that brings the MP3 to the
    target, or as near as the gain search got; the MP3's loudness; and how many parts were encoded
    to get there."""
    index = parts.index()
    known, gain = index.gain_for(encoding.loudness)
    encoded = 0
    if known and not fresh:
        made, encoded = _encode(narration, parts, gain, encoding.bitrate, folder, announce, True, joined, stop)
        measured = _loudness(narration, parts, made, joined)
        if _on_target(measured, gain, encoding.loudness) or _as_near_as_before(measured, index.reached,
                                                                                encoding.loudness):
            return made, gain, measured, encoded
    if announce:
        announce(narration.seconds, "measuring its loudness and encoding the MP3")
    whole = narration.whole()
    gain = first_gain(whole, encoding.loudness, encoding.bitrate, folder)
    for attempt in range(MAX_ENCODES):
        if attempt:  # where the excerpt misjudged what the encoder takes, aim again by the miss
            aim = corrected_gain(whole, gain, encoding.loudness - measured)
            if aim == gain:
                break  # the most gain the limiter allows: no nearer
            gain = aim
        made, more = _encode(narration, parts, gain, encoding.bitrate, folder, None, attempt > 0 or not fresh, joined,
                             stop)
        encoded += more
        measured = SILENT_LUFS if gain is None else _loudness(narration, parts, made, joined)
        if _on_target(measured, gain, encoding.loudness):
            break
    # Missed after MAX_ENCODES, or at the most gain (mp3.MAX_LIMITING_DB): the last MP3 is as near
    # as the search gets, and its gain and loudness are recorded with its parts, so that the next
    # build reuses them rather than searching again.
    return made, gain, measured, encoded


def _loudness(narration: _Narration, parts: PartStore, made: list[tuple[str, EncodedPart]], joined: _Joined) -> float:
    """The MP3's loudness as a player decodes it: from its parts' measured blocks where parts are
    long enough for their seams not to count, else measured on the parts joined."""
    if narration.seconds / len(made) >= MEASURED_PART_SECONDS:
        return gated_loudness(b for _, part in made for b in part.blocks)
    return file_loudness(joined.join(parts, [key for key, _ in made]))


def _on_target(measured: float, gain: float | None, target: float) -> bool:
    if gain is None:
        return measured <= SILENT_LUFS  # still silence, encoded as it is
    return abs(target - measured) <= LOUDNESS_TOLERANCE - SEAM_MARGIN


def _as_near_as_before(measured: float, reached: float | None, target: float) -> bool:
    """Whether the last MP3 missed the target as near as its gain search got, and this one at its
    gain is as loud: searching again would find the same gain."""
    return (reached is not None and abs(target - reached) > LOUDNESS_TOLERANCE - SEAM_MARGIN
            and abs(measured - reached) <= LOUDNESS_TOLERANCE - SEAM_MARGIN)


def _encode(narration: _Narration, parts: PartStore, gain: float | None, bitrate: str, folder: str,
            announce: Callable[[float, str], None] | None, reuse: bool, joined: _Joined,
            stop: threading.Event | None = None) -> tuple[list[tuple[str, EncodedPart]], int]:
    """(key, encoded part) of every part at this gain, in order, encoding those not stored (all,
    without `reuse`); and how many were encoded. The parts are joined while the new ones are measured."""
    index = parts.index()
    keyed = [(part, part_key(part, narration.keys, narration.pauses, gain, bitrate, narration.rate))
             for part in narration.parts]
    known = {key: parts.get(index, key) for _, key in keyed} if reuse else {}
    todo = list({key: part for part, key in keyed if not known.get(key)}.items())
    if announce and todo:
        announce(narration.seconds, f"encoding {len(todo)} of {len(keyed)} parts of the MP3 again")

    def encode(job: tuple[str, Part]) -> None:
        if stop is not None and stop.is_set():
            raise Stopped("the build is being interrupted")
        key, part = job
        path = os.path.join(folder, f"{key}.mp3")
        encode_part(narration.part(part), path, gain, bitrate, header=part.first)
        parts.put(key, path)  # in the store, but not in its index until measured

    encoded: dict[str, EncodedPart] = {}
    if todo:
        # Ahead of the threads: they share the loaded segments, and soundfile is not to be raced on one file.
        for _, part in todo:
            narration.part(part)
        with ThreadPoolExecutor(max_workers=min(len(todo), os.cpu_count() or 1)) as pool:
            list(pool.map(encode, todo))  # each thread waits on its own ffmpeg runs
            measuring = {key: pool.submit(frames_and_blocks, parts.path(key)) for key, _ in todo}
            if joined.early:
                joined.join(parts, [key for _, key in keyed])
            encoded = {key: EncodedPart(*future.result()) for key, future in measuring.items()}
        # Recorded at once: a build interrupted later still keeps what it encoded.
        parts.record(dataclasses.replace(index, parts={**index.parts, **encoded}))
    return [(key, known.get(key) or encoded[key]) for _, key in keyed], len(todo)


def _publish(narration: _Narration, parts: PartStore, made: list[tuple[str, EncodedPart]], gain: float | None,
             measured: float, encoding: Encoding, joined: _Joined, dest: str | os.PathLike, encoded: int) -> Assembled:
    mp3 = joined.join(parts, [key for key, _ in made])
    duration = probe_duration(mp3)
    atomic_move(mp3, dest)
    parts.keep_only(dict(made), gain, encoding.loudness, measured)
    spans = narration_spans(narration.parts, [part.frames for _, part in made], narration.lengths, narration.pauses,
                            narration.rate)
    return Assembled(duration, spans, narration.seconds, len(narration.parts), encoded, measured)
