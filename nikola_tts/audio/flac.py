"""FLAC, the segment cache's format: lossless, about half the size of WAV for speech.

Why soundfile: libsndfile, which its wheels bundle with FLAC built in, encodes and decodes in
the process, at over a thousand times real time. An ffmpeg process per segment would cost tens
of milliseconds each, and assembling a long post reads a thousand segments.
"""

from __future__ import annotations

import io

from nikola_tts.audio.pcm import Audio

# libsndfile's strongest setting: about 5 % smaller than its default, still ~1,400x real time to encode.
COMPRESSION_LEVEL = 1.0


def to_flac_bytes(audio: Audio) -> bytes:
    import numpy
    import soundfile  # numpy and libsndfile: only when segment audio is stored or read

    buf = io.BytesIO()
    samples = numpy.frombuffer(audio.samples, dtype="<i2")
    soundfile.write(buf, samples, audio.sample_rate, format="FLAC", subtype="PCM_16",
                    compression_level=COMPRESSION_LEVEL)
    return buf.getvalue()


def from_flac_bytes(data: bytes) -> Audio:
    import soundfile

    samples, rate = soundfile.read(io.BytesIO(data), dtype="int16", always_2d=True)
    if samples.shape[1] != 1:  # not written by this cache; speech is mono
        samples = samples.mean(axis=1).round().astype("int16")
    return Audio(samples.astype("<i2", copy=False).tobytes(), int(rate))


def flac_length(path) -> tuple[int, int]:
    """(samples, sample rate) of a FLAC file, from its header alone."""
    import soundfile

    info = soundfile.info(str(path))
    return int(info.frames), int(info.samplerate)
