"""/api/hooks: webhook management over HTTP (admin only). The secret is shown once, at creation."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from sqlmodel import Session

from threads.api import auth
from threads.api.deps import problems, unit_of_work
from threads.config import Settings
from threads.keys import Principal
from threads.schemas import (
    DeliveryDetailRead,
    DeliveryRead,
    DeliveryStatusName,
    HookCreated,
    HookCreateRequest,
    HookRead,
    Page,
)
from threads.webhooks.service import (
    add_hook,
    get_delivery,
    list_deliveries,
    list_hooks,
    remove_hook,
    retry_delivery,
)
from threads.webhooks.shapes import delivery_detail, delivery_page, delivery_read, hook_read

DeliveryId = Annotated[str, Parameter(min_length=1, max_length=36)]


class HookController(Controller):
    path = "/api/hooks"
    tags = ["hooks"]
    guards = [auth.admin]
    security = [{"bearer": []}]

    @get("/", sync_to_thread=True, responses=problems(401, 403))
    @unit_of_work
    def list_hooks(
        self,
        db: NamedDependency[Session],
        include_removed: Annotated[bool, Parameter(description="removed hooks too")] = False,
    ) -> Page[HookRead]:
        """Every hook (URL, site, events, threshold); never a secret. One page holds them all."""
        items = [hook_read(h) for h in list_hooks(db, include_removed=include_removed)]
        return Page(items=items, total=len(items), next_cursor=None)

    @post(
        "/", sync_to_thread=True, status_code=201, responses=problems(400, 401, 403, 404, 413, 422)
    )
    @unit_of_work
    def create(
        self,
        db: NamedDependency[Session],
        key: NamedDependency[Principal],
        settings: NamedDependency[Settings],
        data: JSONBody[HookCreateRequest],
    ) -> HookCreated:
        """Register a URL for events; the response is the only time its secret is shown. Audited
        (``add_hook`` in the audit log: URL, events, site, threshold; never the secret) in the
        same transaction."""
        created = add_hook(
            db,
            data.url,
            settings=settings,
            actor=key.actor,
            events=list(data.events) if data.events else None,
            site=data.site,
            report_threshold=data.report_threshold,
        )
        return HookCreated(hook=hook_read(created.info), secret=created.secret)

    @delete(
        "/{hook_id:int}",
        sync_to_thread=True,
        status_code=200,
        responses=problems(401, 403, 404, 409),
    )
    @unit_of_work
    def remove(
        self,
        db: NamedDependency[Session],
        key: NamedDependency[Principal],
        hook_id: Annotated[int, Parameter(ge=1, le=2**31 - 1)],
    ) -> HookRead:
        """Remove a hook: no new deliveries, pending ones cancelled, the record kept; audited
        (``remove_hook`` in the audit log) in the same transaction."""
        return hook_read(remove_hook(db, hook_id, actor=key.actor))

    @get("/deliveries", sync_to_thread=True, responses=problems(401, 403, 404, 422))
    @unit_of_work
    def deliveries(
        self,
        db: NamedDependency[Session],
        hook_id: Annotated[int | None, Parameter(ge=1, le=2**31 - 1)] = None,
        status: Annotated[
            DeliveryStatusName | None, Parameter(description="only deliveries in this status")
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 50,
        cursor: Annotated[
            str | None, Parameter(description="next_cursor of the page before", max_length=400)
        ] = None,
    ) -> Page[DeliveryRead]:
        """Deliveries, newest first, of one hook or all, in one status or any, a page at a
        time."""
        listing = list_deliveries(db, hook_id=hook_id, status=status, limit=limit, cursor=cursor)
        return delivery_page(listing)

    @get("/deliveries/{delivery_id:str}", sync_to_thread=True, responses=problems(401, 403, 404))
    @unit_of_work
    def delivery(self, db: NamedDependency[Session], delivery_id: DeliveryId) -> DeliveryDetailRead:
        """One delivery: its body (exactly as sent) and every attempt."""
        return delivery_detail(get_delivery(db, delivery_id))

    @post(
        "/deliveries/{delivery_id:str}/retry",
        sync_to_thread=True,
        status_code=200,
        responses=problems(401, 403, 404, 409),
    )
    @unit_of_work
    def retry(self, db: NamedDependency[Session], delivery_id: DeliveryId) -> DeliveryRead:
        """Send a failed or cancelled delivery again (due now, attempts counted afresh)."""
        return delivery_read(retry_delivery(db, delivery_id))
