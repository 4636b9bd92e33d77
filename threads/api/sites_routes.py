"""/api/sites: the sites whose threads the other lists can be narrowed to (``?site=KEY``)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from sqlmodel import Session

from threads.api import views
from threads.api.deps import problems, unit_of_work
from threads.schemas import Page, SiteRead


class SiteController(Controller):
    path = "/api/sites"
    tags = ["threads"]

    @get("/", sync_to_thread=True, responses=problems(400, 401))
    @unit_of_work
    def list_sites(self, db: NamedDependency[Session]) -> Page[SiteRead]:
        """Every site in key order (public, like the threads list), with its articles and
        approved comments; one page holds them all."""
        return views.site_page(db)


__all__ = ["SiteController", "Session"]
