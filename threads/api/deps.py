"""Dependencies shared by the controllers: settings, engine, a session per request, the key."""

from __future__ import annotations

from collections.abc import Generator

from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy.engine import Engine
from sqlmodel import Session

from threads.api.auth import provide_principal, provide_required_principal
from threads.config import Settings
from threads.schemas import Problem


def provide_settings(state: State) -> Settings:
    return state.settings


def provide_engine(state: State) -> Engine:
    return state.engine


def provide_db(state: State) -> Generator[Session, None, None]:
    """One session per request: committed when the handler succeeds, rolled back otherwise."""
    session = Session(state.engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DEPENDENCIES: dict[str, Provide] = {
    "settings": Provide(provide_settings, sync_to_thread=False),
    "engine": Provide(provide_engine, sync_to_thread=False),
    "db": Provide(provide_db),
    "principal": Provide(provide_principal),
    "key": Provide(provide_required_principal),
}

_DESCRIPTIONS = {
    400: "Malformed request (bad JSON, wrong type, unknown field); `field` names it",
    401: "No valid API key (missing, unknown or revoked)",
    403: "The key's role is too low for this endpoint",
    404: "No such thread or comment",
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
        )
        for status in statuses
    }
