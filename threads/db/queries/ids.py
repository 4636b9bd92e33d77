"""A page's worth of ids in one query parameter.

An ``IN`` list binds one parameter per id: on PostgreSQL a statement with 50 of them is parsed
again on every execution (psycopg caches the conversion of statements with at most 50
parameters) and the server sees a new statement text for every page length. There the ids are
one array (``= ANY(:ids)``); SQLite has no arrays and keeps the expanding ``IN``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


def dialect_of(bind: Session | Connection) -> str:
    """The database's dialect name ("postgresql", "sqlite") for a session or a connection."""
    if isinstance(bind, Session):
        return bind.get_bind().dialect.name
    return bind.dialect.name


def ids_in(column: Any, dialect: str, name: str = "ids") -> sa.ColumnElement[bool]:
    """``column`` is one of the ids bound as ``name`` (a list of integers at execution)."""
    if dialect == "postgresql":
        return column == sa.any_(sa.bindparam(name, type_=ARRAY(sa.Integer)))
    return column.in_(sa.bindparam(name, expanding=True))
