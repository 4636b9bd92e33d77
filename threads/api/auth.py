"""API-key authentication and per-role guards.

``Authorization: Bearer <key>``. A protected endpoint declares ``guards=[moderator]`` (or
``viewer``/``admin``): no key or an invalid/revoked key -> 401 with ``WWW-Authenticate``; a key
whose role is too low -> 403. Public endpoints that show more to key holders take the
``principal`` dependency (None without a key; a bad key is still a 401, never a silent downgrade).
Verification hashes the key (SHA-256) and looks it up in a short transaction of its own, in a
worker thread so the event loop never waits on the database.
"""

from __future__ import annotations

from typing import Any, cast

from anyio import to_thread
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.engine import Engine

from threads.db import session_scope
from threads.errors import Forbidden, Unauthorized
from threads.keys import Principal, verify_key
from threads.models import Role

_STATE_KEY = "threads_principal"
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


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The principal of the request's key (verified once per request), or None without a key."""
    cached = connection.scope.get(_STATE_KEY, _MISSING)
    if cached is not _MISSING:
        return cast(Principal | None, cached)
    key = bearer_token(connection)
    principal = None
    if key is not None:
        engine: Engine = connection.app.state.engine
        principal = await to_thread.run_sync(_verify, engine, key)
    connection.scope[_STATE_KEY] = principal  # type: ignore[literal-required]
    return principal


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
