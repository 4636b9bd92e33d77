"""The one error-mapping table: every error leaves the API as RFC 9457 problem details.

Body: ``type``, ``title``, ``status``, ``detail``, ``code`` (stable, machine-readable) plus the
facts the error carries (``field``, ``current_version``, ``closed_at``, ``reason``, ...), with the
media type ``application/problem+json``. A value the database refused as data (a NUL character,
an over-long value, a number out of range) is a 422 ``invalid_input``. A database that cannot be
reached or used right now (a server down, a lost connection, a locked or read-only file) is a 503
``database_unavailable`` with ``Retry-After``: the next request tries again, no restart needed.
Unexpected exceptions become a 500 problem that says nothing about internals (the traceback goes
to the server log).

Litestar's ProblemDetailsPlugin does the answering: :data:`PROBLEM_CONVERSIONS` turns each kind
of exception into a :class:`ThreadsProblem`, whose ``to_response`` writes our body.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DataError, StatementError

from threads.api.auth import refusal_before
from threads.db import database_unavailable
from threads.errors import (
    ActionNotAllowed,
    AuthorBanned,
    Blocked,
    Conflict,
    DatabaseNotReady,
    DatabaseUnavailable,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    ThreadClosed,
    ThreadsError,
    Unauthorized,
)

logger = logging.getLogger("threads.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:threads:problem:"

#: ThreadsError subclass -> HTTP status. The most specific class in an error's MRO wins.
ERROR_STATUS: dict[type[ThreadsError], int] = {
    Blocked: 422,
    InvalidInput: 422,
    NotFound: 404,
    ThreadClosed: 409,
    ActionNotAllowed: 409,
    Conflict: 409,
    Unauthorized: 401,
    AuthorBanned: 403,
    Forbidden: 403,
    RateLimited: 429,
    DatabaseNotReady: 503,
    DatabaseUnavailable: 503,
    ThreadsError: 400,
}

#: seconds a client is asked to wait (``Retry-After``) while the database is unavailable
DATABASE_RETRY_AFTER = 5

#: what the database says about a value it refused as data (SQLSTATE class 22), in words
#: that name no internals; any other data error is "a value ... cannot be stored"
DATA_ERRORS: dict[str, str] = {
    "22001": "a text value is longer than the database allows",
    "22003": "a number is out of range",
    "22008": "a date or time is out of range",
    "22021": "text holds a character the database cannot store",
    "22P05": "text holds a character the database cannot store",
}

#: Litestar's own HTTP errors (routing, body parsing, size limit) -> (code, title)
HTTP_CODES: dict[int, tuple[str, str]] = {
    400: ("invalid_request", "Invalid request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    413: ("request_too_large", "Request body too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    429: ("rate_limited", "Too many requests"),
    500: ("internal_error", "Internal server error"),
    503: ("unavailable", "Service unavailable"),
}

WWW_AUTHENTICATE = 'Bearer realm="threads"'
_JSON_PATH = re.compile(r"at `\$\.([A-Za-z0-9_.\[\]]+)`")
_MISSING_FIELD = re.compile(r"missing required field `([A-Za-z0-9_]+)`")


def status_for(error: ThreadsError) -> int:
    for cls in type(error).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 400


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    facts: dict[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    for key, value in (facts or {}).items():
        if key == "status":  # a comment's status, not the HTTP one
            key = "current_status"
        if key not in body and value is not None:
            body[key] = _jsonable(value)
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


class ThreadsProblem(ProblemDetailsException):
    """An error on its way out as our problem details (Litestar's ProblemDetailsPlugin answers
    it with :meth:`to_response`). Built from an exception by the converters of
    :data:`PROBLEM_CONVERSIONS`, without the request; what needs the request (the path, the
    method, the body limit, the key check, the log line) is added by :meth:`to_response`."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        facts: dict[str, Any] | None = None,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(detail=detail, status_code=status, headers=headers, title=title)
        self.code = code
        self.facts = facts or {}
        self.cause = cause

    def to_response(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        status = self.status_code
        if status not in (401, 403) and status < 500:
            # A request that failed before its handler verified its key (a malformed body, a
            # bad parameter) gets the answer its key earns first (see threads.api.auth).
            refusal = refusal_before(request)
            if refusal is not None:
                return from_threads_error(refusal).to_response(request)
        detail = self.detail
        headers = dict(self.headers or {})
        if status == 401:
            headers.setdefault("WWW-Authenticate", WWW_AUTHENTICATE)
        if isinstance(self.cause, HTTPException):
            detail = _http_detail(request, self.cause, detail)
        _log(request, self)
        return problem(
            status,
            self.code,
            self.title or "Error",
            detail,
            instance=request.url.path,
            headers=headers or None,
            facts=self.facts,
        )


def from_threads_error(exc: ThreadsError) -> ThreadsProblem:
    status = status_for(exc)
    if isinstance(exc, DatabaseUnavailable):
        exc.extra.setdefault("retry_after", DATABASE_RETRY_AFTER)
    headers: dict[str, str] = {}
    if status in (429, 503) and "retry_after" in exc.extra:
        headers["Retry-After"] = str(int(exc.extra["retry_after"]))
    return ThreadsProblem(
        status, exc.code, exc.title, exc.detail, headers=headers, facts=exc.extra, cause=exc
    )


def _validation_facts(exc: ValidationException) -> dict[str, Any]:
    """The offending field (and every error) from Litestar's validation details."""
    errors: list[dict[str, Any]] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", ""))
        key = item.get("key")
        if not key or key == "data":
            # A body error: msgspec names the place as `$.path` and/or the missing field.
            parts = [m.group(1) for m in (_JSON_PATH.search(message),) if m]
            parts += [m.group(1) for m in (_MISSING_FIELD.search(message),) if m]
            key = ".".join(parts) or key
        errors.append({"field": key, "message": message, "source": item.get("source")})
    facts: dict[str, Any] = {}
    if errors:
        facts["errors"] = errors
        first = next((e["field"] for e in errors if e["field"]), None)
        if first:
            facts["field"] = first
    return facts


def from_http_exception(exc: HTTPException) -> ThreadsProblem:
    """Litestar's own HTTP errors (routing, parameters, body parsing, size limit)."""
    if isinstance(exc, ProblemDetailsException):  # raised as such: answered as it says
        return ThreadsProblem(
            exc.status_code, f"http_{exc.status_code}", exc.title or "Error", exc.detail
        )
    status = exc.status_code
    code, title = HTTP_CODES.get(status, (f"http_{status}", "Error"))
    facts: dict[str, Any] = {}
    detail = exc.detail or title
    if isinstance(exc, ValidationException):
        facts = _validation_facts(exc)
        where = facts.get("field")
        messages = [e["message"] for e in facts.get("errors", []) if e["message"]]
        detail = messages[0] if messages else detail
        if where and where not in detail:
            detail = f"{detail} (field {where})"
    return ThreadsProblem(
        status, code, title, detail, headers=dict(exc.headers or {}), facts=facts, cause=exc
    )


def _http_detail(request: Request[Any, Any, Any], exc: HTTPException, detail: str) -> str:
    """The detail of an HTTP error in the request's words (its path, method, body limit)."""
    status = exc.status_code
    if status == 404 and detail == "Not Found":
        return f"no resource at {request.url.path}"
    if status == 405:
        return f"method {request.method} is not allowed on {request.url.path}"
    if status == 413:
        limit = (
            request.route_handler.resolve_request_max_body_size() if _has_route(request) else None
        )
        return "the request body is too large" + (f" (limit {limit} bytes)" if limit else "")
    if status >= 500:
        return "the server could not handle this request"
    return detail


def _has_route(request: Request[Any, Any, Any]) -> bool:
    try:
        return request.route_handler is not None
    except Exception:
        return False


def input_refused_by_database(exc: StatementError) -> bool:
    """True for a database error that the request's values caused: a data exception (a NUL
    character, a value too long for its column, a number out of range) or a value the driver
    could not convert (a time whose UTC value is before year 1)."""
    return isinstance(exc, DataError) or isinstance(exc.orig, OverflowError)


def from_database_error(exc: StatementError) -> ThreadsProblem:
    """Input the database refused is a 422 ``invalid_input`` (checks before the database catch
    most such values; this catches the rest); any other database error is a 500 (or a 503)."""
    if not input_refused_by_database(exc):
        return from_unexpected(exc)
    sqlstate = getattr(exc.orig, "sqlstate", None)
    reason = DATA_ERRORS.get(str(sqlstate), "a value in the request cannot be stored")
    return ThreadsProblem(422, InvalidInput.code, InvalidInput.title, reason, cause=exc)


def from_unexpected(exc: Exception) -> ThreadsProblem:
    """A 500 that says nothing about internals; a 503 ``database_unavailable`` with
    ``Retry-After`` when the database is unavailable (the error can come from the ORM or
    straight from the driver)."""
    if database_unavailable(exc):
        problem_ = from_threads_error(
            DatabaseUnavailable("the database is unavailable; try again shortly")
        )
        problem_.cause = exc
        return problem_
    return ThreadsProblem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "Internal server error",
        "the server could not handle this request",
        cause=exc,
    )


def _client_left(cause: BaseException | None) -> bool:
    """Litestar's answer when the client hung up while its body was read: nothing went wrong
    on our side (no traceback, no error line: a load balancer's retries would flood the log)."""
    return isinstance(cause, HTTPException) and cause.detail == "client disconnected prematurely"


def _log(request: Request[Any, Any, Any], problem_: ThreadsProblem) -> None:
    """One log line per error the server should hear about; the traceback for a 500."""
    cause, where = problem_.cause, (request.method, request.url.path)
    if _client_left(cause):
        logger.info("client disconnected before its request body arrived: %s %s", *where)
    elif problem_.code == "database_unavailable" and not isinstance(cause, ThreadsError):
        first = str(getattr(cause, "orig", None) or cause).strip().splitlines()
        reason = first[0] if first else type(cause).__name__
        logger.warning("database unavailable on %s %s: %s", *where, reason)
    elif problem_.code == "internal_error":
        logger.exception("unhandled error on %s %s", *where, exc_info=cause)
    elif isinstance(cause, HTTPException) and problem_.status_code >= 500:
        logger.error("HTTP %s on %s %s: %s", problem_.status_code, *where, cause.detail)
    elif isinstance(cause, StatementError):
        logger.info("input refused by the database on %s %s: %s", *where, cause)


#: exception class -> its problem (the most specific class wins): the one mapping table, with
#: :data:`ERROR_STATUS` for our own errors and :data:`HTTP_CODES` for Litestar's
PROBLEM_CONVERSIONS: dict[type[Exception], Callable[[Any], ProblemDetailsException]] = {
    ThreadsError: from_threads_error,
    HTTPException: from_http_exception,
    StatementError: from_database_error,
    Exception: from_unexpected,
}


def problem_details_plugin() -> ProblemDetailsPlugin:
    """Litestar's ProblemDetailsPlugin answering every error through :data:`PROBLEM_CONVERSIONS`."""
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(exception_to_problem_detail_map=PROBLEM_CONVERSIONS)
    )
