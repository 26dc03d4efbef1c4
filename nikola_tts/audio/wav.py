"""RIFF/WAVE, the one way audio is read from and written to bytes in nikola-tts.

Reads what engines and speech servers send (8/16/24/32-bit PCM, 32/64-bit float, the extensible
header, any number of channels) as mono signed 16-bit little-endian samples; writes mono 16-bit.
Audio.from_wav_bytes and Audio.to_wav_bytes (audio/pcm.py) are the way in for the rest of the code.
"""

from __future__ import annotations

import array
import struct
import sys

PCM = 1
FLOAT = 3
EXTENSIBLE = 0xFFFE
_BIG_ENDIAN = sys.byteorder == "big"


class WavError(ValueError):
    """Bytes that are not a WAV file this module reads; the message names "the audio" or "the WAV"."""


def read(data: bytes) -> tuple[bytes, int]:
    """(mono int16 little-endian samples, sample rate) of a RIFF/WAVE file."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError("the audio is not a WAV file")
    pos, fmt, samples = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = pos + 8
        if cid == b"fmt ":
            if size < 16 or body + 16 > len(data):
                raise WavError("the WAV has a broken format chunk")
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[body:body + 16])
            if tag == EXTENSIBLE and size >= 26 and body + 26 <= len(data):  # the subformat GUID starts with the real tag
                tag = struct.unpack("<H", data[body + 24:body + 26])[0]
            fmt = (tag, channels, rate, bits)
        elif cid == b"data":
            # A streamed WAV does not know its length yet (0 or 0xFFFFFFFF): the data runs to the end.
            end = len(data) if size in (0, 0xFFFFFFFF) or body + size > len(data) else body + size
            samples = data[body:end]
            break
        pos = body + size + (size & 1)
    if fmt is None or samples is None:
        raise WavError("the WAV has no audio data")
    tag, channels, rate, bits = fmt
    if channels < 1 or rate < 1:
        raise WavError("the WAV has no channels or no sample rate")
    width = bits // 8
    if width < 1:
        raise WavError(f"the WAV has {bits}-bit samples")
    samples = samples[:len(samples) - len(samples) % (width * channels)]
    pcm = _to_int16(samples, tag, width)
    if channels > 1:
        pcm = array.array("h", (sum(pcm[i:i + channels]) // channels for i in range(0, len(pcm), channels)))
    if _BIG_ENDIAN:
        pcm.byteswap()
    return pcm.tobytes(), rate


def write(samples: bytes, sample_rate: int) -> bytes:
    """A mono 16-bit PCM WAV file of int16 little-endian samples."""
    size = len(samples)
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + size, b"WAVE", b"fmt ", 16, PCM, 1, sample_rate,
                         2 * sample_rate, 2, 16, b"data", size)
    return header + samples


def _to_int16(samples: bytes, tag: int, width: int) -> array.array:
    """Native-order int16 samples, channels still interleaved."""
    if tag == PCM and width == 2:
        pcm = array.array("h", samples)
        if _BIG_ENDIAN:
            pcm.byteswap()
        return pcm
    if tag == PCM and width == 1:  # unsigned, centred on 128
        return array.array("h", ((b - 128) << 8 for b in samples))
    if tag == PCM and width in (3, 4):  # keep the top 16 bits
        return array.array("h", (int.from_bytes(samples[i + width - 2:i + width], "little", signed=True)
                                 for i in range(0, len(samples), width)))
    if tag == FLOAT and width in (4, 8):
        floats = array.array("f" if width == 4 else "d", samples)
        if _BIG_ENDIAN:
            floats.byteswap()
        return array.array("h", (max(-32768, min(32767, int(round(x * 32767)))) if x == x else 0 for x in floats))
    raise WavError(f"the WAV is in an unsupported layout (format {tag}, {width * 8}-bit)")
