"""Load on `nikola tts serve` (espeak-ng) over loopback: N concurrent clients for a bounded time.

    python3 benchmarks/serve_load.py [--clients 1,8,32] [--seconds 10] [--format wav,pcm,mp3]

For each format and client count: a fresh server in a throwaway site, a warm-up request, then every client
posts paragraphs back to back on its own kept-alive connection until the time is up. Reports
requests/s, audio seconds served per second, p50/p99 latency, errors (anything but 200 with
audio; must be 0), how the server batched, and the server's resident memory (VmRSS) before and
after. Needs the [serve] extra, espeak-ng and Linux (/proc) for the memory column.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CONF = """\
import nikola_tts
BLOG_AUTHOR = "Bench"
BLOG_TITLE = "Bench"
SITE_URL = "https://example.org/"
BLOG_EMAIL = "a@example.org"
BLOG_DESCRIPTION = "load test"
DEFAULT_LANG = "en"
TRANSLATIONS = {"en": ""}
POSTS = ()
PAGES = ()
TIMEZONE = "UTC"
EXTRA_PLUGINS_DIRS = [nikola_tts.PLUGIN_DIR]
TTS_ENGINE = "espeak"
TTS_VOICE = "en-us"
"""

PARAGRAPHS = [
    "The ferry leaves at dawn, when the harbour is still grey and the gulls are only beginning to argue.",
    "A slow river runs past the mill, where the wheel has not turned for forty years.",
    "She counted the lamps along the pier, one for every night she had waited.",
    "Nobody in the village remembered who had planted the orchard, only that it had always been there.",
    "By noon the fog had lifted, and the whole bay lay open like a page nobody had written on yet.",
    "He kept the letters in a tin box under the stairs, and read one each winter.",
]


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def start_server(site: Path) -> tuple[subprocess.Popen, str, Path]:
    log = site / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "nikola", "tts", "serve", "--port", "0"], cwd=site,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        match = re.search(r"on http://127\.0\.0\.1:(\d+)/v1 ", log.read_text(errors="replace"))
        if match:
            return proc, match.group(1), log
        if proc.poll() is not None:
            raise SystemExit(f"nikola tts serve exited {proc.returncode}:\n{log.read_text(errors='replace')}")
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("nikola tts serve did not start within 60 s")


def post(conn: http.client.HTTPConnection, text: str, fmt: str) -> tuple[int, bytes, dict]:
    body = json.dumps({"input": text, "response_format": fmt}).encode()
    conn.request("POST", "/v1/audio/speech", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, response.read(), dict(response.headers)


def get_json(port: str, path: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
    try:
        conn.request("GET", path)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def run_level(clients: int, seconds: float, fmt: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="serve-load-") as tmp:
        site = Path(tmp)
        (site / "conf.py").write_text(CONF, encoding="utf-8")
        proc, port, log = start_server(site)
        try:
            warm = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
            status, _, _ = post(warm, PARAGRAPHS[0], fmt)
            warm.close()
            if status != 200:
                raise SystemExit(f"warm-up request failed with HTTP {status}")
            rss_before = rss_kib(proc.pid)
            stats_before = get_json(port, "/health")
            latencies: list[float] = []
            errors: list[str] = []
            audio_bytes = [0]
            lock = threading.Lock()
            stop_at = time.monotonic() + seconds

            def client(n: int) -> None:
                conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=120)
                i = n
                while time.monotonic() < stop_at:
                    text = PARAGRAPHS[i % len(PARAGRAPHS)]
                    i += 1
                    started = time.perf_counter()
                    try:
                        status, data, _ = post(conn, text, fmt)
                        ok = status == 200 and len(data) > 1000
                        problem = None if ok else f"HTTP {status}: {data[:200]!r}"
                    except (OSError, http.client.HTTPException) as exc:
                        problem = f"{type(exc).__name__}: {exc}"
                        conn.close()
                        conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=120)
                    elapsed = time.perf_counter() - started
                    with lock:
                        if problem:
                            errors.append(problem)
                        else:
                            latencies.append(elapsed)
                            audio_bytes[0] += len(data)
                conn.close()

            threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
            began = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=seconds + 180)
            wall = time.perf_counter() - began
            stats_after = get_json(port, "/health")
            rss_after = rss_kib(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = "killed"
        latencies.sort()
        nan = float("nan")
        requests = stats_after["requests"] - stats_before["requests"]
        batches = stats_after["batches"] - stats_before["batches"]
        rate = (24000 if fmt == "pcm" else 22050) * 2  # 16-bit mono: espeak-ng's 22050 Hz, PCM resampled to 24 kHz
        return {
            "format": fmt,
            "clients": clients,
            "requests": len(latencies),
            "req_s": len(latencies) / wall,
            "audio_s_per_s": audio_bytes[0] / rate / wall if fmt in ("wav", "pcm") else float("nan"),
            "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] if latencies else nan,
            "errors": len(errors),
            "first_error": errors[0] if errors else "",
            "mean_batch": requests / batches if batches else float("nan"),
            "largest_batch": stats_after["largest_batch"],
            "rss_before_mib": (rss_before or 0) / 1024,
            "rss_after_mib": (rss_after or 0) / 1024,
            "exit": code,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="1,8,32", help="comma-separated client counts (default 1,8,32)")
    parser.add_argument("--seconds", type=float, default=10.0, help="load time per client count (default 10)")
    parser.add_argument("--format", default="wav", help="comma-separated response formats: wav, pcm, mp3 (default wav)")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",") if c.strip()]
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    if not formats or set(formats) - {"wav", "pcm", "mp3"}:
        parser.error(f"--format {args.format!r}: give wav, pcm and/or mp3, comma-separated")
    print(f"nikola tts serve (espeak-ng) on loopback, {args.seconds:g} s per level, {os.cpu_count()} CPUs")
    header = ("| format | clients | requests | req/s | audio s/s | p50 ms | p99 ms | errors | mean batch "
              "| largest batch | RSS before MiB | RSS after MiB | exit |")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    failed = False
    for fmt, clients in ((f, c) for f in formats for c in levels):
        r = run_level(clients, args.seconds, fmt)
        print(f"| {r['format']} | {r['clients']} | {r['requests']} | {r['req_s']:.1f} | {r['audio_s_per_s']:.0f} "
              f"| {r['p50_ms']:.0f} "
              f"| {r['p99_ms']:.0f} | {r['errors']} | {r['mean_batch']:.1f} | {r['largest_batch']} "
              f"| {r['rss_before_mib']:.1f} | {r['rss_after_mib']:.1f} | {r['exit']} |", flush=True)
        if r["errors"]:
            print(f"  first error: {r['first_error']}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
