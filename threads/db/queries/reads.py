"""Read queries for the API: threads with their articles, comments of a thread, counts.

Lists use keyset pagination on indexed columns (thread id; comment thread_id + position).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Select, Table, and_, func, or_, select
from sqlmodel import Session, col

from threads.db.queries.labels import assigning, label_t
from threads.db.queries.sites import site_threads
from threads.db.queries.tally import tally_kept
from threads.models import (
    Article,
    Comment,
    CommentStatus,
    CommentTally,
    ModerationEvent,
    Thread,
)


@dataclass(frozen=True)
class ThreadRow:
    thread: Thread
    article: Article
    comment_count: int
    last_comment_at: datetime | None


def thread_rows(
    session: Session,
    *,
    after_id: int | None,
    limit: int,
    statuses: Sequence[CommentStatus],
    site_id: int | None = None,
) -> list[ThreadRow]:
    """Threads in id order after ``after_id`` (of the site ``site_id`` if given), with how many
    comments in ``statuses`` each has.

    The counts are computed for the page's threads only (one indexed aggregate), never for the
    whole table.
    """
    page = (
        select(Thread, Article)
        .join(Article, col(Article.id) == col(Thread.article_id))
        .order_by(col(Thread.id))
        .limit(limit)
    )
    if after_id is not None:
        page = page.where(col(Thread.id) > after_id)
    if site_id is not None:
        page = page.where(col(Article.site_id) == site_id)
    pairs = [(t, a) for t, a in session.execute(page)]
    ids = [t.id for t, _ in pairs if t.id is not None]
    counts: dict[int, tuple[int, datetime | None]] = {}
    if ids:
        stmt = (
            select(col(Comment.thread_id), func.count(), func.max(col(Comment.posted_at)))
            .where(col(Comment.thread_id).in_(ids), col(Comment.status).in_(list(statuses)))
            .group_by(col(Comment.thread_id))
        )
        counts = {int(tid): (int(n), last) for tid, n, last in session.execute(stmt)}
    return [ThreadRow(t, a, *counts.get(t.id or 0, (0, None))) for t, a in pairs]


def thread_count(session: Session, site_id: int | None = None) -> int:
    """How many threads there are (of the site ``site_id`` if given)."""
    stmt = select(func.count()).select_from(Thread)
    if site_id is not None:
        stmt = stmt.where(col(Thread.id).in_(site_threads(site_id)))
    return int(session.execute(stmt).scalar_one())


_THREAD_T = cast(Table, Thread.__table__)  # type: ignore[attr-defined]
_ARTICLE_T = cast(Table, Article.__table__)  # type: ignore[attr-defined]


def thread_read_row(session: Session, thread_id: int) -> Row[Any] | None:
    """The thread's columns (read like a Thread) and its article's, prefixed ``a_``: one
    Core row, no ORM objects."""
    stmt = (
        select(_THREAD_T, *(c.label(f"a_{c.name}") for c in _ARTICLE_T.c))
        .join(_ARTICLE_T, _ARTICLE_T.c.id == _THREAD_T.c.article_id)
        .where(_THREAD_T.c.id == thread_id)
    )
    return session.execute(stmt).first()


def thread_with_article(session: Session, thread_id: int) -> tuple[Thread, Article] | None:
    row = session.execute(
        select(Thread, Article)
        .join(Article, col(Article.id) == col(Thread.article_id))
        .where(col(Thread.id) == thread_id)
    ).first()
    return None if row is None else (row[0], row[1])


def status_counts(session: Session, thread_id: int) -> dict[str, int]:
    """Comments of the thread per status (every status present, zeros included): from the
    tally where the database keeps one (a few rows), else counted."""
    counts = {s.value: 0 for s in CommentStatus}
    stmt: Select[CommentStatus, int]
    if tally_kept(session):
        stmt = select(col(CommentTally.status), col(CommentTally.n)).where(
            col(CommentTally.thread_id) == thread_id
        )
    else:
        stmt = (
            select(col(Comment.status), func.count())
            .where(col(Comment.thread_id) == thread_id)
            .group_by(col(Comment.status))
        )
    for status, n in session.execute(stmt):
        counts[CommentStatus(status).value] = int(n)
    return counts


def topic_counts(
    session: Session, thread_id: int, statuses: Sequence[CommentStatus], codebook: str
) -> dict[str, int]:
    """Comments of the thread in ``statuses`` per topic of ``codebook`` (the rule of
    ``threads.db.queries.labels``)."""
    lt = label_t
    stmt = (
        select(lt.c.topic_id, func.count(func.distinct(lt.c.comment_id)))
        .join(Comment, col(Comment.id) == lt.c.comment_id)
        .where(
            col(Comment.thread_id) == thread_id,
            col(Comment.status).in_(list(statuses)),
            assigning(codebook),
        )
        .group_by(lt.c.topic_id)
        .order_by(lt.c.topic_id)
    )
    return {str(topic): int(n) for topic, n in session.execute(stmt)}


def thread_comments(
    session: Session, thread_id: int, statuses: Sequence[CommentStatus] | None
) -> list[Comment]:
    """Every comment of the thread (in ``statuses`` if given) in order of appearance."""
    stmt = select(Comment).where(col(Comment.thread_id) == thread_id)
    if statuses is not None:
        stmt = stmt.where(col(Comment.status).in_(list(statuses)))
    stmt = stmt.order_by(col(Comment.position), col(Comment.id))
    return list(session.scalars(stmt))


def thread_comments_page(
    session: Session,
    thread_id: int,
    statuses: Sequence[CommentStatus] | None,
    *,
    after: tuple[int, int] | None,
    limit: int,
) -> list[Comment]:
    """Up to ``limit`` comments of the thread after the keyset ``(position, id)``."""
    stmt = select(Comment).where(col(Comment.thread_id) == thread_id)
    if statuses is not None:
        stmt = stmt.where(col(Comment.status).in_(list(statuses)))
    if after is not None:
        position, last_id = after
        stmt = stmt.where(
            or_(
                col(Comment.position) > position,
                and_(col(Comment.position) == position, col(Comment.id) > last_id),
            )
        )
    stmt = stmt.order_by(col(Comment.position), col(Comment.id)).limit(limit)
    return list(session.scalars(stmt))


def thread_comment_count(
    session: Session, thread_id: int, statuses: Sequence[CommentStatus] | None
) -> int:
    stmt = select(func.count()).select_from(Comment).where(col(Comment.thread_id) == thread_id)
    if statuses is not None:
        stmt = stmt.where(col(Comment.status).in_(list(statuses)))
    return int(session.execute(stmt).scalar_one())


def comment_exists(session: Session, comment_id: int) -> bool:
    return (
        session.execute(
            select(col(Comment.id)).where(col(Comment.id) == comment_id)
        ).scalar_one_or_none()
        is not None
    )


def events_by_actor(session: Session, actor: str) -> list[ModerationEvent]:
    """Audit events recorded for one actor, oldest first (used to check API audit trails)."""
    stmt = (
        select(ModerationEvent)
        .where(col(ModerationEvent.actor) == actor)
        .order_by(col(ModerationEvent.id))
    )
    return list(session.scalars(stmt))


def thread_parent_links(session: Session, thread_id: int) -> dict[int, int | None]:
    """comment id -> parent id for every comment of the thread (any status)."""
    stmt = select(col(Comment.id), col(Comment.parent_id)).where(
        col(Comment.thread_id) == thread_id
    )
    return {int(cid): (int(pid) if pid is not None else None) for cid, pid in session.execute(stmt)}
