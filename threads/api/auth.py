"""API-key authentication and per-role guards.

``Authorization: Bearer <key>``. A protected endpoint declares ``guards=[moderator]`` (or
``viewer``/``admin``): no key or an invalid/revoked key -> 401 with ``WWW-Authenticate``; a key
whose role is too low -> 403. Public endpoints that show more to key holders take the
``principal`` dependency (None without a key; a bad key is still a 401, never a silent downgrade).
Verification hashes the key (SHA-256) and looks it up. On PostgreSQL the lookup goes through
the worker's :class:`~threads.db.probe.ClockProbe` (one batched round trip on the event loop that
also reads the change clock, kept in the request for cached responses); elsewhere it is a short
transaction of its own in a worker thread, so the event loop never waits on the database.
"""

from __future__ import annotations

from typing import Any, cast

from anyio import to_thread
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.engine import Engine

from threads.db import session_scope
from threads.db.probe import ClockProbe, Generation
from threads.db.types import utcnow
from threads.errors import Forbidden, Unauthorized
from threads.keys import Principal, check_key, check_shape, hash_key, touch_key, verify_key
from threads.models import Role

_STATE_KEY = "threads_principal"
_GENERATION_KEY = "threads_generation"
_MISSING = object()


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


def _touch(engine: Engine, principal: Principal) -> None:
    with session_scope(engine) as session:
        touch_key(session, principal.key_id, now=utcnow())


def probe_of(connection: ASGIConnection[Any, Any, Any, Any]) -> ClockProbe | None:
    """The worker's clock probe; None where the database keeps no change clock."""
    return cast(ClockProbe | None, connection.app.state.get("probe"))


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The principal of the request's key (verified once per request), or None without a key."""
    cached = connection.scope.get(_STATE_KEY, _MISSING)
    if cached is not _MISSING:
        return cast(Principal | None, cached)
    key = bearer_token(connection)
    principal = None
    if key is not None:
        engine: Engine = connection.app.state.engine
        probe = probe_of(connection)
        if probe is None:
            principal = await to_thread.run_sync(_verify, engine, key)
        else:
            check_shape(key)
            digest = hash_key(key)
            reading = await probe.read(digest)
            connection.scope[_GENERATION_KEY] = reading.generation  # type: ignore[literal-required]
            principal, stale = check_key(key, reading.keys.get(digest), now=utcnow())
            if stale:
                await to_thread.run_sync(_touch, engine, principal)
    connection.scope[_STATE_KEY] = principal  # type: ignore[literal-required]
    return principal


async def generation(connection: ASGIConnection[Any, Any, Any, Any]) -> Generation | None:
    """The change clock as read after this request arrived (the key check's reading when
    there was one); None where the database keeps no clock: nothing may be cached then."""
    known = connection.scope.get(_GENERATION_KEY)
    if known is not None:
        return cast(Generation, known)
    probe = probe_of(connection)
    if probe is None:
        return None
    reading = await probe.read()
    connection.scope[_GENERATION_KEY] = reading.generation  # type: ignore[literal-required]
    return reading.generation


def requires(role: Role) -> Any:
    """A guard letting through keys of ``role`` or above."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = await authenticate(connection)
        if principal is None:
            raise Unauthorized(
                "this endpoint needs an API key: send 'Authorization: Bearer <key>'",
                code="missing_key",
            )
        if not principal.has_role(role):
            raise Forbidden(
                f"the key {principal.name!r} has role {principal.role.value}; "
                f"this needs {role.value} or above",
                required_role=role.value,
            )

    guard.__name__ = f"requires_{role.value}"
    return guard


viewer = requires(Role.VIEWER)
moderator = requires(Role.MODERATOR)
admin = requires(Role.ADMIN)


async def provide_principal(request: Request[Any, Any, Any]) -> Principal | None:
    """Dependency: the request's principal (None on a public request without a key)."""
    return await authenticate(request)


async def provide_required_principal(request: Request[Any, Any, Any]) -> Principal:
    """Dependency for guarded endpoints: the principal the guard verified."""
    principal = await authenticate(request)
    if principal is None:  # the guard refuses this first; kept for safety
        raise Unauthorized("this endpoint needs an API key", code="missing_key")
    return principal
