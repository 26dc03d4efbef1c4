"""nikola-tts: every post of a Nikola blog gets an audio version, narrated on your own hardware.

Enable it in conf.py:

    import nikola_tts
    EXTRA_PLUGINS_DIRS = [nikola_tts.PLUGIN_DIR]
"""

from __future__ import annotations

import os

__version__ = "0.1.0"

_HERE = os.path.dirname(os.path.abspath(__file__))

#: The folder holding the .plugin files Nikola discovers.
PLUGIN_DIR = os.path.join(_HERE, "plugins")


def resource_dir(name: str) -> str:
    """templates/ or assets/: inside the installed package, or at the top of a source checkout."""
    for candidate in (os.path.join(_HERE, name), os.path.join(os.path.dirname(_HERE), name)):
        if os.path.isdir(candidate):
            return candidate
    raise FileNotFoundError(f"nikola_tts: {name}/ is missing from the installation")


def engine_or_fallback(*names: str, **kwargs) -> str:
    """For conf.py: the first engine of `names` that can run here, announced (see engines)."""
    from nikola_tts.engines import engine_or_fallback as choose

    return choose(*names, **kwargs)
