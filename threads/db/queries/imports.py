"""Queries of the import history: import batches and archive loads, newest first."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from threads.models import ArchiveLoad, ImportBatch

BATCH: sa.Table = ImportBatch.__table__  # type: ignore[attr-defined]
LOAD: sa.Table = ArchiveLoad.__table__  # type: ignore[attr-defined]


def batch_rows(conn: Connection, limit: int) -> list[Any]:
    """The newest ``limit`` import batches (by id, newest first)."""
    return list(conn.execute(sa.select(BATCH).order_by(BATCH.c.id.desc()).limit(limit)))


def archive_load_rows(conn: Connection, limit: int) -> list[Any]:
    """The newest ``limit`` archive loads (by id, newest first)."""
    return list(conn.execute(sa.select(LOAD).order_by(LOAD.c.id.desc()).limit(limit)))
