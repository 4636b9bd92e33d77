"""Every error path answers RFC 9457 problem details: type, title, status, detail, code."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.api_fixtures import Keys, Seed, assert_problem, client, keys, seed  # noqa: F401
from threads.api import create_app
from threads.config import Settings

Call = Callable[[TestClient[Any], Keys, Seed], Any]


def forged(kind: str, *values: object) -> str:
    """A cursor a client made up: the right shape, values no listing ever wrote."""
    return base64.urlsafe_b64encode(json.dumps([kind, *values]).encode()).decode()


#: (name, request, expected status, expected code, expected field or None)
ERROR_CASES: list[tuple[str, Call, int, str, str | None]] = [
    ("unknown route", lambda c, k, s: c.get("/api/nothing-here"), 404, "not_found", None),
    ("unknown thread", lambda c, k, s: c.get("/api/threads/999999"), 404, "not_found", None),
    (
        "unknown comment",
        lambda c, k, s: c.get("/api/comments/999999/history", headers=k.header(k.viewer)),
        404,
        "not_found",
        None,
    ),
    ("wrong method", lambda c, k, s: c.delete("/api/threads"), 405, "method_not_allowed", None),
    (
        "malformed JSON",
        lambda c, k, s: c.post(
            f"/api/threads/{s.thread_id}/comments",
            content=b"{not json",
            headers={"content-type": "application/json"},
        ),
        400,
        "invalid_request",
        None,
    ),
    (
        "wrong type",
        lambda c, k, s: c.post(
            f"/api/threads/{s.thread_id}/comments", json={"author_name": 5, "body": "hello"}
        ),
        400,
        "invalid_request",
        "author_name",
    ),
    (
        "missing field",
        lambda c, k, s: c.post(f"/api/threads/{s.thread_id}/comments", json={"body": "hello"}),
        400,
        "invalid_request",
        "author_name",
    ),
    (
        "unknown action",
        lambda c, k, s: c.post(
            f"/api/comments/{s.by_status['pending']}/actions",
            json={"action": "obliterate"},
            headers=k.header(k.moderator),
        ),
        400,
        "invalid_request",
        "action",
    ),
    (
        "bad query parameter",
        lambda c, k, s: c.get("/api/queue?limit=0", headers=k.header(k.viewer)),
        400,
        "invalid_request",
        "limit",
    ),
    (
        "bad cursor",
        lambda c, k, s: c.get("/api/queue?cursor=garbage", headers=k.header(k.viewer)),
        422,
        "invalid_input",
        "cursor",
    ),
    (
        "cursor with a huge integer on the thread list",
        lambda c, k, s: c.get(f"/api/threads?cursor={forged('t', 2**63)}"),
        422,
        "invalid_input",
        "cursor",
    ),
    (
        "cursor with a huge integer on a thread's comments",
        lambda c, k, s: c.get(
            f"/api/threads/{s.thread_id}/comments?view=flat&cursor={forged('f', 2**63, 1)}"
        ),
        422,
        "invalid_input",
        "cursor",
    ),
    (
        "cursor with a huge integer on tree roots",
        lambda c, k, s: c.get(f"/api/threads/{s.thread_id}/comments?cursor={forged('r', 1, -1)}"),
        422,
        "invalid_input",
        "cursor",
    ),
    (
        "cursor with a huge integer on the queue",
        lambda c, k, s: c.get(
            f"/api/queue?sort=most_reported&cursor={forged('most_reported', 2**63, 1)}",
            headers=k.header(k.viewer),
        ),
        422,
        "invalid_input",
        "cursor",
    ),
    (
        "deeply nested cursor on the thread list",
        lambda c, k, s: c.get(
            "/api/threads?cursor=" + base64.urlsafe_b64encode(b"[" * 5000).decode()
        ),
        422,
        "invalid_input",
        "cursor",
    ),
    (
        "reject without a reason",
        lambda c, k, s: c.post(
            f"/api/comments/{s.by_status['pending']}/actions",
            json={"action": "reject"},
            headers=k.header(k.moderator),
        ),
        422,
        "invalid_input",
        "reason",
    ),
    (
        "invalid e-mail",
        lambda c, k, s: c.post(
            f"/api/threads/{s.thread_id}/comments",
            json={"author_name": "Ann", "body": "a fine comment", "author_email": "nope"},
        ),
        422,
        "invalid_input",
        "author_email",
    ),
    (
        "action not allowed",
        lambda c, k, s: c.post(
            f"/api/comments/{s.by_status['approved']}/actions",
            json={"action": "approve"},
            headers=k.header(k.moderator),
        ),
        409,
        "action_not_allowed",
        None,
    ),
    (
        "stale version",
        lambda c, k, s: c.post(
            f"/api/comments/{s.by_status['pending']}/actions",
            json={"action": "approve", "expected_version": 7},
            headers=k.header(k.moderator),
        ),
        409,
        "version_conflict",
        None,
    ),
    (
        "closed thread",
        lambda c, k, s: c.post(
            f"/api/threads/{s.closed_thread_id}/comments",
            json={"author_name": "Ann", "body": "too late"},
        ),
        409,
        "thread_closed",
        None,
    ),
    ("no key", lambda c, k, s: c.get("/api/queue"), 401, "missing_key", None),
    (
        "wrong role",
        lambda c, k, s: c.get("/api/keys", headers=k.header(k.moderator)),
        403,
        "forbidden",
        None,
    ),
    (
        "body too large",
        lambda c, k, s: c.post(
            f"/api/threads/{s.thread_id}/comments",
            json={"author_name": "Ann", "body": "x" * 70_000},
        ),
        413,
        "request_too_large",
        None,
    ),
    (
        "duplicate key name",
        lambda c, k, s: c.post("/api/keys", json={"name": "viewer-key"}, headers=k.header(k.admin)),
        409,
        "key_exists",
        None,
    ),
]


@pytest.mark.parametrize(
    ("request_", "status", "code", "field"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_error_path_answers_problem_details(
    client: TestClient[Any],
    keys: Keys,
    seed: Seed,
    request_: Call,
    status: int,
    code: str,
    field: str | None,
) -> None:
    body = assert_problem(request_(client, keys, seed), status, code)
    if field is not None:
        assert body["field"] == field, body
    assert "Traceback" not in body["detail"]


def test_version_conflict_names_the_current_version(
    client: TestClient[Any], keys: Keys, seed: Seed
) -> None:
    response = client.post(
        f"/api/comments/{seed.by_status['pending']}/actions",
        json={"action": "approve", "expected_version": 5},
        headers=Keys.header(keys.moderator),
    )
    assert assert_problem(response, 409, "version_conflict")["current_version"] == 1


def test_method_not_allowed_lists_the_allowed_methods(client: TestClient[Any]) -> None:
    response = client.delete("/api/threads")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_unexpected_failure_is_a_500_problem_without_internals(
    tmp_path: Path, backend: str
) -> None:
    path = tmp_path / "gone.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}"))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        path.unlink()  # the database vanishes under the running app
        for suffix in ("-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        app.state.engine.dispose()
        response = test_client.get("/api/threads")
    body = assert_problem(response, 500, "internal_error")
    text = response.text.lower()
    for leak in ("sqlite", "select", "traceback", "operationalerror", str(tmp_path).lower()):
        assert leak not in text
    assert body["detail"] == "the server could not handle this request"
