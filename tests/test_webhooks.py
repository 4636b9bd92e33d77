"""Webhooks end to end through the library: events are written to the outbox in the action's
transaction, then delivered, signed, to a real HTTP server on 127.0.0.1; failures are retried
with backoff and every attempt is recorded; SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.api_fixtures import seed_data
from tests.sites import site_id
from tests.webhook_receiver import receiver, refused_url
from threads.config import Settings
from threads.db import session_scope
from threads.db.types import utcnow
from threads.errors import Conflict, InvalidInput, NotFound
from threads.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from threads.moderation.audit import Actor
from threads.moderation.reports import report_comment
from threads.moderation.submission import Submission, submit_comment
from threads.moderation.threads import close_stale, close_thread
from threads.webhooks import campaign_found
from threads.webhooks.delivery import backoff, deliver_due
from threads.webhooks.service import add_hook, get_delivery, remove_hook, retry_delivery
from threads.webhooks.signing import verify

MOD = Actor.user("mod")
SECRET = "test-server-secret"


@pytest.fixture
def hook_settings(db_url: str) -> Settings:
    return Settings(
        database_url=db_url,
        webhook_secret=SECRET,
        webhook_max_attempts=3,
        webhook_backoff_seconds=10,
        webhook_timeout_seconds=5,
    )


def _add(engine: Engine, settings: Settings, url: str, **kw: Any) -> tuple[int, str]:
    with session_scope(engine) as session:
        created = add_hook(session, url, settings=settings, actor=Actor.user("test"), **kw)
    return created.info.id, created.secret


def _deliveries(engine: Engine) -> list[WebhookDelivery]:
    with session_scope(engine) as session:
        rows = session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id))
        return list(rows)


def _attempts(engine: Engine, delivery_id: int) -> list[WebhookAttempt]:
    with session_scope(engine) as session:
        rows = session.scalars(
            sa.select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.id)
        )
        return list(rows)


def test_held_comment_is_posted_signed_and_the_receiver_verifies_it(
    engine: Engine, hook_settings: Settings
) -> None:
    seed = seed_data(engine)
    with receiver() as rec:
        hook_id, secret = _add(engine, hook_settings, rec.url, events=["comment.held"])
        with session_scope(engine) as session:
            result = submit_comment(
                session,
                seed.thread_id,
                Submission(author_name="newcomer", body="A first comment on gold reserves"),
                settings=hook_settings,
            )
        assert result.status.value == "pending"  # first-time authors are held by default
        run = deliver_due(engine, hook_settings)
        assert (run.delivered, run.retrying, run.failed) == (1, 0, 0)
        [got] = rec.received
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert verify(
        secret,
        got.body,
        headers["x-threads-timestamp"],
        headers["x-threads-signature"],
        now=time.time(),
    )
    # one changed byte, or another hook's secret, and the signature no longer holds
    assert not verify(
        secret,
        got.body + b" ",
        headers["x-threads-timestamp"],
        headers["x-threads-signature"],
        now=time.time(),
    )
    assert not verify(
        secret,
        got.body,
        headers["x-threads-timestamp"],
        headers["x-threads-signature"],
        now=time.time() + 3600,  # a replay an hour later
    )
    body = json.loads(got.body)
    assert headers["x-threads-event"] == body["event"] == "comment.held"
    assert headers["content-type"].startswith("application/json")
    [delivery] = _deliveries(engine)
    assert headers["x-threads-delivery"] == body["id"] == delivery.uid
    assert got.body == delivery.body.encode("utf-8")  # the stored bytes are the bytes sent
    assert body["site"]["key"] == "example.org"
    assert body["data"]["comment"]["id"] == result.comment.id
    assert body["data"]["comment"]["status"] == "pending"
    assert "author_email" not in body["data"]["comment"]
    assert body["data"]["thread"]["title"] == "Gold and the P5+1"
    assert any(r["outcome"] == "hold" for r in body["data"]["rules"])
    assert delivery.hook_id == hook_id and delivery.status == DeliveryStatus.DELIVERED
    [attempt] = _attempts(engine, delivery.id or 0)
    assert attempt.ok and attempt.status_code == 200 and attempt.error is None
    assert attempt.duration_ms >= 0


def test_failed_attempts_are_retried_with_backoff_until_one_succeeds(
    engine: Engine, hook_settings: Settings
) -> None:
    seed = seed_data(engine)
    with receiver() as rec:
        rec.answers = [500, 503]
        _add(engine, hook_settings, rec.url, events=["thread.closed"])
        with session_scope(engine) as session:
            close_thread(session, seed.thread_id, actor=MOD, reason="enough")
        t0 = utcnow()
        first = deliver_due(engine, hook_settings, now=t0)
        assert (first.delivered, first.retrying) == (0, 1)
        [delivery] = _deliveries(engine)
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
        assert delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
        assert delivery.next_attempt_at is not None
        wait = delivery.next_attempt_at - t0
        assert timedelta(seconds=5) <= wait <= timedelta(seconds=10)  # 10 s, jittered down
        # not due yet: nothing is sent
        assert deliver_due(engine, hook_settings, now=t0 + timedelta(seconds=1)).attempted == 0
        t1 = t0 + timedelta(seconds=11)
        assert deliver_due(engine, hook_settings, now=t1).retrying == 1
        [delivery] = _deliveries(engine)
        assert delivery.next_attempt_at is not None
        assert timedelta(seconds=10) <= delivery.next_attempt_at - t1 <= timedelta(seconds=20)
        t2 = t1 + timedelta(seconds=21)
        assert deliver_due(engine, hook_settings, now=t2).delivered == 1
        assert len(rec.received) == 3
    # the same delivery (id and body) every time; a fresh timestamp and signature each time
    assert len({r.headers["X-Threads-Delivery"] for r in rec.received}) == 1
    assert len({r.body for r in rec.received}) == 1
    [delivery] = _deliveries(engine)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 3
    attempts = _attempts(engine, delivery.id or 0)
    assert [a.status_code for a in attempts] == [500, 503, 200]
    assert [a.ok for a in attempts] == [False, False, True]
    body = json.loads(delivery.body)
    assert body["data"]["thread"]["close_reason"] == "enough"
    assert body["data"]["thread"]["closed_by"] == "mod" and body["data"]["automatic"] is False


def test_a_refused_connection_is_retried_then_recorded_as_failed_and_can_be_retried(
    engine: Engine, hook_settings: Settings
) -> None:
    seed = seed_data(engine)
    _add(engine, hook_settings, refused_url(), events=["thread.closed"])
    with session_scope(engine) as session:
        close_thread(session, seed.thread_id, actor=MOD, reason="enough")
    when = utcnow()
    for _ in range(3):  # webhook_max_attempts
        run = deliver_due(engine, hook_settings, now=when)
        assert run.attempted == 1
        when += timedelta(hours=1)
    assert run.failed == 1
    [delivery] = _deliveries(engine)
    assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None
    assert delivery.finished_at is not None
    attempts = _attempts(engine, delivery.id or 0)
    assert len(attempts) == 3
    assert all(a.status_code is None and "ConnectError" in (a.error or "") for a in attempts)
    assert deliver_due(engine, hook_settings, now=when).attempted == 0  # failed: left alone
    with session_scope(engine) as session:
        again = retry_delivery(session, delivery.uid)
    assert again.status == DeliveryStatus.PENDING and again.attempts == 0
    with session_scope(engine) as session, pytest.raises(Conflict) as raised:
        retry_delivery(session, delivery.uid)
    assert raised.value.code == "not_retryable"
    assert deliver_due(engine, hook_settings, now=when).retrying == 1
    with session_scope(engine) as session:
        assert len(get_delivery(session, delivery.uid).attempts) == 4  # the record is kept


def test_a_delivery_is_found_by_the_start_of_its_id(
    engine: Engine, hook_settings: Settings
) -> None:
    seed = seed_data(engine)
    _add(engine, hook_settings, "http://127.0.0.1:9/a")
    _add(engine, hook_settings, "http://127.0.0.1:9/b")
    with session_scope(engine) as session:
        close_thread(session, seed.thread_id, actor=MOD, reason="done")
    first, second = _deliveries(engine)
    with session_scope(engine) as session:
        assert get_delivery(session, first.uid[:8]).delivery.id == first.id
        assert get_delivery(session, second.uid.upper()).delivery.id == second.id
        with pytest.raises(NotFound):
            get_delivery(session, first.uid[:7])  # too short to be taken as a prefix
        with pytest.raises(NotFound):
            get_delivery(session, "%%%%%%%%")  # LIKE wildcards are literal


def test_backoff_doubles_up_to_the_maximum_with_jitter(hook_settings: Settings) -> None:
    settings = hook_settings.with_(webhook_backoff_seconds=10, webhook_backoff_max_seconds=60)
    for attempts, full in [(1, 10), (2, 20), (3, 40), (4, 60), (9, 60)]:
        delays = [backoff(settings, attempts) for _ in range(50)]
        assert all(full / 2 <= d <= full for d in delays)
        assert len(set(delays)) > 1  # jittered


def test_report_fires_once_when_the_count_reaches_each_hooks_threshold(
    engine: Engine, hook_settings: Settings
) -> None:
    seed = seed_data(engine)
    one, _ = _add(engine, hook_settings, "http://127.0.0.1:9/a", report_threshold=1)
    two, _ = _add(engine, hook_settings, "http://127.0.0.1:9/b", report_threshold=2)
    _add(engine, hook_settings, "http://127.0.0.1:9/c", events=["thread.closed"])
    comment_id = seed.by_status["approved"]
    for n in range(4):
        with session_scope(engine) as session:
            report_comment(session, comment_id, "spam", reporter=f"10.0.0.{n}")
    rows = _deliveries(engine)
    assert [(r.hook_id, r.event) for r in rows] == [
        (one, "comment.reported"),
        (two, "comment.reported"),
    ]
    bodies = [json.loads(r.body)["data"] for r in rows]
    assert [b["comment"]["report_count"] for b in bodies] == [1, 2]
    assert [b["threshold"] for b in bodies] == [1, 2]


def test_hooks_hear_only_their_site_and_removed_hooks_nothing(
    engine: Engine, hook_settings: Settings
) -> None:
    seed = seed_data(engine)
    with session_scope(engine) as session:
        site_id(session, "other.example")
    mine, _ = _add(engine, hook_settings, "http://127.0.0.1:9/mine", site="example.org")
    _add(engine, hook_settings, "http://127.0.0.1:9/other", site="other.example")
    everyone, _ = _add(engine, hook_settings, "http://127.0.0.1:9/all")
    gone, _ = _add(engine, hook_settings, "http://127.0.0.1:9/gone")
    with session_scope(engine) as session:
        remove_hook(session, gone, actor=MOD)
        close_thread(session, seed.thread_id, actor=MOD, reason="done")
    assert sorted(r.hook_id for r in _deliveries(engine)) == [mine, everyone]


def test_auto_close_sends_thread_closed_marked_automatic(
    engine: Engine, hook_settings: Settings
) -> None:
    seed = seed_data(engine)
    _add(engine, hook_settings, "http://127.0.0.1:9/hook", events=["thread.closed"])
    policy = hook_settings.with_(auto_close_days=1)
    with session_scope(engine) as session:
        assert close_stale(session, policy, actor=MOD) == [seed.thread_id]
    [delivery] = _deliveries(engine)
    data = json.loads(delivery.body)["data"]
    assert data["automatic"] is True and data["thread"]["id"] == seed.thread_id
    assert data["thread"]["closed_by"].startswith("rule:auto-close@")


def test_an_action_rolled_back_sends_nothing(engine: Engine, hook_settings: Settings) -> None:
    seed = seed_data(engine)
    _add(engine, hook_settings, "http://127.0.0.1:9/hook")
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        close_thread(session, seed.thread_id, actor=MOD, reason="done")
        raise RuntimeError("the action fails after the event was queued")
    assert _deliveries(engine) == []


def test_removing_a_hook_cancels_its_pending_deliveries(
    engine: Engine, hook_settings: Settings
) -> None:
    seed = seed_data(engine)
    with receiver() as rec:
        hook_id, _ = _add(engine, hook_settings, rec.url)
        with session_scope(engine) as session:
            close_thread(session, seed.thread_id, actor=MOD, reason="done")
            remove_hook(session, hook_id, actor=MOD)
        assert deliver_due(engine, hook_settings).attempted == 0
        assert rec.received == []
    [delivery] = _deliveries(engine)
    assert delivery.status == DeliveryStatus.CANCELLED


def test_campaign_found_is_an_entry_point_for_the_detector(
    engine: Engine, hook_settings: Settings
) -> None:
    seed_data(engine)
    with receiver() as rec:
        _add(engine, hook_settings, rec.url, events=["campaign.found"])
        campaign = {
            "id": "c-1",
            "kind": "near_duplicate",
            "comment_ids": [1, 2, 3],
            "thread_ids": [1],
            "evidence": {"similarity": 0.92},
        }
        with session_scope(engine) as session:
            campaign_found(session, campaign, site_id=site_id(session))
            with pytest.raises(InvalidInput):
                campaign_found(session, {"id": float("nan")}, site_id=None)
        assert deliver_due(engine, hook_settings).delivered == 1
        body = json.loads(rec.received[0].body)
    assert body["event"] == "campaign.found" and body["data"]["campaign"] == campaign


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.org/hook",
        "gopher://example.org/",
        "http://",
        "https://user:pw@example.org/hook",
        "http://example.org/a b",
        "example.org/hook",
        "http://example.org:99999/",
    ],
)
def test_only_http_urls_with_a_host_are_accepted(
    engine: Engine, hook_settings: Settings, url: str
) -> None:
    with session_scope(engine) as session, pytest.raises(InvalidInput) as raised:
        add_hook(session, url, settings=hook_settings, actor=Actor.user("test"))
    assert raised.value.field == "url"


def test_unknown_events_and_a_missing_server_secret_are_refused(
    engine: Engine, hook_settings: Settings
) -> None:
    with session_scope(engine) as session, pytest.raises(InvalidInput) as raised:
        add_hook(
            session, "http://x.test/", settings=hook_settings, actor=Actor.user("t"), events=["x"]
        )
    assert raised.value.field == "events"
    without = hook_settings.with_(webhook_secret=None)
    with session_scope(engine) as session, pytest.raises(InvalidInput) as raised:
        add_hook(session, "http://x.test/", settings=without, actor=Actor.user("t"))
    assert raised.value.code == "webhook_secret_missing"


def test_a_changed_server_secret_is_noticed_and_nothing_is_sent(
    engine: Engine, hook_settings: Settings
) -> None:
    seed = seed_data(engine)
    with receiver() as rec:
        _add(engine, hook_settings, rec.url)
        with session_scope(engine) as session:
            close_thread(session, seed.thread_id, actor=MOD, reason="done")
        changed = hook_settings.with_(webhook_secret="another-secret")
        assert deliver_due(engine, changed).retrying == 1
        assert rec.received == []
    [delivery] = _deliveries(engine)
    assert "THREADS_WEBHOOK_SECRET differs" in (delivery.last_error or "")
    assert SECRET not in (delivery.last_error or "")


def test_the_database_never_holds_a_hooks_secret(engine: Engine, hook_settings: Settings) -> None:
    _, secret = _add(engine, hook_settings, "http://127.0.0.1:9/hook")
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM webhook"))]
    flat = " ".join(str(v) for v in rows[0])
    assert secret not in flat and secret.removeprefix("whsec_") not in flat
    assert SECRET not in flat
