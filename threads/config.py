"""Settings, built where the program starts (CLI, API factory, tests) and passed down.

Nothing here reads the environment at import time: call :meth:`Settings.from_env`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from threads.errors import InvalidInput

DEFAULT_SQLITE_FILE = "threads.db"
ENV_PREFIX = "THREADS_"


def default_database_url(cwd: Path | None = None) -> str:
    """The embedded default: a SQLite file ``threads.db`` in the working directory."""
    base = cwd if cwd is not None else Path.cwd()
    return f"sqlite:///{(base / DEFAULT_SQLITE_FILE).resolve()}"


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the zero-configuration defaults."""

    database_url: str = field(default_factory=default_database_url)
    #: apply migrations automatically to a SQLite database on first use
    auto_migrate: bool = True
    #: default auto-close policy for threads that have none of their own (None: never)
    auto_close_days: int | None = None
    #: what the auto-close days count from: "published" or "last_comment"
    auto_close_from: str = "published"
    #: default pre-moderation policy: all, first_time, links, none
    premoderation: str = "first_time"
    #: tiered word list (TOML); None means the packaged default
    wordlist_path: Path | None = None
    #: codebook (TOML); None means the packaged default
    taxonomy_path: Path | None = None
    #: public submissions and reports allowed per client address per minute
    rate_limit_per_minute: int = 30
    #: largest accepted HTTP request body, in bytes
    max_request_bytes: int = 64 * 1024
    #: comment body length limits (characters)
    min_comment_chars: int = 2
    max_comment_chars: int = 10_000
    #: more links than this holds a comment for review
    max_links: int = 2

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``THREADS_*`` variables, then apply explicit overrides."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f.name, str(f.type), raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _coerce(name: str, type_name: str, raw: str) -> Any:
    var = ENV_PREFIX + name.upper()
    try:
        if type_name.startswith("bool"):
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if type_name.startswith("int"):
            return int(raw)
        if type_name.startswith("Path"):
            return Path(raw)
    except ValueError as exc:
        raise InvalidInput(
            f"environment variable {var}={raw!r} is not a valid {type_name.split(' ')[0]}",
            field=var,
        ) from exc
    return raw
