"""Content digests of voice files, remembered across builds.

Every build asks for the voice's digest (it is the voice's part of the cache identity, so a
moved voice re-narrates nothing), and a voice is tens of MB: a digest is remembered by the
file's (real path, size, mtime) in this process and in the user's cache folder.
"""

from __future__ import annotations

import hashlib
import os
import threading

from nikola_tts.files import atomic_write_json, read_json

_DIGESTS: dict[tuple, str] = {}
_LOCK = threading.Lock()


def stamp(path: str) -> tuple[str, int, int]:
    """(real path, size, mtime): a file's version, without reading it (OSError if it is not there)."""
    st = os.stat(path)
    return os.path.realpath(path), st.st_size, st.st_mtime_ns


def file_digest(path: str) -> str:
    """sha256 of a file's content (OSError if it cannot be read)."""
    key = stamp(path)
    with _LOCK:
        if key in _DIGESTS:
            return _DIGESTS[key]
        store = _store_path()
        try:
            known = read_json(store, {})
        except (OSError, ValueError):
            known = {}
        if not isinstance(known, dict):
            known = {}
        entry = known.get(key[0])
        if isinstance(entry, dict) and entry.get("size") == key[1] and entry.get("mtime_ns") == key[2] \
                and isinstance(entry.get("sha256"), str):
            digest = entry["sha256"]
        else:
            digest = _hash(path)
            known[key[0]] = {"size": key[1], "mtime_ns": key[2], "sha256": digest}
            try:
                atomic_write_json(store, known)
            except OSError:
                pass  # a cache of a cache: if it cannot be written, the next build hashes again
        _DIGESTS[key] = digest
        return digest


def forget() -> None:
    """Drop what this process remembers, as a new build starts; the store on disk stays."""
    with _LOCK:
        _DIGESTS.clear()


def _hash(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _store_path() -> str:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "nikola-tts", "piper-voice-digests.json")
