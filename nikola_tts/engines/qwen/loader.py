"""Finding the model folder, and loading it with upstream qwen_tts classes for the plain path.

The fast path reads the same folder itself (fast/checkpoint.py, fast/model.py). Imported only
from QwenEngine's load: everything heavy (torch, transformers, qwen_tts) is imported inside
these functions.
"""

from __future__ import annotations

import importlib.metadata
import logging
from pathlib import Path

from nikola_tts.engines.qwen import source as sources
from nikola_tts.engines.qwen.device import Placement, torch_dtype
from nikola_tts.errors import TTSError, one_line

log = logging.getLogger("tts")

SUPPORTED_TRANSFORMERS = "4.57"  # what qwen-tts 0.1.1 is written against


def transformers_problem() -> str | None:
    """Why the installed transformers cannot run qwen-tts 0.1.1, or None (reads metadata only)."""
    try:
        version = importlib.metadata.version("transformers")
    except importlib.metadata.PackageNotFoundError:
        return "transformers is not installed"
    if int(version.split(".")[0]) >= 5:
        return (f"transformers {version} is installed but qwen-tts 0.1.1 needs transformers "
                f"{SUPPORTED_TRANSFORMERS} (pip install 'transformers=={SUPPORTED_TRANSFORMERS}.3')")
    return None


def local_folder(model: sources.ModelSource) -> Path:
    """The folder to load from: TTS_MODEL's folder, the cached snapshot, or a fresh download."""
    if model.folder is not None:
        reason = sources.not_here_reason(model)
        if reason:
            raise TTSError(f"{reason}: point TTS_MODEL at a folder made with `huggingface-cli download "
                           f"{sources.DEFAULT_MODEL} --local-dir DIR`, or use a model id")
        return model.folder
    cached = sources.cached_snapshot(model.hub_id)
    if cached is not None:
        return cached
    if sources.offline():
        raise sources.offline_error(model.hub_id)
    log.info(f"Qwen3-TTS: downloading {model.hub_id} ({sources.DOWNLOAD_SIZE}, once) into {sources.hub_cache_dir()}")
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model.hub_id))
    except Exception as exc:  # network down, unknown id, gated repo, disk full ...
        raise TTSError(f"Qwen3-TTS model {model.hub_id!r} could not be downloaded ({one_line(exc)}): check the id "
                       f"and the network, or point TTS_MODEL at a local folder with the model") from None


def load_model(folder: Path, placement: Placement):
    """A qwen_tts.Qwen3TTSModel on placement.device: talker and code predictor in placement.dtype,
    the speech tokenizer (codes -> waveform) in float32."""
    problem = transformers_problem()
    if problem:
        raise TTSError(problem)
    from nikola_tts.engines.qwen.compat import import_qwen_tts

    logging.getLogger("qwen_tts").setLevel(logging.WARNING)  # its config classes log defaults at INFO
    import_qwen_tts()
    import importlib.util

    import torch
    from qwen_tts import Qwen3TTSModel, Qwen3TTSTokenizer

    dtype = torch_dtype(placement.dtype)
    device = torch.device(placement.device)
    on_device = {}
    if device.type != "cpu" and importlib.util.find_spec("accelerate") is not None:
        on_device = {"device_map": str(device)}  # straight onto the device, not via host memory
    try:
        tts = Qwen3TTSModel.from_pretrained(str(folder), dtype=dtype, attn_implementation=placement.attention,
                                            **on_device)
        model = tts.model
        if model.tts_model_type != "custom_voice" or model.tokenizer_type != "qwen3_tts_tokenizer_12hz":
            raise TTSError(f"TTS_MODEL {str(folder)!r} is a Qwen3-TTS {model.tts_model_type!r} model with the "
                           f"{model.tokenizer_type!r} tokenizer; this engine speaks with the 12 Hz CustomVoice models, "
                           f"e.g. {sources.DEFAULT_MODEL}")
        speech = model.speech_tokenizer
        if dtype != torch.float32:  # load the decoder again, in float32 (see device.py)
            speech = Qwen3TTSTokenizer.from_pretrained(str(folder / "speech_tokenizer"), dtype=torch.float32,
                                                       **on_device)
            model.load_speech_tokenizer(speech)
        model.to(device).eval()
        speech.model.to(device).eval()
        speech.device = device
        tts.device = device
        return tts
    except TTSError:
        raise
    except Exception as exc:
        if "out of memory" in str(exc).lower():
            raise TTSError(f"Qwen3-TTS does not fit on {device} in {placement.dtype} ({one_line(exc)}): free the "
                           "device or set TTS_DEVICE to another one") from None
        raise TTSError(f"Qwen3-TTS could not load the model in {str(folder)!r}: {one_line(exc)}") from None
