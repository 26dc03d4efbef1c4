"""Errors a blogger reads: one line that says what is wrong and how to fix it."""


class TTSError(Exception):
    """A problem the user can fix (configuration, a missing program, bad input)."""


class SynthesisError(TTSError):
    """An engine failed on some text; the post is retried on the next build."""


def one_line(exc: BaseException) -> str:
    """An exception as one line for a log or an error: its message's last line, or its type's name."""
    lines = str(exc).strip().splitlines()
    return lines[-1] if lines else type(exc).__name__
