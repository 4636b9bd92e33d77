"""The whole audit log over HTTP and in the terminal: newest first, filtered by actor, action,
time and site, in cursor pages; `threads audit --json` answers what `GET /api/audit` does."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import TestClient
from typer.testing import CliRunner

from cli.app import app
from tests.api_fixtures import Keys, Seed, assert_problem, client, keys, seed  # noqa: F401

runner = CliRunner()


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _act(client: TestClient[Any], keys: Keys, seed: Seed) -> None:
    """Four moderator actions and a close, in this order."""
    moderator = Keys.header(keys.moderator)
    pending, approved = seed.by_status["pending"], seed.by_status["approved"]
    for comment, action, reason in [
        (pending, "approve", None),
        (approved, "reject", "off topic"),
        (pending, "spam", None),
        (approved, "approve", "second look"),
    ]:
        body = {"action": action} | ({"reason": reason} if reason else {})
        _ok(client.post(f"/api/comments/{comment}/actions", json=body, headers=moderator))
    _ok(
        client.post(
            f"/api/threads/{seed.thread_id}/close", json={"reason": "heated"}, headers=moderator
        )
    )


def test_the_audit_log_lists_every_event_newest_first_in_pages(
    client: TestClient[Any], keys: Keys, seed: Seed
) -> None:
    _act(client, keys, seed)
    viewer = Keys.header(keys.viewer)
    whole = _ok(client.get("/api/audit", headers=viewer))
    ids = [e["id"] for e in whole["items"]]
    assert ids == sorted(ids, reverse=True) and whole["total"] == len(ids)
    assert whole["items"][0]["action"] == "close"
    # walking the pages sees each event once, in the same order
    walked: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = _ok(client.get("/api/audit", params=params, headers=viewer))
        assert len(page["items"]) <= 2 and page["total"] == whole["total"]
        walked += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == ids
    # a cursor of another listing is refused
    other = _ok(client.get(f"/api/threads/{seed.thread_id}/history?limit=1", headers=viewer))
    refused = client.get("/api/audit", params={"cursor": other["next_cursor"]}, headers=viewer)
    assert_problem(refused, 422, "invalid_input")


def test_the_audit_log_filters_by_actor_action_time_and_site(
    client: TestClient[Any], keys: Keys, seed: Seed
) -> None:
    _act(client, keys, seed)
    viewer = Keys.header(keys.viewer)

    def listed(**params: Any) -> list[tuple[str, str]]:
        page = _ok(client.get("/api/audit", params=params, headers=viewer))
        assert page["total"] == len(page["items"])
        return [(e["action"], e["actor"]) for e in page["items"]]

    by_moderator = listed(actor="key:moderator-key")
    assert [a for a, _ in by_moderator] == ["close", "approve", "spam", "reject", "approve"]
    assert listed(action="reject") == [("reject", "key:moderator-key")]
    assert (
        listed(actor="key:moderator-key", action="approve")
        == [("approve", "key:moderator-key")] * 2
    )
    assert listed(actor="nobody") == []
    now = datetime.now(UTC)
    assert len(listed(actor="key:moderator-key", since=(now - timedelta(hours=1)).isoformat())) == 5
    assert listed(until=(now - timedelta(days=1)).isoformat()) == []
    assert [a for a, _ in listed(site="EXAMPLE.ORG")] == [a for a, _ in by_moderator]
    unknown = client.get("/api/audit", params={"site": "nowhere.example"}, headers=viewer)
    assert "example.org" in assert_problem(unknown, 404)["detail"]
    backwards = client.get(
        "/api/audit",
        params={"since": now.isoformat(), "until": (now - timedelta(hours=1)).isoformat()},
        headers=viewer,
    )
    assert assert_problem(backwards, 422, "invalid_input")["field"] == "since"


def test_the_audit_log_needs_a_key(client: TestClient[Any], keys: Keys) -> None:
    assert_problem(client.get("/api/audit"), 401)


def test_audit_json_is_the_api_audit(
    client: TestClient[Any], keys: Keys, seed: Seed, db_url: str
) -> None:
    _act(client, keys, seed)
    env = {"THREADS_DATABASE_URL": db_url}
    viewer = Keys.header(keys.viewer)

    def cli(*args: str) -> Any:
        result = runner.invoke(app, ["audit", "--json", *args], env=env)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    today = datetime.now(UTC).date().isoformat()
    moderator = "key:moderator-key"
    cases: list[tuple[list[str], dict[str, Any]]] = [
        ([], {}),
        (["--actor", moderator, "--limit", "2"], {"actor": moderator, "limit": 2}),
        (
            ["--action", "approve", "--site", "example.org"],
            {"action": "approve", "site": "example.org"},
        ),
        (["--since", today], {"since": f"{today}T00:00:00+00:00"}),
    ]
    for args, params in cases:
        printed = cli(*args)
        assert printed == _ok(client.get("/api/audit", params=params, headers=viewer)), args
        assert printed["items"], args
    first = cli("--limit", "3")
    rest = cli("--cursor", first["next_cursor"])
    api = _ok(client.get("/api/audit", params={"cursor": first["next_cursor"]}, headers=viewer))
    assert rest == api and rest["items"][0]["id"] < first["items"][-1]["id"]


def test_audit_table_and_its_errors(
    client: TestClient[Any], keys: Keys, seed: Seed, db_url: str
) -> None:
    _act(client, keys, seed)
    env = {"THREADS_DATABASE_URL": db_url, "COLUMNS": "200"}
    shown = runner.invoke(app, ["audit", "--action", "reject"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "1 matching" in shown.stdout and "off topic" in shown.stdout
    bad = runner.invoke(app, ["audit", "--since", "yesterday"], env=env)
    assert bad.exit_code == 1 and "--since" in bad.output
    unknown = runner.invoke(app, ["audit", "--site", "nowhere.example"], env=env)
    assert unknown.exit_code == 1 and "nowhere.example" in unknown.output
