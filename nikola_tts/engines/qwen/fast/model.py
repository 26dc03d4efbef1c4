"""Everything the fast path needs of a checkpoint, loaded onto one device: no transformers, no qwen_tts.

    config      config.json and generation_config.json (checkpoint.py)
    tokenizer   the text tokenizer (text.py)
    weights     talker, code predictor and text projection, straight to the device in the run's
                dtype, regrouped (weights.py)
    speech      the speech decoder, float32, its waveform stack in bfloat16 once prepared in a bfloat16
                run on CUDA (speech.py)
    decoding    on CUDA, the one thread every decode runs on, its preparation's included: cuDNN's
                execution plans are made for each new length and kept per thread (PyTorch's plan
                cache is thread-local), so a thread of its own per run made them again in every run
    decoder_graphs  on CUDA, the speech decoder's one-chunk calls as CUDA graphs, captured ahead on the
                decoding thread (speech_graphs.py)

`load_model` reports how long each part took, so the engine can log where a cold start goes.
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import torch

from nikola_tts.engines.qwen.fast.checkpoint import ModelConfig, Tensors, read_config
from nikola_tts.engines.qwen.fast.speech import SpeechDecoder, load_speech_decoder, prepare
from nikola_tts.engines.qwen.fast.speech_graphs import DecoderGraphs
from nikola_tts.engines.qwen.fast.text import TextTokenizer
from nikola_tts.engines.qwen.fast.weights import Weights, load_weights


@dataclass(frozen=True)
class FastModel:
    folder: Path
    config: ModelConfig
    tokenizer: TextTokenizer
    weights: Weights
    decoder: SpeechDecoder  # read it as `speech`, which waits for its preparation
    sample_rate: int
    device: torch.device
    seconds: dict = field(default_factory=dict)  # part -> seconds it took to load
    preparing: Future | None = field(default=None, compare=False, repr=False)  # the decoder's (fast_decoder)
    # one thread: on CUDA, and wherever the decoder is prepared beside the load
    decoding: ThreadPoolExecutor | None = field(default=None, compare=False, repr=False)
    decoder_graphs: DecoderGraphs | None = field(default=None, compare=False, repr=False)  # on CUDA

    @property
    def dtype(self) -> torch.dtype:
        return self.weights.dtype

    @property
    def speech(self) -> SpeechDecoder:
        """The speech decoder, once its preparation is done: a run's prompts, graphs and frames go on beside it,
        and only its first decode waits (raising what the preparation raised)."""
        if self.preparing is not None:
            self.preparing.result()
        return self.decoder

    def decode_chunks(self, chunks: list, length: int = 0, graphs: bool = True) -> list:
        """The speech decoder's call on chunks (SpeechDecoder.decode_chunks), on the decoding thread: by a captured
        graph where there is one for it and `graphs`, else eagerly."""
        speech = self.speech  # its preparation done
        if graphs and self.decoder_graphs is not None:
            return self.decoder_graphs.decode_chunks(chunks, length)
        return speech.decode_chunks(chunks, length)


def load_model(folder, device, dtype, fast_decoder: bool = False) -> FastModel:
    """The checkpoint in `folder` on `device` ("cuda:0", "cpu"), talker and predictor in `dtype`. fast_decoder:
    the speech decoder is prepared (speech.prepare: its fast forms, Triton's import and the kernel's compile and
    check, and a first decode) in a thread while the weights are read, which leaves the GIL and the GPU idle
    most of the time, and on while the run starts: FastModel.speech waits for it."""
    folder = Path(folder)
    device = torch.device(device)
    seconds = {}
    started = time.perf_counter()
    config = read_config(folder)
    tokenizer = TextTokenizer.from_folder(folder)
    seconds["config and tokenizer"] = time.perf_counter() - started
    with torch.no_grad():
        started = time.perf_counter()
        speech, rate = load_speech_decoder(folder / "speech_tokenizer", device)
        seconds["speech decoder"] = _synced(device, started)
        decoding = (ThreadPoolExecutor(1, thread_name_prefix="qwen-decode") if device.type == "cuda" or fast_decoder
                    else None)
        beside = decoding.submit(_prepare_on, device, speech, dtype) if fast_decoder else None
        started = time.perf_counter()
        weights = load_weights(Tensors(folder, device), config, dtype)
        seconds["weights"] = _synced(device, started)
    graphs = DecoderGraphs(speech, device) if device.type == "cuda" else None
    return FastModel(folder=folder, config=config, tokenizer=tokenizer, weights=weights, decoder=speech,
                     sample_rate=rate, device=device, seconds=seconds, preparing=beside, decoding=decoding,
                     decoder_graphs=graphs)


def _prepare_on(device: torch.device, speech: SpeechDecoder, dtype: torch.dtype) -> None:
    on_device = torch.cuda.device(device) if device.type == "cuda" else contextlib.nullcontext()
    with torch.no_grad(), on_device:  # Triton launches on the thread's current device
        prepare(speech, dtype)
        if device.type == "cuda":  # its first decode done before the decoder's stream takes the decoder
            torch.cuda.current_stream(device).synchronize()


def _synced(device: torch.device, started: float) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - started


def load_on_device(folder: str, dtype_name: str, device: str) -> FastModel:
    """load_model for a GPU worker process (fast/gpus.py): picklable arguments only."""
    from nikola_tts.engines.qwen.device import torch_dtype
    from nikola_tts.engines.qwen.fast.ops import kernels_fit

    return load_model(folder, device, torch_dtype(dtype_name), fast_decoder=kernels_fit(device))
