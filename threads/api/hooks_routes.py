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
from threads.models import DeliveryStatus, WebhookDelivery
from threads.schemas import (
    AttemptRead,
    DeliveryDetailRead,
    DeliveryRead,
    DeliveryStatusName,
    HookCreated,
    HookCreateRequest,
    HookRead,
    Page,
)
from threads.webhooks.service import (
    HookInfo,
    add_hook,
    get_delivery,
    list_deliveries,
    list_hooks,
    remove_hook,
    retry_delivery,
)

DeliveryId = Annotated[str, Parameter(min_length=1, max_length=36)]


def _hook(info: HookInfo) -> HookRead:
    return HookRead(
        id=info.id,
        url=info.url,
        site=info.site,
        events=info.events,
        report_threshold=info.report_threshold,
        created_by=info.created_by,
        created_at=info.created_at,
        removed_at=info.removed_at,
    )


def _delivery(row: WebhookDelivery) -> DeliveryRead:
    return DeliveryRead(
        id=row.uid,
        hook_id=row.hook_id,
        event=row.event,
        status=DeliveryStatus(row.status).value,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


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
        items = [_hook(h) for h in list_hooks(db, include_removed=include_removed)]
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
        """Register a URL for events; the response is the only time its secret is shown."""
        created = add_hook(
            db,
            data.url,
            settings=settings,
            created_by=key.actor.name,
            events=list(data.events) if data.events else None,
            site=data.site,
            report_threshold=data.report_threshold,
        )
        return HookCreated(hook=_hook(created.info), secret=created.secret)

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
        hook_id: Annotated[int, Parameter(ge=1, le=2**31 - 1)],
    ) -> HookRead:
        """Remove a hook: no new deliveries, pending ones cancelled, the record kept."""
        return _hook(remove_hook(db, hook_id))

    @get("/deliveries", sync_to_thread=True, responses=problems(401, 403, 404))
    @unit_of_work
    def deliveries(
        self,
        db: NamedDependency[Session],
        hook_id: Annotated[int | None, Parameter(ge=1, le=2**31 - 1)] = None,
        status: Annotated[
            DeliveryStatusName | None, Parameter(description="only deliveries in this status")
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 50,
    ) -> Page[DeliveryRead]:
        """Deliveries, newest first, of one hook or all, in one status or any."""
        rows = list_deliveries(db, hook_id=hook_id, status=status, limit=limit)
        items = [_delivery(r) for r in rows]
        return Page(items=items, total=len(items), next_cursor=None)

    @get("/deliveries/{delivery_id:str}", sync_to_thread=True, responses=problems(401, 403, 404))
    @unit_of_work
    def delivery(self, db: NamedDependency[Session], delivery_id: DeliveryId) -> DeliveryDetailRead:
        """One delivery: its body (exactly as sent) and every attempt."""
        detail = get_delivery(db, delivery_id)
        attempts = [
            AttemptRead(
                started_at=a.started_at,
                duration_ms=a.duration_ms,
                status_code=a.status_code,
                error=a.error,
                ok=a.ok,
            )
            for a in detail.attempts
        ]
        return DeliveryDetailRead(
            delivery=_delivery(detail.delivery), body=detail.delivery.body, attempts=attempts
        )

    @post(
        "/deliveries/{delivery_id:str}/retry",
        sync_to_thread=True,
        status_code=200,
        responses=problems(401, 403, 404, 409),
    )
    @unit_of_work
    def retry(self, db: NamedDependency[Session], delivery_id: DeliveryId) -> DeliveryRead:
        """Send a failed or cancelled delivery again (due now, attempts counted afresh)."""
        return _delivery(retry_delivery(db, delivery_id))
