"""Webhook events: what happened, as JSON, written to the outbox in the caller's transaction.

:func:`emit` is the one entry point: any service calls it inside the transaction of the action
it reports, and it writes one ``webhook_delivery`` row per hook that wants the event. Nothing
is sent here: the rows are delivered after the commit by a worker
(:mod:`threads.webhooks.delivery`), so an action never waits on a receiver, and an action
rolled back sends nothing.

Events (the ``event`` field of every body, and ``X-Threads-Event``):

- ``comment.held``: a submitted comment was held for review (pending) or flagged by the rules.
- ``comment.reported``: a comment's report count reached the hook's threshold (once per hook).
- ``thread.closed``: a thread was closed, by a moderator or by its auto-close policy.
- ``campaign.found``: a campaign scan found a cluster never announced before (once per cluster
  id; ``data.campaign`` is what the scan passes, see :func:`campaign_found`).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from threads.db.queries import webhooks as q
from threads.db.types import utcnow
from threads.errors import InvalidInput
from threads.models import Comment, CommentStatus, DeliveryStatus, Thread, WebhookDelivery

COMMENT_HELD = "comment.held"
COMMENT_REPORTED = "comment.reported"
THREAD_CLOSED = "thread.closed"
CAMPAIGN_FOUND = "campaign.found"
EVENTS: tuple[str, ...] = (COMMENT_HELD, COMMENT_REPORTED, THREAD_CLOSED, CAMPAIGN_FOUND)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def body_of(
    uid: str, event: str, created_at: datetime, site: dict[str, Any] | None, data: Any
) -> str:
    """The JSON text sent for a delivery: compact, keys sorted, so that the bytes are the same
    on every attempt (they are stored, and signed as they are)."""
    envelope = {
        "id": uid,
        "event": event,
        "created_at": created_at.isoformat(),
        "site": site,
        "data": data,
    }
    return json.dumps(
        envelope,
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=False,
        default=_plain,
    )


def _check_data(data: Any) -> None:
    def finite(value: Any) -> None:
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidInput("event data holds a non-finite number", field="data")
        if isinstance(value, Mapping):
            for item in value.values():
                finite(item)
        elif isinstance(value, list | tuple):
            for item in value:
                finite(item)

    if not isinstance(data, Mapping):
        raise InvalidInput("event data must be a JSON object", field="data")
    finite(data)


def emit(
    session: Session,
    event: str,
    data: Mapping[str, Any],
    *,
    site_id: int | None,
    report_count: int | None = None,
    now: datetime | None = None,
) -> list[WebhookDelivery]:
    """Queue ``event`` with ``data`` (a JSON object) for every hook of ``site_id`` (and every
    hook of all sites) that wants it, in the caller's transaction; the deliveries made.

    ``report_count`` is the comment's count for ``comment.reported``: a hook gets that event
    when the count equals its threshold, so once per comment. Unknown event: InvalidInput.
    """
    if event not in EVENTS:
        raise InvalidInput(
            f"unknown webhook event {event!r}; expected one of: {', '.join(EVENTS)}", field="event"
        )
    _check_data(data)
    hooks = [h for h in q.active_hooks(session, site_id) if event in h.events]
    if event == COMMENT_REPORTED:
        hooks = [h for h in hooks if report_count == h.report_threshold]
    if not hooks:
        return []
    when = now or utcnow()
    key = q.site_key(session, site_id) if site_id is not None else None
    site = {"id": site_id, "key": key} if site_id is not None else None
    made: list[WebhookDelivery] = []
    for hook in hooks:
        assert hook.id is not None
        uid = str(uuid.uuid4())
        payload = dict(data)
        if event == COMMENT_REPORTED:
            payload["threshold"] = hook.report_threshold
        try:
            body = body_of(uid, event, when, site, payload)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"event data is not JSON: {exc}", field="data") from None
        delivery = WebhookDelivery(
            uid=uid,
            hook_id=hook.id,
            event=event,
            body=body,
            status=DeliveryStatus.PENDING,
            next_attempt_at=when,
            created_at=when,
        )
        session.add(delivery)
        made.append(delivery)
    session.flush()
    return made


# --------------------------------------------------------------------------- the events


def _thread(session: Session, thread_id: int) -> tuple[int | None, dict[str, Any]]:
    ctx = q.thread_context(session, thread_id)
    if ctx is None:
        return None, {"id": thread_id}
    return ctx.site_id, {"id": thread_id, "title": ctx.title, "url": ctx.url}


def _comment(comment: Comment) -> dict[str, Any]:
    # no e-mail address: a receiver (a chat channel, a ticket) is no place for it
    return {
        "id": comment.id,
        "thread_id": comment.thread_id,
        "parent_id": comment.parent_id,
        "status": CommentStatus(comment.status).value,
        "author_name": comment.author_name,
        "posted_at": comment.posted_at,
        "body": comment.body,
        "report_count": comment.report_count,
    }


def comment_held(
    session: Session, comment: Comment, reasons: Iterable[tuple[str, str, list[str]]]
) -> list[WebhookDelivery]:
    """``comment.held`` for a new comment the rules held or flagged; ``reasons`` are
    (rule, outcome, reasons) of every rule that did not simply accept it."""
    if not q.any_active_hook(session):
        return []  # no hook: not even the thread's context is looked up
    site_id, thread = _thread(session, comment.thread_id)
    data = {
        "comment": _comment(comment),
        "thread": thread,
        "rules": [{"rule": r, "outcome": o, "reasons": list(why)} for r, o, why in reasons],
    }
    return emit(session, COMMENT_HELD, data, site_id=site_id)


def comment_reported(session: Session, comment: Comment, reason_code: str) -> list[WebhookDelivery]:
    """``comment.reported`` to the hooks whose threshold the comment's count just reached."""
    if not q.any_active_hook(session):
        return []  # no hook: not even the thread's context is looked up
    site_id, thread = _thread(session, comment.thread_id)
    data = {"comment": _comment(comment), "thread": thread, "last_reason": reason_code}
    return emit(session, COMMENT_REPORTED, data, site_id=site_id, report_count=comment.report_count)


def thread_closed(
    session: Session, thread: Thread, *, actor: str, automatic: bool
) -> list[WebhookDelivery]:
    """``thread.closed``: who closed it (a moderator, an API key, the auto-close rule) and why."""
    if not q.any_active_hook(session):
        return []  # no hook: not even the thread's context is looked up
    assert thread.id is not None
    site_id, info = _thread(session, thread.id)
    info.update(
        {"closed_at": thread.closed_at, "close_reason": thread.close_reason, "closed_by": actor}
    )
    return emit(session, THREAD_CLOSED, {"thread": info, "automatic": automatic}, site_id=site_id)


def campaign_found(
    session: Session, campaign: Mapping[str, Any], *, site_id: int | None
) -> list[WebhookDelivery]:
    """``campaign.found``, for the campaign scan (``threads.moderation.campaigns.notify_campaigns``,
    once per cluster id): ``campaign`` is a JSON object holding ``id``, ``kind`` ("dup",
    "burst" or "alias"), ``comment_ids``, ``thread_ids``, ``evidence`` and a few counts (see
    docs/webhooks.md)."""
    return emit(session, CAMPAIGN_FOUND, {"campaign": dict(campaign)}, site_id=site_id)
