"""Author standing through the API: each standing's effect on a public submission, setting and
reading it (audited, roles), the listing, and rejecting all pending comments of an author."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import Engine

from tests.api_fixtures import Keys, Seed, assert_problem, keys, seed  # noqa: F401
from tests.moderation_support import count, events
from threads.api import create_app
from threads.config import Settings
from threads.models import Comment, EventTarget

SITE = "example.org"
BODY = "A fair point about the gold reserves, I think."


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient[Any]]:
    """The app with pre-moderation off by default: only standing decides what is held."""
    with TestClient(create_app(settings.with_(premoderation="none"))) as test_client:
        yield test_client


def _submit(  # type: ignore[no-untyped-def]
    client: TestClient[Any], seed: Seed, name: str = "Zoe", email: str | None = None, text=BODY
):
    body = {"author_name": name, "body": text}
    if email:
        body["author_email"] = email
    return client.post(f"/api/threads/{seed.thread_id}/comments", json=body)


def _put(
    client: TestClient[Any], key: str, author: str, standing: str, reason: str | None = "why"
) -> Any:
    body: dict[str, Any] = {"standing": standing}
    if reason is not None:
        body["reason"] = reason
    return client.put(f"/api/authors/{SITE}/{author}", json=body, headers=Keys.header(key))


def test_each_standing_decides_a_public_submission(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed
) -> None:
    assert _submit(client, seed, email="n@example.net").json()["status"] == "approved"
    assert _put(client, keys.moderator, "p@example.net", "premoderated").status_code == 200
    assert _submit(client, seed, email="p@example.net").json()["status"] == "pending"
    assert _put(client, keys.moderator, "b@example.net", "banned", "spam").status_code == 200
    stored = count(engine, Comment)
    refused = _submit(client, seed, name="New Name", email="B@Example.net")
    problem = assert_problem(refused, 403, "author_banned")
    assert "does not accept comments from this author" in problem["detail"]
    assert "spam" not in problem["detail"]  # the moderator's reason stays inside
    assert count(engine, Comment) == stored


def test_trusted_author_skips_the_threads_premoderation(
    settings: Settings, keys: Keys, seed: Seed
) -> None:
    with TestClient(create_app(settings.with_(premoderation="all"))) as held_client:
        assert _submit(held_client, seed, email="t@example.net").json()["status"] == "pending"
        answer = _put(held_client, keys.moderator, "t@example.net", "trusted", reason=None)
        assert answer.status_code == 200, answer.text
        again = _submit(held_client, seed, email="t@example.net", text=BODY + " Still.")
        assert again.json()["status"] == "approved"


def test_setting_a_standing_answers_the_author_and_is_audited(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed
) -> None:
    answer = _put(client, keys.moderator, "A0%40Example.org", "banned", "abuse")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["author_key"] == "a0@example.org" and body["site"] == SITE
    assert (body["standing"], body["reason"], body["set_by"]) == (
        "banned",
        "abuse",
        "key:moderator-key",
    )
    assert body["set_at"] and body["comments"] == 2 and body["pending"] == 1
    read = client.get(f"/api/authors/{SITE}/a0@example.org", headers=Keys.header(keys.viewer))
    assert read.status_code == 200 and read.json() == body
    [event] = events(engine, target=EventTarget.AUTHOR)
    assert (event.actor, event.from_state, event.to_state, event.reason) == (
        "key:moderator-key",
        "normal",
        "banned",
        "abuse",
    )
    again = _put(client, keys.moderator, "a0@example.org", "banned", "abuse")
    assert_problem(again, 409, "standing_unchanged")


def test_an_author_key_with_a_slash_is_addressed_whole(
    client: TestClient[Any], keys: Keys, seed: Seed
) -> None:
    answer = _put(client, keys.moderator, "AC%2FDC%20%20Fan", "banned", "trolling")
    assert answer.status_code == 200, answer.text
    assert answer.json()["author_key"] == "ac/dc fan"
    assert_problem(_submit(client, seed, name="ac/dc   fan"), 403, "author_banned")
    read = client.get(f"/api/authors/{SITE}/ac%2Fdc%20fan", headers=Keys.header(keys.viewer))
    assert read.json()["standing"] == "banned"


@pytest.mark.parametrize(
    ("role", "author", "body", "status", "code", "field"),
    [
        ("viewer", "zoe", {"standing": "banned", "reason": "x"}, 403, "forbidden", None),
        ("moderator", "zoe", {"standing": "exiled"}, 400, "invalid_request", "standing"),
        ("moderator", "zoe", {"standing": "banned"}, 422, "invalid_input", "reason"),
        ("moderator", "zoe", {"standing": "trusted", "extra": 1}, 400, "invalid_request", None),
        ("moderator", "%20", {"standing": "trusted"}, 422, "invalid_input", "author"),
    ],
)
def test_bad_standing_requests_are_refused_with_a_problem(
    client: TestClient[Any],
    engine: Engine,
    keys: Keys,
    seed: Seed,
    role: str,
    author: str,
    body: dict[str, Any],
    status: int,
    code: str,
    field: str | None,
) -> None:
    answer = client.put(
        f"/api/authors/{SITE}/{author}", json=body, headers=Keys.header(keys.of(role))
    )
    problem = assert_problem(answer, status, code)
    if field:
        assert problem["field"] == field, problem
    assert events(engine, target=EventTarget.AUTHOR) == []


def test_unknown_site_and_missing_key_are_refused(
    client: TestClient[Any], keys: Keys, seed: Seed
) -> None:
    assert_problem(client.get(f"/api/authors/{SITE}/zoe"), 401)
    nowhere = client.get("/api/authors/nowhere/zoe", headers=Keys.header(keys.viewer))
    assert_problem(nowhere, 404, "site_not_found")


def test_listing_by_standing_is_a_page(client: TestClient[Any], keys: Keys, seed: Seed) -> None:
    for author, standing in [("a", "banned"), ("b", "trusted"), ("c", "banned")]:
        assert _put(client, keys.moderator, author, standing).status_code == 200
    viewer = Keys.header(keys.viewer)
    first = client.get("/api/authors?standing=banned&limit=1", headers=viewer).json()
    assert set(first) == {"items", "total", "next_cursor"}
    assert [i["author_key"] for i in first["items"]] == ["a"] and first["total"] == 2
    cursor = first["next_cursor"]
    second = client.get(f"/api/authors?standing=banned&cursor={cursor}", headers=viewer).json()
    assert [i["author_key"] for i in second["items"]] == ["c"] and second["next_cursor"] is None
    everyone = client.get(f"/api/authors?site={SITE}", headers=viewer).json()
    assert everyone["total"] == 3
    bad = client.get("/api/authors?standing=nice", headers=viewer)
    assert_problem(bad, 400, "invalid_request")


def test_reject_all_pending_of_an_author(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed
) -> None:
    pending = seed.by_status["pending"]
    request = {"site": SITE, "author": "A0@example.org", "reason": "spam run"}
    refused = client.post(
        "/api/actions/reject-pending", json=request, headers=Keys.header(keys.viewer)
    )
    assert_problem(refused, 403, "forbidden")
    no_reason = client.post(
        "/api/actions/reject-pending",
        json={**request, "reason": "  "},
        headers=Keys.header(keys.moderator),
    )
    assert_problem(no_reason, 422, "invalid_input")
    answer = client.post(
        "/api/actions/reject-pending", json=request, headers=Keys.header(keys.moderator)
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "site": SITE,
        "author_key": "a0@example.org",
        "rejected": 1,
        "comment_ids": [pending],
    }
    history = client.get(
        f"/api/comments/{pending}/history", headers=Keys.header(keys.viewer)
    ).json()
    assert [(e["action"], e["reason"]) for e in history["items"]][-1] == ("reject", "spam run")
    [bulk] = events(engine, target=EventTarget.AUTHOR)
    assert bulk.action == "reject_pending" and bulk.extra["comment_ids"] == [pending]
