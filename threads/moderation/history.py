"""The audit trail of a comment or of a thread, one page at a time.

A page holds events in the order they were recorded (event id), oldest first, with the total
and an opaque cursor for the next page (:mod:`threads.cursor`), like every other listing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from threads.cursor import Part, decode_cursor, encode_cursor
from threads.db.queries import events as q
from threads.errors import InvalidInput
from threads.models import ModerationEvent
from threads.moderation.service import get_comment_or_404
from threads.moderation.threads import get_thread_or_404

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
#: cursor kinds: a cursor of a comment's trail is refused by a thread's, and the other way round
COMMENT_KIND = "hc"
THREAD_KIND = "ht"


@dataclass(frozen=True)
class HistoryPage:
    items: list[ModerationEvent]
    #: how many events the comment or thread has in all (not only this page)
    total: int
    #: pass back as ``cursor`` for the next page; None on the last page
    next_cursor: str | None


def comment_history(
    session: Session, comment_id: int, *, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> HistoryPage:
    """One page of a comment's audit events, oldest first; NotFound if there is no such comment,
    InvalidInput for a ``limit`` outside 1-500 or a cursor this listing did not write."""
    _check_limit(limit)
    after = _after(cursor, COMMENT_KIND)
    get_comment_or_404(session, comment_id)
    return _paged(
        lambda after_id, n: q.comment_events(session, comment_id, after_id=after_id, limit=n),
        lambda: q.comment_event_count(session, comment_id),
        COMMENT_KIND,
        after,
        limit,
    )


def thread_history(
    session: Session, thread_id: int, *, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> HistoryPage:
    """One page of a thread's audit trail, oldest first: close, reopen and policy changes, and
    every action, label, report and rule decision on its comments. NotFound if there is no such
    thread; InvalidInput as for :func:`comment_history`."""
    _check_limit(limit)
    after = _after(cursor, THREAD_KIND)
    get_thread_or_404(session, thread_id)
    return _paged(
        lambda after_id, n: q.thread_events(session, thread_id, after_id=after_id, limit=n),
        lambda: q.thread_event_count(session, thread_id),
        THREAD_KIND,
        after,
        limit,
    )


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}, got {limit}", field="limit")


def _after(cursor: str | None, kind: str) -> int | None:
    return int(decode_cursor(cursor, kind, Part.INT)[0]) if cursor else None


def _paged(
    fetch: Callable[[int | None, int], list[ModerationEvent]],
    count: Callable[[], int],
    kind: str,
    after: int | None,
    limit: int,
) -> HistoryPage:
    rows = fetch(after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(kind, rows[-1].id) if more and rows else None
    return HistoryPage(items=rows, total=count(), next_cursor=next_cursor)
