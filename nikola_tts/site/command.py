"""`nikola tts`: narrate now, see what is stale, or re-narrate everything after a voice change."""

from __future__ import annotations

import logging
import os

from nikola_tts.cache.folder import CacheFolder
from nikola_tts.spoken import write_manifest
from nikola_tts.cache.segments import SegmentStore
from nikola_tts.cache.sidecar import OK, read_sidecar
from nikola_tts.errors import TTSError
from nikola_tts.files import read_json
from nikola_tts.words import audio_length, counted, size
from nikola_tts.settings import Settings
from nikola_tts.site.planner import Planner
from nikola_tts.site.tasks import failed_plans, publish_action
from nikola_tts.voices import voicing_for

# Before anything is measured here: ~15 characters of prose make a second of narration.
DEFAULT_AUDIO_SECONDS_PER_CHAR = 1 / 15


def select(planner: Planner, wanted: list[str]):
    """(plan, post) pairs for narrated posts matching any of the paths or slugs (all if none)."""
    posts = {post.source_path: post for post in planner.candidates()}
    chosen, unmatched = [], set(wanted)
    for plan in planner.plan().narrated:
        post = posts[plan.source]
        names = {plan.source, os.path.normpath(plan.source), post.meta[plan.lang]["slug"],
                 os.path.basename(plan.source)}
        hits = {w for w in wanted if w in names or os.path.normpath(w) in names}
        if wanted and not hits:
            continue
        unmatched -= hits
        chosen.append((plan, post))
    return chosen, sorted(unmatched)


def ensure_compiled(post, lang) -> None:
    fragment = post.translated_base_path(lang)
    source = post.translated_source_path(lang)
    if not os.path.exists(fragment) or os.path.getmtime(fragment) < os.path.getmtime(source):
        post.compile(lang)


def estimate(settings: Settings, engine, audio_chars: int) -> tuple[float, float, bool]:
    """(audio seconds, synthesis seconds, measured?) at this machine's recorded speed."""
    stats = (read_json(CacheFolder(settings.cache_folder).stats, {}) or {}).get(engine.name)
    per_char = (stats or {}).get("audio_seconds_per_char", DEFAULT_AUDIO_SECONDS_PER_CHAR)
    rtf = (stats or {}).get("realtime_factor", engine.realtime_factor_guess)
    audio = audio_chars * per_char
    return audio, audio * rtf, stats is not None


def up_to_date(plan, manifest, store: SegmentStore) -> bool:
    """Published from exactly this manifest, with every segment in the cache: nothing to do."""
    sidecar = read_sidecar(plan.sidecar_path)
    return (bool(sidecar) and sidecar.is_current and sidecar.digest == manifest.digest
            and (sidecar.status != OK or os.path.exists(plan.output))
            and all(store.has(s.key) for s in manifest.segments))


def dry_run(settings, planner, chosen, force: bool = False, out=print) -> int:
    """List what `nikola tts` would narrate (with --regenerate-all: every chosen post, all its segments)."""
    store = SegmentStore(planner.cache.segments)
    rows, total_chars, lexicon, normalizer = [], 0, 0, 0
    for plan, post in chosen:
        manifest = write_manifest(plan)
        if not manifest.segments or (not force and up_to_date(plan, manifest, store)):
            continue
        redo = list(manifest.segments) if force else [s for s in manifest.segments if not store.has(s.key)]
        n = sum(len(s.text) for s in redo)
        total_chars += n
        rows.append((plan.source, plan.lang, f"{len(redo)}/{len(manifest.segments)}", n))
        by_lexicon, by_normalizer = _changed(_spoken(plan).blocks)
        lexicon += by_lexicon
        normalizer += by_normalizer
    if not rows:
        out("Nothing is stale: every narrated post is up to date.")
        return 0
    audio, synth, measured = estimate(settings, planner.engine, total_chars)
    width = max(len(r[0]) for r in rows)
    what = "Narrated again with --regenerate-all" if force else "Stale narrations"
    out(f"{what} ({planner.engine.describe()}):")
    out(f"  {'post'.ljust(width)}  lang  segments  characters  audio")
    for source, lang, segs, n in rows:
        est, _, _ = estimate(settings, planner.engine, n)
        out(f"  {source.ljust(width)}  {lang:<4}  {segs:>8}  {n:>10,}  ~{est / 60:.1f} min")
    basis = "measured on this machine" if measured else "a first guess until something is narrated here"
    out(f"Total: {counted(len(rows), 'post')}, {total_chars:,} characters to synthesize, ~{audio / 60:.1f} min of audio, "
        f"~{audio_length(max(synth, 1))} to synthesize ({basis})")
    out(f"Spoken differently from the page: {counted(lexicon + normalizer, 'span')}, {lexicon} by the lexicon and "
        f"{normalizer} by the normalizer (`nikola tts --say POST` shows them)")
    return 0


def say(chosen, out=print) -> int:
    """`nikola tts --say`: what each post will say, each span read differently from the page shown
    as [written → spoken] ({written → spoken} where the author's lexicon decided), to proofread
    before anything is synthesized."""
    out("[written → spoken]: the normalizer; {written → spoken}: your lexicon")
    for plan, _ in chosen:
        spoken = _spoken(plan)
        out("")
        out(f"{plan.name}: {plan.engine}, voice {plan.voice}, language {plan.language}")
        for block in spoken.blocks:
            label = block.kind
            if block.language:
                voicing = voicing_for(plan.speakers, block.language)
                label += (f", {block.language}: {voicing.engine} voice {voicing.voice}" if voicing
                          else f", {block.language}: LEFT OUT")
            out(f"  [{label}] {_marked(block)}")
        for note in spoken.notes:
            out(f"  note: {note}")
        lexicon, normalizer = _changed(spoken.blocks)
        out(f"  {lexicon + normalizer} span(s) spoken differently from the page: {lexicon} by the lexicon, "
            f"{normalizer} by the normalizer")
    return 0


def _spoken(plan):
    from nikola_tts.spoken import spoken_post

    with open(plan.fragment, encoding="utf-8-sig") as f:
        return spoken_post(f.read(), plan)


def _marked(block) -> str:
    from nikola_tts.text.blocks import LEXICON

    out, at = [], 0
    for change in block.changes:
        out.append(block.text[at:change.start])
        spoken = change.spoken.strip() or "(not read)"
        opening, closing = ("{", "}") if change.source == LEXICON else ("[", "]")
        out.append(f"{opening}{change.written} → {spoken}{closing}")
        if change.spoken.endswith(" "):
            out.append(" ")
        at = change.start + len(change.spoken)
    out.append(block.text[at:])
    return "".join(out)


def _changed(blocks) -> tuple[int, int]:
    """(spans the lexicon changed, spans the normalizer changed)."""
    from nikola_tts.text.blocks import LEXICON

    changes = [change for block in blocks for change in block.changes]
    lexicon = sum(change.source == LEXICON for change in changes)
    return lexicon, len(changes) - lexicon


def narrate(settings, chosen, force: bool, log: logging.Logger) -> int:
    """Narrate the chosen posts that are stale (all of them when forced); with nothing stale, write nothing."""
    from nikola_tts.ahead import EncodeAhead
    from nikola_tts.synthesis import synthesize_all

    store = SegmentStore(CacheFolder(settings.cache_folder).segments)
    work = [(plan, manifest) for plan, manifest in ((plan, write_manifest(plan)) for plan, _ in chosen)
            if (force and manifest.segments) or not up_to_date(plan, manifest, store)]
    if not work:
        log.info("Nothing is stale: every narrated post is up to date, and nothing was written "
                 "(`nikola tts --regenerate-all` narrates them again)")
        return 0
    # Forced, every part is encoded anew when published: none is encoded ahead.
    ahead = EncodeAhead([] if force else [(manifest, plan) for plan, manifest in work])
    try:
        with ahead:
            report = synthesize_all([manifest for _, manifest in work], settings, force=force, post_done=ahead.post_done)
            ahead.finish()
    except TTSError as exc:
        log.error(str(exc))
        return 1
    for problem in report.problems:
        log.error(problem)
    plans = [plan for plan, _ in work]
    for plan in plans:
        publish_action(plan, force=force)
    failed = failed_plans(plans)
    kept = len(chosen) - len(plans)
    log.info(f"{counted(len(plans) - len(failed), 'post')} narrated ({counted(report.segments, 'segment')} synthesized, "
             f"{audio_length(report.audio_seconds)} of new audio)"
             + (f", {kept:,} already up to date" if kept else "")
             + (f", {counted(len(failed), 'post')} failed" if failed else "")
             + "; run `nikola build` to put them on the pages")
    return 1 if failed and not settings.continue_on_error else 0


def prune(planner: Planner, plans, dry_run: bool, out=print) -> int:
    """`nikola tts --prune`: delete now the segment audio no post uses (plans: every narrated post,
    compiled), and the records of posts the site no longer has; with dry_run, only say what would go."""
    from nikola_tts.cache.prune import prune as prune_cache

    for plan in plans:
        write_manifest(plan)  # the posts' text as it is now, edits not yet built included
    everyone = list(plans) + [entry.plan for entry in planner.plan().silenced]
    report = prune_cache(planner.cache, [p.manifest_path for p in everyone], [p.sidecar_path for p in everyone],
                         grace_days=0, dry_run=dry_run)
    records = (f", and the records of {counted(report.removed_posts, 'post')} the site no longer has"
               if report.removed_records else "")
    if dry_run:
        out(f"Would remove {counted(report.removed_segments, 'segment')} ({size(report.removed_bytes)}) that no post "
            f"uses{records}; {counted(report.kept_segments, 'segment')} ({size(report.kept_bytes)}) stay")
        for path in report.removed_records:
            out(f"  {path}")
        return 0
    converted = report.conversion.segments if report.conversion else 0
    out(f"Removed {counted(report.removed_segments, 'segment')} ({size(report.removed_bytes)}) that no post "
        f"used{records}; the cache holds {counted(report.kept_segments, 'segment')} ({size(report.kept_bytes)})"
        + (f", {converted:,} of them converted from WAV to FLAC" if converted else ""))
    return 0


def serve(settings: Settings, host: str, port: int, log: logging.Logger) -> int:
    """`nikola tts serve`: the local engine on OpenAI's speech API (see nikola_tts.serve)."""
    from nikola_tts.serve import serve as run_server

    language = settings.for_lang("language", settings.default_lang) or settings.default_lang
    return run_server(settings, host, port, str(language), announce=log)
