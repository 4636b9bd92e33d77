"""Queries shared by the services. This package is the only place that builds select()."""

from __future__ import annotations

from sqlalchemy import func, select, text
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


def server_identity(engine: Engine) -> str | None:
    """On PostgreSQL, which database the server says this is (the URL may leave the host, user
    or database to libpq's PGHOST, PGUSER, PGDATABASE and friends): "database D on H:P as U"."""
    if engine.dialect.name != "postgresql":
        return None
    query = text(
        "SELECT current_database(), current_user, "
        "coalesce(host(inet_server_addr()), 'local socket'), inet_server_port()"
    )
    with engine.connect() as conn:
        database, user, host, port = conn.execute(query).one()
    where = host if port is None else f"{host}:{port}"
    return f"database {database} on {where} as {user}"
