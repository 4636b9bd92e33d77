"""Public writes: submissions and reports, rate-limited per address, with a body size limit."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.api_fixtures import Keys, Seed, assert_problem, client, keys, seed  # noqa: F401
from threads.api import create_app
from threads.config import Settings
from threads.models import Comment, CommentReport, ModerationEvent


def test_submission_is_stored_held_and_shown_in_the_public_shape(
    client: TestClient[Any], engine: Engine, seed: Seed
) -> None:
    response = client.post(
        f"/api/threads/{seed.thread_id}/comments",
        json={
            "author_name": "Ann",
            "author_email": "ann@example.org",
            "body": "A thoughtful first comment.",
            "parent_id": seed.by_status["approved"],
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending"  # first-time author under the default policy
    comment = body["comment"]
    assert comment["parent_id"] == seed.by_status["approved"]
    assert "author_email" not in comment and comment["author_name"] == "Ann"
    with Session(engine) as session:
        stored = session.get(Comment, comment["id"])
        assert stored is not None and stored.author_email == "ann@example.org"
        assert "ann" not in str(stored.extra)  # the address is kept only as a hash
    public = client.get(f"/api/threads/{seed.thread_id}/comments?view=flat").json()
    assert comment["id"] not in [c["id"] for c in public["items"]]


def test_reply_to_a_comment_of_another_thread_is_refused(
    client: TestClient[Any], seed: Seed
) -> None:
    response = client.post(
        f"/api/threads/{seed.closed_thread_id}/comments",
        json={"author_name": "Ann", "body": "hello", "parent_id": seed.by_status["approved"]},
    )
    # the closed thread refuses before anything else
    assert_problem(response, 409, "thread_closed")
    other = client.post(
        f"/api/threads/{seed.thread_id}/comments",
        json={"author_name": "Ann", "body": "hello there", "parent_id": 424242},
    )
    assert assert_problem(other, 422, "invalid_input")["field"] == "parent_id"


def test_report_flags_an_approved_comment_once_per_reader(
    client: TestClient[Any], engine: Engine, seed: Seed
) -> None:
    comment_id = seed.by_status["approved"]
    response = client.post(f"/api/comments/{comment_id}/reports", json={"reason": "abuse"})
    assert response.status_code == 202, response.text
    assert response.json() == {"comment_id": comment_id, "received": True}
    again = client.post(f"/api/comments/{comment_id}/reports", json={"reason": "spam"})
    assert_problem(again, 409, "already_reported")
    with Session(engine) as session:
        comment = session.get(Comment, comment_id)
        assert comment is not None and comment.status == "flagged"
        assert len(session.exec(select(CommentReport)).all()) == 1
        events = session.exec(select(ModerationEvent)).all()
        assert [(e.action, e.actor) for e in events if e.target_type == "comment"] == [
            ("flag", "reader")
        ]


def test_report_with_unknown_reason_names_the_field(client: TestClient[Any], seed: Seed) -> None:
    response = client.post(
        f"/api/comments/{seed.by_status['approved']}/reports", json={"reason": "meh"}
    )
    assert assert_problem(response, 422, "invalid_input")["field"] == "reason"


def test_hidden_comments_cannot_be_reported(client: TestClient[Any], seed: Seed) -> None:
    response = client.post(
        f"/api/comments/{seed.by_status['spam']}/reports", json={"reason": "spam"}
    )
    assert_problem(response, 404, "not_found")


def test_public_writes_are_rate_limited_per_address(settings: Settings, seed: Seed) -> None:
    app = create_app(settings.with_(rate_limit_per_minute=3))
    with TestClient(app) as test_client:
        url = f"/api/threads/{seed.thread_id}/comments"
        for i in range(3):
            ok = test_client.post(url, json={"author_name": f"N{i}", "body": f"comment {i} here"})
            assert ok.status_code == 201, ok.text
        refused = test_client.post(url, json={"author_name": "N", "body": "one too many"})
        body = assert_problem(refused, 429, "rate_limited")
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert body["retry_after"] == int(refused.headers["retry-after"])
        report = test_client.post(
            f"/api/comments/{seed.by_status['approved']}/reports", json={"reason": "spam"}
        )
        assert_problem(report, 429, "rate_limited")
        # reads are not limited
        assert test_client.get(f"/api/threads/{seed.thread_id}").status_code == 200


def test_body_larger_than_the_limit_is_refused_before_anything_is_stored(
    settings: Settings, engine: Engine, seed: Seed
) -> None:
    app = create_app(settings.with_(max_request_bytes=1000))
    with TestClient(app) as test_client:
        response = test_client.post(
            f"/api/threads/{seed.thread_id}/comments",
            json={"author_name": "Big", "body": "word " * 300},
        )
        body = assert_problem(response, 413, "request_too_large")
        assert "1000" in body["detail"]
    with Session(engine) as session:
        assert session.exec(select(Comment).where(Comment.author_name == "Big")).all() == []


def test_submission_decisions_are_in_the_comments_history(
    client: TestClient[Any], keys: Keys, seed: Seed
) -> None:
    posted = client.post(
        f"/api/threads/{seed.thread_id}/comments",
        json={
            "author_name": "Ann",
            "body": "Read https://a.example and https://b.example and https://c.example",
        },
    )
    assert posted.status_code == 201, posted.text
    comment_id = posted.json()["comment"]["id"]
    history = client.get(f"/api/comments/{comment_id}/history", headers=Keys.header(keys.viewer))
    assert history.status_code == 200
    events = history.json()["items"]
    assert events, "an automatic decision must be audited"
    assert all(e["actor"].startswith("rule:") and e["actor_type"] == "rule" for e in events)
    assert any(e["reason"] for e in events)
