"""espeak-ng: offline, fast, robotic. Used by tests, drafts and machines with nothing else."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, Sequence

from nikola_tts.audio.pcm import Audio
from nikola_tts.engines.base import Engine, Request, inline_phonemes
from nikola_tts.errors import SynthesisError, TTSError

BASE_WORDS_PER_MINUTE = 175

# Nikola language codes whose espeak-ng voice is not simply the code with "-" for "_".
_LANGUAGE_VOICES = {"en": "en-us", "pt": "pt", "pt_br": "pt-br", "zh_cn": "cmn", "zh_tw": "yue", "zh": "cmn"}


class EspeakEngine(Engine):
    name = "espeak"
    max_chars = 1500
    realtime_factor_guess = 0.02
    phoneme_alphabet = "x-espeak"  # espeak-ng's own ASCII phoneme mnemonics, as `espeak-ng -x` prints them

    def __init__(self, options):
        super().__init__(options)
        self._voices: set[str] | None = None

    @classmethod
    def unavailable_reason(cls, options):
        return None if shutil.which("espeak-ng") else "espeak-ng is not installed"

    @property
    def words_per_minute(self) -> int:
        return int(round(BASE_WORDS_PER_MINUTE * float(self.options.speed)))

    def resolve_voice(self, voice, language):
        if voice:
            return str(voice)
        code = language.lower()
        return _LANGUAGE_VOICES.get(code, code.replace("_", "-"))

    def identity(self, voice, language):
        # The espeak-ng version stays out: a distro upgrade should not re-narrate a whole blog.
        return f"espeak-ng|voice={voice}|wpm={self.words_per_minute}"

    def load(self):
        if not shutil.which("espeak-ng"):
            raise TTSError("espeak-ng not found: install it (e.g. `apt-get install espeak-ng` or `brew install espeak-ng`), "
                           "or set TTS_ENGINE to another engine")

    def voice_problem(self, voice, language):
        if not shutil.which("espeak-ng"):
            return None  # load() says how to install it, and only if something is to be spoken
        if voice.split("+", 1)[0].lower() not in self._known_voices():
            return (f"espeak-ng has no voice {voice!r}: set TTS_VOICE to one listed by `espeak-ng --voices` "
                    "(a variant may follow '+', e.g. 'en-us+f2')")
        return None

    def check_voice(self, voice, language):
        problem = self.voice_problem(voice, language)
        if problem:
            raise TTSError(problem)

    def voices(self):
        # The language column of `espeak-ng --voices`: what resolve_voice picks and TTS_VOICE names.
        return sorted({cols[1] for cols in self._voice_table()})

    def speaks(self, voice, language):
        return shutil.which("espeak-ng") is None or voice.split("+", 1)[0].lower() in self._known_voices()

    def _known_voices(self) -> set[str]:
        if self._voices is None:
            names = set()
            for cols in self._voice_table():
                names.update({cols[1].lower(), cols[3].lower(), cols[4].lower(), cols[4].split("/")[-1].lower()})
            self._voices = names
        return self._voices

    @staticmethod
    def _voice_table() -> list[list[str]]:
        """The rows of `espeak-ng --voices`: priority, language, gender, name, file, ..."""
        out = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, check=True).stdout
        return [cols for cols in (line.split() for line in out.splitlines()[1:]) if len(cols) >= 5]

    @property
    def batch_size(self):
        return self.options.batch_size or 4 * (os.cpu_count() or 1)

    def synthesize(self, requests: Sequence[Request]) -> Iterator[tuple[int, Audio | Exception]]:
        workers = min(len(requests), os.cpu_count() or 1) or 1
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(self._speak, r) for r in requests]
            for i, future in enumerate(futures):
                try:
                    yield i, future.result()
                except Exception as exc:  # one bad segment must not sink the others
                    yield i, exc

    def _speak(self, request: Request) -> Audio:
        text = inline_phonemes(request.text)
        with tempfile.TemporaryDirectory(prefix="nikola-tts-") as tmp:
            wav = os.path.join(tmp, "out.wav")
            cmd = ["espeak-ng", "-v", request.voice, "-s", str(self.words_per_minute), "-b", "1", "-w", wav, "--stdin"]
            proc = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True)
            if proc.returncode != 0 or not os.path.exists(wav):
                err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
                raise SynthesisError(f"espeak-ng failed: {err[-1] if err else 'exit status %d' % proc.returncode}")
            with open(wav, "rb") as f:
                return Audio.from_wav_bytes(f.read())

    def describe(self):
        return f"espeak-ng at {self.words_per_minute} words per minute"
