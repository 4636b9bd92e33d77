"""Queries for webhooks: hooks, the delivery outbox and its attempts.

The delivery worker's scan uses ix_webhook_delivery_status_next_attempt_at; a worker claims a
delivery with one conditional UPDATE (:func:`claim_delivery`), so that several workers (``serve
--workers``, a cron ``threads hooks deliver``) never send the same attempt twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlmodel import Session, col

from threads.models import (
    Article,
    DeliveryStatus,
    Site,
    Thread,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)


@dataclass(frozen=True)
class ThreadContext:
    """What an event says about the thread it happened in."""

    thread_id: int
    site_id: int
    site_key: str
    title: str
    url: str | None


def thread_context(session: Session, thread_id: int) -> ThreadContext | None:
    row = session.execute(
        select(
            col(Thread.id), col(Site.id), col(Site.key), col(Article.title), col(Article.source_url)
        )
        .join(Article, col(Article.id) == col(Thread.article_id))
        .join(Site, col(Site.id) == col(Article.site_id))
        .where(col(Thread.id) == thread_id)
    ).one_or_none()
    if row is None:
        return None
    return ThreadContext(row[0], row[1], row[2], row[3] or "", row[4])


def site_by_key(session: Session, key: str) -> Site | None:
    return session.execute(select(Site).where(col(Site.key) == key)).scalar_one_or_none()


def site_key(session: Session, site_id: int) -> str | None:
    site = session.get(Site, site_id)
    return site.key if site is not None else None


def active_hooks(session: Session, site_id: int | None) -> list[Webhook]:
    """Hooks not removed that listen to ``site_id`` (hooks without a site listen to all)."""
    where: list[ColumnElement[bool]] = [col(Webhook.removed_at).is_(None)]
    if site_id is None:
        where.append(col(Webhook.site_id).is_(None))
    else:
        where.append(or_(col(Webhook.site_id).is_(None), col(Webhook.site_id) == site_id))
    return list(session.scalars(select(Webhook).where(*where).order_by(col(Webhook.id))))


def any_active_hook(session: Session) -> bool:
    """Whether any hook is registered (one indexed probe: most actions happen without any)."""
    found = session.execute(
        select(col(Webhook.id)).where(col(Webhook.removed_at).is_(None)).limit(1)
    ).first()
    return found is not None


def all_hooks(session: Session, *, include_removed: bool = False) -> list[Webhook]:
    stmt = select(Webhook).order_by(col(Webhook.id))
    if not include_removed:
        stmt = stmt.where(col(Webhook.removed_at).is_(None))
    return list(session.scalars(stmt))


def get_hook(session: Session, hook_id: int) -> Webhook | None:
    return session.get(Webhook, hook_id)


def cancel_pending(session: Session, hook_id: int, now: datetime) -> int:
    """Mark the hook's pending deliveries cancelled; how many."""
    result = session.execute(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.hook_id) == hook_id,
            col(WebhookDelivery.status) == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.CANCELLED, next_attempt_at=None, finished_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _delivery_filters(hook_id: int | None, status: DeliveryStatus | None) -> list[Any]:
    where: list[Any] = []
    if hook_id is not None:
        where.append(col(WebhookDelivery.hook_id) == hook_id)
    if status is not None:
        where.append(col(WebhookDelivery.status) == status)
    return where


def deliveries(
    session: Session,
    *,
    hook_id: int | None = None,
    status: DeliveryStatus | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> list[WebhookDelivery]:
    """Deliveries, newest first (keyset: those older than ``before_id``)."""
    where = _delivery_filters(hook_id, status)
    if before_id is not None:
        where.append(col(WebhookDelivery.id) < before_id)
    stmt = (
        select(WebhookDelivery).where(*where).order_by(col(WebhookDelivery.id).desc()).limit(limit)
    )
    return list(session.scalars(stmt))


def count_deliveries(
    session: Session, *, hook_id: int | None = None, status: DeliveryStatus | None = None
) -> int:
    """How many deliveries the listing holds in all pages."""
    stmt = select(func.count()).select_from(WebhookDelivery)
    return int(session.scalar(stmt.where(*_delivery_filters(hook_id, status))) or 0)


def delivery_by_uid(session: Session, uid: str) -> WebhookDelivery | None:
    return session.execute(
        select(WebhookDelivery).where(col(WebhookDelivery.uid) == uid)
    ).scalar_one_or_none()


def deliveries_by_uid_prefix(session: Session, prefix: str, limit: int) -> list[WebhookDelivery]:
    """Deliveries whose id starts with ``prefix`` (at most ``limit``)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(col(WebhookDelivery.uid).like(escaped + "%", escape="\\"))
            .order_by(col(WebhookDelivery.id))
            .limit(limit)
        )
    )


def attempts_of(session: Session, delivery_id: int) -> list[WebhookAttempt]:
    return list(
        session.scalars(
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id) == delivery_id)
            .order_by(col(WebhookAttempt.id))
        )
    )


def due_delivery_ids(session: Session, now: datetime, limit: int) -> list[int]:
    """Pending deliveries whose next attempt is due at ``now``, oldest first."""
    return list(
        session.scalars(
            select(col(WebhookDelivery.id))
            .where(
                col(WebhookDelivery.status) == DeliveryStatus.PENDING,
                col(WebhookDelivery.next_attempt_at) <= now,
            )
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
            .limit(limit)
        )
    )


def claim_delivery(
    session: Session, delivery_id: int, now: datetime, lease_until: datetime
) -> bool:
    """Take the delivery for one attempt: its next attempt moves to ``lease_until`` (so no other
    worker sees it due) only if it is still pending and due. True when this caller got it; a
    worker that dies mid-attempt leaves it due again once the lease ends."""
    result = session.execute(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.id) == delivery_id,
            col(WebhookDelivery.status) == DeliveryStatus.PENDING,
            col(WebhookDelivery.next_attempt_at) <= now,
        )
        .values(next_attempt_at=lease_until)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def update_delivery(session: Session, delivery_id: int, values: dict[str, Any]) -> None:
    session.execute(
        update(WebhookDelivery).where(col(WebhookDelivery.id) == delivery_id).values(**values)
    )
