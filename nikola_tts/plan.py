"""A post's narration plan: everything one post in one language needs, decided once per build.

The Planner (site/planner.py) makes them from the scanned site; every later stage reads one:
the manifest (what is spoken), the synthesis pass (in which voice), publishing (where the MP3
goes and what it says about itself). Plans are frozen and picklable, so `nikola build -n N`
can hand them to its workers; they become dicts only for doit's config_changed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from nikola_tts.audio.mp3 import Encoding, Tags
from nikola_tts.cache.folder import CacheFolder
from nikola_tts.text.blocks import ExtractOptions
from nikola_tts.engines.base import EngineOptions
from nikola_tts.text.normalize.options import NormalizeOptions

PLAN_VERSION = 3


@dataclass(frozen=True)
class Speakers:
    """TTS_ENGINE and TTS_VOICE as the site gives them, and what engines are made with: who speaks
    a paragraph in another language than its post's (voices.voicing_for)."""

    engine: object  # a name or {lang: name}
    voice: object  # a voice or {lang: voice}
    default_lang: str
    options: EngineOptions

    def voice_given_for(self, language: str):
        """The voice TTS_VOICE names for this very language (a plain TTS_VOICE names the post's)."""
        if not isinstance(self.voice, dict):
            return None
        code = str(language).replace("-", "_")
        for key in (language, code, code.split("_")[0]):
            if key in self.voice:
                return self.voice[key]
        return None


@dataclass(frozen=True)
class NarrationPlan:
    source: str  # the post's source path, e.g. posts/x.md
    lang: str  # the translation (a Nikola language code)
    fragment: str  # Nikola's compiled HTML of the post in that language
    title: str  # read first; "" when TTS_READ_TITLE is off
    engine: str  # the TTS_ENGINE name that speaks it
    voice: str
    language: str  # the spoken language, as the engine is told
    identity: str  # everything that changes the sound (the engine's identity string)
    max_chars: int  # the longest text one engine call may carry
    extract: ExtractOptions
    normalize: NormalizeOptions  # written -> spoken: TTS_NORMALIZE, TTS_LEXICON and the post's own entries
    speakers: Speakers  # who speaks a paragraph in another language
    tags: Tags
    encoding: Encoding
    output: str  # the MP3's path below the output folder
    href: str  # the MP3's site-root URL
    cache: CacheFolder

    @property
    def id(self) -> str:
        return f"{self.lang}:{self.source}"

    @property
    def name(self) -> str:
        """How the build's messages name the post: 'posts/a.md (en)'."""
        return f"{self.source} ({self.lang})"

    @property
    def lexicon_files(self) -> list[str]:
        """The lexicon files its spoken text depends on."""
        return sorted({entry.origin for entry in self.normalize.lexicon if entry.origin.endswith((".toml", ".pls", ".xml"))})

    @property
    def manifest_path(self) -> str:
        return self.cache.manifest(self.lang, self.source)

    @property
    def sidecar_path(self) -> str:
        return self.cache.sidecar(self.lang, self.source)

    @property
    def companions(self) -> "Companions":
        """The files published beside the MP3."""
        return Companions.of(self.output)

    def as_config(self) -> dict:
        """The plan as doit's config_changed compares it: a change re-runs its extraction."""
        return {"version": PLAN_VERSION, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class Companions:
    """What is published beside a narration's MP3 (paths or URLs, as the MP3's own is given):
    <slug>_tts.vtt, <slug>_tts.chapters.vtt, <slug>_tts.chapters.json."""

    transcript: str
    chapters_vtt: str
    chapters_json: str

    @classmethod
    def of(cls, mp3: str) -> "Companions":
        stem = mp3[:-len(".mp3")] if mp3.endswith(".mp3") else mp3  # TTS_OUTPUT must end in .mp3
        return cls(stem + ".vtt", stem + ".chapters.vtt", stem + ".chapters.json")

    def __iter__(self):
        return iter((self.transcript, self.chapters_vtt, self.chapters_json))


@dataclass(frozen=True)
class Silenced:
    """A post that is not narrated in a language (opted out, a draft...); audio published earlier goes."""

    plan: NarrationPlan
    reason: str
