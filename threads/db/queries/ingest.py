"""Queries of the import loader: batched key lookups, bulk inserts returning ids, bulk updates.

Everything here works in the caller's session (one transaction per imported file) and in batches:
one statement per batch of rows, never one per row.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import json
import operator
import os
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from threads.db.types import UTCDateTime
from threads.models import Article, Comment, ImportBatch, Thread
from threads.stored import COMMENT_VALUES, json_writer
from threads.stored import sqlite_time as _sqlite_time

ARTICLE: sa.Table = Article.__table__  # type: ignore[attr-defined]
THREAD: sa.Table = Thread.__table__  # type: ignore[attr-defined]
COMMENT: sa.Table = Comment.__table__  # type: ignore[attr-defined]
BATCH: sa.Table = ImportBatch.__table__  # type: ignore[attr-defined]

#: bound parameters per IN list (well under SQLite's and PostgreSQL's limits)
CHUNK = 900

ARTICLE_FIELDS = (
    "title",
    "source_url",
    "byline",
    "authors",
    "standfirst",
    "published_at",
    "published_text",
    "body",
    "content_hash",
    "extra",
)
THREAD_FIELDS = ("external_id", "state", "state_note", "closed_at", "close_reason", "extra")


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
    same: dict[str, Any] | None = None,
) -> None:
    """Insert ``rows`` (ids included) with one executemany; ``same``: columns whose value is the
    same for every row (written into each row, converted once).

    Values are converted here, once, to what the driver takes (UTC timestamps, JSON text, enum
    values; see :func:`stored_form`) and handed to :func:`insert_stored`.
    """
    if not rows:
        return
    backend = session.get_bind().dialect.name
    columns = list(rows[0])
    converters = [stored_form(table.c[name], backend) for name in columns]
    special = [(i, conv) for i, conv in enumerate(converters) if conv is not _identity]
    get = operator.itemgetter(*columns)
    params: list[tuple[Any, ...]] = []
    for row in rows:
        values = list(get(row)) if len(columns) > 1 else [row[columns[0]]]
        for index, conv in special:
            values[index] = conv(values[index])
        params.append(tuple(values))
    insert_stored(session, table, columns, params, same=same)


def insert_stored(
    session: Session,
    table: sa.Table,
    columns: Sequence[str],
    params: list[tuple[Any, ...]],
    *,
    same: dict[str, Any] | None = None,
) -> None:
    """Insert rows whose values (in ``columns`` order) are already in stored form (see
    :func:`stored_form`), with ``same`` (Python values, converted here once) added to each.

    The hot path of an import: the tuples go to the DBAPI ``executemany`` (SQLite) or ``COPY``
    (PostgreSQL) without SQLAlchemy's per-value processing, which costs more than the insert
    itself.
    """
    if not params:
        return
    connection = session.connection()
    dialect = connection.dialect
    backend = dialect.name
    quote = dialect.identifier_preparer.quote
    table_name = dialect.identifier_preparer.format_table(table)
    shared = {
        name: stored_form(table.c[name], backend)(value) for name, value in (same or {}).items()
    }
    if backend == "sqlite":
        _insert_sqlite(connection, table, table_name, quote, columns, params, shared)
        return
    all_columns = [*columns, *shared]
    if shared:
        values = tuple(shared.values())
        params = [row + values for row in params]
    names = ", ".join(quote(name) for name in all_columns)
    if backend != "postgresql":
        marks = ", ".join(["?" if dialect.paramstyle == "qmark" else "%s"] * len(all_columns))
        connection.exec_driver_sql(f"INSERT INTO {table_name} ({names}) VALUES ({marks})", params)
        return
    # PostgreSQL: COPY. An executemany is one statement per row, and the statement-level
    # triggers on ``comment`` (the tally) would fire per row (+100 us a comment, measured); a
    # COPY is one statement, and the fastest way in besides.
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f"COPY {table_name} ({names}) FROM STDIN") as copy:
        for row_values in params:
            copy.write_row(row_values)


def _insert_sqlite(
    connection: sa.Connection,
    table: sa.Table,
    table_name: str,
    quote: Any,
    columns: Sequence[str],
    params: list[tuple[Any, ...]],
    shared: dict[str, Any],
) -> None:
    """:func:`insert_stored` on SQLite, where binding the values costs about as much as the
    insert itself (the sqlite3 module binds a None through its adapter lookup, which fails with
    an exception each time: 0.7 us, ten times an integer). So the statement binds only what
    differs: a value shared by every row is written into it as a literal, and a column with no
    default that is None in every row of this batch is left out (it is NULL all the same)."""
    literals = {name: _sqlite_literal(value) for name, value in shared.items()}
    bound = [name for name, text in literals.items() if text is None]
    names = list(columns)
    keep = list(range(len(columns)))
    if params:
        for index, name in enumerate(columns):
            column = table.c[name]
            if (
                column.nullable
                and column.server_default is None
                and all(row[index] is None for row in params)
            ):
                keep.remove(index)
        if len(keep) < len(columns):
            pick = operator.itemgetter(*keep)
            names = [columns[i] for i in keep]
            params = (
                [pick(row) for row in params]
                if len(keep) > 1
                else [(row[keep[0]],) for row in params]
            )
    if bound:
        extra = tuple(shared[name] for name in bound)
        params = [row + extra for row in params]
    all_names = [*names, *bound, *(n for n, t in literals.items() if t is not None)]
    marks = ["?"] * (len(names) + len(bound))
    marks += [t for t in literals.values() if t is not None]
    statement = (
        f"INSERT INTO {table_name} ({', '.join(quote(n) for n in all_names)}) "
        f"VALUES ({', '.join(marks)})"
    )
    if not _checks_are_enum_checks(connection, table):
        connection.exec_driver_sql(statement, params)
        return
    # Every CHECK on this table is an enum's ``col IN (...)``, and stored_form has checked
    # each value against the same list. SQLite evaluates such an IN by building a small
    # temporary b-tree for every row (13 us a comment row, measured: as much as the insert
    # itself), so it skips the CHECKs for this statement only.
    connection.exec_driver_sql("PRAGMA ignore_check_constraints=ON")
    try:
        connection.exec_driver_sql(statement, params)
    finally:
        connection.exec_driver_sql("PRAGMA ignore_check_constraints=OFF")


def _sqlite_literal(value: Any) -> str | None:
    """``value`` as an SQLite literal, for the plain kinds that have an exact one (None else)."""
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    if type(value) is str and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


_CHECK = re.compile(r"\bCHECK\s*\(", re.I)
_ENUM_CHECK = re.compile(r"\bCHECK\s*\(\s*\"?(\w+)\"?\s+IN\s*\(([^()]*)\)\s*\)", re.I)


def _checks_are_enum_checks(connection: sa.Connection, table: sa.Table) -> bool:
    """Whether every CHECK of the SQLite table, as the database has it, is an enum column's
    ``col IN (values)`` with exactly the values the model's enum type allows."""
    sql = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table.name,)
    ).scalar()
    return isinstance(sql, str) and _only_enum_checks(sql, table)


@functools.lru_cache(maxsize=32)
def _only_enum_checks(sql: str, table: sa.Table) -> bool:
    enum_checks = _ENUM_CHECK.findall(sql)
    if len(enum_checks) != len(_CHECK.findall(sql)):
        return False
    for name, values in enum_checks:
        column = table.c.get(name)
        if column is None or not isinstance(column.type, sa.Enum):
            return False
        if set(re.findall(r"'([^']*)'", values)) != set(column.type.enums):
            return False
    return True


def _identity(value: Any) -> Any:
    return value


@functools.lru_cache(maxsize=64)
def _enum_converter(column: sa.Column[Any]) -> Any:
    """The column's enum value as text, refused (as its CHECK would) when not one it allows."""
    allowed: list[str] = list(column.type.enums)  # type: ignore[attr-defined]
    # text -> text and member -> its value: one dict lookup a value (a StrEnum member finds
    # its text's entry, and gets the plain text back)
    texts: dict[Any, str] = {text: text for text in allowed}
    enum_class = getattr(column.type, "enum_class", None)
    if enum_class is not None:
        texts.update({member: member.value for member in enum_class if member.value in texts})

    def convert(value: Any) -> Any:
        if value is None:
            return None
        try:
            return texts[value]
        except (KeyError, TypeError):
            text = value.value if isinstance(value, enum.Enum) else value
            raise ValueError(
                f"{column.table.name}.{column.name}: {text!r} is not one of {sorted(allowed)}"
            ) from None

    return convert


def _pg_time(value: Any) -> Any:
    # ISO 8601 text with its offset, which COPY and the driver both take for a timestamptz
    # (text, unlike a datetime, crosses the reader process's pipe with marshal)
    if value is None:
        return None
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).isoformat()


def _sqlite_bool(value: Any) -> Any:
    return None if value is None else int(bool(value))


def stored_form(column: sa.Column[Any], backend: str) -> Any:
    """The function turning the column's Python values into what ``backend``'s driver stores
    (the conversions the model's column types make; see ``threads.db.types.UTCDateTime``)."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return _sqlite_time if backend == "sqlite" else _pg_time
    if isinstance(kind, sa.JSON):
        return json_writer()
    if isinstance(kind, sa.Enum):
        return _enum_converter(column)
    if isinstance(kind, sa.Boolean) and backend == "sqlite":
        return _sqlite_bool
    return _identity


def python_form(column: sa.Column[Any], backend: str) -> Any:
    """The inverse of :func:`stored_form`: a stored value back as the model's Python value."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return _sqlite_time_back if backend == "sqlite" else _pg_time_back
    if isinstance(kind, sa.JSON):
        return _json_back
    if isinstance(kind, sa.Enum) and kind.enum_class is not None:
        return _enum_back(kind.enum_class)
    if isinstance(kind, sa.Boolean) and backend == "sqlite":
        return _sqlite_bool_back
    return _identity


def _sqlite_time_back(value: Any) -> Any:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _pg_time_back(value: Any) -> Any:
    return None if value is None else datetime.fromisoformat(value)


def _json_back(value: Any) -> Any:
    return None if value is None else json.loads(value)


def _enum_back(enum_class: type[enum.Enum]) -> Any:
    def convert(value: Any) -> Any:
        return None if value is None else enum_class(value)

    return convert


def _sqlite_bool_back(value: Any) -> Any:
    return None if value is None else bool(value)


def drop_indexes_if_empty(
    session: Session, table: sa.Table, *, keep_led_by: Sequence[str] = ()
) -> list[str]:
    """SQLite, ``table`` empty: drop its secondary indexes and return their CREATE statements.

    Writing a large import into an empty table and building an index once at the end (one
    sorted pass) is cheaper than keeping it up to date row by row when its keys arrive in no
    order: 200,000 comments went in at 25 us a row against 37 with every index dropped. An
    index whose first column is in ``keep_led_by`` is kept: the caller knows its keys arrive
    in ascending order (ids the import gives out) or fall in a few groups, so each insert lands
    on the right edge of the b-tree and costs little. The caller runs :func:`create_indexes`
    with the returned statements before it commits; if the import fails, its rollback brings
    the indexes back too (SQLite's DDL is transactional). Indexes behind a UNIQUE or PRIMARY KEY
    constraint (the loader's key lookups use them) are kept. Returns [] on PostgreSQL or when
    ``table`` has rows.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return []
    if connection.execute(select(table.c.id).limit(1)).first() is not None:
        return []
    found = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL ORDER BY name",
        (table.name,),
    ).all()
    quote = connection.dialect.identifier_preparer.quote
    dropped: list[str] = []
    for name, sql in found:
        # the database's own description of the index: its first column
        lead = connection.exec_driver_sql(
            "SELECT name FROM pragma_index_info(?) ORDER BY seqno LIMIT 1", (name,)
        ).scalar()
        if lead in keep_led_by:
            continue
        connection.exec_driver_sql(f"DROP INDEX {quote(name)}")
        dropped.append(sql)  # the database's own text: exactly what the migrations created
    return dropped


def create_indexes(session: Session, statements: Sequence[str]) -> None:
    """Run the CREATE INDEX statements :func:`drop_indexes_if_empty` returned.

    Meanwhile a helper thread asks the system to write the SQLite WAL to disk. The commit that
    follows must make the WAL durable before its checkpoint copies it into the database file,
    and after a large import that was one wait for the whole of it (~0.1 s for 170 MB); the
    index builds, which use the processor and not the disk, now hide most of it.
    """
    if not statements:
        return
    connection = session.connection()
    with _wal_written_meanwhile(connection):
        for statement in statements:
            connection.exec_driver_sql(statement)


@contextmanager
def _wal_written_meanwhile(connection: sa.Connection) -> Iterator[None]:
    """While the block runs, ``fdatasync`` the connection's WAL file in a helper thread (when
    there is one: an SQLite file in WAL mode), waited for at the end. Best effort: the commit
    syncs the WAL itself, so a failure here changes nothing."""
    fd = _open_wal(connection)
    if fd is None:
        yield
        return

    def write() -> None:
        with contextlib.suppress(OSError):
            os.fdatasync(fd)

    helper = threading.Thread(target=write, name="threads-wal-sync", daemon=True)
    helper.start()
    try:
        yield
    finally:
        helper.join()  # no thread outlives this (a reader process is forked only without one)
        os.close(fd)


def _open_wal(connection: sa.Connection) -> int | None:
    if connection.dialect.name != "sqlite" or not hasattr(os, "fdatasync"):
        return None
    mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    files = {row[1]: row[2] for row in connection.exec_driver_sql("PRAGMA database_list")}
    path = files.get("main")
    if str(mode).lower() != "wal" or not path:  # not WAL, or in memory
        return None
    try:
        return os.open(f"{path}-wal", os.O_RDONLY)
    except OSError:
        return None


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


def articles_by_key(session: Session, keys: Sequence[str]) -> dict[str, sa.Row[Any]]:
    """Existing articles with these keys (id, key and the imported fields)."""
    cols = [ARTICLE.c.id, ARTICLE.c.key, *(ARTICLE.c[f] for f in ARTICLE_FIELDS)]
    found: dict[str, sa.Row[Any]] = {}
    for chunk in _chunks(sorted(set(keys))):
        for row in session.execute(select(*cols).where(ARTICLE.c.key.in_(chunk))):
            found[row.key] = row
    return found


def threads_by_article(session: Session, article_ids: Sequence[int]) -> dict[int, sa.Row[Any]]:
    """Existing threads of these articles (id, article_id, version and the imported fields)."""
    cols = [THREAD.c.id, THREAD.c.article_id, THREAD.c.version]
    cols += [THREAD.c.closed_by, THREAD.c.reopened_by]
    cols += [THREAD.c[f] for f in THREAD_FIELDS]
    found: dict[int, sa.Row[Any]] = {}
    for chunk in _chunks(sorted(set(article_ids))):
        for row in session.execute(select(*cols).where(THREAD.c.article_id.in_(chunk))):
            found[row.article_id] = row
    return found


def comments_by_key(
    session: Session, wanted: dict[int, set[str]], *, full: bool = True
) -> dict[tuple[int, str], sa.Row[Any]]:
    """Existing comments by (thread id, key): one query per thread batch (chunked by keys)."""
    cols = [COMMENT.c.id, COMMENT.c.thread_id, COMMENT.c.key, COMMENT.c.parent_id]
    if full:
        cols += [COMMENT.c.version, COMMENT.c.purged, *(COMMENT.c[f] for f in COMMENT_VALUES)]
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
    from threads.models import EventTarget, ModerationEvent

    event = ModerationEvent.__table__  # type: ignore[attr-defined]
    found: set[int] = set()
    for chunk in _chunks(sorted(set(comment_ids))):
        statement = (
            select(event.c.target_id)
            .where(
                event.c.target_type == EventTarget.COMMENT.value,
                event.c.target_id.in_(chunk),
                event.c.action != "label",
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
