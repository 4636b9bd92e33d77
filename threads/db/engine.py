"""Engines and session scope for the embedded SQLite file and for PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

from threads.errors import InvalidInput


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
        if parsed.database and parsed.database != ":memory:":
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
        kwargs.setdefault("pool_pre_ping", True)
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
