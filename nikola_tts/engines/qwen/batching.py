"""How long a segment may speak, and how many segments fit on the accelerator at once.

Pure arithmetic on plain numbers, so it is testable anywhere.

Frame limit: the codec runs at 12.5 frames per second of audio. Read prose is about 15
characters per second; numbers, symbols and abbreviations read slower than their length
suggests. A segment may speak for FLOOR_SECONDS plus SLACK times its expected duration, then
it is cut off (and a warning names it): a model that never says "stop" cannot run away with
the build, and even a long segment stops within a couple of minutes.

Memory per segment, for the talker (the code predictor's cache lives for one frame only):
* the key/value cache: 2 x layers x kv_heads x head_dim values per token;
* the hidden states Hugging Face `generate` keeps for every step (qwen_tts reads the codes back
  from them): (layers + 1) x hidden values per token;
both in the model's dtype, for the prompt plus every frame up to the limit, times SAFETY for
allocator slack and temporaries. What is not estimated per segment comes out of a reserve:
decoding codes to a waveform (one segment at a time, in float32) peaks at about 1.3 GB for a
300-frame chunk of the full-size decoder (measured), plus the allocator's fragmentation.
"""

from __future__ import annotations

import math

FRAMES_PER_SECOND = 12.5
CHARS_PER_SECOND = 15.0
SLACK = 2.5
FLOOR_SECONDS = 3.0
SAFETY = 1.5
MAX_BATCH = 64
CPU_BATCH = 8
RESERVE_FRACTION = 0.10  # of the device's memory, kept free for everything not estimated here
RESERVE_MIN = 2 << 30


def frame_limit(chars: int) -> int:
    """Most codec frames a segment of `chars` characters may take before it is cut off."""
    seconds = FLOOR_SECONDS + SLACK * chars / CHARS_PER_SECOND
    return int(math.ceil(seconds * FRAMES_PER_SECOND))


def expected_frames(chars: int) -> int:
    """Codec frames a segment of `chars` characters is expected to take, read at the usual pace."""
    return max(1, round(chars / CHARS_PER_SECOND * FRAMES_PER_SECOND))


def prompt_tokens(chars: int, instruct_chars: int = 0) -> int:
    """A generous guess of the prompt's length in tokens (about 4 characters a token in English,
    fewer in Chinese and Japanese), plus the fixed framing."""
    return (chars + instruct_chars) // 2 + 24


def bytes_per_token(layers: int, kv_heads: int, head_dim: int, hidden: int, element_bytes: int) -> int:
    kv = 2 * layers * kv_heads * head_dim
    kept_hidden = (layers + 1) * hidden
    return (kv + kept_hidden) * element_bytes


def segment_bytes(chars: int, per_token: int, instruct_chars: int = 0) -> int:
    """Peak memory one segment of `chars` characters may need while its batch generates."""
    tokens = prompt_tokens(chars, instruct_chars) + frame_limit(chars)
    return int(tokens * per_token * SAFETY)


def budget(free_bytes: int, total_bytes: int) -> int:
    """Bytes of free accelerator memory that batches may fill."""
    reserve = max(RESERVE_MIN, int(total_bytes * RESERVE_FRACTION))
    return max(0, free_bytes - reserve)


def batch_size_for(budget_bytes: int, per_segment_bytes: int, cap: int = MAX_BATCH) -> int:
    if per_segment_bytes <= 0:
        return cap
    return max(1, min(cap, budget_bytes // per_segment_bytes))
