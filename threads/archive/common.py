"""What every exporter shares: one consistent read snapshot, and threads with their comments."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from threads.db.queries.archive import (
    ThreadScope,
    export_comments,
    export_threads,
    missing_thread_ids,
)
from threads.errors import NotFound
from threads.site_directory import check_threads_in_site, find_site

STREAM = {"yield_per": 1000}

# characters XML 1.0 cannot hold at all, not even as a character reference
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@contextmanager
def snapshot(
    engine: Engine, thread_ids: Sequence[int] | None = None, site: str | None = None
) -> Iterator[tuple[Connection, ThreadScope]]:
    """A read-only connection that sees one consistent state of the database throughout, and
    the threads to export: all, ``thread_ids``, the threads of the site with key ``site``, or
    the given threads of that site.

    Raises NotFound naming the thread ids that name no thread or the unknown site key (with the
    known ones), InvalidInput naming given threads of another site.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        else:  # a read transaction gives SQLite (WAL) a snapshot for the whole export
            conn.exec_driver_sql("BEGIN")
        try:
            yield conn, _scope(conn, thread_ids, site)
        finally:
            conn.rollback()


def _scope(conn: Connection, thread_ids: Sequence[int] | None, site: str | None) -> ThreadScope:
    if thread_ids is not None:
        missing = missing_thread_ids(conn, thread_ids)
        if missing:
            names = ", ".join(str(i) for i in missing)
            raise NotFound(f"no thread with id {names}", code="thread_not_found")
    ids = None if thread_ids is None else tuple(sorted(set(thread_ids)))
    if site is None:
        return ThreadScope(thread_ids=ids)
    found = find_site(conn, site)
    if ids is not None:
        check_threads_in_site(conn, ids, found)
    return ThreadScope(thread_ids=ids, site_id=found.id, site_key=found.key)


def threads_with_comments(
    conn: Connection, scope: ThreadScope
) -> Iterator[tuple[Any, list[Any] | Iterator[Any]]]:
    """Each thread row (``thread_*``/``article_*`` columns) with its comments in thread order.

    Both queries stream; a thread's comments must be consumed before the next thread is asked for.
    """
    threads = conn.execute(export_threads(scope), execution_options=STREAM)
    comments = conn.execute(export_comments(scope), execution_options=STREAM)
    groups = groupby(comments, key=lambda row: row.thread_id)
    current = next(groups, None)
    for thread in threads:
        while current is not None and current[0] < thread.thread_id:
            current = next(groups, None)  # comments of a thread outside the selection
        if current is not None and current[0] == thread.thread_id:
            yield thread, current[1]
            current = next(groups, None)
        else:
            yield thread, []


def xml_text(value: str | None) -> str:
    """Text XML 1.0 can carry: characters it cannot hold become U+FFFD."""
    return "" if value is None else _NOT_XML.sub("\ufffd", value)


def format_time(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix (microseconds only when there are some)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def iso_z(value: datetime | None) -> str:
    """ISO 8601 in UTC with a Z suffix, seconds precision; empty for None."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
