"""Queries for moderation: comments and threads under moderation, the queue, duplicates, reports.

The queue uses keyset pagination (never OFFSET) over indexed columns: ``status`` + ``thread_id``
(ix_comment_status_thread_id), ``posted_at`` (ix_comment_posted_at) and ``topic_id`` + ``score``
(ix_comment_topic_topic_id_score).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Literal, Protocol, cast

from sqlalchemy import ColumnElement, Row, Table, and_, exists, false, func, or_, select, update
from sqlmodel import Session, col

from threads.db.engine import begin_write
from threads.db.queries.labels import has_topic
from threads.db.queries.sites import site_threads_by_key
from threads.db.queries.tally import tally_kept
from threads.models import (
    Article,
    Comment,
    CommentReport,
    CommentStatus,
    CommentTally,
    CommentTopic,
    Thread,
    ThreadState,
)

QueueSort = Literal["oldest", "newest", "most_reported"]


class QueueCriteria(Protocol):
    """What a queue query filters on (``threads.moderation.queue.QueueFilter`` is one): empty
    fields do not filter. A protocol, so that these queries need nothing from the service."""

    @property
    def statuses(self) -> Sequence[CommentStatus]: ...
    @property
    def thread_id(self) -> int | None: ...
    @property
    def topic(self) -> str | None: ...
    @property
    def author(self) -> str | None: ...
    @property
    def since(self) -> datetime | None: ...
    @property
    def until(self) -> datetime | None: ...
    @property
    def text(self) -> str | None: ...
    @property
    def codebook(self) -> str: ...
    @property
    def site(self) -> str | None: ...


# --------------------------------------------------------------------------- comments


#: ids are 32-bit integers in PostgreSQL; a larger one can match nothing (and must not reach SQL)
MAX_ID = 2**31 - 1


def get_comment(session: Session, comment_id: int) -> Comment | None:
    if not 0 < comment_id <= MAX_ID:
        return None
    return session.get(Comment, comment_id)


def update_comment_if_version(
    session: Session,
    comment_id: int,
    version: int,
    values: Mapping[str, Any],
    *,
    bump: bool = True,
) -> bool:
    """Compare-and-set: apply ``values`` and bump the version only if it is still ``version``.

    Two moderators acting on the same comment at once cannot both succeed: the second finds
    no row at its version. ``bump=False`` keeps the version (a change a moderator's screen need
    not be invalidated by, such as one more report).
    """
    stmt = (
        update(Comment)
        .where(col(Comment.id) == comment_id, col(Comment.version) == version)
        .values(**values, version=version + 1 if bump else version)
        .execution_options(synchronize_session="fetch")
    )
    result = session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def scrub_comment_satellites(session: Session, comment_id: int) -> None:
    """For a purge: blank what other rows copied from a comment (label evidence quotes its words,
    a report's detail may quote it). The rows stay; the audit log is untouched."""
    session.execute(
        update(CommentTopic).where(col(CommentTopic.comment_id) == comment_id).values(evidence=[])
    )
    session.execute(
        update(CommentReport).where(col(CommentReport.comment_id) == comment_id).values(detail=None)
    )


def comment_version(session: Session, comment_id: int) -> int | None:
    """The version in the database now (bypassing the session's cached object)."""
    return session.execute(
        select(col(Comment.version)).where(col(Comment.id) == comment_id)
    ).scalar_one_or_none()


def next_position(session: Session, thread_id: int) -> int:
    """The position after the last comment of the thread (0 for an empty thread)."""
    last = session.execute(
        select(func.max(col(Comment.position))).where(col(Comment.thread_id) == thread_id)
    ).scalar_one_or_none()
    return 0 if last is None else int(last) + 1


def last_comment_at(session: Session, thread_id: int) -> datetime | None:
    """When the newest comment of the thread was posted (any status), or None."""
    return session.execute(
        select(func.max(col(Comment.posted_at))).where(col(Comment.thread_id) == thread_id)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class RecentComment:
    id: int
    thread_id: int
    author_key: str | None
    posted_at: datetime | None


def recent_with_hash(session: Session, content_hash: str, since: datetime) -> list[RecentComment]:
    """Comments with this content hash posted since ``since`` (any thread, newest first)."""
    stmt = (
        select(
            col(Comment.id), col(Comment.thread_id), col(Comment.author_key), col(Comment.posted_at)
        )
        .where(col(Comment.content_hash) == content_hash, col(Comment.posted_at) >= since)
        .where(col(Comment.purged).is_(False))
        .order_by(col(Comment.posted_at).desc(), col(Comment.id).desc())
        .limit(50)
    )
    return [RecentComment(*row) for row in session.execute(stmt)]


def author_has_approved(session: Session, author_key: str) -> bool:
    """True when some comment of this author (by normalised key) is approved."""
    stmt = select(
        exists().where(
            col(Comment.author_key) == author_key,
            col(Comment.status) == CommentStatus.APPROVED,
        )
    )
    return bool(session.execute(stmt).scalar())


def reporter_has_reported(session: Session, comment_id: int, reporter: str) -> bool:
    stmt = select(
        exists().where(
            col(CommentReport.comment_id) == comment_id, col(CommentReport.reporter) == reporter
        )
    )
    return bool(session.execute(stmt).scalar())


# --------------------------------------------------------------------------- threads


def get_thread(session: Session, thread_id: int) -> Thread | None:
    if not 0 < thread_id <= MAX_ID:
        return None
    return session.get(Thread, thread_id)


def lock_thread(session: Session, thread_id: int) -> Thread | None:
    """The thread, read fresh and locked against other writers until the transaction ends.

    Every change that depends on a thread's state (a submission, a close, a reopen) takes this
    lock first, so that they happen one after the other: a submission that sees the thread
    open commits before a close can start, and one that waits for a close sees it closed.
    PostgreSQL locks the row (``FOR NO KEY UPDATE``: the close's UPDATE waits for it, while
    inserts that only refer to the thread do not); SQLite has one writer at a time, so the
    transaction takes the database's write lock first (``BEGIN IMMEDIATE``).
    """
    if not 0 < thread_id <= MAX_ID:
        return None
    begin_write(session.connection())
    stmt = (
        select(Thread)
        .where(col(Thread.id) == thread_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return session.execute(stmt).scalar_one_or_none()


def article_published_at(session: Session, article_id: int) -> datetime | None:
    return session.execute(
        select(col(Article.published_at)).where(col(Article.id) == article_id)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class AutoCloseCandidate:
    thread: Thread
    published_at: datetime | None
    last_comment_at: datetime | None


def open_threads_for_auto_close(session: Session) -> list[AutoCloseCandidate]:
    """Open threads that auto-close may apply to (never manually reopened), with their times."""
    last = (
        select(col(Comment.thread_id), func.max(col(Comment.posted_at)).label("last_at"))
        .group_by(col(Comment.thread_id))
        .subquery()
    )
    stmt = (
        select(Thread, col(Article.published_at), last.c.last_at)
        .join(Article, col(Article.id) == col(Thread.article_id))
        .outerjoin(last, last.c.thread_id == col(Thread.id))
        .where(col(Thread.state) == ThreadState.OPEN, col(Thread.reopened_at).is_(None))
        .order_by(col(Thread.id))
    )
    return [AutoCloseCandidate(t, p, lc) for t, p, lc in session.execute(stmt)]


def update_thread_if_version(
    session: Session, thread_id: int, version: int, values: Mapping[str, Any]
) -> bool:
    """Compare-and-set on a thread, like :func:`update_comment_if_version`."""
    stmt = (
        update(Thread)
        .where(col(Thread.id) == thread_id, col(Thread.version) == version)
        .values(**values, version=version + 1)
        .execution_options(synchronize_session="fetch")
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- queue


def queue_conditions(
    flt: QueueCriteria, *, author_key: str | None = None
) -> list[ColumnElement[bool]]:
    """The WHERE clauses for a queue filter (shared by the page, the count and bulk actions)."""
    conds: list[ColumnElement[bool]] = []
    statuses = [CommentStatus(s) for s in flt.statuses]
    conds.append(col(Comment.status).in_(statuses) if statuses else false())
    if flt.thread_id is not None:
        conds.append(col(Comment.thread_id) == flt.thread_id)
    if flt.topic:
        conds.append(has_topic(flt.codebook, flt.topic, col(Comment.id)))
    if flt.author:
        by_name = func.lower(col(Comment.author_name)) == flt.author.strip().lower()
        conds.append(or_(col(Comment.author_key) == author_key, by_name) if author_key else by_name)
    if flt.since is not None:
        conds.append(col(Comment.posted_at) >= flt.since)
    if flt.until is not None:
        conds.append(col(Comment.posted_at) < flt.until)
    if flt.text:
        conds.append(col(Comment.body).icontains(flt.text, autoescape=True))
    if flt.site:
        conds.append(col(Comment.thread_id).in_(site_threads_by_key(flt.site)))
    return conds


#: the cursor's key: (sort value, comment id); the sort value is None for "no posted time"
QueueKey = tuple[Any, int]


def _after_reports(key: QueueKey) -> ColumnElement[bool]:
    value, last_id = key
    count = col(Comment.report_count)
    return and_(count <= value, or_(count < value, col(Comment.id) > last_id))


def _after_dated(sort: QueueSort, value: datetime, last_id: int) -> ColumnElement[bool]:
    # Written as a range on posted_at plus a tie-break, so the posted_at index bounds the scan.
    posted, cid = col(Comment.posted_at), col(Comment.id)
    if sort == "oldest":
        return and_(posted >= value, or_(posted > value, cid > last_id))
    return and_(posted <= value, or_(posted < value, cid < last_id))


def _order(sort: QueueSort) -> list[Any]:
    posted, cid = col(Comment.posted_at), col(Comment.id)
    if sort == "most_reported":
        return [col(Comment.report_count).desc(), cid.asc()]
    if sort == "oldest":
        return [posted.asc().nulls_last(), cid.asc()]
    return [posted.desc().nulls_last(), cid.desc()]


def queue_key(sort: QueueSort, comment: Comment | Row[Any]) -> QueueKey:
    assert comment.id is not None
    if sort == "most_reported":
        return (comment.report_count, comment.id)
    return (comment.posted_at, comment.id)


@dataclass(frozen=True)
class QueueRow:
    #: a Core row with every column of ``comment`` (read like a Comment, never an ORM object:
    #: a page of them costs no identity map, no instance state, no change tracking)
    comment: Row[Any]
    article_title: str
    article_id: int


_COMMENT_T = cast(Table, Comment.__table__)  # type: ignore[attr-defined]


def queue_statements(
    flt: QueueCriteria,
    *,
    sort: QueueSort,
    after: QueueKey | None,
    limit: int,
    author_key: str | None = None,
) -> list[Any]:
    """The SELECTs that read one queue page, in order (each limited to ``limit`` rows).

    In the two time orders, comments without a posted time come last. They are read by a second
    query, so that the first one is a plain range scan of the posted_at index in either direction.
    """
    base = (
        select(_COMMENT_T, col(Article.title).label("article_title"), col(Article.id).label("aid"))
        .join(Thread, col(Thread.id) == col(Comment.thread_id))
        .join(Article, col(Article.id) == col(Thread.article_id))
        .where(*queue_conditions(flt, author_key=author_key))
    )
    posted, cid = col(Comment.posted_at), col(Comment.id)
    parts: list[Any] = []
    if sort == "most_reported":
        stmt = base.where(_after_reports(after)) if after is not None else base
        return [stmt.order_by(*_order(sort)).limit(limit)]
    asc = sort == "oldest"
    if after is None or after[0] is not None:
        dated = base.where(posted.is_not(None))
        if after is not None:
            dated = dated.where(_after_dated(sort, after[0], after[1]))
        order: list[Any] = [posted.asc(), cid.asc()] if asc else [posted.desc(), cid.desc()]
        parts.append(dated.order_by(*order).limit(limit))
    undated = base.where(posted.is_(None))
    if after is not None and after[0] is None:
        undated = undated.where(cid > after[1] if asc else cid < after[1])
    parts.append(undated.order_by(cid.asc() if asc else cid.desc()).limit(limit))
    return parts


def queue_page(
    session: Session,
    flt: QueueCriteria,
    *,
    sort: QueueSort,
    after: QueueKey | None,
    limit: int,
    author_key: str | None = None,
) -> list[QueueRow]:
    """Up to ``limit`` queue rows after the keyset ``after``, in ``sort`` order."""
    rows: list[QueueRow] = []
    for stmt in queue_statements(flt, sort=sort, after=after, limit=limit, author_key=author_key):
        if len(rows) >= limit:
            break
        for row in session.execute(stmt.limit(limit - len(rows))):
            rows.append(QueueRow(row, row.article_title or "", row.aid))
    return rows


#: the queue filters the tally can answer; any other filter set means an exact count
#: (``codebook`` only says whose labels ``topic`` reads: alone it filters nothing)
_TALLY_FILTERS = frozenset({"statuses", "thread_id", "codebook"})


def _tally_only(flt: QueueCriteria) -> bool:
    """The filter asks only for statuses (and a thread): the tally answers it (a filter field
    added later counts exactly until it is listed here)."""
    return all(
        getattr(flt, f.name) in (None, "")
        for f in fields(cast(Any, flt))
        if f.name not in _TALLY_FILTERS
    )


def queue_count(session: Session, flt: QueueCriteria, *, author_key: str | None = None) -> int:
    """How many comments match ``flt``: from the tally when only statuses and a thread filter
    and the database keeps one (a few rows, whatever the backlog), else an exact count."""
    if _tally_only(flt) and tally_kept(session):
        statuses = [CommentStatus(s) for s in flt.statuses]
        if not statuses:
            return 0
        tally = select(func.coalesce(func.sum(col(CommentTally.n)), 0)).where(
            col(CommentTally.status).in_(statuses)
        )
        if flt.thread_id is not None:
            tally = tally.where(col(CommentTally.thread_id) == flt.thread_id)
        return int(session.execute(tally).scalar_one())
    stmt = (
        select(func.count())
        .select_from(Comment)
        .where(*queue_conditions(flt, author_key=author_key))
    )
    return int(session.execute(stmt).scalar_one())


def queue_status_counts(
    session: Session, flt: QueueCriteria, *, author_key: str | None = None
) -> dict[CommentStatus, int]:
    """How many comments match ``flt`` in each status, whatever ``flt.statuses`` says (one
    query for every tab of the console): from the tally when it can answer, else counted."""
    every = replace(cast(Any, flt), statuses=tuple(CommentStatus))
    if _tally_only(every) and tally_kept(session):
        tally = select(col(CommentTally.status), func.coalesce(func.sum(col(CommentTally.n)), 0))
        if flt.thread_id is not None:
            tally = tally.where(col(CommentTally.thread_id) == flt.thread_id)
        rows = session.execute(tally.group_by(col(CommentTally.status)))
    else:
        rows = session.execute(
            select(col(Comment.status), func.count())
            .where(*queue_conditions(every, author_key=author_key))
            .group_by(col(Comment.status))
        )
    counts = dict.fromkeys(CommentStatus, 0)
    for status, n in rows:
        counts[CommentStatus(status)] += int(n)
    return counts


def queue_ids(
    session: Session, flt: QueueCriteria, *, limit: int, author_key: str | None = None
) -> list[int]:
    """Ids of the comments matching a queue filter, oldest first, at most ``limit``."""
    stmt = (
        select(col(Comment.id))
        .where(*queue_conditions(flt, author_key=author_key))
        .order_by(*_order("oldest"))
        .limit(limit)
    )
    return [int(i) for i in session.scalars(stmt) if i is not None]
