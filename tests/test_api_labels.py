"""Moderator topic labels over HTTP (runs once threads.topics provides set_labels)."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.api_fixtures import Keys, Seed, assert_problem, client, keys, seed  # noqa: F401
from threads.models import ModerationEvent

pytest.importorskip("threads.topics.labels")


def _a_topic_id(client: TestClient[Any]) -> str:
    taxonomy: Any = client.app.state.taxonomy
    topics = getattr(taxonomy, "topics", taxonomy)
    first = next(iter(topics.values() if isinstance(topics, dict) else topics))
    for attr in ("id", "topic_id", "key"):
        if isinstance(getattr(first, attr, None), str):
            return str(getattr(first, attr))
    return str(first[0] if isinstance(first, tuple) else first)


def test_moderator_adds_and_removes_a_label(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed
) -> None:
    topic = _a_topic_id(client)
    url = f"/api/comments/{seed.by_status['pending']}/labels"
    added = client.post(url, json={"add": [topic]}, headers=Keys.header(keys.moderator))
    assert added.status_code == 200, added.text
    assert topic in added.json()["topics"]
    removed = client.post(url, json={"remove": [topic]}, headers=Keys.header(keys.moderator))
    assert removed.status_code == 200, removed.text
    assert topic not in removed.json()["topics"]
    with Session(engine) as session:
        actors = {e.actor for e in session.exec(select(ModerationEvent)).all()}
    assert "key:moderator-key" in actors


def test_labels_need_a_moderator_key(client: TestClient[Any], keys: Keys, seed: Seed) -> None:
    url = f"/api/comments/{seed.by_status['pending']}/labels"
    assert_problem(client.post(url, json={"add": []}), 401)
    assert_problem(client.post(url, json={"add": []}, headers=Keys.header(keys.viewer)), 403)
