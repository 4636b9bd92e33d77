"""Queries of campaign detection: the comments streamed as plain rows (never ORM objects), and
the shown facts of a cluster's members."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from threads.models import Article, CampaignNotice, Comment, CommentKind, Thread

comment_t: sa.Table = Comment.__table__  # type: ignore[attr-defined]
thread_t: sa.Table = Thread.__table__  # type: ignore[attr-defined]
article_t: sa.Table = Article.__table__  # type: ignore[attr-defined]
notice_t: sa.Table = CampaignNotice.__table__  # type: ignore[attr-defined]
#: rows fetched from the server per round trip
STREAM_ROWS = 5000


def stream_comments(
    conn: Connection,
    *,
    site_id: int | None = None,
    thread_ids: Sequence[int] | None = None,
    statuses: Sequence[str] | None = None,
    until: datetime | None = None,
) -> Iterator[Any]:
    """Every comment (people's comments, not purged) of the site or threads (in ``statuses``,
    posted before ``until`` when given), as rows of id, thread_id, author_key, author_name,
    author_email, address, client_hash, posted_at, body, body_format; streamed from the server
    in batches, in no particular order."""
    c = comment_t.c
    stmt = sa.select(
        c.id,
        c.thread_id,
        c.author_key,
        c.author_name,
        c.author_email,
        c.extra["author_ip"].as_string().label("address"),
        c.extra["client_hash"].as_string().label("client_hash"),
        c.posted_at,
        c.body,
        c.body_format,
    ).where(c.kind == CommentKind.COMMENT.value, c.purged.is_(False))
    if thread_ids is not None:
        stmt = stmt.where(c.thread_id.in_(list(thread_ids)))
    if statuses is not None:
        stmt = stmt.where(c.status.in_(list(statuses)))
    if until is not None:
        stmt = stmt.where(c.posted_at < until)
    if site_id is not None:
        t, a = thread_t.c, article_t.c
        stmt = stmt.where(
            c.thread_id.in_(
                sa.select(t.id).join(article_t, a.id == t.article_id).where(a.site_id == site_id)
            )
        )
    result = conn.execution_options(stream_results=True, yield_per=STREAM_ROWS).execute(stmt)
    yield from result


def member_rows(conn: Connection, ids: Sequence[int]) -> list[Any]:
    """The comments ``ids`` with their thread's title, in id order: id, thread_id, title,
    author_name, author_key, posted_at, status, version, body, body_format."""
    c, t, a = comment_t.c, thread_t.c, article_t.c
    out: list[Any] = []
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        stmt = (
            sa.select(
                c.id,
                c.thread_id,
                a.title,
                c.author_name,
                c.author_key,
                c.posted_at,
                c.status,
                c.version,
                c.body,
                c.body_format,
            )
            .join(thread_t, t.id == c.thread_id)
            .join(article_t, a.id == t.article_id)
            .where(c.id.in_(chunk))
            .order_by(c.id)
        )
        out += conn.execute(stmt).all()
    return out


def thread_sites(conn: Connection, thread_ids: Sequence[int]) -> dict[int, int]:
    """Thread id -> the id of its article's site, for the threads ``thread_ids``."""
    t, a = thread_t.c, article_t.c
    out: dict[int, int] = {}
    for start in range(0, len(thread_ids), 500):
        chunk = list(thread_ids[start : start + 500])
        stmt = (
            sa.select(t.id, a.site_id).join(article_t, a.id == t.article_id).where(t.id.in_(chunk))
        )
        out.update({row.id: row.site_id for row in conn.execute(stmt)})
    return out


def insert_notice(
    conn: Connection,
    campaign_id: str,
    *,
    kind: str,
    site_id: int | None,
    members: int,
    first_seen_at: datetime,
) -> bool:
    """Record that ``campaign_id`` was announced, unless a row for it exists already (written
    by this or a concurrent transaction: ON CONFLICT DO NOTHING waits for the other to end);
    True when this call inserted it."""
    values = {
        "campaign_id": campaign_id,
        "kind": kind,
        "site_id": site_id,
        "members": members,
        "first_seen_at": first_seen_at,
    }
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(notice_t).values(values).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(notice_t).values(values).on_conflict_do_nothing()
    # RETURNING, not rowcount: psycopg reports -1 for some statements; a row comes back only
    # when this statement inserted it
    return conn.execute(stmt.returning(notice_t.c.campaign_id)).first() is not None
