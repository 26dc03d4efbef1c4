"""`nikola tts`: narrate now, see what is stale, or re-narrate everything after a voice change."""

from __future__ import annotations

import logging
import os

from nikola_tts.cache import SegmentCache
from nikola_tts.files import read_json
from nikola_tts.manifest import write_manifest
from nikola_tts.posts import Planner
from nikola_tts.publish import is_current
from nikola_tts.settings import Settings
from nikola_tts.steps import assemble_step, failures, synthesize_step

# Before anything is measured here: ~15 characters of prose make a second of narration.
DEFAULT_AUDIO_SECONDS_PER_CHAR = 1 / 15


def select(site, planner: Planner, wanted: list[str]):
    """(spec, post) pairs for narrated posts matching any of the paths or slugs (all if none)."""
    posts = {post.source_path: post for post in planner.candidates()}
    narrated, _ = planner.plan()
    chosen, unmatched = [], set(wanted)
    for spec in narrated:
        post = posts[spec["source"]]
        names = {spec["source"], os.path.normpath(spec["source"]), post.meta[spec["lang"]]["slug"],
                 os.path.basename(spec["source"])}
        hits = {w for w in wanted if w in names or os.path.normpath(w) in names}
        if wanted and not hits:
            continue
        unmatched -= hits
        chosen.append((spec, post))
    return chosen, sorted(unmatched)


def ensure_compiled(post, lang) -> None:
    fragment = post.translated_base_path(lang)
    source = post.translated_source_path(lang)
    if not os.path.exists(fragment) or os.path.getmtime(fragment) < os.path.getmtime(source):
        post.compile(lang)


def estimate(settings: Settings, engine, audio_chars: int) -> tuple[float, float, bool]:
    """(audio seconds, synthesis seconds, measured?) at this machine's recorded speed."""
    stats = (read_json(os.path.join(settings.cache_folder, "stats.json"), {}) or {}).get(engine.name)
    per_char = (stats or {}).get("audio_seconds_per_char", DEFAULT_AUDIO_SECONDS_PER_CHAR)
    rtf = (stats or {}).get("realtime_factor", engine.realtime_factor_guess)
    audio = audio_chars * per_char
    return audio, audio * rtf, stats is not None


def dry_run(settings, planner, chosen, out=print) -> int:
    cache = SegmentCache(settings.cache_folder)
    rows, total_chars = [], 0
    for spec, post in chosen:
        manifest = write_manifest(spec)
        missing = [s for s in manifest["segments"] if not cache.has(s["key"])]
        if not missing and is_current(spec) and (read_json(spec["sidecar"]) or {}).get("digest") == manifest["digest"]:
            continue
        n = sum(len(s["text"]) for s in missing)
        total_chars += n
        rows.append((spec["source"], spec["lang"], f"{len(missing)}/{len(manifest['segments'])}", n))
    if not rows:
        out("Nothing is stale: every narrated post is up to date.")
        return 0
    audio, synth, measured = estimate(settings, planner.engine, total_chars)
    width = max(len(r[0]) for r in rows)
    out(f"Stale narrations ({planner.engine.describe()}):")
    out(f"  {'post'.ljust(width)}  lang  segments  characters  audio")
    for source, lang, segs, n in rows:
        est, _, _ = estimate(settings, planner.engine, n)
        out(f"  {source.ljust(width)}  {lang:<4}  {segs:>8}  {n:>10,}  ~{est / 60:.1f} min")
    basis = "measured on this machine" if measured else "a first guess until something is narrated here"
    out(f"Total: {len(rows)} post(s), {total_chars:,} characters to synthesize, ~{audio / 60:.1f} min of audio, "
        f"~{_human(synth)} to synthesize ({basis})")
    return 0


def narrate(settings, chosen, force: bool, log: logging.Logger) -> int:
    manifests = []
    for spec, post in chosen:
        write_manifest(spec)
        manifests.append(spec["manifest"])
    synthesize_step(manifests, settings, force=force)
    for spec, _ in chosen:
        assemble_step(spec)
    failed = failures(settings.cache_folder)
    done = [spec for spec, _ in chosen if (read_json(spec["sidecar"]) or {}).get("status") == "ok"]
    log.info(f"{len(done)} narration(s) published; run `nikola build` to update the pages")
    return 1 if failed and not settings.continue_on_error else 0


def serve(site, settings: Settings, host: str, port: int, log: logging.Logger) -> int:
    """`nikola tts serve`: the local engine on OpenAI's speech API (see nikola_tts.serve)."""
    from nikola_tts.serve import serve as run_server
    from nikola_tts.settings import per_lang

    default_lang = site.config["DEFAULT_LANG"]
    language = per_lang(settings.language, default_lang, default_lang) or default_lang
    return run_server(settings, host, port, str(language), announce=log)


def _human(seconds: float) -> str:
    if seconds < 90:
        return f"{max(seconds, 1):.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
