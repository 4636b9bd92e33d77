"""The import history: what ``threads ingest`` read, file by file, as plain data.

Import batches (one per imported file: its format, status, counts, warnings and whether it was
recovered from damaged XML) and archive loads (restores and merges of our JSONL archive, kept
apart from the batches an archive carries).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from threads.db.queries import imports as q


@dataclass(frozen=True)
class ImportEntry:
    """One import batch or archive load."""

    #: "batch" or "archive load"
    kind: str
    id: int
    source_name: str
    format: str
    #: a batch's status ("ok", "failed", ...), or an archive load's mode ("restore", "merge")
    status: str
    at: datetime | None
    comments: int
    warnings: int
    #: whether the file was read in recovery mode (``threads ingest --recover``)
    recovered: bool
    #: how many repairs the recovery parser made
    repairs: int


def list_imports(engine: Engine, *, limit: int = 50) -> list[ImportEntry]:
    """The newest ``limit`` import batches and archive loads, newest first."""
    with engine.connect() as conn:
        batches = [_batch(row) for row in q.batch_rows(conn, limit)]
        loads = [_load(row) for row in q.archive_load_rows(conn, limit)]
    entries = sorted(
        [*batches, *loads],
        key=lambda e: (e.at is not None, e.at or datetime.min, e.id),
        reverse=True,
    )
    return entries[:limit]


def _batch(row: Any) -> ImportEntry:
    counts: dict[str, Any] = row.counts or {}
    return ImportEntry(
        kind="batch",
        id=row.id,
        source_name=row.source_name,
        format=row.format,
        status=row.status,
        at=row.finished_at or row.started_at,
        comments=int(counts.get("comments", 0)),
        warnings=len(row.warnings or []),
        recovered=bool(counts.get("recovered")),
        repairs=int(counts.get("repairs", 0)),
    )


def _load(row: Any) -> ImportEntry:
    counts: dict[str, Any] = row.counts or {}
    return ImportEntry(
        kind="archive load",
        id=row.id,
        source_name=row.source_name,
        format="jsonl",
        status=row.mode,
        at=row.loaded_at,
        comments=int(counts.get("comment", 0)),
        warnings=0,
        recovered=False,
        repairs=0,
    )
