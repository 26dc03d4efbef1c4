"""The Qwen engine as a build drives it, on this machine's accelerator, with a tiny checkpoint.

    python benchmarks/qwen_engine_check.py          # CUDA if present, else CPU

Builds the tests' tiny random Qwen3-TTS checkpoint (tests/support/tiny_qwen.py) in a temporary
folder, loads it through QwenEngine (TTS_FAST "auto", then False), narrates the same segments
both ways, and checks what a build relies on: every segment comes back as audio of the length
its codes give; on CUDA the fast path (graphs, fused kernels, second-stream decode) is the one
used; and, greedy in float32, the fast path's codes against upstream generation alone.
Prints a short report; exits 1 if a check fails. A GPU smoke test, not a benchmark.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "support")]

TEXTS = [f"Paragraph {i}: the ferry leaves at dawn{', when the harbour is still grey' * (i % 3)}."
         for i in range(24)] + ["Hello.", "La narración se genera en el ordenador del autor."]


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    import numpy as np
    import torch

    from nikola_tts.engines import EngineOptions, Request, create_engine
    from nikola_tts.engines.qwen.compat import import_qwen_tts
    from nikola_tts.engines.qwen.fast.speaker import FastSpeaker
    from nikola_tts.engines.qwen.segments import Item
    from tiny_qwen import build_tiny_checkpoint

    import_qwen_tts()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_tiny_checkpoint(Path(tmp) / "tiny-qwen3-tts")
        requests = [Request(t, "eric", "en") for t in TEXTS]
        audio = {}
        for fast in ("auto", False):
            engine = create_engine("qwen", EngineOptions(model=str(folder), extra={"fast": fast}))
            engine.load()
            started = time.perf_counter()
            results = dict(engine.synthesize(requests))
            wall = time.perf_counter() - started
            print(f"TTS_FAST={fast!r}: {engine.describe()}: {len(results)} segments in {wall:.2f} s")
            bad = [r for r in results.values() if not hasattr(r, "samples")]
            if bad or sorted(results) != list(range(len(requests))):
                failures.append(f"TTS_FAST={fast!r}: {len(bad)} segments failed, e.g. {bad[:1]}")
            if torch.cuda.is_available() and fast == "auto" and not engine.fast:
                failures.append("CUDA is here but the fast path was not used")
            audio[fast] = results
            if fast == "auto":
                tts = engine._plain_speaker().tts  # upstream's model, loaded for the comparison
                greedy = FastSpeaker(engine._speaker.model, sampling=dict(do_sample=False, subtalker_dosample=False))
                equal = total = 0
                for text in TEXTS[:6]:
                    ids = tts._tokenize_texts([tts._build_assistant_text(text)])
                    up, _ = tts.model.generate(input_ids=ids, instruct_ids=[None], languages=["English"],
                                               speakers=["eric"], non_streaming_mode=True, max_new_tokens=31,
                                               do_sample=False, subtalker_dosample=False,
                                               repetition_penalty=greedy.sampling["repetition_penalty"])
                    ours = greedy.generate_codes([Item(text, "eric", "English")], [30])[0]
                    m = min(len(up[0]), len(ours))
                    equal += int((up[0][:m] == ours[:m]).sum())
                    total += m * 16
                print(f"greedy {engine._placement.dtype} on {engine._placement.device}: {equal / total:.1%} of the "
                      f"fast path's codes equal upstream generation's alone ({total // 16} frames)")
            engine.close()
        lengths = [(len(audio["auto"][i].samples), len(audio[False][i].samples)) for i in range(len(requests))]
        same_length = sum(a == b for a, b in lengths)
        identical = sum(audio["auto"][i].samples == audio[False][i].samples for i in range(len(requests)))
        worst = max(int(np.abs(np.frombuffer(audio["auto"][i].samples, "<i2").astype(int)
                               - np.frombuffer(audio[False][i].samples, "<i2").astype(int)).max())
                    for i in range(len(requests)) if lengths[i][0] == lengths[i][1])
        print(f"fast vs plain path: {same_length}/{len(requests)} segments of equal length, {identical} identical, "
              f"largest sample difference {worst}")
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
