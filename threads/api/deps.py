"""Dependencies shared by the controllers: settings, engine, a session per request, the key."""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Callable
from typing import Annotated, Any, ParamSpec, TypeVar

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter, QueryParameter
from sqlalchemy.engine import Engine
from sqlmodel import Session

from threads.api.auth import (
    VERIFIES_KEY,
    KeyCheck,
    provide_principal,
    provide_required_principal,
    verify_pending,
)
from threads.config import Settings
from threads.errors import refuse_nul
from threads.schemas import Problem

P = ParamSpec("P")
#: where a request's session keeps the request's scope (for the key check it may owe)
_SCOPE = "threads_scope"
R = TypeVar("R")

#: the ``site`` filter of the listings: a site key (any case; ``GET /api/sites`` lists them)
SiteParam = Annotated[
    str | None,
    Parameter(max_length=255, description="only this site's (a site key, see /api/sites)"),
]


def provide_settings(state: State) -> Settings:
    return state.settings


def provide_engine(state: State) -> Engine:
    return state.engine


def provide_codebook(
    state: State,
    codebook_name: Annotated[
        str | None,
        QueryParameter(
            name="codebook",
            min_length=1,
            max_length=64,
            description="whose topic labels to show (a codebook's name); default: the server's",
        ),
    ] = None,
) -> str:
    """The codebook whose labels a response shows: the ``codebook`` query parameter, else the
    one the server classifies with."""
    if codebook_name is not None:
        refuse_nul(codebook_name, "codebook")
        return codebook_name
    return str(state.codebook)


async def provide_db(
    state: State, request: Request[Any, Any, Any]
) -> AsyncGenerator[Session, None]:
    """One session per request; :func:`unit_of_work` verifies the request's key in it, then
    commits and closes it in the handler's thread.

    The closing here is a safety net that does no I/O when the handler already closed the
    session. Committing in the handler's own worker thread matters: a cleanup that needed a
    second worker thread while holding a pooled connection could deadlock under load (every
    thread waiting for a connection, every connection waiting for a thread).
    """
    session = Session(state.engine, expire_on_commit=False)
    session.info[_SCOPE] = request.scope
    try:
        yield session
    finally:
        session.close()


def unit_of_work(fn: Callable[P, R]) -> Callable[P, R]:
    """Wrap a sync handler taking ``db``: verify the request's API key in that session first
    (see :mod:`threads.api.auth`), commit when the handler returns, roll back when it raises,
    and give the connection back before the response is sent.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        db = kwargs["db"]
        assert isinstance(db, Session)
        try:
            principal = verify_pending(db.info.get(_SCOPE, {}), db)
            for name in ("key", "principal"):
                if isinstance(kwargs.get(name), KeyCheck):
                    kwargs[name] = principal
            result = fn(*args, **kwargs)
            db.commit()
            return result
        except BaseException:
            db.rollback()
            raise
        finally:
            db.close()

    setattr(wrapper, VERIFIES_KEY, True)
    return wrapper


DEPENDENCIES: dict[str, Provide] = {
    "settings": Provide(provide_settings, sync_to_thread=False),
    "engine": Provide(provide_engine, sync_to_thread=False),
    "codebook": Provide(provide_codebook, sync_to_thread=False),
    "db": Provide(provide_db),
    "principal": Provide(provide_principal),
    "key": Provide(provide_required_principal),
}

_DESCRIPTIONS = {
    400: "Malformed request (bad JSON, wrong type, unknown field); `field` names it",
    401: "No valid API key (missing, unknown or revoked)",
    403: "The key's role is too low for this endpoint (a submission: `author_banned`)",
    404: "No such thread, comment or site (`site_not_found` lists the known site keys)",
    409: "Conflicts with the current state (`code` says which)",
    413: "Request body larger than the limit",
    422: "Input refused by the rules; `field` names it",
    429: "Too many requests from this address; see Retry-After",
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI documentation of the problem-details responses an endpoint can give."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=_DESCRIPTIONS.get(status, "Error"),
            media_type="application/problem+json",
            # no invented examples: random strings teach nothing and change from run to run
            generate_examples=False,
        )
        for status in statuses
    }
