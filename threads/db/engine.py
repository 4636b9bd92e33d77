"""Engines and session scope for the embedded SQLite file and for PostgreSQL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

from threads.errors import DatabaseUnavailable, InvalidInput


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``. SQLite gets foreign keys on, WAL and a busy timeout."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse message
        raise InvalidInput(
            f"THREADS_DATABASE_URL {url!r} is not a database URL "
            "(expected sqlite:///path/to/file.db or postgresql+psycopg://user@host/db)",
            field="THREADS_DATABASE_URL",
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        # a file: URI (``?uri=true``, e.g. ``mode=ro``) names its file as SQLite reads it
        is_uri = parsed.query.get("uri") in ("true", "1")
        if parsed.database and parsed.database != ":memory:" and not is_uri:
            folder = Path(parsed.database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InvalidInput(
                    f"THREADS_DATABASE_URL {url!r}: cannot create the folder {str(folder)!r} "
                    f"for the SQLite file ({exc.strerror or exc})",
                    field="THREADS_DATABASE_URL",
                ) from exc
        connect_args = {"check_same_thread": False, "timeout": 30}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            # psycopg 3 is the driver we ship; a bare postgresql:// would ask for psycopg2.
            url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        # No pre-ping: it is one more round trip on every checkout, i.e. every request. A
        # connection the server dropped (a restart) fails the one statement that finds out,
        # which SQLAlchemy sees as a disconnect: it empties the pool, the request answers 503
        # (threads.api.problems) and the next one connects afresh.
        return create_engine(url, **kwargs)
    raise InvalidInput(
        f"unsupported database backend {backend!r} in THREADS_DATABASE_URL "
        "(expected sqlite or postgresql)",
        field="THREADS_DATABASE_URL",
    )


#: page size of a new SQLite database file, in bytes (SQLite's default is 4096)
SQLITE_PAGE_SIZE = 16384


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Takes effect only while the file is still empty (before WAL mode is set), so only for a
    # new database. A comment row is about 700 bytes: 16 KiB pages hold four times as many
    # rows and index keys as 4 KiB ones, which made building the comment indexes and writing
    # a large import 10-40 % cheaper (measured, 200,000 comments).
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """One unit of work: commit when the block succeeds, roll back when it raises.

    ``write=True``: the unit writes, and on SQLite it takes the write lock at once (see
    :func:`begin_write`), so that everything in it, schema changes included, is one
    transaction.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        if write:
            begin_write(session.connection())
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def begin_write(connection: Connection) -> None:
    """Start the connection's transaction as a writer, now.

    SQLite's Python driver begins a transaction only before the first INSERT, UPDATE or DELETE
    and runs anything before it, CREATE and DROP among them, on its own: a failure half-way
    would leave the schema changed. ``BEGIN IMMEDIATE`` starts the transaction and takes the
    write lock at once (another writer waits for it, up to the busy timeout), so everything
    that follows commits or rolls back together. PostgreSQL needs nothing: its transactions
    start with the first statement and include DDL.
    """
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


#: SQLite result codes (the primary code, low byte) that say the file cannot be used now, not
#: that a statement or a value is wrong: busy or locked, read-only, I/O error, disk full, cannot
#: be opened, locking protocol
_SQLITE_UNAVAILABLE = {5, 6, 8, 10, 13, 14, 15}
#: PostgreSQL SQLSTATE classes of the same kind: connection exception, insufficient resources,
#: operator intervention (shutdown, restart), system error
_PG_UNAVAILABLE = {"08", "53", "57", "58"}


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the database cannot be reached or used right now (a server down or
    restarting, a lost connection, a file locked, read-only or unreadable): a request may succeed
    later unchanged. False for errors of a statement or a value, and for anything else."""
    error: BaseException | None = exc
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        error = exc.orig
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _SQLITE_UNAVAILABLE
    psycopg = sys.modules.get("psycopg")  # loaded when the error can come from it
    if psycopg is not None and isinstance(error, psycopg.OperationalError):
        sqlstate = error.sqlstate
        # no SQLSTATE: the connection itself failed (refused, closed, timed out)
        return sqlstate is None or sqlstate[:2] in _PG_UNAVAILABLE
    return False


def ensure_writable(engine: Engine) -> None:
    """Raise :class:`DatabaseUnavailable` (one line) unless the database accepts writes.

    A server must not start over a database it can only read (a read-only SQLite file, a
    read-only PostgreSQL database or standby, a user without the right to write) and fail every
    write later. The check writes the schema's revision row unchanged and rolls it back.
    """
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = version_num")
            conn.rollback()
    except DBAPIError as exc:
        where = engine.url.render_as_string(hide_password=True)
        lines = str(exc.orig or exc).strip().splitlines()
        reason = lines[0] if lines else type(exc).__name__
        raise DatabaseUnavailable(
            f"the database {where} cannot be written: {reason} "
            "(the server needs a database it can write)"
        ) from exc
