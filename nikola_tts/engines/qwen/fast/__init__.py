"""The fast path: a whole backlog of segments through one NVIDIA GPU, frame by frame.

    checkpoint.py  the model folder's config and tensors, read without transformers or qwen_tts
    text.py        the text tokenizer, through the tokenizers library alone
    weights.py     the talker's and code predictor's weights, regrouped (fused q/k/v and gate/up, stacked heads)
    speech.py      the speech decoder (codes -> waveform), ours, on the released weights
    model.py       all of the above loaded onto one device
    prompt.py      a segment's prompt embeddings, as upstream builds them
    layers.py      decoder-layer arithmetic for static shapes (grouped-query attention, no repeat)
    ops.py         the small element-wise operations, as torch does them (kernels.py: fused, Triton)
    choose.py      code choice on the device: penalties, masks, seeded Gumbel-max or argmax
    slots.py       the fixed slots and their key/value caches
    forward.py     prefill of new segments; one frame (15 predictor steps + 1 talker step) of all slots
    graphs.py      the frame step as one CUDA graph per batch size, captured when first needed; a one-row prompt's
                   pass as one per padded length
    sequence.py    one segment's state on its way through (nano-vllm's Sequence)
    scheduler.py   continuous batching: schedule() plans a stretch, postprocess() collects what finished
    decode.py      codes -> waveforms on a second CUDA stream while generation goes on
    speech_graphs.py  the speech decoder's one-chunk calls as one CUDA graph per padded length, captured ahead
    snake.py       the speech decoder's SnakeBeta activations as one float32 kernel each
    speaker.py     FastSpeaker: the engine loop, slots sized from free memory; FastPathFailed for the rest
    gpus.py        several GPUs: one worker process per GPU, segments shared out by length

Everything but graphs and the second stream also runs on the CPU, which is how the tests check
it against upstream generation. This module imports nothing heavy; the whole fast path imports
torch, safetensors and tokenizers, never transformers or qwen_tts.
"""

from __future__ import annotations

from nikola_tts.errors import TTSError

def parse_fast(value) -> object:
    """TTS_FAST / the 'fast' engine option: 'auto', True or False (strings accepted)."""
    if isinstance(value, bool) or value == "auto":
        return value
    text = str(value).strip().lower() if value is not None else "auto"
    table = {"auto": "auto", "": "auto", "true": True, "yes": True, "on": True, "1": True,
             "false": False, "no": False, "off": False, "0": False}
    if text not in table:
        raise TTSError(f"TTS_FAST is {value!r}: use 'auto', True or False")
    return table[text]


def fast_path_decision(option, device_type: str, rocm: bool = False) -> tuple[bool, str]:
    """(use the fast path?, why) for a device type ('cuda', 'mps', 'cpu')."""
    if option is False:
        return False, "plain batched path (TTS_FAST = False)"
    if option is True:
        graphs = "with CUDA graphs" if device_type == "cuda" and not rocm else "without CUDA graphs on this device"
        return True, f"fast path {graphs} (TTS_FAST = True)"
    if device_type == "cuda" and not rocm:
        return True, "fast path: CUDA graphs and continuous batching (TTS_FAST = 'auto' on an NVIDIA GPU)"
    where = {"mps": "Apple MPS", "cpu": "the CPU"}.get(device_type, "ROCm" if rocm else device_type)
    return False, f"plain batched path on {where} (the fast path needs an NVIDIA GPU; TTS_FAST = 'auto')"


def worker_devices(requested_device, device_count: int, fast: bool) -> list[str]:
    """The GPUs that get a worker process besides the engine's own (cuda:0): all others, when
    TTS_DEVICE is 'auto' and the fast path is on; none when a device was named."""
    if not fast or str(requested_device or "auto").strip().lower() != "auto" or device_count < 2:
        return []
    return [f"cuda:{i}" for i in range(1, device_count)]
