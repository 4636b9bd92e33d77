"""`threads hooks`: add prints the secret once, deliver drains the outbox to a real receiver,
deliveries and retry show and resend, remove stops a hook; errors are one line and exit 1."""

from __future__ import annotations

import json
import time
from typing import Any

from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.api_fixtures import Keys, make_keys, seed_data
from tests.webhook_receiver import receiver, refused_url
from threads.api import create_app
from threads.config import Settings
from threads.db import session_scope
from threads.moderation.audit import Actor
from threads.moderation.threads import close_thread
from threads.webhooks.service import list_deliveries
from threads.webhooks.signing import verify

runner = CliRunner()
SECRET = "cli-test-secret"


def _run(db_url: str, *args: str, secret: str | None = SECRET) -> Any:
    env = {
        "THREADS_DATABASE_URL": db_url,
        "THREADS_WEBHOOK_MAX_ATTEMPTS": "1",
        "COLUMNS": "160",
    }
    if secret is not None:
        env["THREADS_WEBHOOK_SECRET"] = secret
    return runner.invoke(app, list(args), env=env)


def _close(engine: Engine, thread_id: int) -> None:
    with session_scope(engine) as session:
        close_thread(session, thread_id, actor=Actor.user("mod"), reason="done")


def test_hooks_add_deliver_deliveries_and_remove(db_url: str, engine: Engine) -> None:
    seed = seed_data(engine)
    with receiver() as rec:
        added = _run(db_url, "hooks", "add", rec.url, "--event", "thread.closed")
        assert added.exit_code == 0, added.output
        secret = added.stdout.strip()
        assert secret.startswith("whsec_") and "cannot be shown again" in added.stderr
        listing = _run(db_url, "hooks", "list")
        assert listing.exit_code == 0 and "thread.closed" in listing.stdout
        assert secret not in listing.stdout
        _close(engine, seed.thread_id)
        delivered = _run(db_url, "hooks", "deliver")
        assert delivered.exit_code == 0, delivered.output
        assert "1 attempted: 1 delivered, 0 to retry, 0 failed" in delivered.stdout
        [got] = rec.received
    assert verify(
        secret,
        got.body,
        got.headers["X-Threads-Timestamp"],
        got.headers["X-Threads-Signature"],
        now=time.time(),
    )
    uid = json.loads(got.body)["id"]
    shown = _run(db_url, "hooks", "deliveries")
    assert shown.exit_code == 0 and "delivered" in shown.stdout and "thread.closed" in shown.stdout
    one = _run(db_url, "hooks", "deliveries", "--id", uid)
    assert one.exit_code == 0 and "200" in one.stdout and uid in one.stdout
    removed = _run(db_url, "hooks", "remove", "1")
    assert removed.exit_code == 0 and "removed webhook 1" in removed.stdout
    assert "no webhooks" in _run(db_url, "hooks", "list").stdout


def test_a_failed_delivery_is_listed_and_retried(db_url: str, engine: Engine) -> None:
    seed = seed_data(engine)
    assert _run(db_url, "hooks", "add", refused_url()).exit_code == 0
    _close(engine, seed.thread_id)
    run = _run(db_url, "hooks", "deliver")
    assert "0 delivered, 0 to retry, 1 failed" in run.stdout  # max attempts 1
    failed = _run(db_url, "hooks", "deliveries", "--status", "failed")
    assert "failed" in failed.stdout and "ConnectError" in failed.stdout
    with session_scope(engine) as session:
        [row] = list_deliveries(session).rows
    assert row.uid[:8] in failed.stdout  # the table shows the start of the id ...
    retried = _run(db_url, "hooks", "retry", row.uid[:8])  # ... which retry takes
    assert retried.exit_code == 0 and "pending again" in retried.stdout
    again = _run(db_url, "hooks", "retry", row.uid)
    assert again.exit_code == 1 and "only failed or cancelled" in again.stderr


def test_hooks_errors_are_one_line(db_url: str) -> None:
    bad = _run(db_url, "hooks", "add", "file:///etc/passwd")
    assert bad.exit_code == 1 and bad.stderr.count("\n") == 1 and "http or https" in bad.stderr
    missing = _run(db_url, "hooks", "add", "https://x.example/", secret=None)
    assert missing.exit_code == 1 and "THREADS_WEBHOOK_SECRET is not set" in missing.stderr
    unknown = _run(db_url, "hooks", "add", "https://x.example/", "--event", "nope")
    assert unknown.exit_code == 1 and "unknown event 'nope'" in unknown.stderr
    assert _run(db_url, "hooks", "remove", "7").exit_code == 1
    status = _run(db_url, "hooks", "deliveries", "--status", "lost")
    assert status.exit_code == 1 and "unknown delivery status" in status.stderr


def test_json_output_is_the_api_answer(db_url: str, engine: Engine) -> None:
    seed = seed_data(engine)
    keys = make_keys(engine)
    assert _run(db_url, "hooks", "add", refused_url(), "--site", "example.org").exit_code == 0
    _close(engine, seed.thread_id)
    assert _run(db_url, "hooks", "deliver").exit_code == 0
    admin = Keys.header(keys.admin)
    # the app's own delivery worker stays idle: it has no THREADS_WEBHOOK_SECRET
    with TestClient(create_app(Settings(database_url=db_url, webhook_worker=False))) as client:
        pairs = [
            (["hooks", "list", "--json"], "/api/hooks"),
            (["hooks", "deliveries", "--json"], "/api/hooks/deliveries"),
        ]
        for args, path in pairs:
            cli = _run(db_url, *args)
            assert cli.exit_code == 0, cli.output
            assert json.loads(cli.stdout) == client.get(path, headers=admin).json()
        uid = json.loads(_run(db_url, "hooks", "deliveries", "--json").stdout)["items"][0]["id"]
        one = _run(db_url, "hooks", "deliveries", "--id", uid, "--json")
        api = client.get(f"/api/hooks/deliveries/{uid}", headers=admin).json()
        assert json.loads(one.stdout) == api
        assert api["attempts"][0]["error"].startswith("ConnectError")
