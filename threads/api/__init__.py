"""The HTTP API (Litestar): a thin adapter over the moderation services."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litestar import Litestar

    from threads.config import Settings


def create_app(settings: Settings) -> Litestar:
    """The Litestar app over ``settings`` (see :func:`threads.api.app.create_app`)."""
    from threads.api.app import create_app as _create

    return _create(settings)


__all__ = ["create_app"]
