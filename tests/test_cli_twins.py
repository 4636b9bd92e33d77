"""A list command's ``--json`` and its API twin give the same JSON: the same schema classes
(threads.schemas), the same keys, the same time strings, the same cursors."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

import json
from typing import Any

from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.api_fixtures import Keys, Seed, client, keys, plant_aliases, seed  # noqa: F401

runner = CliRunner()


def _cli_json(db_url: str, *args: str) -> Any:
    result = runner.invoke(app, list(args), env={"THREADS_DATABASE_URL": db_url, "USER": "mia"})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _api_json(client: TestClient[Any], path: str, keys: Keys, **params: Any) -> Any:
    response = client.get(path, params=params, headers=Keys.header(keys.viewer))
    assert response.status_code == 200, response.text
    return response.json()


def test_queue_json_is_the_api_queue(
    client: TestClient[Any], keys: Keys, seed: Seed, db_url: str
) -> None:
    cases: list[tuple[list[str], dict[str, Any]]] = [
        ([], {}),
        (["--status", "all", "--limit", "3"], {"status": [s for s in _STATUSES], "limit": 3}),
        (
            ["--status", "approved", "--thread", str(seed.thread_id), "--sort", "newest"],
            {"status": "approved", "thread_id": seed.thread_id, "sort": "newest"},
        ),
        (["--status", "approved", "--topic", "gold"], {"status": "approved", "topic": "gold"}),
    ]
    for args, params in cases:
        cli = _cli_json(db_url, "queue", "--json", *args)
        api = _api_json(client, "/api/queue", keys, **params)
        assert cli == api, args
        assert cli["items"], f"{args}: the case should list something"
        # the same keys, down to the nested comment, and the same time text
        assert list(cli["items"][0]) == ["comment", "article_id", "article_title"]
        times = [item["comment"]["posted_at"] for item in cli["items"]]
        assert times == [item["comment"]["posted_at"] for item in api["items"]]
        assert all(t.endswith("Z") for t in times), times

    # a cursor of one is a cursor of the other
    first = _cli_json(db_url, "queue", "--json", "--status", "all", "--limit", "2")
    after_api = _api_json(
        client, "/api/queue", keys, status=_STATUSES, limit=2, cursor=first["next_cursor"]
    )
    after_cli = _cli_json(
        db_url,
        "queue",
        "--json",
        "--status",
        "all",
        "--limit",
        "2",
        "--cursor",
        first["next_cursor"],
    )
    assert after_cli == after_api and after_cli["items"]


_STATUSES = ["pending", "approved", "flagged", "rejected", "spam", "deleted"]


def test_history_json_is_the_api_history(
    client: TestClient[Any], keys: Keys, seed: Seed, db_url: str
) -> None:
    comment, thread = seed.by_status["pending"], seed.thread_id
    moderator = Keys.header(keys.moderator)
    for action in ("approve", "flag"):
        client.post(f"/api/comments/{comment}/actions", json={"action": action}, headers=moderator)
    result = runner.invoke(
        app,
        ["close", str(thread), "--reason", "from the terminal", "--by", "mia"],
        env={"THREADS_DATABASE_URL": db_url},
    )
    assert result.exit_code == 0, result.output

    cli = _cli_json(db_url, "history", str(comment), "--json")
    assert cli == _api_json(client, f"/api/comments/{comment}/history", keys)
    assert [e["action"] for e in cli["items"]] == ["approve", "flag"]
    assert all(e["created_at"].endswith("Z") for e in cli["items"])

    cli = _cli_json(db_url, "history", "--thread", str(thread), "--json", "--limit", "2")
    api = _api_json(client, f"/api/threads/{thread}/history", keys, limit=2)
    assert cli == api and cli["total"] == 3 and cli["next_cursor"]
    rest = _cli_json(
        db_url, "history", "--thread", str(thread), "--json", "--cursor", cli["next_cursor"]
    )
    assert rest == _api_json(
        client, f"/api/threads/{thread}/history", keys, cursor=api["next_cursor"]
    )
    assert [(e["action"], e["actor"]) for e in rest["items"]] == [("close", "mia")]


def test_history_table_pages_with_the_printed_cursor(
    client: TestClient[Any], keys: Keys, seed: Seed, db_url: str
) -> None:
    comment = seed.by_status["pending"]
    moderator = Keys.header(keys.moderator)
    for action in ("approve", "flag", "reject"):
        body = {"action": action, "reason": "why"}
        client.post(f"/api/comments/{comment}/actions", json=body, headers=moderator)
    env = {"THREADS_DATABASE_URL": db_url, "COLUMNS": "200"}
    first = runner.invoke(app, ["history", "--thread", str(seed.thread_id), "-n", "2"], env=env)
    assert first.exit_code == 0, first.output
    assert (
        "(3 events)" in first.stdout and "approve" in first.stdout and "reject" not in first.stdout
    )
    cursor = first.stdout.split("--cursor ")[1].split()[0]
    args = ["history", "--thread", str(seed.thread_id), "--cursor", cursor]
    second = runner.invoke(app, args, env=env)
    assert second.exit_code == 0, second.output
    assert "reject" in second.stdout and "approve" not in second.stdout
    assert "--cursor" not in second.stdout


def test_campaigns_json_is_the_api_campaigns(
    client: TestClient[Any], keys: Keys, seed: Seed, engine: Engine, db_url: str
) -> None:
    plant_aliases(engine, seed.thread_id)
    cases: list[tuple[list[str], dict[str, Any]]] = [
        ([], {}),
        (["--kind", "alias", "--limit", "2"], {"kind": "alias", "limit": 2}),
        (["--site", "example.org", "-n", "1"], {"site": "example.org", "limit": 1}),
    ]
    for args, params in cases:
        cli = _cli_json(db_url, "campaigns", "--format", "json", *args)
        api = _api_json(client, "/api/campaigns", keys, **params)
        assert cli == api, args
        assert list(cli) == ["items", "total", "next_cursor"] and cli["total"] == 3, args
        assert cli["items"] and all(c["first"].endswith("Z") for c in cli["items"]), args

    # a cursor of one is a cursor of the other
    first = _cli_json(db_url, "campaigns", "--format", "json", "--limit", "1")
    cursor = first["next_cursor"]
    after_api = _api_json(client, "/api/campaigns", keys, limit=1, cursor=cursor)
    after_cli = _cli_json(
        db_url, "campaigns", "--format", "json", "--limit", "1", "--cursor", cursor
    )
    assert after_cli == after_api and after_cli["items"]
    assert after_cli["items"][0]["id"] != first["items"][0]["id"]
