"""Cached queue pages: served again only while nothing was written, exact after any write.

The law, on both backends: whatever was written before a request was sent, by this app or by
anyone else (another worker, the CLI, raw SQL), the queue answers exactly what a fresh build from
the database gives. On PostgreSQL pages are served again while the change clock stands still
(counted as hits); SQLite keeps no clock and builds every page.
"""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import httpx
import msgspec
import sqlalchemy as sa
from litestar.testing import AsyncTestClient, TestClient
from sqlalchemy.engine import Engine

from tests.api_fixtures import Keys, Seed, client, keys, seed  # noqa: F401
from tests.moderation_support import make_thread
from threads.api import create_app, views
from threads.api.cache import ResponseCache
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


def _cache(client: TestClient[Any] | AsyncTestClient[Any]) -> ResponseCache:
    cache = client.app.state.responses
    assert isinstance(cache, ResponseCache)
    return cache


def _queue(client: TestClient[Any], key: str, **params: Any) -> Any:
    response = client.get("/api/queue", params=params, headers=Keys.header(key))
    assert response.status_code == 200, response.text
    return response.json()


def test_pages_are_served_again_until_anything_is_written(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed, backend: str
) -> None:
    cache = _cache(client)
    first = _queue(client, keys.viewer)
    assert first == _truth(engine)
    assert _queue(client, keys.viewer) == first
    assert _queue(client, keys.moderator) == first  # the same page for every key holder
    kept = backend == "postgresql"
    assert cache.stats.hits == (2 if kept else 0)
    # Other listings are other entries.
    assert _queue(client, keys.viewer, limit=1) == _truth(engine, limit=1)
    assert _queue(client, keys.viewer, sort="newest") == _truth(engine, sort="newest")
    assert len(cache) == (3 if kept else 0)
    # A write by someone else: the next request builds the page again.
    with session_scope(engine) as session:
        apply_action(
            session, seed.by_status["pending"], "approve", actor=OTHER, role=Role.MODERATOR
        )
    after = _queue(client, keys.viewer)
    assert after == _truth(engine) and after != first
    assert cache.stats.hits == (2 if kept else 0)
    assert _queue(client, keys.viewer) == after
    assert cache.stats.hits == (3 if kept else 0)


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


def test_without_the_clock_triggers_nothing_is_cached(
    settings: Settings, engine: Engine, keys: Keys, seed: Seed, backend: str
) -> None:
    if backend == "postgresql":  # a dump restored without triggers, or dropped by hand
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TRIGGER change_clock_tick ON comment"))
    app = create_app(settings)
    assert app.state.probe is None
    with TestClient(app) as client:
        first = _queue(client, keys.viewer)
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM comment_topic WHERE comment_id > 0"))
            conn.execute(
                sa.text(f"UPDATE comment SET body = 'x' WHERE id = {seed.by_status['pending']}")
            )
        assert _queue(client, keys.viewer) == _truth(engine) != first
        assert _cache(client).stats.hits == 0


def test_concurrent_readers_always_see_writes_made_before_they_asked(
    settings: Settings, engine: Engine, keys: Keys, seed: Seed, backend: str
) -> None:
    """Rounds of 20 concurrent requests, each round after a write committed elsewhere: every
    response of the round includes it. (The batching of the key and clock reading itself is
    tested on the probe, in test_change_clock.py.)"""
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
            if backend == "postgresql":
                assert _cache(client).stats.hits > 0

    asyncio.run(scenario())


def _approve(engine: Engine, comment_id: int) -> None:
    with session_scope(engine) as session:
        apply_action(session, comment_id, "approve", actor=OTHER, role=Role.MODERATOR)


def test_the_cache_stays_within_its_bound_and_keeps_the_newest_reading() -> None:
    cache = ResponseCache(max_weight=100)
    g1, g2 = (1, 0.0, 5), (1, 0.0, 6)
    cache.put("a", g1, b"a" * 40, weight=40)
    cache.put("b", g1, b"b" * 40, weight=40)
    assert cache.get("a", g1) == b"a" * 40  # "a" is now the most recently used
    cache.put("c", g1, b"c" * 40, weight=40)  # over the bound: "b" goes
    assert cache.get("b", g1) is None and cache.stats.evictions == 1
    assert cache.weight == 80 and len(cache) == 2
    assert cache.get("a", g2) is None  # another reading: a miss, never the old page
    cache.put("a", g2, b"new", weight=3)
    cache.put("a", g1, b"old", weight=3)  # a slower request built from an older reading
    assert cache.get("a", g2) == b"new"
    cache.put("a", (2, 0.0, 1), b"other database", weight=3)  # another epoch replaces it
    assert cache.get("a", (2, 0.0, 1)) == b"other database"
    cache.put("huge", g2, b"x", weight=101)  # heavier than the bound: not kept
    assert cache.get("huge", g2) is None and cache.weight <= 100


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
    assert _cache(client).stats.hits == (1 if backend == "postgresql" else 0)
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


def test_a_page_served_again_is_byte_for_byte_the_page_built(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed, backend: str
) -> None:
    url = "/api/queue?limit=2&sort=newest"
    built = client.get(url, headers=Keys.header(keys.viewer))
    again = client.get(url, headers=Keys.header(keys.moderator))
    assert built.status_code == again.status_code == 200
    assert again.content == built.content
    assert again.headers["content-type"] == built.headers["content-type"] == "application/json"
    assert again.headers["content-length"] == str(len(built.content))
    assert _cache(client).stats.hits == (1 if backend == "postgresql" else 0)
    # Errors are never kept: a bad request is answered by the endpoint every time.
    for _ in range(2):
        bad = client.get("/api/queue?limit=0", headers=Keys.header(keys.viewer))
        assert bad.status_code == 400
    assert len(_cache(client)) == (1 if backend == "postgresql" else 0)


def test_readers_missing_at_once_share_one_build(
    settings: Settings, engine: Engine, keys: Keys, seed: Seed, backend: str
) -> None:
    """After a write every waiting reader misses at the same reading: one builds the page, the
    others get its bytes (the requests run concurrently on one event loop, as in a worker)."""
    app = create_app(settings)
    header = Keys.header(keys.viewer)

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for round_ in range(3):
                with session_scope(engine) as session:  # a write: every listing is stale
                    session.execute(sa.text(f"UPDATE article SET title = 'Round {round_}'"))
                truth = _truth(engine)
                responses = await asyncio.gather(
                    *(client.get("/api/queue", headers=header) for _ in range(12))
                )
                assert [r.status_code for r in responses] == [200] * 12
                assert all(r.json() == truth for r in responses)
        if app.state.probe is not None:
            await app.state.probe.close()

    asyncio.run(scenario())
    stats = _cache_of(app).stats
    if backend == "postgresql":
        assert stats.shared > 0
        assert stats.misses - stats.shared < 3 * 12  # fewer builds than requests
    else:
        assert stats.shared == 0 and stats.hits == 0


def _cache_of(app: Any) -> ResponseCache:
    cache = app.state.responses
    assert isinstance(cache, ResponseCache)
    return cache
