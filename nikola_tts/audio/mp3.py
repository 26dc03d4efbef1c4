"""Encode a post's narration as a tagged MP3 at the target loudness.

Why ffmpeg-python rather than pydub: one ffmpeg run applies the loudness gain and
limiter, encodes and writes the ID3 tags while streaming the PCM through a pipe,
whereas pydub holds whole posts in memory as AudioSegment objects and shells out
to ffmpeg for MP3 anyway. ffmpeg-python only builds the argument list; no shell.

Loudness: EBU R128, but not with `loudnorm`. Its single-pass (dynamic) mode runs at
192 kHz and took ~10 s of CPU for a 20-minute post by itself, yet landed 1.7 LU under
target with true peaks over the ceiling. Here the `ebur128` filter measures integrated
loudness (~0.5 s per 20 min), the encode applies that gain through a look-ahead limiter
under the peak ceiling -- the linear gain of loudnorm's two-pass mode, without its
192 kHz fallback -- and one more measurement through the limiter makes up what it cost.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nikola_tts.audio.pcm import Audio
from nikola_tts.errors import TTSError
from nikola_tts.files import atomic_move

MP3_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000})
FALLBACK_RATE = 24000
TRUE_PEAK_DB = -1.5
PEAK_MARGIN_DB = 0.5  # the limiter sees sample peaks; leave room for inter-sample and MP3 overshoot
SILENT_LUFS = -70.0  # ebur128's absolute gate: nothing louder means nothing to normalize

_INTEGRATED = re.compile(r"Integrated loudness:\s*I:\s*(-?\d+(?:\.\d+)?|-?inf)\s*LUFS")


@dataclass(frozen=True)
class Encoding:
    bitrate: str = "64k"  # mono MP3
    loudness: float = -16.0  # integrated, LUFS


@dataclass(frozen=True)
class Tags:
    title: str
    artist: str
    album: str
    language: str | None = None  # ISO 639 code for the ID3 TLAN frame if given


def require_ffmpeg() -> None:
    if not (shutil.which("ffmpeg") and shutil.which("ffprobe")):
        raise TTSError(
            "ffmpeg not found: install it (e.g. `apt-get install ffmpeg` or `brew install ffmpeg`) and build again"
        )


def encode_mp3(
    audio: Audio,
    dest: str | os.PathLike,
    tags: Tags,
    bitrate: str = "64k",
    tmp_dir: str | os.PathLike | None = None,
    loudness: float = -16.0,
) -> float:
    """Normalize, encode and tag `audio` into `dest` atomically; return the encoded duration."""
    require_ffmpeg()
    dest = Path(dest)
    tmp_dir = Path(tmp_dir) if tmp_dir is not None else dest.parent
    tmp_dir.mkdir(parents=True, exist_ok=True)

    gain_db = 0.0
    measured = _integrated_loudness(audio)
    if measured > SILENT_LUFS:
        gain_db = loudness - measured
        # Limiting the peaks costs speech ~1.5 LU; measure once more through the limiter and make it up.
        gain_db += loudness - _integrated_loudness(audio, gain_db)
    metadata = {"title": tags.title, "artist": tags.artist, "album": tags.album}
    if tags.language:
        metadata["language"] = tags.language  # ffmpeg writes it as TLAN

    # A private folder beside dest: ffmpeg creates the file there with the usual permissions
    # (mkstemp's would be 0600), and the folder goes whatever happens.
    with tempfile.TemporaryDirectory(dir=tmp_dir, prefix=".tmp-") as folder:
        tmp = os.path.join(folder, "narration.mp3")
        stream = (
            _normalized(audio, gain_db)
            .output(
                tmp,
                format="mp3",
                acodec="libmp3lame",
                audio_bitrate=bitrate,
                ac=1,
                ar=audio.sample_rate if audio.sample_rate in MP3_RATES else FALLBACK_RATE,
                vn=None,
                id3v2_version=3,
                fflags="+bitexact",  # no encoder-version tag: the same post encodes to the same bytes
                **{f"metadata:g:{i}": f"{k}={v}" for i, (k, v) in enumerate(metadata.items())},
            )
            .global_args("-hide_banner", "-nostats", "-loglevel", "error")
        )
        _run(stream, audio)
        seconds = probe_duration(tmp)
        atomic_move(tmp, dest)
    return seconds


def probe_duration(path: str | os.PathLike) -> float:
    import ffmpeg

    try:
        duration = float(ffmpeg.probe(os.fspath(path), cmd="ffprobe")["format"]["duration"])
    except ffmpeg.Error as e:
        raise TTSError(f"cannot read the duration of {path}: {_last_line(e.stderr)}") from None
    except (KeyError, ValueError, OSError) as e:
        raise TTSError(f"cannot read the duration of {path}: {e}") from None
    if not math.isfinite(duration):
        raise TTSError(f"cannot read the duration of {path}: ffprobe reported {duration}")
    return duration


def _normalized(audio: Audio, gain_db: float | None):
    """`audio` through the gain and a look-ahead peak limiter (no auto-leveling) below the ceiling."""
    import ffmpeg  # ffmpeg-python, only when audio is made: a page render never needs it

    stream = ffmpeg.input("pipe:", format="s16le", ar=audio.sample_rate, ac=1)
    if gain_db is None:
        return stream
    ceiling = 10 ** ((TRUE_PEAK_DB - PEAK_MARGIN_DB) / 20)
    return stream.filter("volume", f"{gain_db:.2f}dB").filter("alimiter", limit=f"{ceiling:.4f}", level=0, latency=1)


def _integrated_loudness(audio: Audio, gain_db: float | None = None) -> float:
    """EBU R128 integrated loudness in LUFS (gated, so pauses do not count) of `audio` as normalized."""
    stream = (
        _normalized(audio, gain_db)
        .filter("ebur128", framelog="verbose")
        .output("-", format="null")
        .global_args("-hide_banner", "-nostats")
    )
    found = _INTEGRATED.findall(_run(stream, audio))
    if not found:
        raise TTSError("ffmpeg did not report the loudness of the narration (ebur128 filter missing?)")
    return float(found[-1])


def _run(stream, audio: Audio) -> str:
    """Run ffmpeg on `audio` piped to stdin; return its stderr, or raise TTSError with its last line."""
    import ffmpeg

    try:
        proc = ffmpeg.run_async(
            stream, cmd="ffmpeg", pipe_stdin=True, pipe_stdout=True, pipe_stderr=True, overwrite_output=True
        )
    except OSError as e:
        raise TTSError(f"cannot run ffmpeg: {e}") from None
    try:
        _, err = proc.communicate(audio.samples)
    except BaseException:  # interrupted: do not leave ffmpeg writing behind us
        proc.kill()
        proc.wait()
        raise
    stderr = err.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise TTSError(f"ffmpeg failed (exit {proc.returncode}): {_last_line(stderr)}")
    return stderr


def _last_line(stderr: bytes | str | None) -> str:
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    lines = [line.strip() for line in (stderr or "").splitlines() if line.strip()]
    return lines[-1] if lines else "no error message"
