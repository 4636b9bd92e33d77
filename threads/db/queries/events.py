"""The audit trail, read back: the events of one comment or of one thread, in id order, and the
whole log newest first.

Pages are keyset pages on the event id (never OFFSET): events are only ever appended, so the id
order is the order they happened in, and walking the pages sees each event once. The comment's
events are found through ``ix_moderation_event_target``, the thread's through
``ix_moderation_event_thread_id``: every event about a thread or one of its comments (actions,
labels, reports, rule decisions, close, reopen, policy) carries the thread's id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, func, or_, select
from sqlmodel import Session, col

from threads.db.queries.sites import site_threads_by_key
from threads.models import EventTarget, ModerationEvent, Site, Webhook


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


# --- the whole audit log, newest first --------------------------------------------------------
#
# Keyset pages on the event id, descending (``id < before_id``): ids follow the order events
# were recorded. An actor or action filter walks ``ix_moderation_event_actor_id`` or
# ``ix_moderation_event_action_id`` (equality, then id: already in page order, no sort); a
# date range ``ix_moderation_event_created_at``; a site its threads' ids through
# ``ix_moderation_event_thread_id``, and the events about its webhooks (which have no thread)
# through ``ix_moderation_event_target``.


class AuditWhere(Protocol):
    """The filter of :func:`audit_events` (``threads.moderation.history.AuditFilter``)."""

    @property
    def actor(self) -> str | None: ...
    @property
    def action(self) -> str | None: ...
    @property
    def since(self) -> datetime | None: ...
    @property
    def until(self) -> datetime | None: ...
    @property
    def site(self) -> str | None: ...


def _audit_conditions(flt: AuditWhere) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if flt.actor is not None:
        conds.append(col(ModerationEvent.actor) == flt.actor)
    if flt.action is not None:
        conds.append(col(ModerationEvent.action) == flt.action)
    if flt.since is not None:
        conds.append(col(ModerationEvent.created_at) >= flt.since)
    if flt.until is not None:
        conds.append(col(ModerationEvent.created_at) < flt.until)
    if flt.site is not None:
        conds.append(
            or_(
                col(ModerationEvent.thread_id).in_(site_threads_by_key(flt.site)),
                (col(ModerationEvent.target_type) == EventTarget.WEBHOOK)
                & col(ModerationEvent.target_id).in_(_site_hooks(flt.site)),
            )
        )
    return conds


def _site_hooks(key: str) -> Any:
    """``SELECT webhook.id`` of the hooks registered for the site with this key (a hook of
    every site belongs to none)."""
    return (
        select(col(Webhook.id))
        .join(Site, col(Site.id) == col(Webhook.site_id))
        .where(col(Site.key) == key)
    )


def audit_events(
    session: Session, flt: AuditWhere, *, before_id: int | None = None, limit: int
) -> list[ModerationEvent]:
    """Up to ``limit`` audit events matching ``flt`` with an id below ``before_id``, newest
    first."""
    stmt = select(ModerationEvent).where(*_audit_conditions(flt))
    if before_id is not None:
        stmt = stmt.where(col(ModerationEvent.id) < before_id)
    stmt = stmt.order_by(col(ModerationEvent.id).desc()).limit(limit)
    return list(session.scalars(stmt))


def audit_event_count(session: Session, flt: AuditWhere) -> int:
    """How many audit events match ``flt``."""
    stmt = select(func.count()).select_from(ModerationEvent).where(*_audit_conditions(flt))
    return int(session.execute(stmt).scalar_one())


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
