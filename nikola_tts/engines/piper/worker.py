"""The Piper worker: a separate program that loads one Piper voice and speaks what it is sent.

piper-tts is GPL-3.0-or-later, nikola-tts is MIT. The plugin never imports `piper`; it runs
this file as its own process (`sys.executable worker.py ...`), and this process is the only
one that does. The two talk through pipes and files, as with espeak-ng and ffmpeg:

* started with the voice and the synthesis settings as arguments (see `--help`); it loads the
  voice once, then writes one line to stdout:
  {"ready": true, "sample_rate": 22050, "piper": "1.8.0"}  or  {"error": "why"}  (and exits 2)
* then, per line on stdin, {"id": 7, "text": "...", "out": "/tmp/x/7.wav"}: it writes the
  speech to "out" (mono 16-bit WAV) and answers {"id": 7, "ok": true, "seconds": 3.2} or
  {"id": 7, "error": "why"}; a bad text does not end the worker.
* it exits when stdin closes.

It imports nothing from nikola_tts, so it can run from any folder with any Python that has
piper-tts installed.
"""

import os
import sys

# Run by path, this file's folder comes first on sys.path, and that folder holds nikola-tts's
# own engine modules (engine.py, voice.py, pool.py, ...): off the path with it, so that no module
# piper or onnxruntime imports can resolve to one of them.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import wave  # noqa: E402


def _answer(channel, **fields) -> None:
    channel.write(json.dumps(fields) + "\n")
    channel.flush()


def _load_voice(model: str, config: str, threads: int):
    from piper import PiperVoice

    if threads > 0:
        # PiperVoice.load takes no session options; build the same voice with a thread limit,
        # so that several workers share the cores instead of fighting over them.
        try:
            import onnxruntime
            from piper.config import PiperConfig

            with open(config, encoding="utf-8") as f:
                piper_config = PiperConfig.from_dict(json.load(f))
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            session = onnxruntime.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
            return PiperVoice(config=piper_config, session=session)
        except TypeError:  # a piper-tts whose PiperVoice fields differ: its own loader, default threads
            pass
    return PiperVoice.load(model, config_path=config)


def _speak(voice, synthesis, text: str, out: str, sentence_silence: float) -> float:
    rate = voice.config.sample_rate
    gap = b"\x00\x00" * int(round(sentence_silence * rate))
    frames = 0
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        for i, chunk in enumerate(voice.synthesize(text, synthesis)):  # one chunk per sentence
            if i and gap:
                wav.writeframes(gap)
                frames += len(gap) // 2
            if chunk.sample_rate != rate or chunk.sample_channels != 1 or chunk.sample_width != 2:
                raise ValueError(f"unexpected audio from Piper: {chunk.sample_rate} Hz, "
                                 f"{chunk.sample_channels} channel(s), {chunk.sample_width * 8}-bit")
            data = chunk.audio_int16_bytes
            wav.writeframes(data)
            frames += len(data) // 2
    return frames / rate


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="the voice's .onnx file")
    parser.add_argument("--config", required=True, help="the voice's .onnx.json file")
    parser.add_argument("--speaker", type=int, default=None, help="speaker id (multi-speaker voices)")
    parser.add_argument("--length-scale", type=float, default=None, help="phoneme length; > 1 is slower")
    parser.add_argument("--noise-scale", type=float, default=None)
    parser.add_argument("--noise-w-scale", type=float, default=None)
    parser.add_argument("--sentence-silence", type=float, default=0.0, help="seconds between sentences")
    parser.add_argument("--threads", type=int, default=0, help="onnxruntime threads; 0: its default")
    args = parser.parse_args(argv)

    # stdout carries the protocol and nothing else: whatever a library prints goes to stderr.
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", newline="\n")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    requests = open(sys.stdin.fileno(), encoding="utf-8", closefd=False)

    try:
        from piper import SynthesisConfig

        voice = _load_voice(args.model, args.config, args.threads)
        synthesis = SynthesisConfig(speaker_id=args.speaker, length_scale=args.length_scale,
                                    noise_scale=args.noise_scale, noise_w_scale=args.noise_w_scale)
        try:
            from importlib.metadata import version

            piper_version = version("piper-tts")
        except Exception:
            piper_version = "unknown"
    except Exception as exc:
        _answer(channel, error=f"{type(exc).__name__}: {exc}".strip())
        return 2
    _answer(channel, ready=True, sample_rate=voice.config.sample_rate, piper=piper_version)

    for line in requests:
        if not line.strip():
            continue
        request_id = None
        try:
            request = json.loads(line)
            request_id = request["id"]
            seconds = _speak(voice, synthesis, request["text"], request["out"], args.sentence_silence)
        except Exception as exc:  # this text failed; the next one may not
            _answer(channel, id=request_id, error=f"{type(exc).__name__}: {exc}".strip())
            continue
        _answer(channel, id=request_id, ok=True, seconds=seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
