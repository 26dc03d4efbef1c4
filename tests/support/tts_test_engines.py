"""Real engines with a window onto them, for tests: espeak-ng underneath, every text it is asked
to speak appended to a log file (TTS_ENGINE_OPTIONS = {"log": path})."""

import json

from nikola_tts.engines.espeak import EspeakEngine
from nikola_tts.errors import SynthesisError


class CountingEspeak(EspeakEngine):
    name = "espeak"  # same measured-speed bucket as the engine it wraps

    def load(self):
        super().load()
        with open(self.options.extra["log"] + ".loads", "a", encoding="utf-8") as f:
            f.write("load\n")

    def _speak(self, request):
        audio = super()._speak(request)
        with open(self.options.extra["log"], "a", encoding="utf-8") as f:
            f.write(json.dumps({"text": request.text, "seconds": audio.seconds, "voice": request.voice,
                                "language": request.language}) + "\n")
        return audio


class EnglishOnlyEspeak(CountingEspeak):
    """Speaks English alone, as Piper does out of the box: a paragraph in another language has no voice."""

    def speaks(self, voice, language):
        return language.split("_")[0] == "en"


class FailingEspeak(CountingEspeak):
    """Fails on any text containing the marker, as a crashing model would on one bad input."""

    MARKER = "KABOOM"

    def _speak(self, request):
        if self.MARKER in request.text:
            raise SynthesisError(f"engine crashed on a segment containing {self.MARKER}")
        return super()._speak(request)


class SlowEspeak(CountingEspeak):
    """Takes its time per segment, so a test can interrupt a build mid-synthesis."""

    def _speak(self, request):
        import time

        time.sleep(float(self.options.extra.get("delay", 0.5)))
        return super()._speak(request)


class FlakyEspeak(CountingEspeak):
    """Fails the first try at any text containing the marker, as a model that runs out of memory
    once would; the next try speaks it. Tries are counted in the log file's ".tries" companion."""

    MARKER = "FLAKY"

    def _speak(self, request):
        if self.MARKER in request.text:
            tries = self.options.extra["log"] + ".tries"
            with open(tries, "a", encoding="utf-8") as f:
                f.write(json.dumps(request.text) + "\n")
            with open(tries, encoding="utf-8") as f:
                if sum(1 for line in f if json.loads(line) == request.text) == 1:
                    raise SynthesisError("out of memory on the first try")
        return super()._speak(request)


class InstructedEspeak(CountingEspeak):
    """Takes a style instruction per request, as Qwen3-TTS does, and logs it with the text."""

    takes_instructions = True

    def _speak(self, request):
        audio = EspeakEngine._speak(self, request)
        with open(self.options.extra["log"], "a", encoding="utf-8") as f:
            f.write(json.dumps({"text": request.text, "seconds": audio.seconds,
                                "instructions": request.instructions}) + "\n")
        return audio
