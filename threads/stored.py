"""Stored forms that need no database layer, for code that runs before it is loaded.

The reader process of a large import (``threads.ingest.pipeline``) starts before SQLAlchemy is
imported, and makes the timestamp text here; ``threads.db.queries.ingest`` uses the same
function, so both write exactly what SQLAlchemy's own processing of a ``UTCDateTime`` writes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


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
