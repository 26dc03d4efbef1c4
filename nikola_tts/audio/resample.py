"""Audio at another sample rate, through ffmpeg's resampler.

A post is narrated at one rate, its voice's. A paragraph in another language may be spoken by
another engine at another rate (espeak-ng's 22.05 kHz in a post Qwen3-TTS reads at 24 kHz); it is
resampled to the post's rate before it is joined. ffmpeg is required for the MP3 anyway, and runs
only for such a paragraph.
"""

from __future__ import annotations

from nikola_tts.audio.pcm import Audio
from nikola_tts.errors import TTSError


def resampled(audio: Audio, rate: int) -> Audio:
    if audio.sample_rate == rate:
        return audio
    import ffmpeg  # ffmpeg-python: only when audio is made

    try:
        out, _ = (
            ffmpeg.input("pipe:", format="s16le", ar=audio.sample_rate, ac=1)
            .output("pipe:", format="s16le", ar=rate, ac=1)
            .global_args("-hide_banner", "-nostats", "-loglevel", "error")
            .run(cmd="ffmpeg", input=audio.samples, capture_stdout=True, capture_stderr=True)
        )
    except ffmpeg.Error as e:
        lines = (e.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise TTSError(f"ffmpeg could not resample {audio.sample_rate} Hz audio to {rate} Hz: "
                       f"{lines[-1] if lines else 'no error message'}") from None
    except OSError as e:
        raise TTSError(f"cannot run ffmpeg: {e}") from None
    return Audio(out, rate)
