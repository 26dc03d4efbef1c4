"""A post's sidecar: what its narration published, or why it did not, in one small JSON file.

The page render reads it (the audio's URL and duration), so the page task depends on it and a
new duration re-renders the page and nothing else does. It is also the one record of a failed
narration: status "failed" with the error, keeping the audio published before where there is
some, until the next build retries.
"""

from __future__ import annotations

from dataclasses import dataclass

from nikola_tts.files import atomic_write_json, read_json

FORMAT = 3  # 1: the first release's dict (no "format" key); 2: no timings
OK, EMPTY, FAILED = "ok", "empty", "failed"


@dataclass(frozen=True)
class HeardBlock:
    """Where one block of the page (a paragraph, heading, item...) is heard in the MP3."""

    block: int  # its index among the page's blocks, in page order (text.extract.locate_blocks)
    start: float  # seconds: where its first segment starts
    end: float  # where its last segment ends


@dataclass(frozen=True)
class Chapter:
    start: float  # seconds
    title: str  # as the page writes it


@dataclass(frozen=True)
class Sidecar:
    status: str  # OK: audio published; EMPTY: the post has no prose; FAILED: see error
    digest: str  # the manifest digest it was made from (manifest.Manifest.digest)
    href: str | None = None  # the MP3's site-root URL (kept from before on a failure)
    duration: float | None = None  # seconds, as measured on the encoded file
    error: str | None = None  # why it failed, one line
    # Where the audio's blocks are heard, and its chapters (kept with the audio on a failure).
    # Empty for audio published before they were recorded until its next build.
    heard: tuple[HeardBlock, ...] = ()
    page_blocks: int = 0  # how many blocks the narrated page had: a page read otherwise is not marked
    chapters: tuple[Chapter, ...] = ()

    @property
    def has_audio(self) -> bool:
        return bool(self.href)

    @property
    def is_current(self) -> bool:
        """Finished: published, or nothing to publish (a failure is retried)."""
        return self.status in (OK, EMPTY)

    def to_json(self) -> dict:
        data = {"format": FORMAT, "status": self.status, "digest": self.digest}
        for key in ("href", "duration", "error"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.heard:
            data["heard"] = [[h.block, h.start, h.end] for h in self.heard]
            data["page_blocks"] = self.page_blocks
        if self.chapters:
            data["chapters"] = [[c.start, c.title] for c in self.chapters]
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Sidecar":
        # Format 1 has format 2's fields without the number; formats 1 and 2 have no timings.
        version = data.get("format", 1)
        if version > FORMAT:
            raise ValueError(f"sidecar format {version} is newer than this nikola-tts ({FORMAT}): upgrade nikola-tts")
        return cls(status=data["status"], digest=data.get("digest", ""), href=data.get("href"),
                   duration=data.get("duration"), error=data.get("error"),
                   heard=tuple(HeardBlock(int(b), float(s), float(e)) for b, s, e in data.get("heard", ())),
                   page_blocks=int(data.get("page_blocks", 0)),
                   chapters=tuple(Chapter(float(s), str(t)) for s, t in data.get("chapters", ())))


def read_sidecar(path: str) -> Sidecar | None:
    data = read_json(path)
    if not isinstance(data, dict) or "status" not in data:
        return None
    return Sidecar.from_json(data)


def write_sidecar(path: str, sidecar: Sidecar) -> None:
    """Store it; an unchanged sidecar keeps its file (an older format's too), so its page is not
    rendered again."""
    if read_sidecar(path) != sidecar:
        atomic_write_json(path, sidecar.to_json())
