"""The run manifest's parts: codebook, pseudonyms, date filters (the report time is a setting:
``threads.config.Settings.generated_at``)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from threads.config import DEFAULT_SALT
from threads.errors import InvalidInput

__all__ = ["DEFAULT_SALT", "Codebook", "load_codebook", "parse_bound", "pseudonym"]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_bound(text: str | None, option: str, *, end: bool) -> datetime | None:
    """A ``--since``/``--until`` value: a date (YYYY-MM-DD) or an ISO 8601 time, in UTC.

    A date given to ``--until`` includes that whole day; the bound returned is exclusive.
    """
    if text is None or not text.strip():
        return None
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        return _utc(datetime.fromisoformat(raw.replace("Z", "+00:00")))
    except ValueError as exc:
        raise InvalidInput(
            f"{option} {raw!r} is not a date (expected YYYY-MM-DD or an ISO 8601 time)",
            field=option,
        ) from exc


def pseudonym(identity: str, salt: str) -> str:
    """A stable pseudonym for an author identity: ``author-`` and 6 hex digits of an
    HMAC-SHA256 keyed by ``salt``. The same identity and salt always give the same name."""
    digest = hmac.new(salt.encode(), identity.strip().lower().encode(), hashlib.sha256)
    return "author-" + digest.hexdigest()[:6]


@dataclass(frozen=True)
class Codebook:
    name: str | None
    version: str | None
    hash: str | None
    #: (topic id, label) in the codebook's order
    topics: tuple[tuple[str, str], ...]


def load_codebook(path: Path | None) -> Codebook | None:
    """The codebook (``threads.topics.taxonomy.load_taxonomy``), or None when the topics
    package is not installed; errors in a given file are raised as they come."""
    try:
        from threads.topics.taxonomy import load_taxonomy
    except ImportError:
        if path is not None:
            raise InvalidInput(
                f"cannot read the codebook {path}: the topics module is not available",
                field="--taxonomy",
            ) from None
        return None
    taxonomy: Any = load_taxonomy(path)
    digest = None
    for attr in ("content_hash", "hash", "sha256", "digest"):
        value = getattr(taxonomy, attr, None)
        if isinstance(value, str) and value:
            digest = value
            break
    topics = tuple((str(t.id), str(getattr(t, "label", "") or t.id)) for t in taxonomy.topics)
    version = getattr(taxonomy, "version", None)
    return Codebook(
        name=getattr(taxonomy, "name", None),
        version=str(version) if version is not None else None,
        hash=digest or (str(version) if version is not None else None),
        topics=topics,
    )
