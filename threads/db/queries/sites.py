"""Queries about sites: find one by key, list them with their counts, and the threads of one
site as a subquery that the other query modules use to narrow what they read.

The subquery (``thread.id`` of the articles of a site) goes through the ``article(site_id, key)``
unique index, so a site filter never needs the site's thread ids in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from threads.enums import CommentStatus
from threads.models import Article, Comment, Site, Thread

site_t: sa.Table = Site.__table__  # type: ignore[attr-defined]
article_t: sa.Table = Article.__table__  # type: ignore[attr-defined]
thread_t: sa.Table = Thread.__table__  # type: ignore[attr-defined]
comment_t: sa.Table = Comment.__table__  # type: ignore[attr-defined]

Db = Connection | Session


def site_threads(site_id: int) -> sa.Select[Any]:
    """``SELECT thread.id`` of the threads of the site ``site_id``, for ``column.in_(...)``."""
    return (
        sa.select(thread_t.c.id)
        .join(article_t, article_t.c.id == thread_t.c.article_id)
        .where(article_t.c.site_id == site_id)
    )


def site_threads_by_key(key: str) -> sa.Select[Any]:
    """``SELECT thread.id`` of the threads of the site with this key."""
    return (
        sa.select(thread_t.c.id)
        .join(article_t, article_t.c.id == thread_t.c.article_id)
        .join(site_t, site_t.c.id == article_t.c.site_id)
        .where(site_t.c.key == key)
    )


def site_by_key(db: Db, key: str) -> Any:
    """(id, key, name, base_url) of the site with this key, or None."""
    stmt = sa.select(site_t.c.id, site_t.c.key, site_t.c.name, site_t.c.base_url).where(
        site_t.c.key == key
    )
    return db.execute(stmt).first()


def site_keys(db: Db, limit: int) -> tuple[list[str], int]:
    """Up to ``limit`` site keys in key order, and how many sites there are."""
    keys = db.execute(sa.select(site_t.c.key).order_by(site_t.c.key).limit(limit)).scalars()
    total = db.execute(sa.select(sa.func.count()).select_from(site_t)).scalar_one()
    return [str(k) for k in keys], int(total)


def threads_outside_site(db: Db, thread_ids: Sequence[int], site_id: int) -> list[int]:
    """The ids among ``thread_ids`` whose thread exists and belongs to another site."""
    wanted = sorted(set(thread_ids))
    if not wanted:
        return []
    stmt = (
        sa.select(thread_t.c.id)
        .join(article_t, article_t.c.id == thread_t.c.article_id)
        .where(thread_t.c.id.in_(wanted), article_t.c.site_id != site_id)
        .order_by(thread_t.c.id)
    )
    return [int(i) for i in db.execute(stmt).scalars()]


def site_rows(db: Db, statuses: Sequence[CommentStatus] | None = None) -> list[Any]:
    """Every site in key order: (key, name, base_url, articles, comments), where ``comments``
    counts the comments of its threads in ``statuses`` (None: every status)."""
    articles = (
        sa.select(article_t.c.site_id, sa.func.count().label("n"))
        .group_by(article_t.c.site_id)
        .subquery("articles")
    )
    counted = sa.select(article_t.c.site_id, sa.func.count().label("n")).select_from(
        comment_t.join(thread_t, thread_t.c.id == comment_t.c.thread_id).join(
            article_t, article_t.c.id == thread_t.c.article_id
        )
    )
    if statuses is not None:
        counted = counted.where(comment_t.c.status.in_([CommentStatus(s) for s in statuses]))
    comments = counted.group_by(article_t.c.site_id).subquery("comments")
    stmt = (
        sa.select(
            site_t.c.key,
            site_t.c.name,
            site_t.c.base_url,
            sa.func.coalesce(articles.c.n, 0).label("articles"),
            sa.func.coalesce(comments.c.n, 0).label("comments"),
        )
        .outerjoin(articles, articles.c.site_id == site_t.c.id)
        .outerjoin(comments, comments.c.site_id == site_t.c.id)
        .order_by(site_t.c.key)
    )
    return list(db.execute(stmt))
