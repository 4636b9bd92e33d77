"""Rich consoles for the CLI: colour only on a terminal, NO_COLOR respected (Rich does both);
and what to do when standard output cannot be written."""

from __future__ import annotations

import errno
import os
import sys

from rich.console import Console
from rich.text import Text

from cli.safe_text import safe_text
from threads.errors import OutputFailed

#: what writing to a stream fails with when the stream, not the program, is the problem
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EPIPE, errno.EIO, errno.EDQUOT, errno.EFBIG}


def make_console(*, stderr: bool = False, width: int | None = None) -> Console:
    return Console(stderr=stderr, width=width, highlight=False, soft_wrap=False)


def plain(value: str | None, empty: str = "-") -> Text:
    """Outside text for a table cell (``cli.safe_text.safe_text`` on one line), ``empty`` for
    none."""
    return safe_text(value) if value else Text(empty)


def stdout_failed(exc: OSError) -> OutputFailed:
    """The one-line error for standard output that cannot be written (``> /dev/full``, a closed
    pipe). What stdout still holds is sent to /dev/null, so that the flush at exit does not
    fail again with a traceback."""
    _discard_stdout()
    return OutputFailed(f"cannot write to standard output: {exc.strerror or exc}")


def is_output_error(exc: OSError) -> bool:
    """An error of writing a stream (full disk, closed pipe, device error), not of opening a
    named file: what a command gets when standard output fails under it."""
    return exc.filename is None and exc.errno in _OUTPUT_ERRNOS


def _discard_stdout() -> None:
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test runner's buffer)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
