"""Encoding ahead: a post's MP3 parts are encoded as soon as its last segment is in the cache, a few
posts at a time beside the engine, so that publishing the post (publish.py) finds them and joins.

Why: a GPU narrates a 15-minute post in a second or two, and espeak-ng as fast, while its MP3 takes
seconds of CPU. Encoded one post after another once the narration ended, the MP3s took most of a
build: one post's gain search (one core) waited for the last post's encodes (every core). Here
several posts' go side by side, and any post that finishes early is encoded during the narration.

Only a head start: a post it cannot encode is left to publishing, which says why.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait

from nikola_tts.cache.encoded import PartStore
from nikola_tts.cache.manifest import Manifest
from nikola_tts.cache.segments import SegmentStore
from nikola_tts.errors import TTSError
from nikola_tts.plan import NarrationPlan
from nikola_tts.progress import LOG_EVERY_SECONDS
from nikola_tts.words import counted

log = logging.getLogger("tts")
POSTS_AT_ONCE = 2  # each encodes its parts on every core; a second keeps the cores busy through the first's gain search
BACKGROUND_NICENESS = 10  # added to the encoders' niceness: the narration's own thread goes first


class EncodeAhead:
    """The posts of one narration pass, by id; each one's MP3 is encoded once post_done(id) says its
    last segment is in (or at finish(), for those the pass did not speak)."""

    def __init__(self, posts: list[tuple[Manifest, NarrationPlan]], posts_at_once: int = POSTS_AT_ONCE):
        self.posts = {manifest.id: (manifest, plan) for manifest, plan in posts}
        self.posts_at_once = posts_at_once
        self._pool: ThreadPoolExecutor | None = None
        self._started: dict[str, Future | None] = {}  # post id -> its encoding (None: nothing to encode)
        self._stop = threading.Event()

    def __enter__(self) -> "EncodeAhead":
        return self

    def __exit__(self, kind, error, trace) -> None:
        if self._pool:
            if error is not None:  # interrupted or failed: no part starts encoding; those under way finish
                self._stop.set()
            self._pool.shutdown(wait=True, cancel_futures=error is not None)

    def post_done(self, post_id: str) -> None:
        if post_id not in self.posts or post_id in self._started:
            return
        manifest, plan = self.posts[post_id]
        self._started[post_id] = None
        if not _to_encode(manifest, plan):
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.posts_at_once, thread_name_prefix="tts-ahead")
        self._started[post_id] = self._pool.submit(_encode_ahead, manifest, plan, self._stop)

    def finish(self) -> None:
        """Encode the posts not started yet, and wait for every one."""
        for post_id in self.posts:
            self.post_done(post_id)
        started = [future for future in self._started.values() if future is not None]
        pending = {future for future in started if not future.done()}
        if pending:
            log.info(f"encoding the MP3 of {counted(len(pending), 'post')}")
        begun, total = time.monotonic(), len(pending)
        while pending:  # a backlog's MP3s take minutes: say how far they are, as the narration did
            _, pending = wait(pending, timeout=LOG_EVERY_SECONDS)
            if pending:
                log.info(f"encoding the MP3s: {total - len(pending)} of {counted(total, 'post')} done, "
                         f"{time.monotonic() - begun:.0f} s")
        for future in started:
            future.result()


def _to_encode(manifest: Manifest, plan: NarrationPlan) -> bool:
    """Whether publishing the post would encode an MP3, and every segment of it is in the cache."""
    from nikola_tts.publish import missing_segments, needs_mp3

    return needs_mp3(manifest, plan) and not missing_segments(manifest, SegmentStore(plan.cache.segments))


def yield_cpu_to_narration() -> None:
    """Lower this thread's CPU priority, and so that of the threads and encoders it starts. The MP3s
    encoded ahead take every core while a GPU narrates the rest, and the narration's loop, a thread
    that launches a frame and waits for it, must not queue behind them for a core. Linux alone: its
    niceness is per thread, and inherited by the threads and processes a thread starts."""
    if not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    try:
        lowered = os.getpriority(os.PRIO_PROCESS, os.getpid()) + BACKGROUND_NICENESS  # the main thread's, plus
        if os.getpriority(os.PRIO_PROCESS, thread) < lowered:  # once: a pool's thread encodes post after post
            os.setpriority(os.PRIO_PROCESS, thread, lowered)
    except OSError:  # not permitted here: the encoders run as they would have
        pass


def _encode_ahead(manifest: Manifest, plan: NarrationPlan, stop: threading.Event) -> None:
    from nikola_tts.assemble import encode_ahead
    from nikola_tts.publish import announcer, say_if_off_target

    yield_cpu_to_narration()
    name = plan.name
    try:
        made = encode_ahead(manifest.segments, SegmentStore(plan.cache.segments),
                            PartStore(plan.cache.encoded(plan.lang, plan.source)), manifest.encoding, plan.cache.tmp,
                            announce=announcer(manifest, plan), stop=stop)
    except (TTSError, ValueError, OSError) as exc:  # publishing encodes it again, and says why it fails
        log.debug(f"{name}: not encoded ahead: {exc}")
        return
    if made.encoded:
        say_if_off_target(name, made.loudness, manifest.encoding.loudness)
