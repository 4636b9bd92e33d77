"""/api/hooks (admin) and the delivery worker inside the app: an action answers while a
receiver is still holding the delivery of an earlier one."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import Engine

from tests.api_fixtures import Keys, Seed, assert_problem, keys, seed  # noqa: F401
from tests.serve_process import console_server
from tests.webhook_receiver import HANG_GUARD, receiver
from threads.api import create_app
from threads.config import Settings
from threads.db import session_scope
from threads.webhooks.service import get_delivery, list_deliveries
from threads.webhooks.signing import verify


@pytest.fixture
def hook_settings(db_url: str) -> Settings:
    return Settings(
        database_url=db_url,
        webhook_secret="api-test-secret",
        webhook_poll_seconds=0.05,
        webhook_timeout_seconds=HANG_GUARD,
    )


@pytest.fixture
def client(hook_settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(hook_settings)) as test_client:
        yield test_client


def _wait_until(check: Any) -> None:
    """Poll ``check`` until true (a hang guard, not a measure of speed)."""
    deadline = time.monotonic() + HANG_GUARD
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("gave up waiting")
        time.sleep(0.02)


def _statuses(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        return [str(d.status) for d in reversed(list_deliveries(session).rows)]


def test_admin_adds_lists_and_removes_hooks_and_the_secret_is_shown_once(
    client: TestClient[Any], keys: Keys
) -> None:
    admin = Keys.header(keys.admin)
    created = client.post(
        "/api/hooks",
        json={"url": "https://hooks.example/threads", "events": ["thread.closed"]},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    hook = created.json()["hook"]
    assert secret.startswith("whsec_") and hook["events"] == ["thread.closed"]
    assert hook["site"] is None and hook["report_threshold"] == 3
    assert hook["created_by"] == "key:admin-key"
    listing = client.get("/api/hooks", headers=admin)
    assert listing.status_code == 200 and secret not in listing.text
    assert [h["url"] for h in listing.json()["items"]] == ["https://hooks.example/threads"]
    removed = client.delete(f"/api/hooks/{hook['id']}", headers=admin)
    assert removed.status_code == 200 and removed.json()["removed_at"]
    assert client.get("/api/hooks", headers=admin).json()["items"] == []
    everything = client.get("/api/hooks", params={"include_removed": "true"}, headers=admin)
    assert len(everything.json()["items"]) == 1
    assert_problem(client.delete(f"/api/hooks/{hook['id']}", headers=admin), 409, "hook_removed")
    assert_problem(client.delete("/api/hooks/999", headers=admin), 404, "not_found")


@pytest.mark.parametrize("role", ["viewer", "moderator"])
def test_only_admins_manage_hooks(client: TestClient[Any], keys: Keys, role: str) -> None:
    headers = Keys.header(keys.of(role))
    assert_problem(client.get("/api/hooks", headers=headers), 403)
    refused = client.post("/api/hooks", json={"url": "https://x.example/"}, headers=headers)
    assert_problem(refused, 403)
    assert_problem(client.get("/api/hooks"), 401)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "file:///etc/passwd"}, "url"),
        ({"url": "https://u:p@x.example/"}, "url"),
        ({"url": "https://x.example/", "site": "no-such-site"}, None),
        ({"url": "https://x.example/", "events": ["comment.deleted"]}, None),
        ({"url": "https://x.example/", "report_threshold": 0}, None),
    ],
)
def test_bad_hooks_are_refused_with_a_problem(
    client: TestClient[Any], keys: Keys, body: dict[str, Any], field: str | None
) -> None:
    response = client.post("/api/hooks", json=body, headers=Keys.header(keys.admin))
    assert 400 <= response.status_code < 500
    problem = assert_problem(response, response.status_code)
    if field is not None:
        assert problem["field"] == field


def test_an_action_answers_while_the_receiver_still_holds_an_earlier_delivery(
    client: TestClient[Any], keys: Keys, seed: Seed, engine: Engine
) -> None:
    admin, moderator = Keys.header(keys.admin), Keys.header(keys.moderator)
    with receiver() as rec:
        rec.hold = True  # every request waits until the test releases it
        created = client.post(
            "/api/hooks", json={"url": rec.url, "events": ["thread.closed"]}, headers=admin
        )
        secret = created.json()["secret"]
        thread = f"/api/threads/{seed.thread_id}"
        first = client.post(f"{thread}/close", json={"reason": "first"}, headers=moderator)
        assert first.status_code == 200, first.text
        rec.wait_for(1)  # the worker is now stuck in the receiver, after the action answered
        assert client.post(f"{thread}/reopen", headers=moderator).status_code == 200
        # a second close answers although the receiver still holds the first delivery
        second = client.post(f"{thread}/close", json={"reason": "second"}, headers=moderator)
        assert second.status_code == 200, second.text
        assert not rec.release.is_set()
        assert _statuses(engine) == ["pending", "pending"]
        rec.release.set()
        _wait_until(lambda: _statuses(engine) == ["delivered", "delivered"])
        received = rec.wait_for(2)
    reasons = [json.loads(r.body)["data"]["thread"]["close_reason"] for r in received]
    assert reasons == ["first", "second"]
    for got in received:
        assert verify(
            secret,
            got.body,
            got.headers["X-Threads-Timestamp"],
            got.headers["X-Threads-Signature"],
            now=time.time(),
        )


def test_deliveries_are_listed_shown_and_retried_over_http(
    client: TestClient[Any], keys: Keys, seed: Seed, engine: Engine
) -> None:
    admin, moderator = Keys.header(keys.admin), Keys.header(keys.moderator)
    with receiver() as rec:
        rec.answers = [500]
        created = client.post("/api/hooks", json={"url": rec.url}, headers=admin)
        hook_id = created.json()["hook"]["id"]
        client.post(f"/api/threads/{seed.thread_id}/close", json={"reason": "x"}, headers=moderator)
        _wait_until(lambda: len(rec.received) >= 1)
        _wait_until(
            lambda: (
                client.get("/api/hooks/deliveries", headers=admin).json()["items"][0]["attempts"]
                == 1
            )
        )
    listing = client.get("/api/hooks/deliveries", params={"hook_id": hook_id}, headers=admin)
    [item] = listing.json()["items"]
    assert item["event"] == "thread.closed" and item["status"] == "pending"
    assert item["last_status_code"] == 500
    detail = client.get(f"/api/hooks/deliveries/{item['id']}", headers=admin)
    assert detail.status_code == 200
    assert json.loads(detail.json()["body"])["id"] == item["id"]
    assert [a["status_code"] for a in detail.json()["attempts"]] == [500]
    # still pending (waiting for its retry): not retryable by hand
    retry = client.post(f"/api/hooks/deliveries/{item['id']}/retry", headers=admin)
    assert_problem(retry, 409, "not_retryable")
    assert_problem(client.get("/api/hooks/deliveries/nope", headers=admin), 404)
    bad = client.get("/api/hooks/deliveries", params={"status": "lost"}, headers=admin)
    assert_problem(bad, 400)
    with session_scope(engine) as session:
        assert len(get_delivery(session, item["id"]).attempts) == 1


def test_threads_serve_with_two_workers_delivers_each_event_once(
    db_url: str, engine: Engine, keys: Keys, seed: Seed
) -> None:
    admin, moderator = Keys.header(keys.admin), Keys.header(keys.moderator)
    env = {
        "THREADS_WEBHOOK_SECRET": "serve-test-secret",
        "THREADS_WEBHOOK_POLL_SECONDS": "0.05",
    }
    with receiver() as rec, console_server(db_url, env=env, workers=2) as base:
        created = httpx.post(
            f"{base}/api/hooks", json={"url": rec.url}, headers=admin, timeout=HANG_GUARD
        )
        assert created.status_code == 201, created.text
        thread = f"{base}/api/threads/{seed.thread_id}"
        for step in ("close", "reopen", "close"):
            body = {"reason": "by the test"} if step == "close" else None
            answer = httpx.post(f"{thread}/{step}", json=body, headers=moderator, timeout=30)
            assert answer.status_code == 200, answer.text
        _wait_until(lambda: _statuses(engine) == ["delivered", "delivered"])
        received = rec.wait_for(2)
    ids = [r.headers["X-Threads-Delivery"] for r in received]
    assert len(ids) == 2 and len(set(ids)) == 2  # each delivery sent once by one worker
    secret = created.json()["secret"]
    assert all(
        verify(
            secret,
            r.body,
            r.headers["X-Threads-Timestamp"],
            r.headers["X-Threads-Signature"],
            now=time.time(),
        )
        for r in received
    )
