"""Run the Alembic migrations from code (used by the CLI, the API factory and the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from threads.errors import DatabaseNotReady

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations, optionally bound to a connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)


def ensure_schema(engine: Engine, *, auto_migrate: bool = True) -> None:
    """Make sure the schema is at head.

    The embedded SQLite database is upgraded automatically so a newcomer never has to;
    any other database must be upgraded on purpose with ``threads db upgrade``.
    """
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if auto_migrate and engine.dialect.name == "sqlite":
        upgrade(engine)
        return
    where = engine.url.render_as_string(hide_password=True)
    state = "has no threads schema" if current is None else f"is at revision {current}"
    raise DatabaseNotReady(
        f"the database {where} {state}, the code needs {head}: run `threads db upgrade`"
    )
