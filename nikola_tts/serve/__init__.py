"""`nikola tts serve`: this site's local engine on OpenAI's speech API, for other machines' builds.

A blogger's laptop sets TTS_ENGINE = "remote" and TTS_REMOTE_URLS = ["http://gpu-box:8091/v1"];
the GPU box runs `nikola tts serve --host 0.0.0.0` in a copy of the site (its conf.py picks the
engine, voice and model; TTS_SERVE_ENGINE names a local engine where TTS_ENGINE is "remote").

Needs starlette, uvicorn and soxr (pip install 'nikola-tts[serve]'); nothing here is imported by a build.
"""

from nikola_tts.serve.server import is_loopback, serve

__all__ = ["is_loopback", "serve"]
