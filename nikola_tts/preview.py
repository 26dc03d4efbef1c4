"""Look at a built site as a listener would: a static server that answers HTTP Range requests and
serves many requests at once.

    python3 -m nikola_tts.preview [--host 127.0.0.1] [--port 8000] [FOLDER]   (FOLDER: output/)

`nikola serve` (Python's http.server) answers every request with the whole file, one request at
a time: a browser cannot seek in the narration, and while a long MP3 streams to the page the
next page waits. This is the same file server with RangeHTTPServer's Range support (206 and
Content-Range) on a ThreadingHTTPServer. For looking at a site locally only: it serves files as
they are, with no access control beyond the folder.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from http.server import ThreadingHTTPServer


def make_server(folder: str, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A server for folder, bound and ready for serve_forever() (port 0 picks a free one)."""
    from RangeHTTPServer import RangeRequestHandler

    class Handler(RangeRequestHandler):
        extensions_map = {**RangeRequestHandler.extensions_map, ".vtt": "text/vtt; charset=utf-8",
                          ".json": "application/json", ".mp3": "audio/mpeg"}

        def log_message(self, format, *args):  # one line a request, without the noise of each Range
            if not self.headers.get("Range"):
                super().log_message(format, *args)

    if not os.path.isdir(folder):
        raise SystemExit(f"{folder} is not a folder: build the site first (nikola build), or name its output folder")
    server = ThreadingHTTPServer((host, port), functools.partial(Handler, directory=folder))
    server.daemon_threads = True
    return server


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m nikola_tts.preview", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default="output", help="the built site (default: output)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    server = make_server(args.folder, args.host, args.port)
    host, port = server.server_address[:2]
    print(f"Serving {os.path.abspath(args.folder)} at http://{host}:{port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
