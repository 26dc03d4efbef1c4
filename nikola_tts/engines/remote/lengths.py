"""How long a paragraph may speak, how long its request may take, and whether it came back cut.

The arithmetic is the local Qwen3-TTS engine's guard (engines/qwen/batching.py): read prose is
about 15 characters a second, the codec makes 12.5 frames a second, and a paragraph may speak
for 3 s plus 2.5 times its expected length. vLLM-Omni stops at `max_new_tokens` frames (2048,
164 s, unless the request says) and returns what it has as if it were whole, so the engine
sends the guard's limit and checks the length of what comes back.
"""

from __future__ import annotations

from nikola_tts.engines.qwen.batching import CHARS_PER_SECOND, FRAMES_PER_SECOND, frame_limit

MAX_NEW_TOKENS = 4096  # vLLM-Omni refuses more (tts_adapters/base.py, max_new_tokens_max)
WAIT_PER_SECOND = 2.0  # seconds a request may take per second of expected speech, beyond TTS_REMOTE_TIMEOUT


def expected_seconds(text: str) -> float:
    return len(text) / CHARS_PER_SECOND


def max_new_tokens(text: str) -> int:
    """The codec frames a paragraph may take: the local engine's limit, within what vLLM-Omni accepts."""
    return max(1, min(MAX_NEW_TOKENS, frame_limit(len(text))))


def timeout(text: str, base: float) -> float:
    """Seconds one request for this text may take: TTS_REMOTE_TIMEOUT, plus time for its speech."""
    return round(base + WAIT_PER_SECOND * expected_seconds(text), 1)


def cut_short(text: str, seconds: float, speed: float, cap: int | None) -> str | None:
    """Why audio of `seconds` for `text` looks cut off, or None. `cap`: the max_new_tokens sent, if any."""
    spoken = seconds * speed  # servers apply `speed` as a time stretch after generating
    if cap is not None and spoken >= (cap - 1) / FRAMES_PER_SECOND:
        return f"it reached its limit of {cap / FRAMES_PER_SECOND:.1f} s"
    expected = expected_seconds(text)
    if expected >= 10 and spoken < expected / 3:
        return f"it is {spoken:.1f} s long where its text takes about {expected:.0f} s"
    return None
