"""The audit trail, read back: the events of one comment or of one thread, in id order.

Pages are keyset pages on the event id (never OFFSET): events are only ever appended, so the id
order is the order they happened in, and walking the pages sees each event once. The comment's
events are found through ``ix_moderation_event_target``, the thread's through
``ix_moderation_event_thread_id``: every event about a thread or one of its comments (actions,
labels, reports, rule decisions, close, reopen, policy) carries the thread's id.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session, col

from threads.models import EventTarget, ModerationEvent


def _of_comment(comment_id: int) -> ColumnElement[bool]:
    return (col(ModerationEvent.target_type) == EventTarget.COMMENT) & (
        col(ModerationEvent.target_id) == comment_id
    )


def _of_thread(thread_id: int) -> ColumnElement[bool]:
    return col(ModerationEvent.thread_id) == thread_id


def _page(
    session: Session, where: ColumnElement[bool], after_id: int | None, limit: int
) -> list[ModerationEvent]:
    stmt = select(ModerationEvent).where(where)
    if after_id is not None:
        stmt = stmt.where(col(ModerationEvent.id) > after_id)
    stmt = stmt.order_by(col(ModerationEvent.id)).limit(limit)
    return list(session.scalars(stmt))


def _count(session: Session, where: ColumnElement[bool]) -> int:
    stmt = select(func.count()).select_from(ModerationEvent).where(where)
    return int(session.execute(stmt).scalar_one())


def comment_events(
    session: Session, comment_id: int, *, after_id: int | None = None, limit: int
) -> list[ModerationEvent]:
    """Up to ``limit`` audit events of one comment with an id above ``after_id``, oldest first."""
    return _page(session, _of_comment(comment_id), after_id, limit)


def comment_event_count(session: Session, comment_id: int) -> int:
    """How many audit events one comment has."""
    return _count(session, _of_comment(comment_id))


def thread_events(
    session: Session, thread_id: int, *, after_id: int | None = None, limit: int
) -> list[ModerationEvent]:
    """Up to ``limit`` audit events of a thread (the thread's own and its comments') with an id
    above ``after_id``, oldest first."""
    return _page(session, _of_thread(thread_id), after_id, limit)


def thread_event_count(session: Session, thread_id: int) -> int:
    """How many audit events a thread and its comments have."""
    return _count(session, _of_thread(thread_id))


def author_events(session: Session, standing_id: int, *, limit: int) -> list[ModerationEvent]:
    """The latest ``limit`` events about an author (standing changes, bulk actions), newest
    first; ``standing_id`` is the author's ``author_standing`` row."""
    stmt = (
        select(ModerationEvent)
        .where(
            col(ModerationEvent.target_type) == EventTarget.AUTHOR,
            col(ModerationEvent.target_id) == standing_id,
        )
        .order_by(col(ModerationEvent.id).desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
