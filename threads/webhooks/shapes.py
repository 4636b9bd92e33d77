"""Hooks and deliveries as the API shapes (threads.schemas), for the API and ``--json`` alike."""

from __future__ import annotations

from threads.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from threads.schemas import AttemptRead, DeliveryDetailRead, DeliveryRead, HookRead, Page
from threads.webhooks.service import DeliveryDetail, DeliveryList, HookInfo


def hook_read(info: HookInfo) -> HookRead:
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


def delivery_read(row: WebhookDelivery) -> DeliveryRead:
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


def delivery_page(listing: DeliveryList) -> Page[DeliveryRead]:
    items = [delivery_read(r) for r in listing.rows]
    return Page(items=items, total=listing.total, next_cursor=listing.next_cursor)


def _attempt(a: WebhookAttempt) -> AttemptRead:
    return AttemptRead(
        started_at=a.started_at,
        duration_ms=a.duration_ms,
        status_code=a.status_code,
        error=a.error,
        ok=a.ok,
    )


def delivery_detail(detail: DeliveryDetail) -> DeliveryDetailRead:
    return DeliveryDetailRead(
        delivery=delivery_read(detail.delivery),
        body=detail.delivery.body,
        attempts=[_attempt(a) for a in detail.attempts],
    )
