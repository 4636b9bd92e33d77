"""Changes through the API: actions, conflicts, bulk, close/reopen/policy — each one audited."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

import threading
from typing import Any

from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.api_fixtures import Keys, Seed, client, keys, seed  # noqa: F401
from threads.db.queries.reads import events_by_actor
from threads.models import Comment, CommentStatus, ModerationEvent, Thread

MOD = "key:moderator-key"


def _events(engine: Engine, actor: str = MOD) -> list[ModerationEvent]:
    with Session(engine) as session:
        return events_by_actor(session, actor)


def _comment(engine: Engine, comment_id: int) -> Comment:
    with Session(engine) as session:
        comment = session.get(Comment, comment_id)
        assert comment is not None
        return comment


def test_action_changes_status_bumps_version_and_is_audited(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed
) -> None:
    comment_id = seed.by_status["pending"]
    response = client.post(
        f"/api/comments/{comment_id}/actions",
        json={"action": "reject", "reason": "off topic", "expected_version": 1},
        headers=Keys.header(keys.moderator),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["version"]) == ("rejected", 2)
    [event] = _events(engine)
    assert (event.action, event.target_id, event.from_state, event.to_state, event.reason) == (
        "reject",
        comment_id,
        "pending",
        "rejected",
        "off topic",
    )
    assert event.actor_type == "api_key"


def test_two_moderators_with_the_same_version_never_both_win(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed
) -> None:
    comment_id = seed.by_status["flagged"]
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def act(action: str, reason: str | None) -> None:
        barrier.wait()
        results.append(
            client.post(
                f"/api/comments/{comment_id}/actions",
                json={"action": action, "reason": reason, "expected_version": 1},
                headers=Keys.header(keys.moderator),
            )
        )

    workers = [
        threading.Thread(target=act, args=("approve", None)),
        threading.Thread(target=act, args=("reject", "rude")),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409], [r.text for r in results]
    loser = next(r for r in results if r.status_code == 409).json()
    assert loser["code"] == "version_conflict" and loser["current_version"] == 2
    winner = next(r for r in results if r.status_code == 200).json()
    stored = _comment(engine, comment_id)
    assert stored.status == winner["status"] and stored.version == 2
    assert len(_events(engine)) == 1  # the refused action recorded nothing


def test_bulk_action_by_ids_reports_each_comment(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed
) -> None:
    ids = [seed.by_status["pending"], seed.by_status["flagged"], seed.by_status["approved"], 999]
    response = client.post(
        "/api/actions/bulk",
        json={"ids": ids, "action": "approve"},
        headers=Keys.header(keys.moderator),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["ok_count"], body["failed_count"]) == (2, 2)
    by_id = {r["comment_id"]: r for r in body["results"]}
    assert by_id[ids[0]]["ok"] and by_id[ids[0]]["status"] == "approved"
    assert by_id[ids[2]]["error_code"] == "action_not_allowed"
    assert by_id[999]["error_code"] == "not_found"
    assert sorted(e.target_id for e in _events(engine)) == sorted(ids[:2])


def test_bulk_action_on_a_queue_filter(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed
) -> None:
    response = client.post(
        "/api/actions/bulk",
        json={"filter": {"statuses": ["pending"], "thread_id": seed.thread_id}, "action": "spam"},
        headers=Keys.header(keys.moderator),
    )
    assert response.status_code == 200, response.text
    assert response.json()["ok_count"] == 2
    with Session(engine) as session:
        pending = session.exec(select(Comment).where(Comment.status == CommentStatus.PENDING)).all()
    assert pending == []


def test_bulk_needs_ids_or_a_filter(client: TestClient[Any], keys: Keys, seed: Seed) -> None:
    response = client.post(
        "/api/actions/bulk", json={"action": "approve"}, headers=Keys.header(keys.moderator)
    )
    assert response.status_code == 422 and response.json()["field"] == "ids"


def test_close_then_submit_is_refused_and_nothing_is_stored(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed
) -> None:
    closed = client.post(
        f"/api/threads/{seed.thread_id}/close",
        json={"reason": "flame war"},
        headers=Keys.header(keys.moderator),
    )
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    with Session(engine) as session:
        before = len(session.exec(select(Comment)).all())
    for parent in (None, seed.by_status["approved"]):
        refused = client.post(
            f"/api/threads/{seed.thread_id}/comments",
            json={"author_name": "Ann", "body": "let me in", "parent_id": parent},
        )
        body = refused.json()
        assert refused.status_code == 409 and body["code"] == "thread_closed"
        assert body["reason"] == "flame war" and body["closed_at"]
    with Session(engine) as session:
        assert len(session.exec(select(Comment)).all()) == before
    [event] = _events(engine)
    assert (event.action, event.target_type, event.reason) == ("close", "thread", "flame war")


def test_reopen_lets_comments_in_again_and_is_audited(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed
) -> None:
    response = client.post(
        f"/api/threads/{seed.closed_thread_id}/reopen",
        json={"reason": "calmer now"},
        headers=Keys.header(keys.moderator),
    )
    assert response.status_code == 200 and response.json()["state"] == "open"
    accepted = client.post(
        f"/api/threads/{seed.closed_thread_id}/comments",
        json={"author_name": "Ann", "body": "thanks for reopening"},
    )
    assert accepted.status_code == 201, accepted.text
    [event] = _events(engine)
    assert event.action == "reopen" and event.target_id == seed.closed_thread_id


def test_policy_change_is_audited_and_applies(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed
) -> None:
    response = client.put(
        f"/api/threads/{seed.thread_id}/policy",
        json={"premoderation": "none"},
        headers=Keys.header(keys.admin),
    )
    assert response.status_code == 200 and response.json()["premoderation"] == "none"
    [event] = _events(engine, "key:admin-key")
    assert event.action == "policy"
    posted = client.post(
        f"/api/threads/{seed.thread_id}/comments",
        json={"author_name": "Newcomer", "body": "first time here, hello"},
    )
    assert posted.status_code == 201 and posted.json()["status"] == "approved"
    with Session(engine) as session:
        thread = session.get(Thread, seed.thread_id)
        assert thread is not None and thread.premoderation == "none"


def test_delete_restore_purge_through_the_api_each_leave_an_event(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed
) -> None:
    comment_id = seed.by_status["approved"]
    url = f"/api/comments/{comment_id}/actions"
    steps = [("delete", keys.moderator), ("restore", keys.moderator), ("purge", keys.admin)]
    for action, key in steps:
        response = client.post(url, json={"action": action}, headers=Keys.header(key))
        assert response.status_code == 200, response.text
    purged = response.json()
    assert purged["purged"] and purged["body"] == "" and purged["author_email"] is None
    with Session(engine) as session:
        events = session.exec(
            select(ModerationEvent).where(
                ModerationEvent.target_id == comment_id, ModerationEvent.target_type == "comment"
            )
        ).all()
    assert [e.action for e in events] == ["delete", "restore", "purge"]
    assert [e.actor for e in events] == [MOD, MOD, "key:admin-key"]
