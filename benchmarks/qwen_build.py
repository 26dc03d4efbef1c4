"""What a blogger waits for: the whole `nikola build` after an edit, on this machine, phase by phase.

    python benchmarks/qwen_build.py                       # GPU: random full-size checkpoint, all scenarios
    python benchmarks/qwen_build.py --engines fast,warm   # which ways to narrate
    python benchmarks/qwen_build.py --tiny                # CPU smoke test with the tests' tiny checkpoint

A real Nikola site is made from the corpus posts (../shared/corpus/*.html) and built by the
real `nikola build` in a fresh process, as a writer runs it, for these scenarios:

    (c) scratch   the three posts, nothing narrated yet (about 50 minutes of audio)
    (0) nothing   the same site built again: nothing stale (Nikola's own cost; no torch)
    (a) edit      one paragraph of one post changed (one or two segments stale)
    (b) new post  a new 15-minute post (every paragraph of a corpus post, reworded)

and these ways of narrating (the site's engine settings; each way starts from its own copy of
the site, so each narrates the same segments):

    fast    TTS_FAST "auto": the fast path, model loaded by the build (cold)
    plain   TTS_FAST False: upstream qwen-tts through the engine's plain batched path (cold)
    warm    TTS_ENGINE_OPTIONS "warm": the first build starts a warm narration process and loads
            the model there; the next builds narrate through it (a2: a second edit, warm)

Model: --model names a checkpoint folder; by default benchmarks/qwen_checkpoint.py writes the
full-size architecture with random weights in the released layout (once; reused). Random weights
never say "stop", so every segment is held to its read-aloud length (16 characters per second,
the engine's benchmark option fixed_cps), as in qwen_rtf.py. Each build's output lines are
timestamped as they arrive; the phases are read off them:

    start->scan     Python, Nikola and its plugins start, posts scanned
    scan->synth     Nikola renders what the narration depends on
    load            the synthesis task starts -> the engine says what it narrates with (imports, model)
    narrate         -> the last segment is stored (generation, decoding)
    mp3s            -> the last post's MP3 is published (what is left of encoding them ahead, then joining)
    pages           -> the last line printed: the rest of Nikola's build
    exit            -> the end of the process (Python's teardown; benchmarks/build_exit.py compares it)

Needs Nikola, ffmpeg and ffprobe, and what the engine needs. Every build's lines go to
--out/builds.log.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]
DEFAULT_CORPUS = next((p for p in (REPO.parent / "shared" / "corpus", REPO / "shared" / "corpus") if p.is_dir()),
                      REPO.parent / "shared" / "corpus")
POSTS = ("the-real-cost-of-running-qwen-tts-locally-three-machines-compared.html",
         "repurposing-enterprise-gpus-the-tesla-p40-home-lab-story.html", "jevons-paradox.html")
EDITED_POST = POSTS[0]
NEW_POST_FROM = POSTS[2]
CONF = """\
import nikola_tts
BLOG_AUTHOR = "A.C. Jokela"
BLOG_TITLE = "Narration benchmark"
SITE_URL = "https://example.org/"
BLOG_EMAIL = "a@example.org"
BLOG_DESCRIPTION = "The corpus posts, narrated"
DEFAULT_LANG = "en"
TRANSLATIONS = {{"en": ""}}
THEME = "bootblog4"
POSTS = (("posts/*.html", "posts", "post.tmpl"),)
PAGES = ()
COMPILERS = {{"html": [".html"]}}
TIMEZONE = "UTC"
EXTRA_PLUGINS_DIRS = [nikola_tts.PLUGIN_DIR]
TTS_ENGINE = "qwen"
TTS_MODEL = {model!r}
TTS_VOICE = None
TTS_FAST = {fast!r}
TTS_ENGINE_OPTIONS = {options!r}
{loudness}"""
WAYS = {"fast": dict(fast="auto"), "plain": dict(fast=False), "warm": dict(fast="auto", warm=600)}


@dataclass
class Build:
    label: str
    way: str
    wall: float = 0.0
    marks: dict = field(default_factory=dict)  # phase mark -> seconds since start
    lines: list = field(default_factory=list)  # (seconds, line)
    returncode: int = 0

    def at(self, name: str) -> float | None:
        return self.marks.get(name)

    def found(self, pattern: str) -> str:
        return next((line for _, line in self.lines if re.search(pattern, line)), "")

    def published(self) -> float | None:
        """When the last post's MP3 was published: the next task's line after the last publishing one."""
        last = max((i for i, (_, line) in enumerate(self.lines) if re.search(ASSEMBLE_TASK, line)), default=None)
        if last is None:
            return None
        return next((t for t, line in self.lines[last + 1:] if re.match(r"\.\s+\S", line)), self.wall)

    def phases(self) -> list[str]:
        scan, synth, said = self.at("scan"), self.at("synth"), self.at("narrating")
        stored, published, end = self.at("narrated"), self.published(), self.wall
        last = self.lines[-1][0] if self.lines else end

        def span(a, b):
            return f"{b - a:7.2f}" if a is not None and b is not None else "      -"

        return [span(0.0, scan), span(scan, synth), span(synth, said), span(said, stored), span(stored, published),
                span(published or stored, last), span(last, end)]

    def row(self) -> str:
        narrated = re.search(r"narrating ([\d,]+) segments?", self.found(r"narrating [\d,]+ segments?"))
        audio = re.search(NARRATED, self.found(NARRATED))
        seconds = float(audio.group(1)) * UNIT_SECONDS[audio.group(2)] if audio else 0.0
        failed = "" if self.returncode == 0 else f"  EXIT {self.returncode}"
        return (f"{self.label:<34} {self.way:<6} {narrated.group(1) if narrated else '0':>5} "
                f"{seconds:8.1f} {self.wall:8.2f} " + " ".join(self.phases()) + failed)


HEADER = (f"{'scenario':<34} {'way':<6} {'segs':>5} {'audio s':>8} {'wall s':>8} "
          f"{'start>scan':>7} {'>synth':>7} {'load':>7} {'narrate':>7} {'mp3s':>7} {'pages':>7} {'exit':>7}")
# The progress line's audio length reads as words.audio_length writes it: "45 s", "17.3 min", "2.1 h".
NARRATED = r"narrated ([\d.]+) (s|min|h) of audio"
UNIT_SECONDS = {"s": 1.0, "min": 60.0, "h": 3600.0}
ASSEMBLE_TASK = r"^\.\s+render_tts:assemble:"
MARKS = {"scan": r"Scanning posts.*done", "synth": r"^\.\s+render_tts:synthesize",
         "narrating": r"narrating [\d,]+ segments?", "narrated": NARRATED}


def build(site: Path, label: str, way: str, out: Path, env: dict) -> Build:
    """`nikola build` in a fresh process; every line timestamped as it arrives."""
    result = Build(label, way)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "nikola", "build"], cwd=site, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)
    for line in proc.stdout:
        now = time.perf_counter() - started
        result.lines.append((now, line.rstrip("\n")))
        for mark, pattern in MARKS.items():
            if mark not in result.marks and re.search(pattern, line):
                result.marks[mark] = now
    result.returncode = proc.wait()
    result.wall = time.perf_counter() - started
    with open(out / "builds.log", "a", encoding="utf-8") as log:  # one file: every build's lines, timestamped
        log.write(f"==== {way}: {label} (exit {result.returncode}, {result.wall:.2f} s)\n")
        log.write("\n".join(f"{t:8.3f}  {line}" for t, line in result.lines) + "\n\n")
    return result


@dataclass(frozen=True)
class Knobs:
    """What every benchmark site sets beside its way of narrating."""

    fixed_cps: float  # TTS_ENGINE_OPTIONS["fixed_cps"]: characters per second of audio (0: EOS)
    loudness: float | None = None  # TTS_LOUDNESS (None: the plugin's default)
    max_chars: int | None = None  # TTS_ENGINE_OPTIONS["max_chars"] (None: the engine's)


def make_site(root: Path, model: Path, way: str, corpus: Path, posts, knobs: Knobs) -> Path:
    (root / "posts").mkdir(parents=True)
    set_way(root, model, way, knobs)
    for name in posts:
        shutil.copy2(corpus / name, root / "posts" / name)
    return root


def set_way(site: Path, model: Path, way: str, knobs: Knobs) -> None:
    settings = dict(WAYS[way])
    options = {"fixed_cps": knobs.fixed_cps}
    if knobs.max_chars:
        options["max_chars"] = knobs.max_chars
    if "warm" in settings:
        options["warm"] = settings.pop("warm")
    (site / "conf.py").write_text(site_conf(model, settings["fast"], options, knobs.loudness), encoding="utf-8")


def site_conf(model: Path, fast, options: dict, loudness: float | None = None) -> str:
    """conf.py of a benchmark site: the corpus posts, narrated by Qwen3-TTS with these settings."""
    return CONF.format(model=str(model), fast=fast, options=options,
                       loudness="" if loudness is None else f"TTS_LOUDNESS = {loudness!r}\n")


def edit_paragraph(site: Path, which: int) -> str:
    """Reword the `which`-th longest-but-median paragraph of the edited post: its first sentence gets a word."""
    path = site / "posts" / EDITED_POST
    html = path.read_text(encoding="utf-8")
    paragraphs = [m for m in re.finditer(r"<p>([^<]{200,})</p>", html)]
    paragraphs.sort(key=lambda m: len(m.group(1)))
    chosen = paragraphs[len(paragraphs) // 2 + which]
    text = chosen.group(1)
    edited = f"As it turns out, {text[0].lower()}{text[1:]}"
    path.write_text(html[:chosen.start(1)] + edited + html[chosen.end(1):], encoding="utf-8")
    return text[:60]


def add_new_post(site: Path, corpus: Path) -> None:
    """A new post of the same length as a corpus post, every sentence reworded (so nothing is cached)."""
    html = (corpus / NEW_POST_FROM).read_text(encoding="utf-8")
    html = html.replace(".. slug: jevons-paradox", ".. slug: jevons-paradox-revisited")
    html = re.sub(r"^\.\. title: (.+)$", r".. title: \1, revisited", html, count=1, flags=re.M)
    head, _, body = html.partition("-->")
    body = re.sub(r"<(p|li|h[1-6])>", r"<\1>Once more: ", body.replace(". ", ". Indeed, "))
    html = head + "-->" + body
    (site / "posts" / "jevons-paradox-revisited.html").write_text(html, encoding="utf-8")


def _stop_warm_processes() -> None:
    """The benchmark's warm processes would otherwise stay up (and hold GPU memory) for their idle time."""
    from nikola_tts.engines.qwen import warm

    uid = os.getuid()
    for path in Path(tempfile.gettempdir()).glob(f"nikola-tts-qwen-{uid}-*.sock"):
        warm.stop(path)


def snapshot(site: Path, to: Path) -> Path:
    shutil.copytree(site, to, symlinks=True)
    return to


def summary(command: str, rows: list[Build]) -> None:
    """The command, then every build's row again, together at the end."""
    print()
    print(f"command: {command}")
    print(HEADER)
    for row in rows:
        print(row.row())


def checkpoint_for(args, env: dict) -> Path:
    """The model folder the builds narrate with: --tiny's (its fixed_cps 400 unless given; one thread,
    as tiny matrices want, in `env`), --model, or the random full-size checkpoint, written once."""
    if args.tiny:
        sys.path.insert(0, str(REPO / "tests" / "support"))
        from tiny_qwen import build_tiny_checkpoint

        env["OMP_NUM_THREADS"] = "1"
        args.fixed_cps = args.fixed_cps if args.fixed_cps != 16.0 else 400.0
        return build_tiny_checkpoint(Path(tempfile.gettempdir()) / "qwen3-tts-tiny-random")
    if args.model:
        return args.model
    from qwen_checkpoint import corpus_texts, ensure_checkpoint

    started = time.perf_counter()
    model = ensure_checkpoint(args.checkpoint, corpus_texts(args.corpus), "cuda")
    print(f"checkpoint {model} ready in {time.perf_counter() - started:.1f} s", flush=True)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None, help="checkpoint folder (default: a random full-size one)")
    parser.add_argument("--checkpoint", type=Path, default=Path("/tmp/qwen3-tts-random-full"),
                        help="where the random checkpoint is written (once)")
    parser.add_argument("--tiny", action="store_true", help="the tests' tiny checkpoint, on the CPU (smoke test)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--engines", default="fast,warm,plain", help="comma-separated: fast, warm, plain")
    parser.add_argument("--scenarios", default="scratch,nothing,edit,new",
                        help="comma-separated: scratch, nothing, edit, new (plain skips scratch unless listed "
                             "in --plain-scenarios)")
    parser.add_argument("--plain-scenarios", default="edit,new")
    parser.add_argument("--fixed-cps", type=float, default=16.0, help="characters per second of audio (0: EOS)")
    parser.add_argument("--loudness", type=float, default=None,
                        help="the sites' TTS_LOUDNESS (default: the plugin's, -16 LUFS). Random weights narrate at "
                             "about -18 LUFS, which the limiter cannot lift to -16: their MP3s then search for a gain "
                             "on every build that moves the measurement, where a real voice takes one encode; a "
                             "target they reach, such as -20, measures the MP3s a real voice costs")
    parser.add_argument("--max-chars", type=int, default=None,
                        help="the sites' TTS_ENGINE_OPTIONS['max_chars'] (default: the engine's)")
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "/tmp")) / "qwen-build")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("NIKOLA_MONO", None)
    model = checkpoint_for(args, env)
    knobs = Knobs(args.fixed_cps, args.loudness, args.max_chars)
    ways = [w.strip() for w in args.engines.split(",") if w.strip()]
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    command = " ".join([Path(sys.argv[0]).name] + sys.argv[1:])
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], env=env, capture_output=True)
    print(f"`python -c 'import torch'` took {time.perf_counter() - started:.2f} s (disk caches warmed)", flush=True)
    if env.get("PYTHONDONTWRITEBYTECODE"):
        # A blogger's pip compiles what it installs; without bytecode every build compiles Nikola, doit and
        # nikola_tts from source (a nothing-stale build: 0.67 s -> 1.77 s on 2 cores). Precompile, or unset it.
        print("PYTHONDONTWRITEBYTECODE is set: modules without bytecode are compiled anew by every build "
              "(`python -m compileall -q` the install first)", flush=True)

    rows: list[Build] = []

    def run(site, label, way):
        rows.append(build(site, label, way, args.out, env))
        print(rows[-1].row(), flush=True)
        for pattern in (r"Qwen3-TTS: loaded", r"Qwen3-TTS fast path: \d+ segments", r"warm process",
                        r"ERROR|Traceback"):
            line = rows[-1].found(pattern)
            if line:
                print(f"    {line.strip()[:220]}", flush=True)

    root = Path(tempfile.mkdtemp(prefix="qwen-build-"))
    print(HEADER, flush=True)
    base = make_site(root / "fast", model, "fast", args.corpus, POSTS, knobs)
    if "scratch" in scenarios:
        run(base, "(c) scratch: 3 posts", "fast")
    else:  # the cache still has to be filled once
        build(base, "fill", "fast", args.out, env)
    if "nothing" in scenarios:
        run(base, "(0) nothing stale", "fast")
    before_edit = snapshot(base, root / "before-edit")
    if "edit" in scenarios and "fast" in ways:
        edit_paragraph(base, 0)
        run(base, "(a) one paragraph edited", "fast")
    before_new = snapshot(base, root / "before-new") if "fast" in ways else None
    if "new" in scenarios and "fast" in ways:
        add_new_post(base, args.corpus)
        run(base, "(b) one new 15-min post", "fast")
    if "warm" in ways:
        site = snapshot(before_edit, root / "warm")
        set_way(site, model, "warm", knobs)
        edit_paragraph(site, 0)
        run(site, "(a) edit, starts the warm process", "warm")
        edit_paragraph(site, 1)
        run(site, "(a2) another edit, warm process", "warm")
        add_new_post(site, args.corpus)
        run(site, "(b) new post, warm process", "warm")
        run(site, "(0) nothing stale, warm setting", "warm")
        _stop_warm_processes()
    if "plain" in ways:
        plain_scenarios = [s.strip() for s in args.plain_scenarios.split(",")]
        if "edit" in plain_scenarios:
            site = snapshot(before_edit, root / "plain-edit")
            set_way(site, model, "plain", knobs)
            edit_paragraph(site, 0)
            run(site, "(a) one paragraph edited", "plain")
        if "new" in plain_scenarios and before_new is not None:
            site = snapshot(before_new, root / "plain-new")
            set_way(site, model, "plain", knobs)
            add_new_post(site, args.corpus)
            run(site, "(b) one new 15-min post", "plain")
        if "scratch" in plain_scenarios:
            site = make_site(root / "plain-scratch", model, "plain", args.corpus, POSTS, knobs)
            run(site, "(c) scratch: 3 posts", "plain")
    summary(f"python benchmarks/{command}", rows)
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
