"""How big the segment cache gets per hour of audio, WAV against FLAC, and what the MP3's
loudness correction costs, measured side by side in one run on the real posts of
../shared/corpus/ (CC BY-SA, used by path).

    python3 benchmarks/cache_size.py [--engines espeak,piper]

For each engine: the posts are narrated by a real `nikola build`; then every cached segment is
read back and written both ways (the WAV the cache held before, 44 bytes of header plus the
samples, and the FLAC it holds now), with soundfile's encode and decode speed; then one post's
MP3 is made as before (gain through the limiter, one encode) and as now (an excerpt tells what
the encoder takes, the MP3 is measured and, on a miss, made again), with the loudness each lands at.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "support"))

ENGINES = {"espeak": 'TTS_ENGINE = "espeak"\n', "piper": 'TTS_ENGINE = "piper"\nTTS_VOICE = None\n'}


def narrate(engine: str, root: Path) -> Path:
    from sites import BuiltSite

    site = BuiltSite(root)
    site.set_conf(ENGINES[engine])
    for post in sorted(CORPUS.glob("*.html")):
        shutil.copy(post, site.root / "posts" / post.name)
    site.build()
    return site.root


def sizes(root: Path) -> dict:
    import soundfile

    from nikola_tts.audio.flac import to_flac_bytes
    from nikola_tts.cache.segments import SegmentStore

    store = SegmentStore(root / "tts_cache" / "segments")
    audios = [store.load(s.key) for s in store.stored()]
    seconds = sum(a.seconds for a in audios)
    started = time.perf_counter()
    flacs = [to_flac_bytes(a) for a in audios]
    encode = time.perf_counter() - started
    started = time.perf_counter()
    for data in flacs:
        soundfile.read(io.BytesIO(data), dtype="int16")
    decode = time.perf_counter() - started
    return {"segments": len(audios), "hours": seconds / 3600, "rate": audios[0].sample_rate,
            "wav": sum(44 + len(a.samples) for a in audios), "flac": sum(len(d) for d in flacs),
            "encode_x": seconds / encode, "decode_x": seconds / decode}


def measured(path: str) -> float:
    err = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", path, "-af", "ebur128", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    return float(re.findall(r"I:\s*(-?[\d.]+) LUFS", err)[-1])


def loudness_costs(root: Path, folder: Path) -> dict:
    """One post's MP3 as before (gain through the limiter, once) and as now (encode_mp3)."""
    import json

    from nikola_tts.audio import mp3
    from nikola_tts.audio.join import join_with_pauses
    from nikola_tts.cache.segments import SegmentStore

    manifest = json.loads(next((root / "tts_cache" / "manifests" / "en").glob("*jevons*.json")).read_text())
    store = SegmentStore(root / "tts_cache" / "segments")
    audio = join_with_pauses((store.load(s["key"]), s["pause_after"]) for s in manifest["segments"])
    started = time.perf_counter()
    before = str(folder / "before.mp3")
    gain = -16.0 - mp3._integrated_loudness(audio)
    gain += -16.0 - mp3._integrated_loudness(audio, gain)
    mp3._run(mp3._encoder(audio, gain, before, "64k", {}), audio)
    before_s = time.perf_counter() - started
    started = time.perf_counter()
    now = folder / "now.mp3"
    mp3.encode_mp3(audio, now, mp3.Tags("t", "a", "b"), tmp_dir=folder)
    now_s = time.perf_counter() - started
    return {"minutes": audio.seconds / 60, "before_s": before_s, "now_s": now_s,
            "before_lufs": measured(before), "now_lufs": measured(str(now))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="espeak,piper")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"{CORPUS} is not here")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for engine in args.engines.split(","):
            root = narrate(engine, Path(tmp) / engine)
            rows.append((engine, sizes(root), loudness_costs(root, Path(tmp))))
    print("\nsegment cache, per hour of audio")
    print("| engine | segments | audio | rate | WAV MB/h | FLAC MB/h | FLAC/WAV | FLAC encode | FLAC decode |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for engine, s, _ in rows:
        print(f"| {engine} | {s['segments']} | {s['hours'] * 60:.1f} min | {s['rate']} Hz | {s['wav'] / 1e6 / s['hours']:.0f} "
              f"| {s['flac'] / 1e6 / s['hours']:.0f} | {s['flac'] / s['wav']:.2f} | {s['encode_x']:.0f}x real time "
              f"| {s['decode_x']:.0f}x real time |")
    print("\none post's MP3 at -16 LUFS: gain through the limiter, one encode (before) vs. measured on the MP3 (now)")
    print("| engine | audio | before: LUFS | before: s | now: LUFS | now: s | now/before time |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for engine, _, c in rows:
        print(f"| {engine} | {c['minutes']:.1f} min | {c['before_lufs']:.1f} | {c['before_s']:.1f} | {c['now_lufs']:.1f} "
              f"| {c['now_s']:.1f} | {c['now_s'] / c['before_s']:.2f} |")


if __name__ == "__main__":
    main()
