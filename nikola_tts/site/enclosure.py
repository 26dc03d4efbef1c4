"""The narration as the <enclosure> of the post's item in Nikola's own RSS feeds.

Nikola's way: the post metadata `enclosure` (a URL) and `enclosure_length` (bytes), which its
feed writer reads when it writes the feed. The feed task depends on the post's sidecar, so it
is written after this build's audio; these two values are looked up then, not when the site is
scanned: the URL counts as set only while the MP3 is published, the length is the file's size.
A post that sets its own `enclosure` keeps it.
"""

from __future__ import annotations

import os


class EnclosureURL(str):
    """The MP3's absolute URL; false while there is no MP3 (so Nikola writes no enclosure)."""

    def __new__(cls, url: str, path: str):
        value = super().__new__(cls, url)
        value.path = path
        return value

    def __bool__(self) -> bool:
        return os.path.exists(self.path)

    def __reduce__(self):  # `nikola build -n N` pickles tasks, and their posts, for its workers
        return (EnclosureURL, (str(self), self.path))


class EnclosureLength(str):
    """The MP3's size in bytes, as int() reads it when the feed is written."""

    def __new__(cls, path: str):
        value = super().__new__(cls, "")  # constant: Post.__repr__ (in doit's uptodate checks) stays put
        value.path = path
        return value

    def __int__(self) -> int:
        return os.path.getsize(self.path) if os.path.exists(self.path) else 0

    def __bool__(self) -> bool:
        return True

    def __reduce__(self):
        return (EnclosureLength, (self.path,))


def add_enclosure(post, lang: str, url: str, path: str) -> None:
    meta = post.meta[lang]
    if not meta.get("enclosure"):
        meta["enclosure"] = EnclosureURL(url, path)
        meta["enclosure_length"] = EnclosureLength(path)
