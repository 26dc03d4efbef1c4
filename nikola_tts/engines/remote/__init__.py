"""The remote engine: narrate on other machines through the OpenAI speech API.

Three kinds of server (flavors.py): vLLM-Omni serving Qwen3-TTS (`vllm serve
Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice --omni ...`), another machine's `nikola tts serve`, and the
OpenAI API itself. Settings (conf.py):

    TTS_ENGINE = "remote"
    TTS_REMOTE_URLS = ["http://gpu-box:8091/v1", "http://gpu-box:8092/v1"]
    TTS_REMOTE_API_KEY_ENV = "NIKOLA_TTS_API_KEY"   # the key itself stays in the environment
    TTS_MODEL = "Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice"  # sent as `model`; None: the server's own
    TTS_VOICE = "ryan"                                  # sent as `voice`; None: the server's default
    TTS_REMOTE_FLAVOR = "auto"                          # the kind of server, asked at load

Load asks every server GET /models (is it there, is the key right, does it serve TTS_MODEL, what
is it) and refuses, before any work, what the server would refuse on every request: a voice it
does not list, instructions over its limit, OpenAI without a model or voice.

Segments are spread over every endpoint, at most TTS_REMOTE_CONCURRENCY in flight on each. A
request that fails (no connection, a timeout, a failed generation, audio that does not decode)
is tried again, on another endpoint when there is one, up to TTS_REMOTE_RETRIES more times; an
endpoint that stops answering is logged once and left alone for a while, but one that is only
slow with a long paragraph stays in use. A malformed request (a field the server refuses) is not
retried, and the paragraphs that would send the same field fail at once, with the setting to fix.
Only the standard library is used.

The cache identity holds what changes the sound (model, voice in lowercase, language, speed,
instructions and any extra request fields) and never the URLs or the kind of server: moving the
server re-narrates nothing.

    engine.py     RemoteEngine: settings, identity, load-time checks, request bodies, the dispatch loop
    flavors.py    the kinds of server and what each takes (language names, voice case, length caps)
    lengths.py    how long a paragraph may speak and wait, and whether it came back cut
    endpoints.py  one server: its URL, kept-alive connections, one request within its deadline, alive or not
    failures.py   why a request failed (no answer, a failed generation, a refused field), in one line
"""

from nikola_tts.engines.remote.engine import RemoteEngine

__all__ = ["RemoteEngine"]
