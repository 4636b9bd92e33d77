"""Alembic environment: the models' metadata, the URL from Settings (or a given connection)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlmodel import SQLModel

import threads.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from threads.config import Settings
from threads.db.engine import make_engine
from threads.db.types import UTCDateTime

config = context.config
target_metadata = SQLModel.metadata


def _render_item(type_: str, obj: object, autogen_context: Any) -> str | bool:
    """Render our own column types by their import path, everything else as usual."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("import threads.db.types")
        return "threads.db.types.UTCDateTime()"
    return False


def _configure(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=Settings.from_env().database_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(Settings.from_env().database_url)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
