"""The one codec of listing cursors (API lists, the moderation queue, ``threads queue --cursor``).

A cursor is the keyset of the last item of a page, opaque to the client: URL-safe base64 of the
JSON list ``[kind, value, ...]``. ``kind`` names the listing (``t`` threads, ``f`` a flat
comment page, ``r`` tree roots, a queue sort), so that a cursor of one listing is refused by
another. A value is an integer, null, ``{"t": "<ISO time with offset>"}``, or a short string
of lowercase hex digits (the hash that names a computed item, such as a campaign).

Whatever a client sends back, decoding gives the values the listing expects or an
:class:`InvalidInput` on field ``cursor``: integers outside the database's 32-bit range, bad
base64, bad JSON, deep nesting or a cursor of another listing never reach a query.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
from datetime import datetime
from typing import Any

from threads.errors import InvalidInput

#: integers in a cursor are ids, positions and counts: 32-bit database integers, never negative
MAX_INT = 2**31 - 1
#: far longer than any cursor we write (a kind, a time and an id take about 80 characters)
MAX_LENGTH = 400

CursorValue = int | datetime | str | None
#: the longest hex string a cursor may hold (a SHA-256 in hex)
MAX_HEX = 64
_HEX_DIGITS = frozenset("0123456789abcdef")


class Part(enum.Enum):
    """What one value of a cursor must be."""

    INT = "int"
    #: a timezone-aware time, or null (a comment without a posted time)
    TIME_OR_NONE = "time_or_none"
    #: 1 to MAX_HEX lowercase hex digits
    HEX = "hex"


def encode_cursor(kind: str, *values: CursorValue) -> str:
    """The cursor holding ``values`` for the listing ``kind``."""
    data: list[Any] = [kind]
    for value in values:
        data.append({"t": value.isoformat()} if isinstance(value, datetime) else value)
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, *parts: Part, hint: str = "") -> tuple[Any, ...]:
    """The values in ``cursor``, one per part, when it is a cursor of the listing ``kind``.

    Raises :class:`InvalidInput` (field ``cursor``) for anything else; ``hint`` is added to its
    message (e.g. that the same sort must be passed again).
    """
    bad = InvalidInput(
        f"cursor is not valid for this listing (pass back next_cursor unchanged{hint})",
        field="cursor",
    )
    if len(cursor) > MAX_LENGTH:
        raise bad
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data: Any = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        raise bad from None
    if not (isinstance(data, list) and len(data) == len(parts) + 1 and data[0] == kind):
        raise bad
    values = tuple(_value(raw, part) for raw, part in zip(data[1:], parts, strict=True))
    if any(v is _BAD for v in values):
        raise bad
    return values


_BAD = object()


def _value(raw: Any, part: Part) -> Any:
    if part is Part.INT:
        ok = isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= MAX_INT
        return raw if ok else _BAD
    if part is Part.HEX:
        ok = isinstance(raw, str) and 0 < len(raw) <= MAX_HEX and set(raw) <= _HEX_DIGITS
        return raw if ok else _BAD
    if raw is None:
        return None
    if not (isinstance(raw, dict) and len(raw) == 1 and isinstance(raw.get("t"), str)):
        return _BAD
    try:
        when = datetime.fromisoformat(raw["t"])
    except ValueError:
        return _BAD
    return when if when.tzinfo is not None else _BAD
