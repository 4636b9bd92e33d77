"""Settings, built where the program starts (CLI, API factory, tests) and passed down.

The one place that reads the environment: :meth:`Settings.from_env` (``THREADS_*`` variables, plus
``SOURCE_DATE_EPOCH`` and ``USER``), through pydantic-settings. ``Settings(...)`` itself takes only
what it is given, so a test or a library caller is never changed by the environment, and nothing
reads it at import time.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from threads.enums import AutoCloseFrom, PreModeration
from threads.errors import InvalidInput

DEFAULT_SQLITE_FILE = "threads.db"
ENV_PREFIX = "THREADS_"
#: the salt of ``--anonymize`` pseudonyms when none is given (documented; give your own to keep
#: pseudonyms from being recomputed by someone who can guess author names)
DEFAULT_SALT = "threads-report"
#: the longest comment body an import keeps, in characters (see ``max_import_comment_chars``)
DEFAULT_MAX_IMPORT_COMMENT_CHARS = 1_000_000

#: URL schemes of a shared store (Valkey speaks the same protocol as Redis)
STORE_SCHEMES = ("redis", "rediss", "unix")


def default_database_url(cwd: Path | None = None) -> str:
    """The embedded default: a SQLite file ``threads.db`` in the working directory."""
    base = cwd if cwd is not None else Path.cwd()
    return f"sqlite:///{(base / DEFAULT_SQLITE_FILE).resolve()}"


class Settings(BaseSettings):
    """Everything configurable, with the zero-configuration defaults. Each field ``x`` is the
    variable ``THREADS_X`` unless it names another one."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_ignore_empty=True,
        frozen=True,
        extra="forbid",
        validate_by_name=True,
    )

    database_url: str = Field(default_factory=default_database_url)
    #: apply migrations automatically to a SQLite database on first use
    auto_migrate: bool = True
    #: default auto-close policy for threads that have none of their own (None: never)
    auto_close_days: int | None = None
    #: what the auto-close days count from
    auto_close_from: AutoCloseFrom = AutoCloseFrom.PUBLISHED
    #: default pre-moderation policy
    premoderation: PreModeration = PreModeration.FIRST_TIME
    #: tiered word list (TOML); None means the packaged default
    wordlist_path: Path | None = None
    #: codebook (TOML); None means the packaged default
    taxonomy_path: Path | None = None
    #: public submissions and reports allowed per client address per minute (0: no limit)
    rate_limit_per_minute: int = 30
    #: where the rate limit counts: None keeps it in each process's memory; a Redis or Valkey
    #: URL (redis://host:6379/0, rediss://..., unix:///path.sock) shares it between every
    #: worker and host that uses the same URL
    store_url: str | None = None
    #: addresses (or networks, or ``*``) of proxies whose X-Forwarded-For gives the client
    #: address; empty: none, the client address is the connection's
    forwarded_allow_ips: str = ""
    #: the secret that signs the console's session cookies (THREADS_SESSION_SECRET); None: a
    #: random one per process, so with several workers it must be set (else a session made by
    #: one worker is refused by the others), and sessions end when the server restarts
    session_secret: str | None = Field(default=None, repr=False)
    #: the server secret every webhook's signing secret is derived from (with the hook's own
    #: random salt); None: hooks cannot be added nor delivered. Changing it changes every
    #: hook's secret (see docs/webhooks.md)
    webhook_secret: str | None = Field(default=None, repr=False)
    #: attempts per webhook delivery before it is recorded as failed
    webhook_max_attempts: int = Field(default=8, ge=1, le=100)
    #: seconds a webhook request may take (connect, send, read), each
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    #: the first retry's delay in seconds; each next one doubles, up to the maximum, with jitter
    webhook_backoff_seconds: float = Field(default=30.0, gt=0)
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    #: how often ``threads serve`` looks for due deliveries, in seconds
    webhook_poll_seconds: float = Field(default=2.0, gt=0, le=3600)
    #: deliver webhooks from inside ``threads serve`` (off: only ``threads hooks deliver`` does)
    webhook_worker: bool = True
    #: console sign-in attempts allowed per client address per minute
    signin_attempts_per_minute: int = 10
    #: largest accepted HTTP request body, in bytes
    max_request_bytes: int = 64 * 1024
    #: comment body length limits (characters)
    min_comment_chars: int = 2
    max_comment_chars: int = 10_000
    #: more links than this holds a comment for review
    max_links: int = 2
    #: the longest comment body an import keeps (characters): a longer one is cut to this, with
    #: a warning naming it, and the rest is not stored
    max_import_comment_chars: int = Field(default=DEFAULT_MAX_IMPORT_COMMENT_CHARS, gt=0)
    #: the generation time written into reports (None: now), for reproducible output
    report_time: datetime | None = None
    #: the same as seconds since 1970, the reproducible-builds convention (``report_time`` wins)
    source_date_epoch: int | None = Field(default=None, validation_alias="SOURCE_DATE_EPOCH")
    #: the salt of ``threads report --anonymize`` pseudonyms
    report_salt: str = DEFAULT_SALT
    #: who acts in the terminal when ``--by`` is not given (the login name)
    user: str | None = Field(default=None, validation_alias="USER")

    @field_validator("report_time")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @field_validator("store_url")
    @classmethod
    def _store_scheme(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        scheme = value.split("://", 1)[0].lower() if "://" in value else ""
        if scheme not in STORE_SCHEMES:
            raise ValueError(
                "expected a Redis or Valkey URL such as redis://127.0.0.1:6379/0 "
                f"(scheme {', '.join(s + '://' for s in STORE_SCHEMES)})"
            )
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        items = [item.strip() for item in value.split(",") if item.strip()]
        for item in items:
            if item == "*":
                continue
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network: expected a comma-separated "
                    "list such as 127.0.0.1,10.0.0.0/8, or * for any"
                ) from None
        return ",".join(items)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)  # only what is given: the environment is read by from_env

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from the environment (``os.environ`` unless ``environ`` is given),
        then apply explicit overrides (None: not given). A bad value is an InvalidInput whose
        one-line message names the variable."""
        from_environ = _Environ(cls, os.environ if environ is None else environ)()
        given = {k: v for k, v in overrides.items() if v is not None}
        try:
            return cls(**{**from_environ, **given})
        except ValidationError as exc:
            raise _invalid(exc, from_environ, given) from None

    def with_(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (and validated)."""
        try:
            return type(self)(**{**self.model_dump(), **changes})
        except ValidationError as exc:
            raise _invalid(exc, {}, changes) from None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def generated_at(self) -> datetime:
        """The time a report says it was made: ``report_time``, else ``source_date_epoch``,
        else now. Fixing it makes a report byte-for-byte reproducible."""
        if self.report_time is not None:
            return self.report_time
        if self.source_date_epoch is not None:
            return datetime.fromtimestamp(self.source_date_epoch, UTC)
        return datetime.now(UTC).replace(microsecond=0)

    def archive_time(self) -> datetime | None:
        """The time an archive header says, when fixed by ``SOURCE_DATE_EPOCH`` (None: the
        archive takes the newest time in its data)."""
        if self.source_date_epoch is not None:
            return datetime.fromtimestamp(self.source_date_epoch, UTC)
        return None

    def environ(self) -> dict[str, str]:
        """The variables that give these settings back through :meth:`from_env`."""
        out: dict[str, str] = {}
        for name, value in self.model_dump(exclude_none=True).items():
            alias = type(self).model_fields[name].validation_alias
            key = alias if isinstance(alias, str) else ENV_PREFIX + name.upper()
            out[key] = value.isoformat() if isinstance(value, datetime) else str(value)
        return out

    def export(self) -> None:
        """Write these settings into this process's environment, for the worker processes it
        starts (``threads serve --workers``) to build the same settings with :meth:`from_env`."""
        os.environ.update(self.environ())


class _Environ(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping (as its .env source does)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {
            (name if self.case_sensitive else name.lower()): value
            for name, value in self._environ.items()
            if not (self.env_ignore_empty and value == "")
        }


def _invalid(
    exc: ValidationError, from_environ: dict[str, Any], given: dict[str, Any]
) -> InvalidInput:
    """The first error of ``exc`` in one line, naming the variable (or the setting) it came from."""
    error = exc.errors()[0]
    key = str(error["loc"][0]) if error["loc"] else ""
    name, field = next(
        ((n, f) for n, f in Settings.model_fields.items() if key in (n, f.validation_alias)),
        (key, None),
    )
    alias = field.validation_alias if field is not None else None
    var = alias if isinstance(alias, str) else ENV_PREFIX + name.upper()
    if name in given or key not in from_environ:
        return InvalidInput(f"setting {name}={error['input']!r}: {error['msg']}", field=name)
    return InvalidInput(
        f"environment variable {var}={from_environ[key]!r}: {error['msg']}", field=var
    )
