"""Stored forms that need no database layer, for code that runs before it is loaded.

The reader process of a large import (``threads.ingest.pipeline``) starts before SQLAlchemy is
imported, and makes the timestamp text and the JSON text here; ``threads.db.queries.ingest``
uses the same functions, so both write exactly what SQLAlchemy's own processing of a
``UTCDateTime`` and a ``JSON`` column writes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

#: the comment columns an import fills from its source, in the order a prepared comment's
#: values hold them (``threads.ingest.prepare``; the loader adds ids, keys and the thread)
COMMENT_VALUES = (
    "external_id",
    "position",
    "kind",
    "author_name",
    "author_url",
    "author_email",
    "author_key",
    "posted_at",
    "posted_text",
    "body",
    "body_format",
    "status",
    "content_hash",
    "extra",
)


class _Days(dict[int, str]):
    """Proleptic ordinal -> ``"YYYY-MM-DD "``, remembered (up to 100,000 days, ~270 years)."""

    def __missing__(self, ordinal: int) -> str:
        text = date.fromordinal(ordinal).isoformat() + " "
        if len(self) < 100_000:
            self[ordinal] = text
        return text


_day = _Days().__getitem__
#: "HH:MM:" for each minute of a day, and "SS." for each second of a minute
_HOURS_MINUTES = [f"{hour:02d}:{minute:02d}:" for hour in range(24) for minute in range(60)]
_SECONDS = [f"{second:02d}." for second in range(60)]


def sqlite_time(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite DATETIME text, naive UTC (as ``UTCDateTime`` stores it): what
    ``value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")`` gives. A
    naive value is taken as UTC.

    Once per imported comment, so it is put together from remembered pieces (the day, the
    minute of the day, the second): ``isoformat`` formats every field anew and took four times
    as long. A test checks the two agree."""
    if value is None:
        return None
    tz = value.tzinfo
    if tz is not None and tz is not UTC:
        value = value.astimezone(UTC)
    micro = value.microsecond
    return (
        _day(value.toordinal())
        + _HOURS_MINUTES[value.hour * 60 + value.minute]
        + _SECONDS[value.second]
        + (f"{micro:06d}" if micro else "000000")
    )


_JSON = json.JSONEncoder()
_encode_json = _JSON.encode


def _json_text(value: Any) -> Any:
    if value is None:
        return None
    return _encode_json(value) if value else ("{}" if isinstance(value, dict) else "[]")


def json_writer() -> Callable[[Any], Any]:
    """The stored text of a JSON column's value (None stays None), as ``json.dumps`` writes
    it, with one C encoder for all the values it is given (``json.dumps`` builds one per value,
    which cost more than the encoding)."""
    if c_make_encoder is None:  # pragma: no cover - CPython has the C encoder
        return _json_text
    encode = c_make_encoder(
        {},  # markers: circular references are refused, as by json.dumps
        _JSON.default,
        encode_basestring_ascii,
        None,
        _JSON.key_separator,
        _JSON.item_separator,
        False,
        False,
        True,
    )
    join = "".join

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if not value:
            return "{}" if isinstance(value, dict) else "[]"
        if isinstance(value, str):
            return _encode_json(value)
        return join(encode(value, 0))

    return convert
