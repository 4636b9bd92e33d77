"""Queries of the import loader: batched key lookups, bulk inserts, bulk updates.

Everything here works in the caller's session (one transaction per imported file) and in
batches: one statement per batch of rows, never one per row. New rows go in with one
``executemany`` on SQLite and one ``COPY`` on PostgreSQL, their values converted once, by
column type, to what the driver stores (:func:`stored_form`).
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from threads.db.types import UTCDateTime
from threads.models import (
    ArchiveLoad,
    Article,
    Comment,
    EventTarget,
    ImportBatch,
    ModerationEvent,
    Site,
    Thread,
)

SITE: sa.Table = Site.__table__  # type: ignore[attr-defined]
ARTICLE: sa.Table = Article.__table__  # type: ignore[attr-defined]
THREAD: sa.Table = Thread.__table__  # type: ignore[attr-defined]
COMMENT: sa.Table = Comment.__table__  # type: ignore[attr-defined]
BATCH: sa.Table = ImportBatch.__table__  # type: ignore[attr-defined]
EVENT: sa.Table = ModerationEvent.__table__  # type: ignore[attr-defined]

#: bound parameters per IN list (well under SQLite's and PostgreSQL's limits)
CHUNK = 900


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def successful_batch(session: Session, sha256: str) -> int | None:
    """The id of an earlier successful import of a file with this sha256, if any."""
    return session.execute(
        select(BATCH.c.id)
        .where(BATCH.c.sha256 == sha256, BATCH.c.status == "ok")
        .order_by(BATCH.c.id)
        .limit(1)
    ).scalar_one_or_none()


def archive_loaded(session: Session, sha256: str) -> int | None:
    """The id of an earlier load of an archive file with this sha256, if any."""
    table: sa.Table = ArchiveLoad.__table__  # type: ignore[attr-defined]
    return session.execute(
        select(table.c.id).where(table.c.sha256 == sha256).order_by(table.c.id).limit(1)
    ).scalar_one_or_none()


def reserve_ids(session: Session, table: sa.Table, count: int) -> list[int]:
    """``count`` fresh ids for ``table``, safe against concurrent writers.

    PostgreSQL: taken from the id sequence. SQLite: after max(id); the import transaction has
    already written (its ImportBatch), so it holds SQLite's single write lock and no other writer
    can take the same ids before it commits.
    """
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        statement = sa.text(
            f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
            "FROM generate_series(1, :n)"
        )
        return sorted(session.connection().execute(statement, {"n": count}).scalars())
    highest = session.connection().execute(select(sa.func.max(table.c.id))).scalar() or 0
    return list(range(highest + 1, highest + 1 + count))


def insert_returning_ids(
    session: Session, table: sa.Table, rows: list[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` in one batched statement; their new ids, in the order of ``rows``."""
    if not rows:
        return []
    ids = reserve_ids(session, table, len(rows))
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id
    insert_rows(session, table, rows)
    return ids


def insert_rows(
    session: Session,
    table: sa.Table,
    rows: list[dict[str, Any]],
    *,
    shared: dict[str, Any] | None = None,
) -> None:
    """Insert ``rows`` (dicts with the same columns, ids included) in one statement: an
    ``executemany`` on SQLite, a ``COPY`` on PostgreSQL. ``shared``: columns whose value is the
    same in every row (converted once). Values are converted here, by column type
    (:func:`stored_form`); the database checks them as it does any insert."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    columns = list(rows[0])
    get = operator.itemgetter(*columns)
    convert = [
        (index, conv)
        for index, name in enumerate(columns)
        if (conv := stored_form(table.c[name], dialect.name)) is not _same
    ]
    same = [stored_form(table.c[name], dialect.name)(v) for name, v in (shared or {}).items()]
    params: list[tuple[Any, ...]] = []
    for row in rows:
        values = list(get(row)) if len(columns) > 1 else [row[columns[0]]]
        for index, conv in convert:
            values[index] = conv(values[index])
        params.append((*values, *same))
    columns += list(shared or {})
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    table_name = dialect.identifier_preparer.format_table(table)
    if dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        assert driver is not None
        copy_sql = f"COPY {table_name} ({names}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for params_row in params:
                copy.write_row(params_row)
        return
    marks = ", ".join(["?" if dialect.paramstyle == "qmark" else "%s"] * len(columns))
    connection.exec_driver_sql(f"INSERT INTO {table_name} ({names}) VALUES ({marks})", params)


_encode_json = msgspec.json.Encoder().encode


def _same(value: Any) -> Any:
    return value


def _enum_value(column: sa.Column[Any]) -> Callable[[Any], Any]:
    """An enum member or its text as the text stored; a value the column does not allow is
    refused here, naming the column, before the database would refuse the whole batch."""
    allowed = frozenset(column.type.enums)  # type: ignore[attr-defined]

    def convert(value: Any) -> Any:
        if value is None:
            return None
        text = value.value if isinstance(value, enum.Enum) else value
        if text not in allowed:
            raise ValueError(
                f"{column.table.name}.{column.name}: {text!r} is not one of {sorted(allowed)}"
            )
        return str(text)

    return convert


def _sqlite_time(value: datetime | None) -> str | None:
    # what UTCDateTime and SQLite's DATETIME store: naive UTC text with microseconds
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


def _pg_time(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)  # naive is UTC, as UTCDateTime takes it


def _json_text(value: Any) -> str | None:
    # msgspec (already installed with Litestar) encodes about five times faster than json.dumps;
    # the text is read back as JSON, so its spacing does not matter
    if value is None:
        return None
    return _encode_json(value).decode() if value else ("{}" if isinstance(value, dict) else "[]")


def _sqlite_bool(value: Any) -> Any:
    return None if value is None else int(bool(value))


def stored_form(column: sa.Column[Any], backend: str) -> Callable[[Any], Any]:
    """The function turning the column's Python values into what ``backend``'s driver stores
    (what the model's column types do on an ORM insert)."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return _sqlite_time if backend == "sqlite" else _pg_time
    if isinstance(kind, sa.JSON):
        return _json_text
    if isinstance(kind, sa.Enum):
        return _enum_value(column)
    if isinstance(kind, sa.Boolean) and backend == "sqlite":
        return _sqlite_bool
    return _same


def drop_indexes_if_empty(session: Session, table: sa.Table) -> list[sa.Index]:
    """``table`` empty: drop its secondary indexes and return them, to be built again by
    :func:`create_indexes` once the rows are in.

    Building an index once over a large import is cheaper than keeping it up to date row by
    row. Unique constraints stay (the loader's key lookups use them). DDL is transactional on
    both backends, so a failed import's rollback brings the indexes back too. Returns [] when
    the table has rows.
    """
    connection = session.connection()
    if connection.execute(select(table.c.id).limit(1)).first() is not None:
        return []
    dropped = [index for index in sorted(table.indexes, key=lambda i: str(i.name))]
    for index in dropped:
        index.drop(connection)
    return dropped


def create_indexes(session: Session, indexes: Sequence[sa.Index]) -> None:
    """Build the indexes :func:`drop_indexes_if_empty` dropped."""
    connection = session.connection()
    for index in indexes:
        index.create(connection)


def update_by_id(session: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Update rows by ``id``; every dict holds ``id`` and the same other columns."""
    if not rows:
        return
    columns = [k for k in rows[0] if k != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({c: bindparam(c) for c in columns})
    )
    params = [{**{c: r[c] for c in columns}, "_id": r["id"]} for r in rows]
    session.connection().execute(statement, params)


def sites_by_key(session: Session, keys: Iterable[str]) -> dict[str, sa.Row[Any]]:
    """Existing sites with these keys."""
    found: dict[str, sa.Row[Any]] = {}
    for chunk in _chunks(sorted(set(keys))):
        for row in session.execute(select(SITE).where(SITE.c.key.in_(chunk))):
            found[row.key] = row
    return found


def articles_by_key(
    session: Session, site_id: int, keys: Sequence[str], columns: Sequence[str]
) -> dict[str, sa.Row[Any]]:
    """Existing articles of the site with these keys (id, key and ``columns``)."""
    cols = [ARTICLE.c.id, ARTICLE.c.key, *(ARTICLE.c[name] for name in columns)]
    found: dict[str, sa.Row[Any]] = {}
    for chunk in _chunks(sorted(set(keys))):
        statement = select(*cols).where(ARTICLE.c.site_id == site_id, ARTICLE.c.key.in_(chunk))
        for row in session.execute(statement):
            found[row.key] = row
    return found


def threads_by_article(
    session: Session, article_ids: Sequence[int], columns: Sequence[str]
) -> dict[int, sa.Row[Any]]:
    """Existing threads of these articles (id, article_id, version, who closed or reopened
    them, and ``columns``)."""
    cols = [THREAD.c.id, THREAD.c.article_id, THREAD.c.version]
    cols += [THREAD.c.closed_by, THREAD.c.reopened_by]
    cols += [THREAD.c[name] for name in columns if name not in ("closed_by", "reopened_by")]
    found: dict[int, sa.Row[Any]] = {}
    for chunk in _chunks(sorted(set(article_ids))):
        for row in session.execute(select(*cols).where(THREAD.c.article_id.in_(chunk))):
            found[row.article_id] = row
    return found


def comments_by_key(
    session: Session, wanted: dict[int, set[str]], columns: Sequence[str] = ()
) -> dict[tuple[int, str], sa.Row[Any]]:
    """Existing comments by (thread id, key): id, thread_id, key, parent_id and ``columns``."""
    cols = [COMMENT.c.id, COMMENT.c.thread_id, COMMENT.c.key, COMMENT.c.parent_id]
    cols += [COMMENT.c[name] for name in columns]
    found: dict[tuple[int, str], sa.Row[Any]] = {}
    thread_ids = sorted(wanted)
    keys = sorted({k for ks in wanted.values() for k in ks})
    if not keys:
        return found
    for thread_chunk in _chunks(thread_ids, 200):
        for key_chunk in _chunks(keys, 700):
            statement = select(*cols).where(
                COMMENT.c.thread_id.in_(thread_chunk), COMMENT.c.key.in_(key_chunk)
            )
            for row in session.execute(statement):
                if row.key in wanted.get(row.thread_id, ()):
                    found[(row.thread_id, row.key)] = row
    return found


def moderated_comment_ids(session: Session, comment_ids: Sequence[int]) -> set[int]:
    """The comments whose status moderation has touched: any audit event on them other than a
    topic label (actions, reader reports, rules at submission)."""
    found: set[int] = set()
    for chunk in _chunks(sorted(set(comment_ids))):
        statement = (
            select(EVENT.c.target_id)
            .where(
                EVENT.c.target_type == EventTarget.COMMENT.value,
                EVENT.c.target_id.in_(chunk),
                EVENT.c.action != "label",
            )
            .distinct()
        )
        found.update(int(i) for (i,) in session.execute(statement))
    return found


def set_parents(session: Session, pairs: list[tuple[int, int | None]]) -> None:
    """Set ``parent_id`` of comments: (comment id, parent id) pairs, one batched statement."""
    if not pairs:
        return
    statement = (
        update(COMMENT).where(COMMENT.c.id == bindparam("_id")).values(parent_id=bindparam("_p"))
    )
    session.connection().execute(statement, [{"_id": c, "_p": p} for c, p in pairs])


def comment_extras(session: Session, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The ``extra`` of these comments."""
    out: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(ids))):
        for row in session.execute(
            select(COMMENT.c.id, COMMENT.c.extra).where(COMMENT.c.id.in_(chunk))
        ):
            out[row.id] = dict(row.extra or {})
    return out


def set_extras(session: Session, extras: dict[int, dict[str, Any]]) -> None:
    """Replace the ``extra`` of these comments."""
    if not extras:
        return
    statement = (
        update(COMMENT).where(COMMENT.c.id == bindparam("_id")).values(extra=bindparam("_e"))
    )
    session.connection().execute(statement, [{"_id": k, "_e": v} for k, v in extras.items()])
