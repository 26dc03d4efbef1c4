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
192 kHz fallback -- and a few more measurements through the limiter make up what it costs.
Then the MP3 itself is measured, as a listener's player decodes it: lame's low-pass takes
some of a bright voice's loudness, so where the file misses the target by more than
LOUDNESS_TOLERANCE the gain is corrected by what is missing and the post encoded again.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from nikola_tts.audio.pcm import Audio
from nikola_tts.errors import TTSError
from nikola_tts.files import atomic_move

MP3_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000})
FALLBACK_RATE = 24000
TRUE_PEAK_DB = -1.5
PEAK_MARGIN_DB = 0.5  # room for the MP3's own overshoot (0.2-0.5 dB measured)
TRUE_PEAK_OVERSAMPLING = 4  # the limiter of the encode sees peaks between samples at 4x the rate
SILENT_LUFS = -70.0  # ebur128's absolute gate: nothing louder means nothing to normalize
LOUDNESS_TOLERANCE = 0.2  # LU from the target, on the MP3 (podcast apps ask for +-1, the README promises +-0.5)
MAX_ENCODES = 3  # the first encode is usually within 0.1 LU; a miss is encoded again
EXCERPT_SECONDS = 60.0  # what the encoder's loss is measured on
# The gain search hears a long narration's PCM in windows: PROBE_WINDOW seconds of every PROBE_EVERY,
# spread over the whole post. Through the limiter, at gains of 0 to 8 dB, that reads within 0.1 LU
# (ebur128's precision) of the whole on the three corpus posts, at a third of the time a pass takes.
PROBE_WINDOW = 5.0
PROBE_EVERY = 20.0
# Measured in pieces of at least this long, side by side (_integrated_loudness): the blocks across a cut are not
# measured, as across a part's seam (assemble.MEASURED_PART_SECONDS), which moves the whole by hundredths of a LU.
PIECE_SECONDS = 20.0
MAX_PIECES = 16
# On fewer cores, one pass: the search already runs two ffmpegs at once there, and pieces gained nothing (on 2 cores
# the first gain took 1.62 s in pieces against 1.57 s; on 16, 0.43 s against 1.15 s: benchmarks/gain_search.py)
MIN_CORES_FOR_PIECES = 4
LIMITER_PRECISION = 0.1  # LU: how close the PCM through the limiter gets to where it is aimed (ebur128 prints tenths)
MAX_GAIN_STEPS = 6
# The most the limiter may take off the loudest peak. Past it a target is out of reach: loudness
# grows ever slower with gain (espeak-ng's voice: -14 LUFS at 15 dB off its peaks, -12 only at 28,
# -10 at 56), and the gain search would amplify the noise floor into a buzz. espeak-ng at -16 LUFS
# takes 9 dB.
MAX_LIMITING_DB = 18.0

_MOMENTARY = re.compile(r"\bM:\s*(-?\d+(?:\.\d+)?)")
_PACKETS_READ = re.compile(r"\(audio\): (\d+) packets read")
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
    """Normalize, encode and tag `audio` into `dest` atomically, as one part; return the encoded
    duration. (A post is published in parts: see assemble.py.)"""
    require_ffmpeg()
    dest = Path(dest)
    tmp_dir = Path(tmp_dir) if tmp_dir is not None else dest.parent
    tmp_dir.mkdir(parents=True, exist_ok=True)
    # A private folder beside dest: ffmpeg creates the file there with the usual permissions
    # (mkstemp's would be 0600), and the folder goes whatever happens.
    with tempfile.TemporaryDirectory(dir=tmp_dir, prefix=".tmp-") as folder:
        part, tmp = os.path.join(folder, "part.mp3"), os.path.join(folder, "narration.mp3")
        gain_db = first_gain(audio, loudness, bitrate, folder)
        for _ in range(MAX_ENCODES):
            encode_part(audio, part, gain_db, bitrate, header=True)
            concatenate([part], tmp, tags, folder)
            if gain_db is None:
                break
            # Measured on the MP3 as published; where the excerpt misjudged it, aim again by the miss.
            miss = loudness - file_loudness(tmp)
            aim = gain_db if abs(miss) <= LOUDNESS_TOLERANCE else corrected_gain(audio, gain_db, miss)
            if aim == gain_db:
                break  # on target, or at the most gain (MAX_LIMITING_DB): as near as it gets
            gain_db = aim
        seconds = probe_duration(tmp)
        atomic_move(tmp, dest)
    return seconds


def first_gain(audio: Audio, loudness: float, bitrate: str, scratch: str) -> float | None:
    """The gain (dB) that should bring `audio`, through the limiter and the encoder, to `loudness`
    LUFS; None for silence, which is encoded as it is. Measured on the PCM, plus what the encoder
    takes as measured on an excerpt: a few ffmpeg runs over the audio."""
    probe = _probe(audio)
    measured = _integrated_loudness(probe)
    if measured <= SILENT_LUFS:
        return None
    # A first step toward the target itself, while an excerpt encoded at that gain says what the
    # encoder will take: then on, the PCM is aimed above the target by that much.
    toward = loudness - measured
    with ThreadPoolExecutor(max_workers=1) as pool:
        loss = pool.submit(_encoder_loss, audio, toward, bitrate, os.path.join(scratch, "excerpt.mp3"))
        stepped = _integrated_loudness(probe, toward)
        aim = loudness + loss.result()
    return _gain_for(probe, aim, [(0.0, measured), (toward, stepped)], _most_gain(audio))[0]


def corrected_gain(audio: Audio, gain_db: float, miss: float) -> float:
    """The gain that makes up `miss` LU, where an MP3 encoded at `gain_db` missed its target."""
    probe = _probe(audio)
    at_gain = _integrated_loudness(probe, gain_db)
    return _gain_for(probe, at_gain + miss, [(gain_db, at_gain)], _most_gain(audio))[0]


def _most_gain(audio: Audio) -> float:
    """The gain (dB) that takes the loudest sample MAX_LIMITING_DB over the limiter's ceiling."""
    import numpy  # soundfile's own dependency: the segment cache has it already

    samples = numpy.frombuffer(audio.samples, dtype="<i2")
    peak = max(int(samples.max(initial=1)), -int(samples.min(initial=0)))  # as ints: -(-32768) fits
    return TRUE_PEAK_DB - PEAK_MARGIN_DB - 20 * math.log10(peak / 32768) + MAX_LIMITING_DB


def _probe(audio: Audio) -> Audio:
    """What the gain search measures: a long narration's PCM heard in windows spread evenly over it
    (PROBE_WINDOW of every PROBE_EVERY seconds), short ones whole. The MP3 itself is measured after."""
    if audio.seconds <= 2 * EXCERPT_SECONDS:
        return audio
    window, every = int(PROBE_WINDOW * audio.sample_rate) * 2, int(PROBE_EVERY * audio.sample_rate) * 2
    skip = (every - window) // 4 * 2  # each window in the middle of its stretch, on a sample's boundary
    samples = audio.samples
    return Audio(b"".join(samples[at + skip:at + skip + window] for at in range(0, len(samples) - every + 1, every)),
                 audio.sample_rate)


def encode_part(audio: Audio, path: str | os.PathLike, gain_db: float | None, bitrate: str, header: bool) -> None:
    """Encode `audio` at `gain_db` (through the limiter) into the bare MP3 frames of `path`: no tags.
    Only the narration's first part has `header`, the Info frame that carries the encoder's delay;
    concatenate() reads it there and writes the whole file's."""
    _run(_encoder(audio, gain_db, os.fspath(path), bitrate, header=header), audio)


def count_frames(path: str | os.PathLike) -> int:
    """MP3 frames in `path` (the Info frame, not audio, is not counted): read, not decoded. (Where
    the part is measured anyway, frames_and_blocks counts them in the same run.)"""
    import ffmpeg

    try:
        streams = ffmpeg.probe(os.fspath(path), cmd="ffprobe", count_packets=None)["streams"]
        return int(streams[0]["nb_read_packets"])
    except ffmpeg.Error as e:
        raise TTSError(f"cannot read the MP3 frames of {path}: {_last_line(e.stderr)}") from None
    except (KeyError, IndexError, ValueError, OSError) as e:
        raise TTSError(f"cannot read the MP3 frames of {path}: {e}") from None


def frame_samples(sample_rate: int) -> int:
    """Samples per MP3 frame: MPEG-1 layer III at 32 kHz and up, MPEG-2 and 2.5 below."""
    return 1152 if sample_rate >= 32000 else 576


def mp3_rate(sample_rate: int) -> int:
    """The rate a narration at `sample_rate` is encoded at."""
    return sample_rate if sample_rate in MP3_RATES else FALLBACK_RATE


def concatenate(parts: list[str], dest: str | os.PathLike, tags: Tags, scratch: str) -> None:
    """Join encoded parts into one tagged MP3 at `dest`, frames copied as they are. ffmpeg's concat
    demuxer drops each part's own Info frame and writes one for the whole file: its frame count,
    seek table, the first part's encoder delay and the last part's padding, so gapless players
    trim exactly the encoder's additions at both ends."""
    import ffmpeg

    listing = os.path.join(scratch, "parts.ffconcat")
    with open(listing, "w", encoding="utf-8") as f:
        f.write("ffconcat version 1.0\n")
        for path in parts:
            f.write("file '" + os.path.abspath(path).replace("'", "'\\''") + "'\n")
    metadata = {"title": tags.title, "artist": tags.artist, "album": tags.album}
    if tags.language:
        metadata["language"] = tags.language  # ffmpeg writes it as TLAN
    stream = (
        ffmpeg.input(listing, format="concat", safe=0)
        .output(os.fspath(dest), format="mp3", acodec="copy", vn=None, id3v2_version=3, fflags="+bitexact",
                **{f"metadata:g:{i}": f"{k}={v}" for i, (k, v) in enumerate(metadata.items())})
        .global_args("-hide_banner", "-nostats", "-loglevel", "error")
    )
    _run(stream, None)


def _encoder_loss(audio: Audio, gain_db: float, bitrate: str, path: str) -> float:
    """LU the MP3 encoder takes from audio at about this gain: lame's low-pass removes some of a
    bright voice (0.4-0.5 LU of espeak-ng's at 64k), which no measurement of the PCM can show.
    Measured on the middle minute, which speaks like the rest: a few ffmpeg runs of a second."""
    rate = audio.sample_rate
    if audio.seconds > 1.5 * EXCERPT_SECONDS:
        middle, half = len(audio.samples) // 4 * 2, int(EXCERPT_SECONDS / 2 * rate) * 2
        audio = Audio(audio.samples[middle - half:middle + half], rate)
    pieces = _pieces(audio, _piece_count())
    if len(pieces) == 1:
        _run(_encoder(audio, gain_db, path, bitrate), audio)
        loss = _integrated_loudness(audio, gain_db) - file_loudness(path)
    else:  # encoded and measured in pieces side by side, as _integrated_loudness measures
        def blocks(numbered: tuple[int, Audio]) -> tuple[list[float], tuple[float, ...]]:
            number, piece = numbered
            piece_path = f"{path}.{number}.mp3"
            _run(_encoder(piece, gain_db, piece_path, bitrate), piece)
            return _blocks(_normalized(piece, gain_db), piece), frames_and_blocks(piece_path)[1]

        with ThreadPoolExecutor(max_workers=len(pieces)) as pool:
            measured = list(pool.map(blocks, enumerate(pieces)))
        loss = (gated_loudness(b for pcm, _ in measured for b in pcm)
                - gated_loudness(b for _, encoded in measured for b in encoded))
    return loss if math.isfinite(loss) and abs(loss) < 3 else 0.0  # a silent excerpt tells nothing


def _gain_for(audio: Audio, target: float, points: list[tuple[float, float]], most: float) -> tuple[float, float]:
    """(gain, loudness through the limiter at that gain) that brings audio to target LUFS, within
    LIMITER_PRECISION, or as near as a gain of at most `most` dB gets: secant steps from the last two
    measured (gain, loudness) points, from a single one at slope 1 (a single point is never taken as
    it is, but at the most: it is where a miss was measured). The limiter makes loudness grow slower than gain
    (speech with sharp peaks: about half as fast)."""
    points = list(points)
    for _ in range(MAX_GAIN_STEPS):
        gain_db, measured = points[-1]
        if len(points) > 1 and abs(measured - target) <= LIMITER_PRECISION:
            break
        (before, then), slope = points[-2] if len(points) > 1 else points[-1], 1.0
        if gain_db != before:
            slope = (measured - then) / (gain_db - before)
        step = min(gain_db + (target - measured) / min(max(slope, 0.2), 1.0), most)
        if step == gain_db:
            break  # at the most already: no nearer
        points.append((step, _integrated_loudness(audio, step)))
    return points[-1]


def _encoder(audio: Audio, gain_db: float | None, path: str, bitrate: str, header: bool = True):
    """Bare MP3 frames, no tags: concatenate() tags the published file."""
    return (
        _normalized(audio, gain_db, true_peaks=True)
        .output(
            path,
            format="mp3",
            acodec="libmp3lame",
            audio_bitrate=bitrate,
            ac=1,
            ar=mp3_rate(audio.sample_rate),
            vn=None,
            write_xing=int(header),
            id3v2_version=0,
            fflags="+bitexact",  # no encoder-version tag: the same post encodes to the same bytes
        )
        .global_args("-hide_banner", "-nostats", "-loglevel", "error")
    )


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


def _normalized(audio: Audio, gain_db: float | None, true_peaks: bool = False):
    """`audio` through the gain and a look-ahead peak limiter (no auto-leveling) below the ceiling.
    With true_peaks, the limiter works at TRUE_PEAK_OVERSAMPLING times the rate, so that it sees the
    peaks between samples too (in Piper's voice up to 2 dB over the samples' own); the loudness it
    leaves is the same, so the measurements before the encode skip that cost."""
    import ffmpeg  # ffmpeg-python, only when audio is made: a page render never needs it

    stream = ffmpeg.input("pipe:", format="s16le", ar=audio.sample_rate, ac=1)
    if gain_db is None:
        return stream
    ceiling = 10 ** ((TRUE_PEAK_DB - PEAK_MARGIN_DB) / 20)
    stream = stream.filter("volume", f"{gain_db:.2f}dB")
    if true_peaks:
        stream = stream.filter("aresample", audio.sample_rate * TRUE_PEAK_OVERSAMPLING)
    stream = stream.filter("alimiter", limit=f"{ceiling:.4f}", level=0, latency=1)
    return stream.filter("aresample", audio.sample_rate) if true_peaks else stream


def _integrated_loudness(audio: Audio, gain_db: float | None = None) -> float:
    """EBU R128 integrated loudness in LUFS (gated, so pauses do not count) of `audio` as normalized. A long one
    is measured in pieces of at least PIECE_SECONDS side by side, one ffmpeg a core, and their gating blocks gated
    together: the gain search's steps are one after another, and on many cores each is then a fraction of a pass."""
    pieces = _pieces(audio, _piece_count())
    if len(pieces) == 1:
        return _loudness(_normalized(audio, gain_db), audio)
    with ThreadPoolExecutor(max_workers=len(pieces)) as pool:  # each thread waits on its own ffmpeg
        blocks = list(pool.map(lambda piece: _blocks(_normalized(piece, gain_db), piece), pieces))
    return gated_loudness(b for piece in blocks for b in piece)


def _piece_count() -> int:
    cores = os.cpu_count() or 1
    return min(cores, MAX_PIECES) if cores >= MIN_CORES_FOR_PIECES else 1


def _pieces(audio: Audio, count: int) -> list[Audio]:
    """audio cut into at most `count` pieces of equal length, none shorter than PIECE_SECONDS."""
    count = max(1, min(count, int(audio.seconds // PIECE_SECONDS)))
    size = len(audio.samples) // 2 // count * 2
    return [Audio(audio.samples[i * size:(i + 1) * size if i + 1 < count else None], audio.sample_rate)
            for i in range(count)]


def _blocks(stream, audio: Audio) -> list[float]:
    """The gating blocks (as frames_and_blocks reads them) of `audio` through `stream`."""
    return [m for m in map(float, _MOMENTARY.findall(_ebur128(stream, audio, "info"))) if m > SILENT_LUFS]


def file_loudness(path: str | os.PathLike) -> float:
    """The same measurement, of an encoded file as a listener's player decodes it."""
    import ffmpeg

    return _loudness(ffmpeg.input(os.fspath(path)), None)


def frames_and_blocks(path: str | os.PathLike) -> tuple[int, tuple[float, ...]]:
    """An encoded part's MP3 frames (as count_frames counts them) and its gating blocks, in one
    ffmpeg run: the decode that measures the blocks reads every frame, and says how many at the
    verbose log level. (A process a part fewer: ffprobe's start is most of what counting costs.)

    The blocks: the loudness (LUFS) of each 400 ms of the file as a player decodes it, every 100 ms
    (BS.1770's gating blocks), those above the absolute gate alone. The blocks of consecutive files,
    gated together (gated_loudness), give the loudness of the files joined, but for the few blocks
    that span their seams."""
    import ffmpeg

    stream = (ffmpeg.input(os.fspath(path)).filter("ebur128", framelog="info").output("-", format="null")
              .global_args("-hide_banner", "-nostats", "-loglevel", "verbose"))
    log = _run(stream, None)
    blocks = tuple(m for m in map(float, _MOMENTARY.findall(log)) if m > SILENT_LUFS)
    read = _PACKETS_READ.findall(log)
    return (int(read[-1]) if read else count_frames(path)), blocks


def gated_loudness(blocks) -> float:
    """Integrated loudness from gating blocks: the mean power of the blocks over the absolute
    gate, then of those within 10 LU of that mean (ITU-R BS.1770-4); SILENT_LUFS for none."""
    def mean(levels: list[float]) -> float:
        return -0.691 + 10 * math.log10(sum(10 ** ((m + 0.691) / 10) for m in levels) / len(levels))

    loud = [m for m in blocks if m > SILENT_LUFS]
    if not loud:
        return SILENT_LUFS
    relative = mean(loud) - 10
    return mean([m for m in loud if m > relative])


def _loudness(stream, audio: Audio | None) -> float:
    found = _INTEGRATED.findall(_ebur128(stream, audio, "verbose"))
    if not found:
        raise TTSError("ffmpeg did not report the loudness of the narration (ebur128 filter missing?)")
    return float(found[-1])


def _ebur128(stream, audio: Audio | None, framelog: str) -> str:
    """ffmpeg's log of `stream` measured by ebur128, its per-block lines at log level `framelog` (printed at "info",
    left out at "verbose"; the summary with the integrated loudness always)."""
    stream = (stream.filter("ebur128", framelog=framelog).output("-", format="null")
              .global_args("-hide_banner", "-nostats"))
    return _run(stream, audio)


def _run(stream, audio: Audio | None) -> str:
    """Run ffmpeg on `audio` piped to stdin (or on its own input); return its stderr, or raise
    TTSError with its last line."""
    import ffmpeg

    try:
        proc = ffmpeg.run_async(
            stream, cmd="ffmpeg", pipe_stdin=audio is not None, pipe_stdout=True, pipe_stderr=True,
            overwrite_output=True
        )
    except OSError as e:
        raise TTSError(f"cannot run ffmpeg: {e}") from None
    try:
        _, err = proc.communicate(audio.samples if audio is not None else None)
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
