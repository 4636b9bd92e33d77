"""Every error path answers RFC 9457 problem details: type, title, status, detail, code."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import get
from litestar.testing import TestClient
from sqlalchemy.engine import Connection

from tests.api_fixtures import Keys, Seed, assert_problem, client, keys, seed  # noqa: F401
from threads.api import create_app
from threads.api.body import MAX_JSON_DEPTH, json_depth_within
from threads.config import Settings
from threads.db.types import UTCDateTime

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
    (
        "unknown thread's history",
        lambda c, k, s: c.get("/api/threads/999999/history", headers=k.header(k.viewer)),
        404,
        "not_found",
        None,
    ),
    (
        "history page too long",
        lambda c, k, s: c.get(
            f"/api/threads/{s.thread_id}/history?limit=501", headers=k.header(k.viewer)
        ),
        400,
        "invalid_request",
        "limit",
    ),
    (
        "a comment history's cursor on a thread's history",
        lambda c, k, s: c.get(
            f"/api/threads/{s.thread_id}/history?cursor={forged('hc', 1)}",
            headers=k.header(k.viewer),
        ),
        422,
        "invalid_input",
        "cursor",
    ),
    (
        "cursor with a huge integer on a comment's history",
        lambda c, k, s: c.get(
            f"/api/comments/{s.by_status['pending']}/history?cursor={forged('hc', 2**63)}",
            headers=k.header(k.viewer),
        ),
        422,
        "invalid_input",
        "cursor",
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
        "NUL byte in the queue's text filter",
        lambda c, k, s: c.get("/api/queue?text=a%00b", headers=k.header(k.viewer)),
        422,
        "invalid_input",
        "text",
    ),
    (
        "NUL byte in the queue's author filter",
        lambda c, k, s: c.get("/api/queue?author=a%00b", headers=k.header(k.viewer)),
        422,
        "invalid_input",
        "author",
    ),
    (
        "NUL byte in the queue's topic filter",
        lambda c, k, s: c.get("/api/queue?topic=a%00b", headers=k.header(k.viewer)),
        422,
        "invalid_input",
        "topic",
    ),
    (
        "cursor past 32 bits on the thread list (PostgreSQL's integer)",
        lambda c, k, s: c.get(f"/api/threads?cursor={forged('t', 2**31)}"),
        422,
        "invalid_input",
        "cursor",
    ),
    (
        "cursor past 32 bits on a thread's tree roots",
        lambda c, k, s: c.get(
            f"/api/threads/{s.thread_id}/comments?cursor={forged('r', 2**31, 1)}"
        ),
        422,
        "invalid_input",
        "cursor",
    ),
    (
        "NUL byte in the thread list's site filter",
        lambda c, k, s: c.get("/api/threads?site=a%00b"),
        422,
        "invalid_input",
        "site",
    ),
    (
        "NUL byte in the queue's site filter",
        lambda c, k, s: c.get("/api/queue?site=a%00b", headers=k.header(k.viewer)),
        422,
        "invalid_input",
        "site",
    ),
    (
        "NUL byte in the codebook of a thread's comments",
        lambda c, k, s: c.get(f"/api/threads/{s.thread_id}/comments?codebook=a%00b"),
        422,
        "invalid_input",
        "codebook",
    ),
    (
        "NUL byte in a submitted body",
        lambda c, k, s: c.post(
            f"/api/threads/{s.thread_id}/comments",
            json={"author_name": "Ann", "body": "a fine\x00 comment"},
        ),
        422,
        "invalid_input",
        "body",
    ),
    (
        "NUL byte in a submitter's name",
        lambda c, k, s: c.post(
            f"/api/threads/{s.thread_id}/comments",
            json={"author_name": "A\x00nn", "body": "a fine comment"},
        ),
        422,
        "invalid_input",
        "author_name",
    ),
    (
        "NUL byte in a reader's report",
        lambda c, k, s: c.post(
            f"/api/comments/{s.by_status['approved']}/reports",
            json={"reason": "spam", "detail": "x\x00y"},
        ),
        422,
        "invalid_input",
        "detail",
    ),
    (
        "NUL byte in a topic label",
        lambda c, k, s: c.post(
            f"/api/comments/{s.by_status['approved']}/labels",
            json={"add": ["go\x00ld"]},
            headers=k.header(k.moderator),
        ),
        422,
        "invalid_input",
        "add",
    ),
    (
        "NUL byte in an action's reason",
        lambda c, k, s: c.post(
            f"/api/comments/{s.by_status['pending']}/actions",
            json={"action": "reject", "reason": "no\x00"},
            headers=k.header(k.moderator),
        ),
        422,
        "invalid_input",
        "reason",
    ),
    (
        "NUL byte in a close reason",
        lambda c, k, s: c.post(
            f"/api/threads/{s.thread_id}/close",
            json={"reason": "enough\x00"},
            headers=k.header(k.moderator),
        ),
        422,
        "invalid_input",
        "reason",
    ),
    (
        "NUL byte in a bulk filter",
        lambda c, k, s: c.post(
            "/api/actions/bulk",
            json={"action": "approve", "filter": {"text": "a\x00"}},
            headers=k.header(k.moderator),
        ),
        422,
        "invalid_input",
        "text",
    ),
    (
        "NUL byte in a key name",
        lambda c, k, s: c.post("/api/keys", json={"name": "k\x00"}, headers=k.header(k.admin)),
        422,
        "invalid_input",
        "name",
    ),
    (
        "queue filter time before year 1 in UTC",
        lambda c, k, s: c.get(
            "/api/queue?since=0001-01-01T00:00:00%2B14:00", headers=k.header(k.viewer)
        ),
        422,
        "invalid_input",
        "since",
    ),
    (
        "queue filter time after year 9999 in UTC",
        lambda c, k, s: c.get(
            "/api/queue?until=9999-12-31T23:59:59-14:00", headers=k.header(k.viewer)
        ),
        422,
        "invalid_input",
        "until",
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


def _select(value: Any) -> Callable[[Connection], Any]:
    return lambda conn: conn.execute(sa.select(value)).scalar()


def _over_long(conn: Connection) -> Any:
    conn.execute(sa.text("CREATE TEMPORARY TABLE short_text (v VARCHAR(2))"))
    return conn.execute(sa.text("INSERT INTO short_text (v) VALUES (:v)"), {"v": "abc"}).rowcount


UTC_PLUS_14 = timezone(timedelta(hours=14))

#: what a request could carry that the database refuses as data, and the backends that refuse it
REFUSED_VALUES: dict[str, tuple[Callable[[Connection], Any], tuple[str, ...]]] = {
    "time before year 1 in UTC": (
        _select(sa.literal(datetime(1, 1, 1, tzinfo=UTC_PLUS_14), UTCDateTime)),
        ("sqlite", "postgresql"),
    ),
    "number out of range": (_select(sa.cast(sa.literal(2**40), sa.Integer)), ("postgresql",)),
    "NUL character": (_select(sa.literal("a\x00b")), ("postgresql",)),
    "over-long text": (_over_long, ("postgresql",)),
}


@pytest.mark.parametrize("value", sorted(REFUSED_VALUES))
def test_a_value_the_database_refuses_is_a_422_not_a_500(
    settings: Settings, backend: str, value: str
) -> None:
    """The backstop behind the checks: input that reaches the database and is refused as data
    answers 422 invalid_input, on both backends, through the one error-mapping table."""
    run, refused_on = REFUSED_VALUES[value]
    app = create_app(settings)

    @get("/test/refused", sync_to_thread=True)
    def refused() -> str:
        with app.state.engine.connect() as conn:
            return str(run(conn))

    app.register(refused)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        response = test_client.get("/test/refused")
    if backend in refused_on:
        body = assert_problem(response, 422, "invalid_input")
        assert "sql" not in body["detail"].lower() and "varchar" not in body["detail"].lower()
    else:
        assert response.status_code == 200, response.text


def _body_routes(client: TestClient[Any], seed: Seed) -> list[tuple[str, str]]:
    """(method, path) of every operation in the OpenAPI document that takes a body."""
    ids = {
        "thread_id": seed.thread_id,
        "comment_id": seed.by_status["pending"],
        "site": "example.org",
        "author": "a0@example.org",
        "campaign": "dup-000000000000",
    }
    routes = []
    for path, item in client.get("/schema/openapi.json").json()["paths"].items():
        for method, operation in item.items():
            if "requestBody" in operation:
                routes.append((method.upper(), path.format(**ids)))
    return routes


@pytest.mark.parametrize(
    "body",
    [
        "[" * 1_000 + "]" * 1_000,  # 2 KB, nested 1,000 levels: the decoder's RecursionError
        '{"a":' * 1_000 + "1" + "}" * 1_000,
        '{"author_name":"x","body":' + "[" * 10_000 + "]" * 10_000 + "}",
        "[" * 33 + "]" * 33,  # one level over the limit
    ],
    ids=["array-1000", "object-1000", "field-10000", "array-33"],
)
def test_a_deeply_nested_json_body_is_a_400_on_every_route(
    client: TestClient[Any], keys: Keys, seed: Seed, body: str
) -> None:
    routes = _body_routes(client, seed)
    assert len(routes) >= 9
    for method, path in routes:
        for headers in ({}, Keys.header(keys.admin)):
            response = client.request(
                method,
                path,
                content=body.encode(),
                headers={**headers, "Content-Type": "application/json"},
            )
            if response.status_code == 401 and not headers:
                continue  # a guarded route refuses before it reads the body
            problem = assert_problem(response, 400, "invalid_request")
            assert "nested more than 32 levels" in problem["detail"], (method, path)


def test_json_nested_up_to_the_limit_is_read() -> None:
    deepest = json.loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    assert json_depth_within(deepest, MAX_JSON_DEPTH)
    assert not json_depth_within([deepest], MAX_JSON_DEPTH)
    assert json_depth_within({"a": [1, {"b": []}]}, 4)
    assert not json_depth_within({"a": [1, {"b": []}]}, 3)
    assert json_depth_within("text", 1) and json_depth_within([], 1)
