"""The moderation queue: what waits for a moderator, filtered, sorted, paged by an opaque cursor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast, get_args

from sqlalchemy import Row
from sqlmodel import Session

from threads.cursor import Part, decode_cursor, encode_cursor
from threads.db.queries import moderation as q
from threads.db.queries.labels import topics_of
from threads.errors import InvalidInput, refuse_nul
from threads.identity import author_key as identity_key
from threads.models import DEFAULT_CODEBOOK, CommentStatus
from threads.site_directory import find_site, site_key

QueueSort = q.QueueSort
SORTS: tuple[str, ...] = get_args(QueueSort)
MAX_LIMIT = 500


@dataclass(frozen=True)
class QueueFilter:
    """Which comments to list. Empty fields do not filter.

    ``author`` matches the normalised author identity (e-mail, else name) or the exact name,
    case-insensitively; ``since``/``until`` bound the posted time (``until`` excluded); ``text``
    is a case-insensitive substring of the body. ``codebook`` names the codebook whose labels
    ``topic`` filters on and the items show (default: the one shipped with threads).
    is a case-insensitive substring of the body; ``site`` is a site key (any case): the
    comments of that site's threads.
    """

    statuses: Sequence[CommentStatus] = (CommentStatus.PENDING, CommentStatus.FLAGGED)
    thread_id: int | None = None
    topic: str | None = None
    author: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    codebook: str = DEFAULT_CODEBOOK
    site: str | None = None

    def __post_init__(self) -> None:
        try:
            statuses = tuple(CommentStatus(s) for s in self.statuses)
        except ValueError as exc:
            raise InvalidInput(
                f"unknown status in {list(self.statuses)!r}; expected some of: "
                f"{', '.join(s.value for s in CommentStatus)}",
                field="status",
            ) from exc
        object.__setattr__(self, "statuses", statuses)
        for name in ("topic", "author", "text", "codebook"):
            refuse_nul(getattr(self, name), name)
        if self.site is not None:
            object.__setattr__(self, "site", site_key(self.site))
        for name in ("since", "until"):
            when = getattr(self, name)
            if when is None:
                continue
            if when.tzinfo is None:  # a naive time is UTC, as the database takes it
                when = when.replace(tzinfo=UTC)
            try:  # a time whose UTC value falls outside the years 1-9999 cannot be stored
                object.__setattr__(self, name, when.astimezone(UTC))
            except OverflowError:
                raise InvalidInput(f"{name} {when} is out of range", field=name) from None
        if self.thread_id is not None and not 0 < self.thread_id <= q.MAX_ID:
            raise InvalidInput(f"thread {self.thread_id} is not a thread id", field="thread_id")
        if self.since and self.until and self.since >= self.until:
            raise InvalidInput("since must be before until", field="since")


@dataclass(frozen=True)
class QueueItem:
    """One queue entry: the comment, where it lives and its assigned topics."""

    #: the comment's columns, read like a :class:`~threads.models.Comment` (a database row)
    comment: Row[Any]
    thread_id: int
    article_id: int
    article_title: str
    topics: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    #: how many comments match the filter in all (not only this page)
    total: int
    #: pass back as ``cursor`` for the next page; None on the last page
    next_cursor: str | None


def _cursor(sort: str, key: q.QueueKey) -> str:
    return encode_cursor(sort, *key)


def _after(cursor: str, sort: str) -> q.QueueKey:
    """The keyset in ``cursor``; InvalidInput (field ``cursor``) if it is not one of ours."""
    first = Part.INT if sort == "most_reported" else Part.TIME_OR_NONE
    value, last_id = decode_cursor(cursor, sort, first, Part.INT, hint=", with the same sort")
    return (value, last_id)


def check_site(session: Session, flt: QueueFilter) -> None:
    """NotFound, naming the known keys, when the filter names a site that does not exist."""
    if flt.site is not None:
        find_site(session, flt.site)


def status_counts(session: Session, filter: QueueFilter) -> dict[CommentStatus, int]:  # noqa: A002
    """How many comments match ``filter`` in each status, whatever its ``statuses`` (the counts
    of every tab at once: one query)."""
    check_site(session, filter)
    author_key = identity_key(None, filter.author) if filter.author else None
    return q.queue_status_counts(session, filter, author_key=author_key)


def list_queue(
    session: Session,
    filter: QueueFilter,  # noqa: A002 - the contract's name
    *,
    sort: str = "oldest",
    cursor: str | None = None,
    limit: int = 50,
    total: int | None = None,
) -> QueuePage:
    """One page of the queue in ``sort`` order (oldest, newest, most_reported).

    Pages are stable under keyset pagination: walking ``next_cursor`` until it is None yields every
    matching comment once, even while new comments arrive. ``total`` counts all matches. A site
    the filter names must exist (NotFound naming the known keys). ``total``: the count when the
    caller already has it (from :func:`status_counts`), so it is not counted again.
    """
    if sort not in SORTS:
        raise InvalidInput(
            f"unknown sort {sort!r}; expected one of: {', '.join(SORTS)}", field="sort"
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}, got {limit}", field="limit")
    typed_sort = cast(QueueSort, sort)
    after = _after(cursor, sort) if cursor else None
    check_site(session, filter)
    author_key = identity_key(None, filter.author) if filter.author else None
    rows = q.queue_page(
        session, filter, sort=typed_sort, after=after, limit=limit + 1, author_key=author_key
    )
    more = len(rows) > limit
    rows = rows[:limit]
    topics = topics_of(
        session, filter.codebook, [r.comment.id for r in rows if r.comment.id is not None]
    )
    items = [
        QueueItem(
            comment=r.comment,
            thread_id=r.comment.thread_id,
            article_id=r.article_id,
            article_title=r.article_title,
            topics=topics.get(r.comment.id or 0, []),
        )
        for r in rows
    ]
    next_cursor = (
        _cursor(sort, q.queue_key(typed_sort, rows[-1].comment)) if more and rows else None
    )
    if total is None:
        total = q.queue_count(session, filter, author_key=author_key)
    return QueuePage(items=items, total=total, next_cursor=next_cursor)
