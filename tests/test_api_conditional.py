"""Conditional reads: an ETag on the queue, thread reads and a thread's comments, a 304 while it
holds, and the exact answer after any write.

The law, on both backends: whatever was written before a request was sent, by this app or by
anyone else (another worker, the CLI, raw SQL), the queue answers exactly what a fresh build from
the database gives, and a client revalidating its copy gets a 304 only while that is its copy.
"""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import msgspec
import sqlalchemy as sa
from litestar.testing import AsyncTestClient, TestClient
from sqlalchemy.engine import Engine

from tests.api_fixtures import Keys, Seed, client, keys, seed  # noqa: F401
from tests.moderation_support import make_thread
from threads.api import create_app, views
from threads.config import Settings
from threads.db import session_scope
from threads.db.types import utcnow
from threads.keys import create_key, revoke_key
from threads.models import DEFAULT_CODEBOOK, CommentStatus, Role
from threads.moderation import shapes
from threads.moderation.audit import Actor
from threads.moderation.queue import QueueFilter, list_queue
from threads.moderation.service import apply_action

OTHER = Actor.user("another-worker")


def _truth(engine: Engine, **params: Any) -> Any:
    """What a fresh build from the database gives for the queue with ``params``."""
    statuses = params.pop("status", None)
    flt = QueueFilter(
        statuses=tuple(CommentStatus(s) for s in statuses)
        if statuses
        else (CommentStatus.PENDING, CommentStatus.FLAGGED),
        topic=params.pop("topic", None),
    )
    with session_scope(engine) as session:
        page = shapes.queue_page(list_queue(session, flt, **params))
    return msgspec.json.decode(msgspec.json.encode(page))


def _queue(client: TestClient[Any], key: str, **params: Any) -> Any:
    response = client.get("/api/queue", params=params, headers=Keys.header(key))
    assert response.status_code == 200, response.text
    return response.json()


def test_every_kind_of_outside_write_shows_at_once(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed
) -> None:
    pending = seed.by_status["pending"]
    flagged = seed.by_status["flagged"]
    listings: list[dict[str, Any]] = [
        {},
        {"sort": "most_reported"},
        {"topic": "russia"},
        {"status": ["pending", "approved"], "limit": 3},
    ]
    writes = [
        # raw SQL, as from psql or another tool: no code of ours runs
        f"UPDATE comment SET body = 'edited outside' WHERE id = {pending}",
        f"UPDATE comment SET report_count = 9 WHERE id = {flagged}",
        "UPDATE article SET title = 'Renamed elsewhere'",
        "INSERT INTO comment_topic (comment_id, codebook, topic_id, score, assigned, source, "
        f"labeler, taxonomy_version, evidence, created_at) VALUES ({pending}, "
        f"'{DEFAULT_CODEBOOK}', 'russia', 1, true, 'moderator', 'm', 't1', '[]', "
        "CURRENT_TIMESTAMP)",
        f"UPDATE comment SET status = 'approved' WHERE id = {flagged}",
        "DELETE FROM comment_topic WHERE topic_id = 'russia'",
        f"UPDATE comment SET status = 'pending', report_count = 0 WHERE id = {flagged}",
    ]
    for params in listings:  # warm every listing
        assert _queue(client, keys.viewer, **params) == _truth(engine, **params)
    for statement in writes:
        with engine.begin() as conn:
            conn.execute(sa.text(statement))
        for params in listings:
            got = _queue(client, keys.viewer, **params)
            assert got == _truth(engine, **params), (statement, params)
            assert _queue(client, keys.viewer, **params) == got  # and served again


def test_own_actions_show_in_the_next_page(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed
) -> None:
    before = _queue(client, keys.moderator)
    target = before["items"][0]["comment"]["id"]
    response = client.post(
        f"/api/comments/{target}/actions",
        json={"action": "approve"},
        headers=Keys.header(keys.moderator),
    )
    assert response.status_code == 200, response.text
    after = _queue(client, keys.moderator)
    assert target not in [item["comment"]["id"] for item in after["items"]]
    assert after["total"] == before["total"] - 1
    assert after == _truth(engine)


def test_a_revoked_key_is_refused_though_the_page_is_kept(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed
) -> None:
    with session_scope(engine) as session:
        secret = create_key(session, "short-lived", Role.VIEWER, actor=OTHER).secret
    assert _queue(client, secret) == _queue(client, keys.viewer)  # a key made after start works
    with session_scope(engine) as session:
        assert session.execute(
            sa.text("SELECT last_used_at IS NOT NULL FROM api_key WHERE name = 'short-lived'")
        ).scalar_one()
        revoke_key(session, "short-lived", actor=OTHER)
    response = client.get("/api/queue", headers=Keys.header(secret))
    assert response.status_code == 401
    assert response.json()["code"] == "revoked_key"
    assert client.get("/api/queue").status_code == 401
    bad = client.get("/api/queue", headers=Keys.header("thr_" + "x" * 43))
    assert bad.status_code == 401 and bad.json()["code"] == "invalid_key"
    assert client.get("/api/queue", headers=Keys.header(keys.viewer)).status_code == 200


def test_concurrent_readers_always_see_writes_made_before_they_asked(
    settings: Settings, engine: Engine, keys: Keys, seed: Seed, backend: str
) -> None:
    """Rounds of 20 concurrent requests, each round after a write committed elsewhere: every
    response of the round includes it."""
    with session_scope(engine) as session:
        waiting = [
            c
            for (c,) in session.execute(
                sa.text("SELECT id FROM comment WHERE status IN ('pending', 'flagged')")
            )
        ]
    header = Keys.header(keys.viewer)

    async def scenario() -> None:
        async with AsyncTestClient(create_app(settings)) as client:
            for comment_id in waiting:
                await asyncio.to_thread(_approve, engine, comment_id)
                truth = _truth(engine)
                responses = await asyncio.gather(
                    *(client.get("/api/queue", headers=header) for _ in range(20))
                )
                for response in responses:
                    assert response.status_code == 200, response.text
                    assert response.json() == truth

    asyncio.run(scenario())


def _approve(engine: Engine, comment_id: int) -> None:
    with session_scope(engine) as session:
        apply_action(session, comment_id, "approve", actor=OTHER, role=Role.MODERATOR)


def test_thread_reads_follow_writes_and_auto_close_on_time(
    client: TestClient[Any], engine: Engine, seed: Seed, backend: str
) -> None:
    def read(thread_id: int) -> Any:
        response = client.get(f"/api/threads/{thread_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def truth(thread_id: int) -> Any:
        with session_scope(engine) as session:
            detail = views.thread_detail(
                session,
                client.app.state.settings,
                thread_id,
                now=utcnow(),
                codebook=DEFAULT_CODEBOOK,
            )
        return msgspec.json.decode(msgspec.json.encode(detail))

    first = read(seed.thread_id)
    assert read(seed.thread_id) == first == truth(seed.thread_id)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"UPDATE comment SET status = 'approved' WHERE id = {seed.by_status['pending']}"
            )
        )
        conn.execute(sa.text("UPDATE article SET title = 'Another title'"))
    after = read(seed.thread_id)
    assert after == truth(seed.thread_id) != first
    assert after["counts_by_status"]["approved"] == first["counts_by_status"]["approved"] + 1
    assert client.get("/api/threads/999999").status_code == 404
    # A thread that auto-close closes in two seconds: open now, closed then, with no write.
    closing = make_thread(
        engine, published_at=utcnow() - timedelta(days=1) + timedelta(seconds=2), auto_close_days=1
    )
    assert read(closing)["state"] == "open"
    assert read(closing)["state"] == "open"
    time.sleep(2.2)
    closed = read(closing)
    assert closed["state"] == "closed" and closed["auto_closed"] is True
    assert closed == truth(closing)


def _get(client: TestClient[Any], url: str, key: str | None, tag: str | None = None) -> Any:
    headers = Keys.header(key) if key else {}
    if tag is not None:
        headers["If-None-Match"] = tag
    return client.get(url, headers=headers)


def test_an_unchanged_queue_answers_304_and_an_approve_elsewhere_changes_its_tag(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed
) -> None:
    first = _get(client, "/api/queue", keys.viewer)
    assert first.status_code == 200
    tag = first.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"')
    assert first.headers["vary"] == "Authorization"
    assert first.headers["cache-control"] == "private, no-cache"
    again = _get(client, "/api/queue", keys.viewer, tag)
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag and again.headers["vary"] == "Authorization"
    # a list of tags, weak or strong, matches too; another tag does not
    assert _get(client, "/api/queue", keys.viewer, f'"other", W/{tag}').status_code == 304
    assert _get(client, "/api/queue", keys.viewer, '"other"').status_code == 200
    # another moderator approves a comment on the page (through the API, as a second screen)
    target = first.json()["items"][0]["comment"]["id"]
    acted = client.post(
        f"/api/comments/{target}/actions",
        json={"action": "approve"},
        headers=Keys.header(keys.admin),
    )
    assert acted.status_code == 200, acted.text
    after = _get(client, "/api/queue", keys.viewer, tag)
    assert after.status_code == 200
    assert after.headers["etag"] != tag
    assert after.json() == _truth(engine)
    # and an outside write (raw SQL) changes it as well
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE article SET title = 'Renamed by psql'"))
    outside = _get(client, "/api/queue", keys.viewer, after.headers["etag"])
    assert outside.status_code == 200 and outside.json() == _truth(engine)


def test_a_thread_read_revalidates_and_changes_after_an_approve(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed
) -> None:
    url = f"/api/threads/{seed.thread_id}"
    first = _get(client, url, None)
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    assert _get(client, url, None, tag).status_code == 304
    acted = client.post(
        f"/api/comments/{seed.by_status['pending']}/actions",
        json={"action": "approve"},
        headers=Keys.header(keys.moderator),
    )
    assert acted.status_code == 200
    after = _get(client, url, None, tag)
    assert after.status_code == 200 and after.headers["etag"] != tag
    assert after.json()["counts_by_status"]["approved"] == (
        first.json()["counts_by_status"]["approved"] + 1
    )


def test_a_key_holder_and_a_reader_never_share_a_tag(
    client: TestClient[Any], keys: Keys, seed: Seed
) -> None:
    url = f"/api/threads/{seed.thread_id}/comments?view=flat"
    public = _get(client, url, None)
    full = _get(client, url, keys.viewer)
    assert public.status_code == full.status_code == 200
    assert public.headers["vary"] == full.headers["vary"] == "Authorization"
    assert public.headers["etag"] != full.headers["etag"]  # different bodies
    # a reader's tag never gets a key holder a 304 (nor the reverse)
    assert _get(client, url, keys.viewer, public.headers["etag"]).status_code == 200
    assert _get(client, url, None, full.headers["etag"]).status_code == 200
    assert _get(client, url, keys.moderator, full.headers["etag"]).status_code == 304


def test_errors_carry_no_tag_and_a_bad_key_is_refused_whatever_the_tag(
    client: TestClient[Any], keys: Keys, seed: Seed
) -> None:
    good = _get(client, "/api/queue", keys.viewer)
    tag = good.headers["etag"]
    missing = _get(client, "/api/threads/999999", None, "*")
    assert missing.status_code == 404 and "etag" not in missing.headers
    for key in (keys.revoked, None):
        refused = _get(client, "/api/queue", key, tag)
        assert refused.status_code == 401 and "etag" not in refused.headers
    bad = _get(client, "/api/queue?limit=0", keys.viewer, tag)
    assert bad.status_code == 400 and "etag" not in bad.headers


def test_a_bad_key_is_answered_before_a_bad_body_or_parameter(
    client: TestClient[Any], keys: Keys, seed: Seed
) -> None:
    """The key is verified in the handler's transaction; a request that fails before the
    handler runs still gets the answer its key earns first."""
    url = f"/api/comments/{seed.by_status['pending']}/actions"
    for key, status in ((keys.revoked, 401), (keys.viewer, 403), (keys.moderator, 400)):
        response = client.post(url, content=b"{not json", headers=Keys.header(key))
        assert response.status_code == status, (key, response.text)
        listing = client.get("/api/queue?limit=0", headers=Keys.header(key))
        assert listing.status_code == (401 if status == 401 else 400)
