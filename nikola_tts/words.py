"""How numbers read in what a blogger sees: counts with their nouns, audio lengths, sizes."""

from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """'1 segment', '3 segments' (nouns with a plain plural in s)."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def audio_length(seconds: float) -> str:
    """'45 s', '17.3 min', '2.1 h'."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def size(n_bytes: int) -> str:
    """'38 kB', '4.5 MB', '261 MB', '1.2 GB' (decimal units, as file managers show them)."""
    if n_bytes < 10**6:
        return f"{n_bytes / 1e3:.0f} kB"
    if n_bytes >= 10**9:
        return f"{n_bytes / 1e9:.1f} GB"
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes < 10**8 else f"{n_bytes / 1e6:.0f} MB"
