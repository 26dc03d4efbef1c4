"""Where the model comes from: a hub id (downloaded once into the Hugging Face cache) or a folder.

Everything here is cheap (no torch, no network): it runs when Nikola plans a build, to name the
model in each segment's identity and to say whether the engine can run here at all.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from nikola_tts.errors import TTSError

DEFAULT_MODEL = "Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice"
DOWNLOAD_SIZE = "about 4.5 GB"
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
_SNAPSHOT = re.compile(r"models--([^/\\]+?)--([^/\\]+)[/\\]snapshots[/\\][^/\\]+$")
REQUIRED_FILES = ("config.json", os.path.join("speech_tokenizer", "config.json"))


@dataclass(frozen=True)
class ModelSource:
    configured: str  # TTS_MODEL as written (or the default)
    folder: Path | None = None  # a local folder given as TTS_MODEL
    hub_id: str | None = None

    @property
    def label(self) -> str:
        return self.hub_id or str(self.folder)


def resolve(model: str | None) -> ModelSource:
    """Classify TTS_MODEL: an existing folder, else a hub id 'org/name', else an error."""
    configured = str(model).strip() if model else DEFAULT_MODEL
    path = Path(configured).expanduser()
    if path.is_dir():
        return ModelSource(configured, folder=path.resolve())
    if _HUB_ID.fullmatch(configured) and not configured.startswith((".", "~")):
        return ModelSource(configured, hub_id=configured)
    raise TTSError(f"TTS_MODEL is {configured!r}, which is neither a folder on this machine nor a model id like "
                   f"{DEFAULT_MODEL!r}: point it at a local Qwen3-TTS folder or use a model id")


def missing_files(folder: Path) -> list[str]:
    return [name for name in REQUIRED_FILES if not (folder / name).is_file()]


def hub_cache_dir() -> Path:
    """The Hugging Face hub cache, as huggingface_hub itself works it out (HF_HUB_CACHE, HF_HOME, ...)."""
    try:
        from huggingface_hub import constants  # light: no network, no torch

        return Path(constants.HF_HUB_CACHE)
    except ImportError:
        env = os.environ
        if env.get("HF_HUB_CACHE") or env.get("HUGGINGFACE_HUB_CACHE"):
            return Path(env.get("HF_HUB_CACHE") or env["HUGGINGFACE_HUB_CACHE"]).expanduser()
        home = env.get("HF_HOME") or os.path.join(env.get("XDG_CACHE_HOME") or "~/.cache", "huggingface")
        return Path(home).expanduser() / "hub"


def offline() -> bool:
    """Whether downloads are switched off (HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE)."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(name, "").strip().upper() in ("1", "ON", "YES", "TRUE"):
            return True
    return False


def cached_snapshot(hub_id: str, revision: str = "main") -> Path | None:
    """The complete local snapshot of hub_id in the Hugging Face cache, or None (no network)."""
    repo = hub_cache_dir() / ("models--" + hub_id.replace("/", "--"))
    snapshots = repo / "snapshots"
    if not snapshots.is_dir():
        return None
    candidates = []
    ref = repo / "refs" / revision
    if ref.is_file():
        candidates.append(snapshots / ref.read_text(encoding="utf-8").strip())
    candidates += sorted((p for p in snapshots.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for folder in candidates:
        if folder.is_dir() and not missing_files(folder) and _has_weights(folder):
            return folder
    return None


def _has_weights(folder: Path) -> bool:
    return any(folder.glob("*.safetensors")) or any(folder.glob("*.bin"))


def not_here_reason(source: ModelSource) -> str | None:
    """Why the model cannot be loaded from this machine's disk right now, or None."""
    if source.folder is not None:
        missing = missing_files(source.folder)
        if missing:
            return (f"TTS_MODEL folder {str(source.folder)!r} is not a Qwen3-TTS model (it has no "
                    f"{' or '.join(missing)})")
        return None
    if cached_snapshot(source.hub_id) is None:
        return f"the model {source.hub_id!r} is not downloaded yet"
    return None


def offline_error(hub_id: str) -> TTSError:
    return TTSError(
        f"Qwen3-TTS model {hub_id!r} is not on this machine and downloads are off (HF_HUB_OFFLINE): "
        f"point TTS_MODEL at a local folder holding it (e.g. one made on a connected machine with "
        f"`huggingface-cli download {hub_id} --local-dir DIR` and copied here), or set TTS_ENGINE to another engine")


def identity_name(source: ModelSource) -> str:
    """The model's name in segment identities: stable across machines, folder moves and downloads.

    A hub id is its own name (so downloading it later changes nothing). A folder in the Hugging
    Face cache is named by its hub id. Any other folder is named by its folder name plus a hash
    of its config.json, which is tiny to read and differs between model variants that might
    share a folder name.
    """
    if source.hub_id:
        return source.hub_id
    folder = source.folder
    snapshot = _SNAPSHOT.search(str(folder))
    if snapshot:
        return f"{snapshot.group(1)}/{snapshot.group(2)}"
    config = folder / "config.json"
    try:
        digest = hashlib.sha256(config.read_bytes()).hexdigest()[:12]
    except OSError:
        digest = "no-config"
    return f"{folder.name}#{digest}"
