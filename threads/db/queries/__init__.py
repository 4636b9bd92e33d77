"""Queries shared by the services. This package is the only place that builds select()."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from threads.models import ALL_TABLES


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table, in the model's order."""
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for model in ALL_TABLES:
            table = model.__table__  # type: ignore[attr-defined]
            counts[table.name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
    return counts
