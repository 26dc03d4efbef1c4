"""Audio out of the server: WAV and raw PCM always, MP3 and FLAC through ffmpeg; speed changes too.

Raw PCM carries no rate, and OpenAI's is 24 kHz, 16-bit mono little-endian: clients play what
they get at 24 kHz, so PCM is resampled to that (with soxr, libsoxr's very-high-quality
resampler) whatever the engine speaks at; Piper's 22.05 kHz would otherwise play 9 % slow.
The X-Sample-Rate header says the rate of every answer too. WAV keeps the engine's rate.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import soxr

from nikola_tts.audio.pcm import Audio
from nikola_tts.errors import SynthesisError

MEDIA_TYPES = {"wav": "audio/wav", "pcm": "audio/pcm", "mp3": "audio/mpeg", "flac": "audio/flac"}
NEEDS_FFMPEG = {"mp3", "flac"}
DEFAULT_FORMAT = "mp3"  # OpenAI's
PCM_RATE = 24000  # OpenAI's


def have_ffmpeg() -> bool:
    return shutil.which("ffmpeg") is not None


def supported_formats(ffmpeg: bool) -> list[str]:
    return [f for f in MEDIA_TYPES if ffmpeg or f not in NEEDS_FFMPEG]


def for_format(audio: Audio, response_format: str) -> Audio:
    """The audio as the format carries it: PCM at PCM_RATE, everything else at the engine's rate."""
    if response_format != "pcm" or audio.sample_rate == PCM_RATE:
        return audio
    samples = np.frombuffer(audio.samples, dtype="<i2")
    resampled = soxr.resample(samples, audio.sample_rate, PCM_RATE, quality="VHQ")
    return Audio(resampled.astype("<i2").tobytes(), PCM_RATE)


def encode(audio: Audio, response_format: str) -> bytes:
    if response_format == "wav":
        return audio.to_wav_bytes()
    if response_format == "pcm":
        return audio.samples
    codec = {"mp3": ["-f", "mp3", "-codec:a", "libmp3lame", "-b:a", "64k"], "flac": ["-f", "flac"]}[response_format]
    return _ffmpeg(audio, codec)


def change_speed(audio: Audio, speed: float) -> Audio:
    """Play faster or slower at the same pitch, as vLLM-Omni applies `speed` (a time stretch)."""
    if abs(speed - 1.0) < 1e-6:
        return audio
    factors, left = [], speed
    while left > 2.0:  # one atempo stage stays within 0.5..2 (older ffmpeg's limits)
        factors.append(2.0)
        left /= 2.0
    while left < 0.5:
        factors.append(0.5)
        left /= 0.5
    factors.append(left)
    chain = ",".join(f"atempo={f:.6f}" for f in factors)
    out = _ffmpeg(audio, ["-filter:a", chain, "-f", "s16le", "-acodec", "pcm_s16le", "-ac", "1",
                          "-ar", str(audio.sample_rate)])
    return Audio(out[:len(out) - len(out) % 2], audio.sample_rate)


def _ffmpeg(audio: Audio, output_args: list[str]) -> bytes:
    cmd = ["ffmpeg", "-hide_banner", "-nostats", "-loglevel", "error", "-f", "s16le", "-ar", str(audio.sample_rate),
           "-ac", "1", "-i", "pipe:0", *output_args, "pipe:1"]
    try:
        proc = subprocess.run(cmd, input=audio.samples, capture_output=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SynthesisError(f"ffmpeg failed: {exc}") from None
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SynthesisError(f"ffmpeg failed: {lines[-1] if lines else 'exit status %d' % proc.returncode}")
    return proc.stdout
