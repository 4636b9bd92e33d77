"""Run the Alembic migrations from code (used by the CLI, the API factory and the tests)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from threads.db.engine import begin_write
from threads.errors import DatabaseNotReady

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: Alembic's table of the applied revision
VERSION_TABLE = "alembic_version"

# Alembic itself (0.15-0.2 s to import) is loaded only to migrate: checking that a database is
# at head, which every command does first, reads the revision files and the version table.
_REVISION = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*[\"']([^\"']+)[\"']", re.M)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=]+)?\s*=\s*(?:None|[\"']([^\"']+)[\"'])", re.M)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations, optionally bound to a connection."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest revision of the packaged migrations (the one no other revision follows)."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(text), _DOWN.search(text)
        assert revision is not None and down is not None, f"{path.name}: no revision header"
        revisions.add(revision.group(1))
        if down.group(1):
            followed.add(down.group(1))
    heads = revisions - followed
    assert len(heads) == 1, f"the migrations have {len(heads)} heads: {sorted(heads)}"
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: no threads schema)."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(VERSION_TABLE):
            return None
        found = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(found) > 1:
        raise DatabaseNotReady(f"the database has {len(found)} alembic revisions: {found}")
    return found[0] if found else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision``, all steps in one transaction (on SQLite too)."""
    from alembic import command

    with _migrating(engine) as conn:
        command.upgrade(alembic_config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Downgrade the schema to ``revision``, all steps in one transaction."""
    from alembic import command

    with _migrating(engine) as conn:
        command.downgrade(alembic_config(conn), revision)


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in one write transaction for a migration.

    On SQLite, a migration that rebuilds a table other tables refer to (Alembic's batch mode)
    drops it while references to it exist: SQLite's procedure for that is to switch foreign
    key enforcement off for the connection, make the change in one transaction and check every
    reference before the commit (``PRAGMA foreign_key_check``), which is what happens here.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside a transaction only
            conn.commit()
        try:
            with conn.begin():
                begin_write(conn)
                yield conn
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise DatabaseNotReady(
                            f"the migration left a {broken[0]} row whose reference to "
                            f"{broken[2]} points nowhere; nothing was changed"
                        )
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


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
