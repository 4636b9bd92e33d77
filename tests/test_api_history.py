"""A thread's audit trail over HTTP: everything done to the thread and its comments, in order,
in cursor pages; a comment's history pages the same way."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar.testing import TestClient

from tests.api_fixtures import Keys, Seed, assert_problem, client, keys, seed  # noqa: F401


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _walk(client: TestClient[Any], path: str, headers: dict[str, str], limit: int) -> list[Any]:
    items: list[Any] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        page = _ok(client.get(path, params=params, headers=headers))
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_thread_history_lists_every_change_to_the_thread_and_its_comments_in_order(
    client: TestClient[Any], keys: Keys, seed: Seed
) -> None:
    moderator, admin = Keys.header(keys.moderator), Keys.header(keys.admin)
    thread, pending, approved = (
        seed.thread_id,
        seed.by_status["pending"],
        seed.by_status["approved"],
    )
    _ok(client.post(f"/api/threads/{thread}/close", json={"reason": "heated"}, headers=moderator))
    _ok(client.post(f"/api/threads/{thread}/reopen", json={"reason": "calm"}, headers=moderator))
    _ok(
        client.post(
            f"/api/comments/{pending}/actions", json={"action": "approve"}, headers=moderator
        )
    )
    labels = {"add": ["russia"], "remove": []}
    _ok(client.post(f"/api/comments/{pending}/labels", json=labels, headers=moderator))
    _ok(client.post(f"/api/comments/{approved}/reports", json={"reason": "spam"}), 202)
    _ok(client.put(f"/api/threads/{thread}/policy", json={"auto_close_days": 3}, headers=admin))
    # another thread's event stays out of this one's trail
    other = seed.closed_thread_id
    _ok(client.post(f"/api/threads/{other}/reopen", json={}, headers=moderator))

    viewer = Keys.header(keys.viewer)
    whole = _ok(client.get(f"/api/threads/{thread}/history", headers=viewer))
    assert whole["total"] == 6 and whole["next_cursor"] is None
    trail = [(e["action"], e["target_type"], e["target_id"], e["actor"]) for e in whole["items"]]
    assert trail == [
        ("close", "thread", thread, "key:moderator-key"),
        ("reopen", "thread", thread, "key:moderator-key"),
        ("approve", "comment", pending, "key:moderator-key"),
        ("label", "comment", pending, "key:moderator-key"),
        ("flag", "comment", approved, "reader"),
        ("policy", "thread", thread, "key:admin-key"),
    ]
    assert all(e["thread_id"] == thread for e in whole["items"])
    first = whole["items"][0]
    assert (first["from_state"], first["to_state"], first["reason"]) == ("open", "closed", "heated")
    ids = [e["id"] for e in whole["items"]]
    assert ids == sorted(ids)
    times = [datetime.fromisoformat(e["created_at"]) for e in whole["items"]]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)

    # pages of two: the same events, each once, the total on every page
    for limit in (1, 2, 4):
        assert _walk(client, f"/api/threads/{thread}/history", viewer, limit) == whole["items"]
    two = _ok(client.get(f"/api/threads/{thread}/history?limit=2", headers=viewer))
    assert two["total"] == 6 and len(two["items"]) == 2 and two["next_cursor"]

    # a comment's history is the comment's part of the thread's, paged the same way
    comment = _ok(client.get(f"/api/comments/{pending}/history", headers=viewer))
    assert comment["items"] == [
        e for e in whole["items"] if e["target_id"] == pending and e["target_type"] == "comment"
    ]
    assert comment["total"] == 2 and comment["next_cursor"] is None
    assert _walk(client, f"/api/comments/{pending}/history", viewer, 1) == comment["items"]


def test_thread_history_of_a_quiet_thread_is_an_empty_page(
    client: TestClient[Any], keys: Keys, seed: Seed
) -> None:
    page = _ok(
        client.get(f"/api/threads/{seed.thread_id}/history", headers=Keys.header(keys.viewer))
    )
    assert page == {"items": [], "total": 0, "next_cursor": None}


def test_thread_history_needs_a_key_and_a_thread(
    client: TestClient[Any], keys: Keys, seed: Seed
) -> None:
    assert_problem(client.get(f"/api/threads/{seed.thread_id}/history"), 401)
    missing = client.get("/api/threads/999999/history", headers=Keys.header(keys.viewer))
    assert_problem(missing, 404, "not_found")
    # a cursor of the comment history is not one of the thread history
    comment = seed.by_status["pending"]
    client.post(
        f"/api/comments/{comment}/actions",
        json={"action": "approve"},
        headers=Keys.header(keys.moderator),
    )
    client.post(
        f"/api/comments/{comment}/actions",
        json={"action": "flag"},
        headers=Keys.header(keys.moderator),
    )
    cursor = client.get(
        f"/api/comments/{comment}/history?limit=1", headers=Keys.header(keys.viewer)
    ).json()["next_cursor"]
    assert cursor
    crossed = client.get(
        f"/api/threads/{seed.thread_id}/history?cursor={cursor}", headers=Keys.header(keys.viewer)
    )
    assert assert_problem(crossed, 422, "invalid_input")["field"] == "cursor"
