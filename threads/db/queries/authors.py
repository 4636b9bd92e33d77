"""Queries about authors within a site: their standing row, their record, their pending comments.

An author is a normalised ``author_key`` (``threads.identity``) within a site; the site's
comments are found through the ``site_threads`` subquery, the author's through
``ix_comment_author_key_thread_id_status``. Standing listings are keyset pages on the row id.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from threads.db.engine import begin_write
from threads.db.queries.sites import site_threads
from threads.db.types import utcnow
from threads.enums import CommentStatus, Standing
from threads.models import Article, AuthorStanding, Comment, Site, Thread


def standing_row(session: Session, site_id: int, author_key: str) -> AuthorStanding | None:
    """The standing row of an author in a site, or None (never acted on: normal)."""
    stmt = sa.select(AuthorStanding).where(
        col(AuthorStanding.site_id) == site_id, col(AuthorStanding.author_key) == author_key
    )
    return session.execute(stmt).scalar_one_or_none()


def lock_standing_row(session: Session, site_id: int, author_key: str) -> AuthorStanding:
    """The standing row of an author, made (``normal``, never set) if missing, and locked until
    the transaction ends: two moderators changing one author's standing go one after the other,
    and two first changes do not both insert."""
    begin_write(session.connection())  # SQLite: one writer from here to the commit
    table = AuthorStanding.__table__  # type: ignore[attr-defined]
    values = {
        "site_id": site_id,
        "author_key": author_key,
        "standing": Standing.NORMAL,
        "created_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    session.execute(
        insert.values(**values).on_conflict_do_nothing(index_elements=["site_id", "author_key"])
    )
    stmt = (
        sa.select(AuthorStanding)
        .where(col(AuthorStanding.site_id) == site_id, col(AuthorStanding.author_key) == author_key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.execute(stmt).scalar_one()


def standing_of_thread_author(
    session: Session, thread_id: int, author_key: str
) -> AuthorStanding | None:
    """The standing row of ``author_key`` in the site of thread ``thread_id``, or None."""
    stmt = (
        sa.select(AuthorStanding)
        .join(Article, col(Article.site_id) == col(AuthorStanding.site_id))
        .join(Thread, col(Thread.article_id) == col(Article.id))
        .where(col(Thread.id) == thread_id, col(AuthorStanding.author_key) == author_key)
    )
    return session.execute(stmt).scalar_one_or_none()


def author_counts(session: Session, site_id: int, author_key: str) -> dict[CommentStatus, int]:
    """How many comments the author has in the site, per status (statuses with none left out)."""
    stmt = (
        sa.select(col(Comment.status), sa.func.count())
        .where(
            col(Comment.author_key) == author_key,
            col(Comment.thread_id).in_(site_threads(site_id)),
        )
        .group_by(col(Comment.status))
    )
    return {CommentStatus(status): int(n) for status, n in session.execute(stmt)}


def author_counts_many(
    session: Session, authors: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], dict[CommentStatus, int]]:
    """:func:`author_counts` of several (site id, author key) pairs in one query."""
    if not authors:
        return {}
    wanted = set(authors)
    stmt = (
        sa.select(
            col(Article.site_id), col(Comment.author_key), col(Comment.status), sa.func.count()
        )
        .join(Thread, col(Thread.id) == col(Comment.thread_id))
        .join(Article, col(Article.id) == col(Thread.article_id))
        .where(
            col(Comment.author_key).in_(sorted({key for _, key in wanted})),
            col(Article.site_id).in_(sorted({site for site, _ in wanted})),
        )
        .group_by(col(Article.site_id), col(Comment.author_key), col(Comment.status))
    )
    found: dict[tuple[int, str], dict[CommentStatus, int]] = {pair: {} for pair in wanted}
    for site_id, key, status, n in session.execute(stmt):
        if (site_id, key) in found:
            found[(site_id, key)][CommentStatus(status)] = int(n)
    return found


def pending_ids(session: Session, site_id: int, author_key: str) -> list[int]:
    """The ids of the author's pending comments in the site, oldest first, locked against
    other writers until the transaction ends."""
    begin_write(session.connection())
    stmt = (
        sa.select(col(Comment.id))
        .where(
            col(Comment.author_key) == author_key,
            col(Comment.status) == CommentStatus.PENDING,
            col(Comment.thread_id).in_(site_threads(site_id)),
        )
        .order_by(col(Comment.id))
        .with_for_update()
    )
    return [int(i) for i in session.execute(stmt).scalars()]


def standing_rows(
    session: Session,
    *,
    standings: Sequence[Standing] | None,
    site_id: int | None,
    after_id: int | None,
    limit: int,
) -> list[tuple[AuthorStanding, str]]:
    """Up to ``limit`` standing rows (with their site's key) in id order after ``after_id``."""
    stmt = (
        sa.select(AuthorStanding, col(Site.key))
        .join(Site, col(Site.id) == col(AuthorStanding.site_id))
        .where(*_conditions(standings, site_id))
    )
    if after_id is not None:
        stmt = stmt.where(col(AuthorStanding.id) > after_id)
    stmt = stmt.order_by(col(AuthorStanding.id)).limit(limit)
    return [(row, str(key)) for row, key in session.execute(stmt)]


def standing_count(
    session: Session, *, standings: Sequence[Standing] | None, site_id: int | None
) -> int:
    stmt = (
        sa.select(sa.func.count())
        .select_from(AuthorStanding)
        .where(*_conditions(standings, site_id))
    )
    return int(session.execute(stmt).scalar_one())


def _conditions(
    standings: Sequence[Standing] | None, site_id: int | None
) -> list[sa.ColumnElement[bool]]:
    found: list[sa.ColumnElement[bool]] = []
    if standings:
        found.append(col(AuthorStanding.standing).in_(list(standings)))
    if site_id is not None:
        found.append(col(AuthorStanding.site_id) == site_id)
    return found


def comment_site_and_author(session: Session, comment_id: int) -> tuple[str, str | None] | None:
    """(site key, author key) of a comment, or None if there is no such comment."""
    stmt = (
        sa.select(col(Site.key), col(Comment.author_key))
        .join(Article, col(Article.site_id) == col(Site.id))
        .join(Thread, col(Thread.article_id) == col(Article.id))
        .join(Comment, col(Comment.thread_id) == col(Thread.id))
        .where(col(Comment.id) == comment_id)
    )
    row = session.execute(stmt).first()
    return (str(row[0]), row[1]) if row is not None else None
