"""The audit trail of a comment or of a thread, one page at a time, and the whole audit log.

A page of a trail holds events in the order they were recorded (event id), oldest first; a page
of the log (:func:`audit_log`) newest first. Each comes with the total and an opaque cursor for
the next page (:mod:`threads.cursor`), like every other listing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session

from threads.cursor import Part, decode_cursor, encode_cursor
from threads.db.queries import events as q
from threads.errors import InvalidInput, refuse_nul
from threads.models import ModerationEvent
from threads.moderation.service import get_comment_or_404
from threads.moderation.threads import get_thread_or_404
from threads.site_directory import find_site, site_key

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
#: cursor kinds: a cursor of a comment's trail is refused by a thread's, and the other way round
COMMENT_KIND = "hc"
THREAD_KIND = "ht"
AUDIT_KIND = "ha"
#: the longest actor and action the audit log stores (``moderation_event`` columns)
ACTOR_LENGTH = 255
ACTION_LENGTH = 32


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


@dataclass(frozen=True)
class AuditFilter:
    """Which audit events to list; empty fields do not filter.

    ``actor`` and ``action`` match exactly (as the log shows them: ``key:alice``, ``reject``);
    ``since``/``until`` bound the time the event was recorded (``until`` excluded; a naive time
    is UTC); ``site`` is a site key (any case): the events of that site's threads and their
    comments, and of the webhooks registered for that site.
    """

    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    site: str | None = None

    def __post_init__(self) -> None:
        for name, most in (("actor", ACTOR_LENGTH), ("action", ACTION_LENGTH)):
            value = getattr(self, name)
            if value is None:
                continue
            refuse_nul(value, name)
            value = value.strip()
            if not value or len(value) > most:
                raise InvalidInput(
                    f"{name} must be 1 to {most} characters, got {len(value)}", field=name
                )
            object.__setattr__(self, name, value)
        if self.site is not None:
            object.__setattr__(self, "site", site_key(self.site))
        for name in ("since", "until"):
            when = getattr(self, name)
            if when is None:
                continue
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            try:  # a time whose UTC value falls outside the years 1-9999 cannot be stored
                object.__setattr__(self, name, when.astimezone(UTC))
            except OverflowError:
                raise InvalidInput(f"{name} {when} is out of range", field=name) from None
        if self.since and self.until and self.since >= self.until:
            raise InvalidInput("since must be before until", field="since")


def audit_log(
    session: Session,
    flt: AuditFilter | None = None,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> HistoryPage:
    """One page of the whole audit log, newest first, matching ``flt``. InvalidInput as for
    :func:`comment_history`; NotFound (naming the known keys) for a site that does not exist."""
    flt = flt or AuditFilter()
    _check_limit(limit)
    before = _after(cursor, AUDIT_KIND)
    if flt.site is not None:
        find_site(session, flt.site)
    return _paged(
        lambda before_id, n: q.audit_events(session, flt, before_id=before_id, limit=n),
        lambda: q.audit_event_count(session, flt),
        AUDIT_KIND,
        before,
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
