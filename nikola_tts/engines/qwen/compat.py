"""Make `import qwen_tts` work where its unused dependencies are missing or cannot load.

qwen_tts/core/__init__.py imports the 25 Hz (V1) speech tokenizer eagerly, and that module
imports `sox`, `onnxruntime` and `torchaudio.compliance.kaldi` at its top. The 12 Hz models
this engine runs never call any of them. torchaudio is the awkward one: the registry's build is
tied to one CUDA torch and fails to load next to a CPU (or differently built) torch, and no CPU
build is published. So: for each of the three, keep the real module when it imports; otherwise
register an empty placeholder under its name, before qwen_tts is imported.

Placeholders carry a real ModuleSpec because transformers and torch call
importlib.util.find_spec() on names found in sys.modules, which raises for `__spec__ = None`.
transformers is imported first so its own "is torchaudio installed?" checks see the truth.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types

# top-level module -> submodules that qwen_tts imports from it
UNUSED_DEPENDENCIES = {
    "torchaudio": ("torchaudio.compliance", "torchaudio.compliance.kaldi"),
    "sox": (),
    "onnxruntime": (),
}

PLACEHOLDER_DOC = "placeholder registered by nikola_tts: only qwen_tts's unused 25 Hz tokenizer imports it"


def _register_placeholder(name: str) -> None:
    module = types.ModuleType(name, PLACEHOLDER_DOC)
    module.__spec__ = importlib.machinery.ModuleSpec(name, loader=None, is_package=True)
    module.__path__ = []
    module.__nikola_tts_placeholder__ = True
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)


def _imports(top: str, subs: tuple) -> bool:
    try:
        importlib.import_module(top)
        for sub in subs:
            importlib.import_module(sub)
        return True
    except Exception:  # ImportError, or OSError from a shared library built for another torch
        for loaded in [m for m in sys.modules if m == top or m.startswith(top + ".")]:
            del sys.modules[loaded]
        return False


def prepare_qwen_tts_import() -> list[str]:
    """Call before `import qwen_tts`. Returns the names that got placeholders (for the debug log)."""
    import transformers  # noqa: F401  (its availability checks run now, against the real packages)
    import transformers.utils.import_utils  # noqa: F401

    replaced = []
    for top, subs in UNUSED_DEPENDENCIES.items():
        existing = sys.modules.get(top)
        if existing is not None and getattr(existing, "__nikola_tts_placeholder__", False):
            continue  # done earlier in this process
        if _imports(top, subs):
            continue
        _register_placeholder(top)
        for sub in subs:
            _register_placeholder(sub)
        replaced.append(top)
    return replaced


def import_qwen_tts():
    """The qwen_tts package, imported quietly (its 25 Hz module prints a flash-attn banner)."""
    import contextlib
    import io

    prepare_qwen_tts_import()
    with contextlib.redirect_stdout(io.StringIO()):
        import qwen_tts
    return qwen_tts
