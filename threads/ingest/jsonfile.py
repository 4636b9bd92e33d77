"""What the JSON readers share: a whole JSON document or a stream of JSON lines, read with errors
that name the file, the line and what was expected, and the small conversions every one needs.

A JSON document (a Reddit thread, a Hacker News tree, a Commento export) is read whole: such files
are one page of comments. A JSON-lines file (a Pushshift dump, a Remark42 backup) is streamed a
line at a time, plain or zstandard-compressed (recognised by its magic number, not by its name),
and :class:`Lines` tells how many bytes of the file it has read, for the progress bar.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from threads.errors import InvalidInput
from threads.ingest.sniff import decode_with_warnings

#: the first bytes of a zstandard frame
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
#: Pushshift's dumps are compressed with a 2 GiB window (``--long=31``)
ZSTD_MAX_WINDOW = 1 << 31
#: bytes read from the file (compressed or not) at a time
CHUNK = 1 << 20


#: what Python's JSON parser says, as what was expected there
_EXPECTED = {
    "Unterminated string starting at": "the closing quote of the string that starts there",
    "Invalid control character at": "no raw control character inside a string",
    "Extra data": "the end of the document after its first JSON value",
}


def json_error(name: str, exc: json.JSONDecodeError, *, line: int | None = None) -> InvalidInput:
    """The InvalidInput for JSON that does not parse: file, line, column and what was expected.

    ``line``: the line of the file the text came from (JSON lines), instead of the parser's own.
    """
    where_line = line if line is not None else exc.lineno
    doc = exc.doc if isinstance(exc.doc, str) else ""
    if exc.msg.startswith("Expecting "):
        expected = exc.msg.removeprefix("Expecting ")
    elif exc.msg.startswith("Invalid") and "escape" in exc.msg:
        expected = "a valid escape (\\n, \\u00e9, ...)"
    else:
        expected = _EXPECTED.get(exc.msg, exc.msg.lower())
    unclosed = exc.msg.startswith("Unterminated string") and '"' not in doc[exc.pos + 1 :]
    ended = exc.pos >= len(doc.rstrip()) or unclosed
    return InvalidInput(
        f"{name}: not valid JSON at line {where_line}, column {exc.colno}: expected {expected}"
        + (" (the text ends there: the file is truncated)" if ended else ""),
        field="file",
        line=where_line,
        column=exc.colno,
    )


def shape_error(name: str, where: str, expected: str, *, line: int | None = None) -> InvalidInput:
    """The InvalidInput for JSON that parses but is not what the format holds there."""
    at = f"line {line}, " if line is not None else ""
    return InvalidInput(f"{name}: {at}{where}: expected {expected}", field="file", line=line)


def load_document(path: Path, name: str) -> tuple[Any, str, list[str]]:
    """The JSON document in the file at ``path``: (value, encoding, warnings)."""
    text, encoding, warnings = decode_with_warnings(path.read_bytes(), name=name)
    try:
        return json.loads(text), encoding, warnings
    except json.JSONDecodeError as exc:
        raise json_error(name, exc) from None
    except RecursionError:
        raise InvalidInput(
            f"{name}: the JSON is nested too deeply to read; expected at most a few hundred levels",
            field="file",
        ) from None


def is_zstd(head: bytes) -> bool:
    return head.startswith(ZSTD_MAGIC)


def zstd_head(head: bytes, limit: int = 1 << 16) -> bytes:
    """Up to ``limit`` bytes of what the zstandard data in ``head`` decompresses to (what a cut
    frame gives, b"" when it is not zstandard)."""
    import zstandard

    try:
        reader = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW).decompressobj()
        return reader.decompress(head)[:limit]
    except zstandard.ZstdError:
        return b""


def first_json_line(text: str) -> Any:
    """The first non-blank line of ``text`` parsed as JSON (None when it is not JSON)."""
    for line in text.split("\n", 8):
        if line.strip():
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


class Lines:
    """The lines of a JSON-lines file, plain or zstandard-compressed, read in bounded chunks.

    Iterating gives ``(line number, bytes)`` for every non-blank line; ``bytes_read`` is how
    much of the file (compressed bytes for a ``.zst``) has been read so far.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self.compressed = False
        self._file: BinaryIO | None = None

    @property
    def bytes_read(self) -> int:
        handle = self._file
        if handle is None or handle.closed:
            return 0
        return handle.tell()

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        with self.path.open("rb") as handle:
            self._file = handle
            self.compressed = is_zstd(handle.read(4))
            handle.seek(0)
            yield from _split_lines(self._chunks(handle))

    def _chunks(self, handle: BinaryIO) -> Iterator[bytes]:
        if not self.compressed:
            while chunk := handle.read(CHUNK):
                yield chunk
            return
        import zstandard

        decompressor = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
        frame = decompressor.decompressobj()
        started = False  # whether the current frame has been fed anything
        try:
            while data := handle.read(CHUNK):
                while data:
                    started = True
                    out = frame.decompress(data)
                    if out:
                        yield out
                    if not frame.eof:
                        break
                    # the frame ended; what follows is the next frame (files may have many)
                    data, frame, started = frame.unused_data, decompressor.decompressobj(), False
        except zstandard.ZstdError as exc:
            raise InvalidInput(
                f"{self.name}: the zstandard data is damaged after {handle.tell():,} bytes "
                f"({exc}); expected a complete .zst file",
                field="file",
            ) from None
        if started and not frame.eof:
            raise InvalidInput(
                f"{self.name}: the zstandard data ends in the middle of a frame (the file is "
                "truncated); expected a complete .zst file",
                field="file",
            )


def _split_lines(chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    number = 0
    rest = b""
    for chunk in chunks:
        lines = (rest + chunk).split(b"\n") if rest else chunk.split(b"\n")
        rest = lines.pop()
        for line in lines:
            number += 1
            if line.strip():
                yield number, line
    if rest.strip():
        yield number + 1, rest


def parse_line(name: str, number: int, line: bytes) -> dict[str, Any]:
    """One JSON-lines record: an object, else an InvalidInput naming the file and the line."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        raise json_error(name, exc, line=number) from None
    except RecursionError:
        raise InvalidInput(
            f"{name}: line {number}: the JSON is nested too deeply; expected a flat record",
            field="file",
            line=number,
        ) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{name}: line {number} is not UTF-8 ({exc.reason} at byte {exc.start}); "
            "expected UTF-8 JSON",
            field="file",
            line=number,
        ) from None
    if not isinstance(value, dict):
        raise shape_error(name, "the record", f"a JSON object, not {kind(value)}", line=number)
    return value


def kind(value: Any) -> str:
    """What a JSON value is, in words, for errors."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def epoch_utc(value: Any) -> datetime | None:
    """Seconds since 1970 (a number or a numeric string) as an aware UTC time; None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        seconds = float(value)
        return datetime.fromtimestamp(seconds, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def epoch_text(value: Any) -> str | None:
    """The timestamp as the source wrote it (a number kept as its JSON text)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value
    return repr(value) if isinstance(value, int | float) else json.dumps(value)


def text(value: Any) -> str | None:
    """A string field, stripped; None for a missing, null or empty one (other values as JSON)."""
    if value is None:
        return None
    if not isinstance(value, str):
        return json.dumps(value)
    value = value.strip()
    return value or None


def rest(record: dict[str, Any], used: frozenset[str]) -> dict[str, Any]:
    """What ``record`` says besides the keys a reader put in columns: for ``extra``."""
    return {key: value for key, value in record.items() if key not in used}
