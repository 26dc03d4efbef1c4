"""Errors a blogger reads: one line that says what is wrong and how to fix it."""


class TTSError(Exception):
    """A problem the user can fix (configuration, a missing program, bad input)."""


class SynthesisError(TTSError):
    """An engine failed on some text; the post is retried on the next build."""
