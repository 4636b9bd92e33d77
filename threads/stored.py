"""Stored forms that need no database layer, for code that runs before it is loaded.

The reader process of a large import (``threads.ingest.pipeline``) starts before SQLAlchemy is
imported, and makes the timestamp text here; ``threads.db.queries.ingest`` uses the same
function, so both write exactly what SQLAlchemy's own processing of a ``UTCDateTime`` writes.
"""

from __future__ import annotations

from datetime import UTC, datetime


def sqlite_time(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite DATETIME text, naive UTC (as ``UTCDateTime`` stores it): what
    ``value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")`` gives, in
    about half the time (once per imported comment). A naive value is taken as UTC."""
    if value is None:
        return None
    tz = value.tzinfo
    if tz is None:
        text = value.isoformat(" ")
    else:
        if tz is not UTC:
            value = value.astimezone(UTC)
        text = value.isoformat(" ")[:-6]  # the "+00:00" of UTC
    return text if value.microsecond else text + ".000000"
