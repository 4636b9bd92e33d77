"""Rich consoles for the CLI: colour only on a terminal, NO_COLOR respected (Rich does both)."""

from __future__ import annotations

import unicodedata

from rich.console import Console
from rich.text import Text


def make_console(*, stderr: bool = False, width: int | None = None) -> Console:
    return Console(stderr=stderr, width=width, highlight=False, soft_wrap=False)


def plain(value: str | None, empty: str = "-") -> Text:
    """Outside text as plain text for a table cell: never markup, and control characters
    (escape sequences, line breaks) shown as ``\\x1b``-style escapes instead of acting on the
    terminal."""
    if not value:
        return Text(empty)
    return Text("".join(_visible(ch) for ch in value))


def _visible(ch: str) -> str:
    if unicodedata.category(ch) != "Cc":
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
