"""The remote engine: narrate on other machines through the OpenAI speech API.

Any server that answers `POST {base}/audio/speech` the way OpenAI's does works: vLLM-Omni
serving Qwen3-TTS (`vllm serve Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice --omni ...`), or another
machine's `nikola tts serve`. Settings (conf.py):

    TTS_ENGINE = "remote"
    TTS_REMOTE_URLS = ["http://gpu-box:8091/v1", "http://gpu-box-2:8091/v1"]
    TTS_REMOTE_API_KEY_ENV = "NIKOLA_TTS_API_KEY"   # the key itself stays in the environment
    TTS_MODEL = "Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice"  # sent as `model`; None: the server's own
    TTS_VOICE = "ryan"                                  # sent as `voice`; None: the server's default

Segments are spread over every endpoint, at most TTS_REMOTE_CONCURRENCY in flight on each. A
request that fails (no connection, a timeout, a 5xx or 429 answer, audio that does not decode)
is tried again, on another endpoint when there is one, up to TTS_REMOTE_RETRIES more times; an
endpoint that stops answering is logged once and left alone for a while. Answers that say the
request itself is wrong (400, 401, 404, ...) are not retried. Only the standard library is used.

The cache identity holds what changes the sound (model, voice, language, speed, instructions and
any extra request fields) and never the URLs: moving the server re-narrates nothing.

    engine.py     RemoteEngine: settings, identity, request bodies, spreading and retrying segments
    endpoints.py  one server: its URL, kept-alive connections, one request within its deadline, alive or not
    failures.py   why a request failed (no answer, or an answer that says no), in one line
"""

from nikola_tts.engines.remote.engine import RemoteEngine

__all__ = ["RemoteEngine"]
