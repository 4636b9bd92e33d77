"""What every command needs: the settings and a ready database, built once per invocation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

from threads.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


#: the --codebook option's help, the same on every command that shows topics
CODEBOOK_HELP = (
    "Show the topics of this stored codebook (its name; `threads codebooks` lists them). "
    "Default: the configured codebook."
)


@dataclass
class AppState:
    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)

    def engine(self, *, migrate: bool = True) -> Engine:
        """The database engine; the embedded SQLite file is migrated on first use."""
        if self._engine is None:
            # the database layer is loaded here, when a command first needs it (a large
            # import starts reading its file before; see cli.ingest_cmd)
            from threads.db import ensure_schema, make_engine

            self._engine = make_engine(self.settings.database_url)
            if migrate:
                ensure_schema(self._engine, auto_migrate=self.settings.auto_migrate)
        return self._engine

    def codebook(self, given: str | None = None) -> str:
        """The codebook whose labels a command shows: ``given`` (--codebook), else the name of
        the configured codebook file (THREADS_TAXONOMY_PATH, default: the shipped one)."""
        if given is not None:
            return given
        from threads.topics.taxonomy import load_taxonomy

        return load_taxonomy(self.settings.taxonomy_path).name

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def state(ctx: typer.Context) -> AppState:
    """The AppState that the top-level callback stored on the context."""
    root = ctx.find_root()
    obj = root.obj
    if not isinstance(obj, AppState):  # invoked without the root callback (should not happen)
        obj = AppState(Settings.from_env())
        root.obj = obj
    return obj
