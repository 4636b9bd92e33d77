"""Delivering the outbox: each due delivery is claimed, POSTed once, and its attempt recorded.

Runs after the actions' commits, never inside them: in ``threads serve`` as a background task
(:mod:`threads.api.webhooks_worker`), or once per ``threads hooks deliver`` (cron). Only the
hooks' URLs are contacted; every request has a timeout; redirects are not followed (a 3xx is a
failed attempt), and no proxy or .netrc from the environment is used.

A failed attempt is retried after ``backoff`` seconds: the first delay is
``webhook_backoff_seconds``, each next one doubles up to ``webhook_backoff_max_seconds``, and
each is drawn between half of it and all of it (jitter), so that many deliveries failing
together do not come back together. After ``webhook_max_attempts`` the delivery is ``failed``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.engine import Engine

from threads.config import Settings
from threads.db import session_scope
from threads.db.queries import webhooks as q
from threads.db.types import utcnow
from threads.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from threads.webhooks.service import server_secret
from threads.webhooks.signing import derive_secret, secret_check, signature

log = logging.getLogger("threads.webhooks")

USER_AGENT = "threads-webhooks/1"
#: how much longer than the request timeout a claim lasts (a worker that dies mid-attempt
#: leaves the delivery due again after it)
LEASE_MARGIN = timedelta(seconds=60)
MAX_ERROR_CHARS = 500


@dataclass
class DeliveryRun:
    """What one pass over the outbox did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.failed


def backoff(settings: Settings, attempts: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt (exponential, with jitter)."""
    full = min(
        settings.webhook_backoff_max_seconds,
        settings.webhook_backoff_seconds * 2 ** max(attempts - 1, 0),
    )
    return full / 2 + (rng or random).uniform(0, full / 2)


@dataclass(frozen=True)
class _Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _one_line(text: str) -> str:
    return " ".join(text.split())[:MAX_ERROR_CHARS]


def _post(client: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> _Outcome:
    started = time.monotonic()
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        duration = int((time.monotonic() - started) * 1000)
        reason = str(exc) or type(exc).__name__
        return _Outcome(None, _one_line(f"{type(exc).__name__}: {reason}"), duration)
    duration = int((time.monotonic() - started) * 1000)
    code = response.status_code
    error = None if 200 <= code < 300 else f"HTTP {code}"
    if 300 <= code < 400:
        error = f"HTTP {code}: redirects are not followed"
    return _Outcome(code, error, duration)


def _attempt(
    engine: Engine,
    settings: Settings,
    client: httpx.Client,
    delivery_id: int,
    now: datetime,
    run: DeliveryRun,
) -> None:
    lease = now + timedelta(seconds=settings.webhook_timeout_seconds) + LEASE_MARGIN
    with session_scope(engine) as session:
        if not q.claim_delivery(session, delivery_id, now, lease):
            return  # another worker has it, or it was cancelled meanwhile
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        hook = q.get_hook(session, delivery.hook_id)
        assert hook is not None
    if hook.removed_at is not None:
        with session_scope(engine) as session:
            q.update_delivery(
                session,
                delivery_id,
                {"status": DeliveryStatus.CANCELLED, "next_attempt_at": None, "finished_at": now},
            )
        return
    secret = derive_secret(server_secret(settings), hook.secret_salt)
    body = delivery.body.encode("utf-8")
    if secret_check(secret) != hook.secret_check:
        outcome = _Outcome(
            None,
            "not sent: THREADS_WEBHOOK_SECRET differs from the one this hook's secret was made "
            "with (set it back, or remove the hook and add it again)",
            0,
        )
    else:
        stamp = int(time.time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-Threads-Event": delivery.event,
            "X-Threads-Delivery": delivery.uid,
            "X-Threads-Timestamp": str(stamp),
            "X-Threads-Signature": signature(secret, stamp, body),
        }
        outcome = _post(client, hook.url, body, headers)
    _record(engine, settings, delivery, outcome, started=now, run=run)


def _record(
    engine: Engine,
    settings: Settings,
    delivery: WebhookDelivery,
    outcome: _Outcome,
    *,
    started: datetime,
    run: DeliveryRun,
) -> None:
    assert delivery.id is not None
    attempts = delivery.attempts + 1
    done = max(utcnow(), started)
    values: dict[str, object] = {
        "attempts": attempts,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
    }
    if outcome.ok:
        values.update(status=DeliveryStatus.DELIVERED, next_attempt_at=None, finished_at=done)
        run.delivered += 1
    elif attempts >= settings.webhook_max_attempts:
        values.update(status=DeliveryStatus.FAILED, next_attempt_at=None, finished_at=done)
        run.failed += 1
    else:
        values["next_attempt_at"] = started + timedelta(seconds=backoff(settings, attempts))
        run.retrying += 1
    with session_scope(engine) as session:
        session.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                started_at=started,
                duration_ms=outcome.duration_ms,
                status_code=outcome.status_code,
                error=outcome.error,
                ok=outcome.ok,
            )
        )
        q.update_delivery(session, delivery.id, values)


def deliver_due(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime | None = None,
    limit: int = 100,
    stop: threading.Event | None = None,
) -> DeliveryRun:
    """One attempt for each delivery due at ``now`` (up to ``limit``), one after the other;
    what happened. ``stop`` set: return after the current attempt."""
    when = now or utcnow()
    run = DeliveryRun()
    with session_scope(engine) as session:
        due = q.due_delivery_ids(session, when, limit)
    if not due:
        return run
    server_secret(settings)  # fail before claiming anything
    timeout = httpx.Timeout(settings.webhook_timeout_seconds)
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for delivery_id in due:
            if stop is not None and stop.is_set():
                break
            moment = now or utcnow()
            _attempt(engine, settings, client, delivery_id, moment, run)
    return run
