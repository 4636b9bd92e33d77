"""Read-only queries of a thread replay: its comments and the audit events that changed their
status or the thread's state, as Core rows."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast

from sqlalchemy import Row, Table, select
from sqlalchemy.engine import Connection

from threads.enums import EventTarget
from threads.models import Article, Comment, ModerationEvent, Site, Thread

COMMENT = cast(Table, Comment.__table__)  # type: ignore[attr-defined]
EVENT = cast(Table, ModerationEvent.__table__)  # type: ignore[attr-defined]
THREAD = cast(Table, Thread.__table__)  # type: ignore[attr-defined]
ARTICLE = cast(Table, Article.__table__)  # type: ignore[attr-defined]
SITE = cast(Table, Site.__table__)  # type: ignore[attr-defined]


def thread_head(conn: Connection, thread_id: int) -> Row[Any] | None:
    """The thread with its article's title, URL and publication time and its site's key."""
    t, a, s = THREAD, ARTICLE, SITE
    stmt = (
        select(
            t.c.id,
            t.c.state,
            t.c.closed_at,
            t.c.created_at,
            a.c.title,
            a.c.source_url,
            a.c.published_at,
            s.c.key.label("site_key"),
        )
        .join(a, a.c.id == t.c.article_id)
        .join(s, s.c.id == a.c.site_id)
        .where(t.c.id == thread_id)
    )
    return cast("Row[Any] | None", conn.execute(stmt).first())


def thread_comment_rows(conn: Connection, thread_id: int) -> list[Row[Any]]:
    """Every comment of the thread (any status), in order of appearance."""
    c = COMMENT
    stmt = (
        select(
            c.c.id,
            c.c.parent_id,
            c.c.position,
            c.c.kind,
            c.c.author_name,
            c.c.author_url,
            c.c.posted_at,
            c.c.created_at,
            c.c.body,
            c.c.body_format,
            c.c.status,
            c.c.purged,
        )
        .where(c.c.thread_id == thread_id)
        .order_by(c.c.position, c.c.id)
    )
    return list(conn.execute(stmt))


def status_events(
    conn: Connection, thread_id: int, actions: Collection[str], thread_actions: Collection[str]
) -> list[Row[Any]]:
    """The thread's audit events that change a comment's status (``actions``) or the thread's
    state (``thread_actions``), oldest first (time, then id)."""
    e = EVENT
    stmt = (
        select(
            e.c.id,
            e.c.target_type,
            e.c.target_id,
            e.c.action,
            e.c.from_state,
            e.c.to_state,
            e.c.created_at,
        )
        .where(e.c.thread_id == thread_id)
        .where(
            ((e.c.target_type == EventTarget.COMMENT) & e.c.action.in_(list(actions)))
            | ((e.c.target_type == EventTarget.THREAD) & e.c.action.in_(list(thread_actions)))
        )
        .order_by(e.c.created_at, e.c.id)
    )
    return list(conn.execute(stmt))
