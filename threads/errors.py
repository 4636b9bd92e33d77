"""Domain errors. Services raise these; the API and the CLI each map them in one place."""

from __future__ import annotations

from typing import Any


class ThreadsError(Exception):
    """Base of every error ``threads`` raises on purpose.

    ``code`` is a stable machine-readable identifier (used as the problem-details ``code``);
    ``extra`` carries structured facts for the caller (e.g. the current version on a conflict).
    """

    code = "error"
    title = "Error"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extra = extra


class InvalidInput(ThreadsError):
    """Input that does not have the expected shape (a file, a field, an option)."""

    code = "invalid_input"
    title = "Invalid input"

    def __init__(
        self, detail: str, *, field: str | None = None, code: str | None = None, **extra: Any
    ) -> None:
        super().__init__(detail, code=code, **extra)
        self.field = field
        if field is not None:
            self.extra.setdefault("field", field)


def refuse_nul(value: str | None, field: str) -> None:
    """Text with a NUL character is refused (InvalidInput on ``field``) before it reaches the
    database: PostgreSQL cannot store or even compare it, SQLite would keep it silently."""
    if value is not None and "\x00" in value:
        raise InvalidInput(f"{field} contains a NUL character", field=field)


class NotFound(ThreadsError):
    code = "not_found"
    title = "Not found"


class Conflict(ThreadsError):
    """The request conflicts with the current state (stale version, duplicate, ...)."""

    code = "conflict"
    title = "Conflict"


class ThreadClosed(Conflict):
    """A comment was submitted to a closed thread."""

    code = "thread_closed"
    title = "Thread closed"


class ActionNotAllowed(Conflict):
    """A moderation action is not allowed from the comment's current status."""

    code = "action_not_allowed"
    title = "Action not allowed"


class Unauthorized(ThreadsError):
    code = "unauthorized"
    title = "Unauthorized"


class Forbidden(ThreadsError):
    code = "forbidden"
    title = "Forbidden"


class AuthorBanned(Forbidden):
    """A public submission by an author the site has banned (nothing is stored)."""

    code = "author_banned"
    title = "Author banned"


class RateLimited(ThreadsError):
    code = "rate_limited"
    title = "Too many requests"


class DatabaseNotReady(ThreadsError):
    """The database schema is missing or behind the code (run ``threads db upgrade``)."""

    code = "database_not_ready"
    title = "Database not ready"


class DatabaseUnavailable(ThreadsError):
    """The database cannot be reached or used: a server down, a password refused, a file that
    cannot be opened."""

    code = "database_unavailable"
    title = "Database unavailable"


class Blocked(InvalidInput):
    """A submission that an automatic check refused outright (nothing is stored).

    ``reasons`` lists why, in words a submitter can act on; ``field`` is ``body``.
    """

    code = "comment_blocked"
    title = "Comment blocked"

    def __init__(self, detail: str, *, reasons: list[str], field: str | None = "body") -> None:
        super().__init__(detail, field=field, reasons=list(reasons))
        self.reasons = list(reasons)


class OutputFailed(ThreadsError):
    """Output could not be written: a full disk, a device or pipe that fails, a file that cannot
    be created. What was already written to a stream stays written; a file is left as it was."""

    code = "output_failed"
    title = "Output failed"
