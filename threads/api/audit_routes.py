"""/api/audit: the whole audit log, newest first, filtered by actor, action, time and site."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import Parameter
from sqlmodel import Session

from threads.api import auth
from threads.api.deps import SiteParam, problems, unit_of_work
from threads.moderation.history import (
    ACTION_LENGTH,
    ACTOR_LENGTH,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    AuditFilter,
    audit_log,
)
from threads.moderation.shapes import history_page
from threads.schemas import HistoryEvent, Page


class AuditController(Controller):
    path = "/api"
    tags = ["moderation"]

    @get(
        "/audit",
        sync_to_thread=True,
        guards=[auth.viewer],
        responses=problems(400, 401, 403, 404, 422),
        security=[{"bearer": []}],
    )
    @unit_of_work
    def audit(
        self,
        db: NamedDependency[Session],
        actor: Annotated[
            str | None,
            Parameter(max_length=ACTOR_LENGTH, description="exactly this actor (key:NAME, ...)"),
        ] = None,
        action: Annotated[
            str | None, Parameter(max_length=ACTION_LENGTH, description="exactly this action")
        ] = None,
        since: Annotated[datetime | None, Parameter(description="recorded at or after")] = None,
        until: Annotated[datetime | None, Parameter(description="recorded before")] = None,
        site: SiteParam = None,
        cursor: Annotated[
            str | None, Parameter(max_length=1000, description="next_cursor of the previous page")
        ] = None,
        limit: Annotated[
            int, Parameter(ge=1, le=MAX_LIMIT, description="events per page")
        ] = DEFAULT_LIMIT,
    ) -> Page[HistoryEvent]:
        """Every audit event, newest first, in cursor pages (viewer+). An unknown ``site`` key
        is a 404 ``site_not_found`` listing the known keys."""
        flt = AuditFilter(
            actor=actor or None,
            action=action or None,
            since=since,
            until=until,
            site=site or None,
        )
        return history_page(audit_log(db, flt, cursor=cursor or None, limit=limit))


__all__ = ["AuditController"]
