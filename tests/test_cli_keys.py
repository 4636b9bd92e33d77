"""`threads keys`: the key is printed once, only its hash is stored, revoked keys are refused."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from threads.api import create_app
from threads.config import Settings
from threads.keys import KEY_PREFIX, hash_key

runner = CliRunner()


def _run(db_url: str, *args: str) -> Any:
    return runner.invoke(app, list(args), env={"THREADS_DATABASE_URL": db_url})


def _api_key_rows(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text("SELECT * FROM api_key"))]


def test_keys_create_prints_the_key_once_and_stores_only_its_hash(
    db_url: str, engine: Engine
) -> None:
    result = _run(db_url, "keys", "create", "--name", "alice", "--role", "moderator")
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[0]
    assert key.startswith(KEY_PREFIX) and len(key) >= 40
    rows = _api_key_rows(engine)
    assert len(rows) == 1
    flat = " ".join(str(v) for v in rows[0])
    assert key not in flat and key[len(KEY_PREFIX) :] not in flat
    assert hash_key(key) in flat
    listing = _run(db_url, "keys", "list")
    assert listing.exit_code == 0
    assert "alice" in listing.stdout and "moderator" in listing.stdout
    assert key not in listing.stdout and hash_key(key) not in listing.stdout
    assert key[:12] in listing.stdout  # the prefix, to recognise it


def test_keys_create_refuses_a_taken_name_and_a_bad_role(db_url: str) -> None:
    assert _run(db_url, "keys", "create", "--name", "bob").exit_code == 0
    again = _run(db_url, "keys", "create", "--name", "bob")
    assert again.exit_code == 1 and "already exists" in again.output
    bad = _run(db_url, "keys", "create", "--name", "carol", "--role", "root")
    assert bad.exit_code == 1 and "unknown role" in bad.output


def test_revoked_key_is_refused_by_the_api(db_url: str, settings: Settings) -> None:
    created = _run(db_url, "keys", "create", "--name", "dora", "--role", "viewer")
    key = created.stdout.strip().splitlines()[0]
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/queue", headers=headers).status_code == 200
        revoked = _run(db_url, "keys", "revoke", "dora")
        assert revoked.exit_code == 0 and "revoked" in revoked.stdout
        refused = client.get("/api/queue", headers=headers)
        assert refused.status_code == 401 and refused.json()["code"] == "revoked_key"
    listing = _run(db_url, "keys", "list")
    assert "dora" in listing.stdout and "UTC" in listing.stdout
    assert _run(db_url, "keys", "revoke", "dora").exit_code == 1
    assert _run(db_url, "keys", "revoke", "nobody").exit_code == 1
