"""Text from outside on the terminal: always as text, never as Rich markup, controls made visible.

Names, titles, bodies, URLs, reasons, codebook labels, file names and error details can hold
anything: Rich markup (``[/oops]`` would stop the command, ``[link=...]`` would make a live
link) and terminal control sequences (ESC, CSI, OSC: clear the screen, retitle the window, make
hidden hyperlinks). Every command prints such text through this module:

- :func:`safe_text` gives a :class:`rich.text.Text`, which Rich never parses as markup;
- :func:`visible` gives the plain string for ``typer.echo`` and Markdown;
- :func:`safe_json` makes JSON text that holds no raw control character (lossless: a JSON
  reader gets the same strings back);
- :func:`for_terminal` wraps the stream of a data format (CSV, XML): exact when piped or
  redirected, controls made visible when it is a terminal.

Control characters are shown as escapes a reader can recognise: ``\\x1b`` for ESC and other C0
controls and DEL, ``\\x9b`` for C1 controls (U+0080-U+009F, which some terminals obey even in
UTF-8), ``\\r``, and ``\\u202e`` for the bidirectional embeddings, overrides and isolates (which
can make a line read differently from what it holds). Line feeds and tabs stay as they are
where the layout has room for them (comment bodies), and are shown as ``\\n`` and ``\\t`` in
one-line places (names, titles, table cells, error lines).
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, TextIO, cast

from rich.text import Text

if TYPE_CHECKING:
    from rich.console import OverflowMethod

_BIDI = "\u202a-\u202e\u2066-\u2069"
#: what is made visible in text that may span lines: every control but line feed and tab
_CONTROLS = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
#: what is made visible in one-line text: line feeds and tabs as well
_CONTROLS_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
#: what a JSON encoder leaves raw inside strings that a terminal could obey
_JSON_RAW = re.compile(f"[\x7f-\x9f{_BIDI}]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(value: object, *, one_line: bool = False) -> str:
    """``value`` as a string whose control characters are shown as escapes (see the module doc);
    with ``one_line``, line feeds and tabs too. None is the empty string."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    pattern = _CONTROLS_ONE_LINE if one_line else _CONTROLS
    return pattern.sub(_escape, text)


def safe_text(
    value: object,
    style: str = "",
    *,
    one_line: bool = True,
    overflow: OverflowMethod | None = None,
) -> Text:
    """A Rich Text showing ``value`` literally: no markup, controls visible (on one line unless
    ``one_line=False``)."""
    return Text(visible(value, one_line=one_line), style=style, overflow=overflow)


class _TerminalWriter(io.TextIOBase):
    """Writes to a terminal with control characters made visible (line feeds and tabs kept)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._stream.write(visible(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()


def for_terminal(stream: TextIO) -> TextIO:
    """``stream`` itself when it is not a terminal (data piped or redirected stays exact), else
    a writer that shows control characters as escapes, so that data formats (CSV, XML) printed
    on a terminal cannot drive it."""
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        terminal = False
    return cast(TextIO, _TerminalWriter(stream)) if terminal else stream


def safe_json(text: str) -> str:
    """JSON text (from ``json.dumps`` or msgspec) with DEL, C1 and bidi controls written as
    ``\\uXXXX``.

    Both encoders already escape C0 controls; the others can only occur inside strings, where
    the escape means the same character, so the data read back is unchanged.
    """
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


__all__ = ["for_terminal", "safe_json", "safe_text", "visible"]
