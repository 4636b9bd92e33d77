"""API-key authentication and per-role guards.

``Authorization: Bearer <key>``. A protected endpoint declares ``guards=[moderator]`` (or
``viewer``/``admin``): no key or an invalid/revoked key -> 401 with ``WWW-Authenticate``; a key
whose role is too low -> 403. Public endpoints that show more to key holders take the
``principal`` dependency (None without a key; a bad key is still a 401, never a silent downgrade).
Verification hashes the key (SHA-256) and looks it up.

Where the lookup happens: an endpoint whose handler runs in one unit of work
(:func:`threads.api.deps.unit_of_work`) verifies the key in that unit, in the handler's thread
and transaction, before the handler runs: one thread hop and one transaction per request, the
key read beside the page. The guard then only checks that a well-formed key was sent and records
what the endpoint requires (:class:`KeyCheck`). Any other endpoint verifies in its guard (a short
transaction of its own in a worker thread, so the event loop never waits on the database).

Either way an endpoint answers a bad key before anything else: when a request with a pending
check fails before its handler ran (a malformed body, a bad parameter), the error handler
verifies the key first (:func:`refusal_before`) and answers 401/403 if it is bad.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from anyio import to_thread
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.engine import Engine
from sqlmodel import Session

from threads.db import session_scope
from threads.errors import Forbidden, ThreadsError, Unauthorized
from threads.keys import ROLE_RANK, Principal, check_shape, verify_key
from threads.models import Role

#: scope keys: the verified principal (None: no key), and the check a unit of work still owes
_PRINCIPAL_KEY = "threads_principal"
_CHECK_KEY = "threads_key_check"
_MISSING = object()
#: the attribute :func:`threads.api.deps.unit_of_work` sets on the handlers it wraps
VERIFIES_KEY = "threads_verifies_key"


@dataclass
class KeyCheck:
    """A key the request presented and the role its endpoint requires (None: any valid key),
    verified later by the handler's unit of work. Until then it also stands in for the
    ``key``/``principal`` dependency the unit of work replaces."""

    key: str
    role: Role | None


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The key in ``Authorization: Bearer <key>``; None without the header."""
    header = connection.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(
            "the Authorization header must be 'Bearer <key>'", code="invalid_authorization"
        )
    return token


def _verify(engine: Engine, key: str) -> Principal:
    with session_scope(engine) as session:
        return verify_key(session, key)


def _deferred(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Whether the endpoint's unit of work verifies the key (see the module doc)."""
    handler = connection.scope.get("route_handler")
    return bool(getattr(getattr(handler, "fn", None), VERIFIES_KEY, False))


def _forbid(principal: Principal, role: Role) -> None:
    if not principal.has_role(role):
        raise Forbidden(
            f"the key {principal.name!r} has role {principal.role.value}; "
            f"this needs {role.value} or above",
            required_role=role.value,
        )


def _defer(connection: ASGIConnection[Any, Any, Any, Any], key: str, role: Role | None) -> KeyCheck:
    """Record that ``key`` must be verified (and hold ``role``) by the unit of work."""
    check_shape(key)
    check = cast(KeyCheck | None, connection.scope.get(_CHECK_KEY))
    if check is None:
        check = KeyCheck(key, role)
        connection.scope[_CHECK_KEY] = check  # type: ignore[literal-required]
    elif role is not None and (check.role is None or ROLE_RANK[role] > ROLE_RANK[check.role]):
        check.role = role
    return check


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The principal of the request's key (verified once per request, in a worker thread), or
    None without a key."""
    cached = connection.scope.get(_PRINCIPAL_KEY, _MISSING)
    if cached is not _MISSING:
        return cast(Principal | None, cached)
    key = bearer_token(connection)
    principal = None
    if key is not None:
        engine: Engine = connection.app.state.engine
        principal = await to_thread.run_sync(_verify, engine, key)
    connection.scope[_PRINCIPAL_KEY] = principal  # type: ignore[literal-required]
    return principal


def requires(role: Role) -> Any:
    """A guard letting through keys of ``role`` or above."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if _deferred(connection) and _PRINCIPAL_KEY not in connection.scope:
            key = bearer_token(connection)
            if key is not None:
                _defer(connection, key, role)
                return
            principal = None
        else:
            principal = await authenticate(connection)
        if principal is None:
            raise Unauthorized(
                "this endpoint needs an API key: send 'Authorization: Bearer <key>'",
                code="missing_key",
            )
        _forbid(principal, role)

    guard.__name__ = f"requires_{role.value}"
    return guard


viewer = requires(Role.VIEWER)
moderator = requires(Role.MODERATOR)
admin = requires(Role.ADMIN)


def verify_pending(scope: Any, session: Session) -> Principal | None:
    """Verify the key check the request still owes, in ``session`` (the handler's unit of
    work); the principal, or None when nothing was owed. Raises 401/403 errors."""
    check = cast(KeyCheck | None, scope.get(_CHECK_KEY))
    if check is None or _PRINCIPAL_KEY in scope:
        return cast(Principal | None, scope.get(_PRINCIPAL_KEY))
    principal = verify_key(session, check.key)
    if check.role is not None:
        _forbid(principal, check.role)
    scope[_PRINCIPAL_KEY] = principal
    return principal


def refusal_before(request: Request[Any, Any, Any]) -> ThreadsError | None:
    """For a request that failed before its handler verified its key: the 401/403 the key
    earns (a bad key is answered before anything else), else None.

    Runs on the error path only, in its own short transaction."""
    check = cast(KeyCheck | None, request.scope.get(_CHECK_KEY))
    if check is None or _PRINCIPAL_KEY in request.scope:
        return None
    try:
        principal = _verify(request.app.state.engine, check.key)
        request.scope[_PRINCIPAL_KEY] = principal  # type: ignore[literal-required]
        if check.role is not None:
            _forbid(principal, check.role)
    except (Unauthorized, Forbidden) as exc:
        return exc
    return None


async def provide_principal(request: Request[Any, Any, Any]) -> Principal | KeyCheck | None:
    """Dependency: the request's principal (None on a public request without a key). For an
    endpoint whose unit of work verifies keys: the pending check, replaced by the principal
    before the handler runs."""
    if _deferred(request) and _PRINCIPAL_KEY not in request.scope:
        key = bearer_token(request)
        return None if key is None else _defer(request, key, None)
    return await authenticate(request)


async def provide_required_principal(request: Request[Any, Any, Any]) -> Principal | KeyCheck:
    """Dependency for guarded endpoints: the principal the guard verified (or the pending check
    the unit of work verifies)."""
    check = request.scope.get(_CHECK_KEY)
    if check is not None and _PRINCIPAL_KEY not in request.scope:
        return cast(KeyCheck, check)
    principal = await authenticate(request)
    if principal is None:  # the guard refuses this first; kept for safety
        raise Unauthorized("this endpoint needs an API key", code="missing_key")
    return principal
