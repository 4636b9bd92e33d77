"""Adding and removing a webhook is audited like a moderation action, from the CLI, the API and
the console: who, when, the hook's id, URL and events (never its secret), in the hook change's
own transaction; the events read back in `threads audit`, `GET /api/audit` and the console's
audit log, which a hook event (no thread) does not break. SQLite and PostgreSQL."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.api_fixtures import Keys, Seed, client, keys, seed  # noqa: F401
from threads.config import Settings
from threads.db import session_scope
from threads.keys import create_key
from threads.models import EventTarget, ModerationEvent, Role, Webhook
from threads.moderation.audit import Actor
from threads.webhooks.service import add_hook, list_hooks, remove_hook

runner = CliRunner()
SECRET = "audit-test-secret"
TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Hooks can be added (a server secret); nothing sends them (no worker)."""
    return Settings(database_url=db_url, webhook_secret=SECRET, webhook_worker=False)


def _cli(db_url: str, *args: str) -> Any:
    env = {"THREADS_DATABASE_URL": db_url, "THREADS_WEBHOOK_SECRET": SECRET, "COLUMNS": "200"}
    return runner.invoke(app, list(args), env=env)


def _hook_events(engine: Engine) -> list[ModerationEvent]:
    with session_scope(engine) as session:
        rows = session.scalars(
            sa.select(ModerationEvent)
            .where(ModerationEvent.target_type == EventTarget.WEBHOOK)  # type: ignore[arg-type]
            .order_by(ModerationEvent.id)  # type: ignore[arg-type]
        )
        return list(rows)


def _no_secret_in_the_log(engine: Engine, secret: str) -> None:
    """Neither the secret, nor its salt, nor its check is anywhere in the audit log."""
    with engine.connect() as conn:
        logged = " ".join(
            str(v) for row in conn.execute(sa.text("SELECT * FROM moderation_event")) for v in row
        )
        kept = conn.execute(sa.text("SELECT secret_salt, secret_check FROM webhook")).all()
    assert kept
    for value in [secret, secret.removeprefix("whsec_"), *(v for row in kept for v in row)]:
        assert value not in logged


def test_cli_hook_add_and_remove_are_audited_and_listed(
    db_url: str, engine: Engine, seed: Seed
) -> None:
    added = _cli(
        db_url,
        "hooks",
        "add",
        "https://hooks.example/a",
        "--event",
        "thread.closed",
        "--site",
        "example.org",
        "--by",
        "ann",
    )
    assert added.exit_code == 0, added.output
    secret = added.stdout.strip()
    everywhere = _cli(db_url, "hooks", "add", "https://hooks.example/all", "--by", "bo")
    assert everywhere.exit_code == 0, everywhere.output
    removed = _cli(db_url, "hooks", "remove", "1", "--by", "cy")
    assert removed.exit_code == 0, removed.output

    first, second, third = _hook_events(engine)
    assert (first.action, first.actor, first.target_id) == ("add_hook", "ann", 1)
    assert (first.from_state, first.to_state, first.thread_id) == (None, "active", None)
    assert first.extra == {
        "url": "https://hooks.example/a",
        "events": ["thread.closed"],
        "site": "example.org",
        "report_threshold": 3,
    }
    assert (second.action, second.actor, second.target_id) == ("add_hook", "bo", 2)
    assert second.extra["site"] is None and len(second.extra["events"]) == 4
    assert (third.action, third.actor, third.target_id) == ("remove_hook", "cy", 1)
    assert (third.from_state, third.to_state) == ("active", "removed")
    assert third.extra["url"] == "https://hooks.example/a"
    with session_scope(engine) as session:
        hook = session.get(Webhook, 1)
        assert hook is not None and hook.created_by == "ann"
    _no_secret_in_the_log(engine, secret)

    # the audit log reads them back: JSON, the table, and the site filter (the site's hook only)
    log = json.loads(_cli(db_url, "audit", "--json").stdout)
    assert [(e["action"], e["target_type"], e["target_id"]) for e in log["items"]] == [
        ("remove_hook", "webhook", 1),
        ("add_hook", "webhook", 2),
        ("add_hook", "webhook", 1),
    ]
    table = _cli(db_url, "audit", "--action", "remove_hook")
    assert table.exit_code == 0, table.output
    assert "webhook 1" in table.stdout and "removed" in table.stdout
    of_site = json.loads(_cli(db_url, "audit", "--json", "--site", "example.org").stdout)
    assert [(e["action"], e["target_id"]) for e in of_site["items"]] == [
        ("remove_hook", 1),
        ("add_hook", 1),
    ]
    # a thread's history holds no hook event
    history = json.loads(_cli(db_url, "history", "--thread", str(seed.thread_id), "--json").stdout)
    assert history["items"] == []


def test_api_hook_add_and_remove_are_audited_as_the_key(
    client: TestClient[Any], keys: Keys, seed: Seed, engine: Engine
) -> None:
    admin = Keys.header(keys.admin)
    body = {"url": "https://hooks.example/api", "events": ["comment.held"], "site": "example.org"}
    created = client.post("/api/hooks", json=body, headers=admin)
    assert created.status_code == 201, created.text
    hook_id = created.json()["hook"]["id"]
    assert client.delete(f"/api/hooks/{hook_id}", headers=admin).status_code == 200

    added, removed = _hook_events(engine)
    assert (added.action, added.actor, added.target_id) == ("add_hook", "key:admin-key", hook_id)
    assert added.extra["url"] == "https://hooks.example/api"
    assert added.extra["events"] == ["comment.held"]
    assert (removed.action, removed.actor) == ("remove_hook", "key:admin-key")
    _no_secret_in_the_log(engine, created.json()["secret"])

    viewer = Keys.header(keys.viewer)
    for params in ({}, {"site": "example.org"}, {"action": "add_hook"}):
        page = client.get("/api/audit", params=params, headers=viewer)
        assert page.status_code == 200, page.text
        hooks = [e for e in page.json()["items"] if e["target_type"] == "webhook"]
        assert hooks and all(e["thread_id"] is None for e in hooks), params
    # the audit log pages through hook events like any other
    first = client.get("/api/audit", params={"limit": 1}, headers=viewer).json()
    rest = client.get("/api/audit", params={"cursor": first["next_cursor"]}, headers=viewer)
    walked = [e["action"] for e in first["items"] + rest.json()["items"]]
    assert walked[:2] == ["remove_hook", "add_hook"]


def _token(client: TestClient[Any], path: str) -> str:
    match = TOKEN.search(client.get(path).text)
    assert match, path
    return match.group(1)


def test_console_hook_add_and_remove_are_audited_and_shown_in_the_audit_page(
    client: TestClient[Any], engine: Engine, seed: Seed
) -> None:
    with session_scope(engine) as session:
        key = create_key(session, "boss", Role.ADMIN, actor=Actor.system("test")).secret
    signed = client.post(
        "/console/signin",
        data={"key": key, "_csrf_token": _token(client, "/console/signin")},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    added = client.post(
        "/console/hooks",
        data={
            "url": "https://hooks.example/console",
            "events": ["thread.closed"],
            "_csrf_token": _token(client, "/console/hooks"),
        },
        follow_redirects=False,
    )
    assert added.status_code == 201, added.text
    [hook] = _hooks(engine)
    removed = client.post(
        f"/console/hooks/{hook.id}/remove",
        data={"_csrf_token": _token(client, "/console/hooks")},
        follow_redirects=False,
    )
    assert removed.status_code == 303

    first, second = _hook_events(engine)
    assert (first.action, first.actor, first.target_id) == ("add_hook", "key:boss", hook.id)
    assert first.extra["url"] == "https://hooks.example/console"
    assert (second.action, second.actor, second.to_state) == ("remove_hook", "key:boss", "removed")

    page = client.get("/console/audit")
    assert page.status_code == 200, page.text
    assert f"webhook {hook.id}" in page.text and "remove_hook" in page.text
    assert client.get("/console/audit", params={"action": "add_hook"}).status_code == 200


def _hooks(engine: Engine) -> list[Any]:
    with session_scope(engine) as session:
        return list_hooks(session, include_removed=True)


def _refuse_hook_events(engine: Engine, backend: str) -> None:
    """Make the database itself refuse any audit event about a webhook (a failing audit write,
    without touching our code)."""
    with engine.begin() as conn:
        if backend == "sqlite":
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse_hook_audit BEFORE INSERT ON moderation_event "
                    "WHEN NEW.target_type = 'webhook' "
                    "BEGIN SELECT RAISE(ABORT, 'hook audit refused'); END"
                )
            )
            return
        conn.execute(
            sa.text(
                "CREATE FUNCTION refuse_hook_audit() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'hook audit refused'; END $$ LANGUAGE plpgsql"
            )
        )
        conn.execute(
            sa.text(
                "CREATE TRIGGER refuse_hook_audit BEFORE INSERT ON moderation_event FOR EACH ROW "
                "WHEN (NEW.target_type = 'webhook') EXECUTE FUNCTION refuse_hook_audit()"
            )
        )


def _refused() -> Any:
    return pytest.raises(sa.exc.DBAPIError, match="hook audit refused")


def test_a_failed_audit_write_leaves_no_hook_change(
    client: TestClient[Any],
    keys: Keys,
    engine: Engine,
    settings: Settings,
    backend: str,
    db_url: str,
) -> None:
    with session_scope(engine) as session:
        kept = add_hook(session, "https://hooks.example/kept", settings=settings, actor=Actor("a"))
    _refuse_hook_events(engine, backend)

    with _refused(), session_scope(engine) as session:
        add_hook(session, "https://hooks.example/lib", settings=settings, actor=Actor("a"))
    added = _cli(db_url, "hooks", "add", "https://hooks.example/cli", "--by", "ann")
    assert added.exit_code != 0 and not added.stdout.startswith("whsec_")
    admin = Keys.header(keys.admin)
    answer = client.post("/api/hooks", json={"url": "https://hooks.example/api"}, headers=admin)
    assert answer.status_code == 500 and "whsec_" not in answer.text
    assert [h.url for h in _hooks(engine)] == ["https://hooks.example/kept"]

    with _refused(), session_scope(engine) as session:
        remove_hook(session, kept.info.id, actor=Actor("a"))
    assert _cli(db_url, "hooks", "remove", str(kept.info.id), "--by", "ann").exit_code != 0
    gone = client.delete(f"/api/hooks/{kept.info.id}", headers=admin)
    assert gone.status_code == 500
    [still] = _hooks(engine)
    assert still.removed_at is None
    assert [e.action for e in _hook_events(engine)] == ["add_hook"]
