"""Key management over HTTP (admin): create shows the key once, list never does, revoke works."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.api_fixtures import Keys, assert_problem, client, keys  # noqa: F401
from threads.keys import hash_key
from threads.models import ApiKey, ModerationEvent


def test_admin_creates_lists_and_revokes_keys(
    client: TestClient[Any], engine: Engine, keys: Keys
) -> None:
    admin = Keys.header(keys.admin)
    created = client.post("/api/keys", json={"name": "robot", "role": "moderator"}, headers=admin)
    assert created.status_code == 201, created.text
    secret = created.json()["key"]
    listing = client.get("/api/keys", headers=admin)
    assert listing.status_code == 200
    assert secret not in listing.text and hash_key(secret) not in listing.text
    robot = next(k for k in listing.json()["items"] if k["name"] == "robot")
    assert robot["role"] == "moderator" and robot["revoked_at"] is None
    assert client.get("/api/queue", headers=Keys.header(secret)).status_code == 200
    revoked = client.delete("/api/keys/robot", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    refused = client.get("/api/queue", headers=Keys.header(secret))
    assert_problem(refused, 401, "revoked_key")
    assert_problem(client.delete("/api/keys/robot", headers=admin), 409, "already_revoked")
    with Session(engine) as session:
        events = session.exec(
            select(ModerationEvent).where(ModerationEvent.target_type == "api_key")
        ).all()
        actions = [(e.action, e.actor) for e in events if e.actor == "key:admin-key"]
        assert actions == [("create_key", "key:admin-key"), ("revoke_key", "key:admin-key")]


def test_using_a_key_records_when_it_was_last_used(
    client: TestClient[Any], engine: Engine, keys: Keys
) -> None:
    client.get("/api/queue", headers=Keys.header(keys.viewer))
    with Session(engine) as session:
        row = session.exec(select(ApiKey).where(ApiKey.name == "viewer-key")).one()
        unused = session.exec(select(ApiKey).where(ApiKey.name == "moderator-key")).one()
    assert row.last_used_at is not None and unused.last_used_at is None


def test_bad_key_name_is_invalid_input(client: TestClient[Any], keys: Keys) -> None:
    response = client.post(
        "/api/keys", json={"name": "no spaces please"}, headers=Keys.header(keys.admin)
    )
    assert assert_problem(response, 422, "invalid_input")["field"] == "name"
