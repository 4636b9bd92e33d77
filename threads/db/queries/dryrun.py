"""Read-only queries of a rule dry-run: past comments in batches, and the facts the checks
need about each (earlier copies of a text, authors' first approval, standings, thread times).

Core rows only (no ORM object per comment), keyset batches on ``comment.id``: a range of a
million comments costs a million small tuples, a batch at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, func, select
from sqlalchemy.engine import Connection

from threads.enums import CommentKind, CommentStatus
from threads.models import Article, AuthorStanding, Comment, Thread

COMMENT = cast(Table, Comment.__table__)  # type: ignore[attr-defined]
THREAD = cast(Table, Thread.__table__)  # type: ignore[attr-defined]
ARTICLE = cast(Table, Article.__table__)  # type: ignore[attr-defined]
STANDING = cast(Table, AuthorStanding.__table__)  # type: ignore[attr-defined]


def past_comments(
    conn: Connection,
    *,
    site_id: int | None,
    thread_id: int | None,
    since: datetime | None,
    until: datetime | None,
    batch: int,
) -> Iterator[Sequence[Row[Any]]]:
    """People's comments (not pingbacks, not purged tombstones) of the scope, in id order, a
    batch at a time, each row with its thread's policy and its article's publication time."""
    c, t, a = COMMENT, THREAD, ARTICLE
    stmt = (
        select(
            c.c.id,
            c.c.thread_id,
            c.c.author_name,
            c.c.author_key,
            c.c.posted_at,
            c.c.body,
            c.c.status,
            c.c.content_hash,
            t.c.premoderation,
            t.c.auto_close_days,
            t.c.auto_close_from,
            t.c.reopened_at,
            a.c.published_at,
            a.c.site_id,
        )
        # "+ 0" keeps the planner walking comments in id order (SQLite otherwise starts from
        # the site's articles and sorts every batch in a temporary B-tree: quadratic in the
        # number of comments); a thread-scoped run still uses the thread_id filter's index
        .join(t, t.c.id == c.c.thread_id + 0)
        .join(a, a.c.id == t.c.article_id)
        .where(c.c.kind == CommentKind.COMMENT, c.c.purged.is_(False))
        .order_by(c.c.id)
        .limit(batch)
    )
    if site_id is not None:
        stmt = stmt.where(a.c.site_id == site_id)
    if thread_id is not None:
        stmt = stmt.where(c.c.thread_id == thread_id)
    if since is not None:
        stmt = stmt.where(c.c.posted_at >= since)
    if until is not None:
        stmt = stmt.where(c.c.posted_at < until)
    after = 0
    while True:
        rows = cast("Sequence[Row[Any]]", conn.execute(stmt.where(c.c.id > after)).all())
        if not rows:
            return
        yield rows
        after = rows[-1].id
        if len(rows) < batch:
            return


def copies_of(
    conn: Connection, hashes: Sequence[str], since: datetime, until: datetime
) -> list[Row[Any]]:
    """Comments (any status, not purged) with one of these content hashes posted in
    [``since``, ``until``]: where the duplicate check of each comment of a batch looks.
    A hash stored only once is left out: that one is the comment itself, no copy."""
    if not hashes:
        return []
    c = COMMENT
    # Most texts are unique: counting on the hash index alone (no time filter, which would
    # tempt SQLite to scan by posted_at) spares reading a row per comment of the batch.
    repeated = (
        select(c.c.content_hash)
        .where(c.c.content_hash.in_(list(hashes)))
        .group_by(c.c.content_hash)
        .having(func.count() > 1)
    )
    stmt = select(c.c.id, c.c.thread_id, c.c.author_key, c.c.posted_at, c.c.content_hash).where(
        c.c.content_hash.in_(repeated),
        c.c.posted_at >= since,
        c.c.posted_at <= until,
        c.c.purged.is_(False),
    )
    return list(conn.execute(stmt))


def first_approvals(conn: Connection, author_keys: Sequence[str]) -> dict[str, datetime | None]:
    """author key -> when their first comment that is approved now was posted (None: never,
    or only comments without a time), for the keys given that have one approved comment."""
    if not author_keys:
        return {}
    c = COMMENT
    stmt = (
        select(c.c.author_key, func.min(c.c.posted_at))
        .where(c.c.author_key.in_(list(author_keys)), c.c.status == CommentStatus.APPROVED)
        .group_by(c.c.author_key)
    )
    return {str(key): first for key, first in conn.execute(stmt)}


def standings(
    conn: Connection, site_ids: Sequence[int], author_keys: Sequence[str]
) -> dict[tuple[int, str], str]:
    """(site id, author key) -> standing, for the authors given whose standing was set."""
    if not site_ids or not author_keys:
        return {}
    s = STANDING
    stmt = select(s.c.site_id, s.c.author_key, s.c.standing).where(
        s.c.site_id.in_(list(site_ids)), s.c.author_key.in_(list(author_keys))
    )
    return {(int(site), str(key)): str(value) for site, key, value in conn.execute(stmt)}


def post_times(conn: Connection, thread_id: int) -> list[datetime]:
    """When each comment of the thread (any status) was posted, oldest first: the "last
    comment" an auto-close policy counts from, as of any moment."""
    c = COMMENT
    stmt = (
        select(c.c.posted_at)
        .where(c.c.thread_id == thread_id, c.c.posted_at.is_not(None))
        .order_by(c.c.posted_at)
    )
    return [when for (when,) in conn.execute(stmt)]


def thread_exists(conn: Connection, thread_id: int) -> bool:
    stmt = select(THREAD.c.id).where(THREAD.c.id == thread_id)
    return conn.execute(stmt).first() is not None
