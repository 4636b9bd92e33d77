"""Queries of the archive area: what an export reads, and what an archive load matches against.

The export reads every archived table in a fixed order (the order of ``ARCHIVE_SECTIONS``), each
ordered by id, optionally narrowed to some threads and the rows that belong to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from threads.db.queries.labels import deciding
from threads.db.queries.sites import site_threads
from threads.db.types import UTCDateTime
from threads.models import (
    Article,
    AuthorStanding,
    Comment,
    CommentReport,
    CommentTopic,
    EventTarget,
    ImportBatch,
    ModerationEvent,
    Site,
    Thread,
    TopicModel,
)


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


#: (archive record type, table), in the order an archive holds them. ``api_key`` is never archived.
ARCHIVE_SECTIONS: list[tuple[str, sa.Table]] = [
    ("import_batch", _table(ImportBatch)),
    ("site", _table(Site)),
    ("author_standing", _table(AuthorStanding)),
    ("article", _table(Article)),
    ("thread", _table(Thread)),
    ("comment", _table(Comment)),
    ("topic_label", _table(CommentTopic)),
    ("topic_model", _table(TopicModel)),
    ("event", _table(ModerationEvent)),
    ("report", _table(CommentReport)),
]


#: columns of archived tables that hold derived data, which ``threads classify`` recomputes (as
#: it recomputes labels after a restore, since whether a comment was classified is not archived):
#: not written to archives, so that adding one changes no archive's bytes
DERIVED_COLUMNS: dict[str, frozenset[str]] = {"comment": frozenset({"language"})}


def archived_columns(table: sa.Table) -> list[sa.Column[Any]]:
    """The columns of ``table`` that archives carry, in table order."""
    skip = DERIVED_COLUMNS.get(table.name, frozenset())
    return [c for c in table.columns if c.name not in skip]


@dataclass(frozen=True)
class ThreadScope:
    """Which threads an export covers: every thread, or those with ``thread_ids`` and/or those
    of the site ``site_id`` (both given: the threads that are both)."""

    thread_ids: tuple[int, ...] | None = None
    site_id: int | None = None
    #: the site's key, to say what was exported (the queries use ``site_id``)
    site_key: str | None = None

    @property
    def everything(self) -> bool:
        return self.thread_ids is None and self.site_id is None

    def where(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        """``column`` (a thread id) names a thread in the scope."""
        conds: list[sa.ColumnElement[bool]] = []
        if self.thread_ids is not None:
            conds.append(column.in_(sorted(set(self.thread_ids))))
        if self.site_id is not None:
            conds.append(column.in_(site_threads(self.site_id)))
        return sa.and_(sa.true(), *conds)


EVERY_THREAD = ThreadScope()


@dataclass(frozen=True)
class Section:
    name: str
    table: sa.Table
    select: sa.Select[Any]


def archive_sections(scope: ThreadScope = EVERY_THREAD) -> list[Section]:
    """One ordered SELECT per archive section; for a narrower scope, only what its threads hold.

    A thread's share is: the threads themselves, their articles and the articles' sites,
    comments, the comments' topic labels and reports, the events about any of them, and the
    import batches they reference.
    Topic models belong to the codebook, not to a thread, so a partial archive has none.
    """
    article, thread, comment = _table(Article), _table(Thread), _table(Comment)
    label, event, report = _table(CommentTopic), _table(ModerationEvent), _table(CommentReport)
    batch, site, standing = _table(ImportBatch), _table(Site), _table(AuthorStanding)
    if scope.everything:
        return [
            Section(name, table, sa.select(*archived_columns(table)).order_by(table.c.id))
            for name, table in ARCHIVE_SECTIONS
        ]
    thread_where = scope.where(thread.c.id)
    comment_where = scope.where(comment.c.thread_id)
    article_ids = sa.select(thread.c.article_id).where(thread_where)
    comment_ids = sa.select(comment.c.id).where(comment_where)
    site_ids = sa.select(article.c.site_id).where(article.c.id.in_(article_ids))
    batch_ids = sa.union(
        sa.select(site.c.import_batch_id).where(site.c.id.in_(site_ids)),
        sa.select(article.c.import_batch_id).where(article.c.id.in_(article_ids)),
        sa.select(thread.c.import_batch_id).where(thread_where),
        sa.select(comment.c.import_batch_id).where(comment_where),
    ).subquery()
    wheres: dict[str, sa.ColumnElement[bool]] = {
        "import_batch": batch.c.id.in_(sa.select(batch_ids.c[0])),
        "site": site.c.id.in_(site_ids),
        "author_standing": standing.c.site_id.in_(site_ids),
        "article": article.c.id.in_(article_ids),
        "thread": thread_where,
        "comment": comment_where,
        "topic_label": label.c.comment_id.in_(comment_ids),
        "topic_model": sa.false(),
        "event": sa.or_(
            scope.where(event.c.thread_id),
            sa.and_(event.c.target_type == EventTarget.THREAD, scope.where(event.c.target_id)),
            sa.and_(event.c.target_type == EventTarget.COMMENT, event.c.target_id.in_(comment_ids)),
            sa.and_(event.c.target_type == EventTarget.ARTICLE, event.c.target_id.in_(article_ids)),
            sa.and_(
                event.c.target_type == EventTarget.AUTHOR,
                event.c.target_id.in_(
                    sa.select(standing.c.id).where(standing.c.site_id.in_(site_ids))
                ),
            ),
        ),
        "report": report.c.comment_id.in_(comment_ids),
    }
    return [
        Section(
            name,
            table,
            sa.select(*archived_columns(table)).where(wheres[name]).order_by(table.c.id),
        )
        for name, table in ARCHIVE_SECTIONS
    ]


def missing_thread_ids(conn: Connection, thread_ids: Sequence[int]) -> list[int]:
    """The ids among ``thread_ids`` that name no thread."""
    thread = _table(Thread)
    wanted = sorted(set(thread_ids))
    found = set(conn.execute(sa.select(thread.c.id).where(thread.c.id.in_(wanted))).scalars())
    return [i for i in wanted if i not in found]


def section_count(conn: Connection, section: Section) -> int:
    return int(
        conn.execute(sa.select(sa.func.count()).select_from(section.select.subquery())).scalar_one()
    )


def section_newest_time(conn: Connection, section: Section) -> datetime | None:
    """The newest value of any timestamp column in the section's rows."""
    sub = section.select.subquery()
    columns = [c for c in sub.c if isinstance(c.type, UTCDateTime)]
    newest: datetime | None = None
    if not columns:
        return None
    row = conn.execute(sa.select(*[sa.func.max(c) for c in columns])).one()
    for value in row:
        if value is not None and (newest is None or value > newest):
            newest = value
    return newest


# --------------------------------------------------------------------------- loading


def content_row_exists(session: Session, *, except_batch_id: int | None) -> bool:
    """Whether the database holds any archived row (the given import batch aside)."""
    for name, table in ARCHIVE_SECTIONS:
        stmt = sa.select(table.c.id).limit(1)
        if name == "import_batch" and except_batch_id is not None:
            stmt = stmt.where(table.c.id != except_batch_id)
        if session.execute(stmt).first() is not None:
            return True
    return False


def max_id(session: Session, table: sa.Table) -> int | None:
    value = session.execute(sa.select(sa.func.max(table.c.id))).scalar_one()
    return None if value is None else int(value)


def reset_sequence(session: Session, table: sa.Table) -> None:
    """Move a PostgreSQL id sequence past the largest id (after inserting explicit ids)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
        )
    )


def insert_rows(session: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(sa.insert(table), rows)


def insert_row_returning_id(session: Session, table: sa.Table, row: dict[str, Any]) -> int:
    return int(session.execute(sa.insert(table).values(**row).returning(table.c.id)).scalar_one())


def update_row(session: Session, table: sa.Table, row_id: int, values: dict[str, Any]) -> None:
    session.execute(sa.update(table).where(table.c.id == row_id).values(**values))


def set_parent(session: Session, comment_id: int, parent_id: int) -> None:
    comment = _table(Comment)
    session.execute(
        sa.update(comment).where(comment.c.id == comment_id).values(parent_id=parent_id)
    )


def find_rows(session: Session, table: sa.Table, match: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows whose columns equal ``match`` (None matches NULL), as dicts."""
    conditions = [table.c[k].is_(None) if v is None else table.c[k] == v for k, v in match.items()]
    result = session.execute(sa.select(table).where(*conditions).order_by(table.c.id))
    return [dict(r._mapping) for r in result]


# --------------------------------------------------------------------------- flat exports


def export_threads(scope: ThreadScope) -> sa.Select[Any]:
    """Threads with their articles, by thread id: columns ``thread_*`` and ``article_*``."""
    thread, article = _table(Thread), _table(Article)
    columns = [c.label(f"thread_{c.name}") for c in thread.c] + [
        c.label(f"article_{c.name}") for c in article.c
    ]
    return (
        sa.select(*columns)
        .join_from(thread, article, thread.c.article_id == article.c.id)
        .where(scope.where(thread.c.id))
        .order_by(thread.c.id)
    )


def export_comments(scope: ThreadScope) -> sa.Select[Any]:
    """Comments in thread order (thread id, position, id), with article title and URL."""
    comment, thread, article = _table(Comment), _table(Thread), _table(Article)
    return (
        sa.select(
            *comment.c,
            thread.c.article_id,
            article.c.title.label("article_title"),
            article.c.source_url.label("article_url"),
        )
        .join_from(comment, thread, comment.c.thread_id == thread.c.id)
        .join(article, thread.c.article_id == article.c.id)
        .where(scope.where(comment.c.thread_id))
        .order_by(comment.c.thread_id, comment.c.position, comment.c.id)
    )


def export_labels(scope: ThreadScope, codebook: str) -> sa.Select[Any]:
    """The topic labels of ``codebook`` in the order of :func:`export_comments`, oldest first
    within a comment, each with ``decides``: whether it decides its topic (the one rule of
    :mod:`threads.db.queries.labels`)."""
    comment, label = _table(Comment), _table(CommentTopic)
    return (
        sa.select(label, deciding(codebook, label).label("decides"))
        .join_from(label, comment, label.c.comment_id == comment.c.id)
        .where(label.c.codebook == codebook, scope.where(comment.c.thread_id))
        .order_by(
            comment.c.thread_id, comment.c.position, comment.c.id, label.c.created_at, label.c.id
        )
    )


def export_topic_ids(scope: ThreadScope, codebook: str) -> sa.Select[Any]:
    """The topic ids of ``codebook`` labelled on the exported comments, sorted."""
    comment, label = _table(Comment), _table(CommentTopic)
    return (
        sa.select(label.c.topic_id)
        .distinct()
        .join_from(label, comment, label.c.comment_id == comment.c.id)
        .where(label.c.codebook == codebook, scope.where(comment.c.thread_id))
        .order_by(label.c.topic_id)
    )
