"""Reading threads and comments: public view shows approved comments only, keys see everything."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient
from sqlalchemy.engine import Engine

from tests.api_fixtures import T0, Keys, Seed, client, keys, seed  # noqa: F401
from tests.sites import site_id
from threads.db import session_scope
from threads.models import Article, Thread


def _walk(client: TestClient[Any], url: str, headers: dict[str, str] | None = None) -> list[Any]:
    items: list[Any] = []
    cursor: str | None = None
    totals = set()
    for _ in range(100):
        sep = "&" if "?" in url else "?"
        page_url = url + (f"{sep}cursor={cursor}" if cursor else "")
        response = client.get(page_url, headers=headers or {})
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "total", "next_cursor"}
        items.extend(page["items"])
        totals.add(page["total"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(totals) == 1
    assert totals.pop() == len(items)
    return items


def test_thread_list_pages_walk_every_thread_once(
    client: TestClient[Any], engine: Engine, seed: Seed
) -> None:
    with session_scope(engine) as session:
        for i in range(7):
            article = Article(
                site_id=site_id(session),
                key=f"k{i}",
                title=f"t{i}",
                source_format="text",
                content_hash="h",
            )
            session.add(article)
            session.flush()
            assert article.id is not None
            session.add(Thread(article_id=article.id))
    items = _walk(client, "/api/threads?limit=3")
    ids = [t["id"] for t in items]
    assert len(ids) == 9 and len(set(ids)) == 9 and ids == sorted(ids)
    first = next(t for t in items if t["id"] == seed.thread_id)
    assert first["comment_count"] == 3  # approved ones: what readers see
    assert next(t for t in items if t["id"] == seed.closed_thread_id)["state"] == "closed"


def test_thread_detail_has_article_state_and_counts(client: TestClient[Any], seed: Seed) -> None:
    body = client.get(f"/api/threads/{seed.thread_id}").json()
    assert body["article"]["title"] == "Gold and the P5+1"
    assert body["state"] == "open"
    assert body["counts_by_status"] == {
        "pending": 2,
        "approved": 3,
        "flagged": 1,
        "rejected": 1,
        "spam": 1,
        "deleted": 1,
    }
    assert body["counts_by_topic"] == {"gold": 1}
    closed = client.get(f"/api/threads/{seed.closed_thread_id}").json()
    assert closed["state"] == "closed" and closed["close_reason"] == "enough said"


def test_thread_past_its_auto_close_time_reads_as_closed(
    client: TestClient[Any], keys: Keys, seed: Seed
) -> None:
    response = client.put(
        f"/api/threads/{seed.thread_id}/policy",
        json={"auto_close_days": 3, "auto_close_from": "published"},
        headers=Keys.header(keys.admin),
    )
    assert response.status_code == 200, response.text
    body = client.get(f"/api/threads/{seed.thread_id}").json()
    assert body["state"] == "closed" and body["auto_closed"] is True
    refused = client.post(
        f"/api/threads/{seed.thread_id}/comments", json={"author_name": "A", "body": "late"}
    )
    assert refused.status_code == 409 and refused.json()["code"] == "thread_closed"


def test_public_comments_are_approved_only_without_personal_data(
    client: TestClient[Any], seed: Seed
) -> None:
    flat = _walk(client, f"/api/threads/{seed.thread_id}/comments?view=flat&limit=2")
    assert {c["id"] for c in flat} == {
        seed.by_status["approved"],
        seed.reply_id,
        seed.grandchild_id,
    }
    for comment in flat:
        assert "author_email" not in comment and "status" not in comment
        assert "version" not in comment


def test_public_tree_hangs_replies_of_hidden_comments_under_a_visible_ancestor(
    client: TestClient[Any], seed: Seed
) -> None:
    tree = client.get(f"/api/threads/{seed.thread_id}/comments").json()
    assert tree["total"] == 1
    root = tree["items"][0]
    assert root["id"] == seed.by_status["approved"]
    assert root["topics"] == ["gold"]
    assert [r["id"] for r in root["replies"]] == [seed.reply_id, seed.grandchild_id]


def test_key_holders_see_every_comment_with_status_and_version(
    client: TestClient[Any], keys: Keys, seed: Seed
) -> None:
    headers = Keys.header(keys.viewer)
    flat = _walk(client, f"/api/threads/{seed.thread_id}/comments?view=flat&limit=4", headers)
    assert len(flat) == 9
    assert {c["status"] for c in flat} == {
        "pending",
        "approved",
        "flagged",
        "rejected",
        "spam",
        "deleted",
    }
    assert all(c["version"] == 1 and c["author_email"] for c in flat)
    tree = client.get(f"/api/threads/{seed.thread_id}/comments", headers=headers).json()
    root = next(c for c in tree["items"] if c["id"] == seed.by_status["approved"])
    hidden = next(r for r in root["replies"] if r["id"] == seed.hidden_parent_id)
    assert [r["id"] for r in hidden["replies"]] == [seed.grandchild_id]


def test_tree_view_pages_over_top_level_comments(
    client: TestClient[Any], keys: Keys, seed: Seed
) -> None:
    roots = _walk(
        client, f"/api/threads/{seed.thread_id}/comments?limit=2", Keys.header(keys.viewer)
    )
    assert len(roots) == 6  # the six seeded top-level comments; replies are nested
    assert [r["position"] for r in roots] == sorted(r["position"] for r in roots)


def test_queue_walk_with_filters_and_sorts(client: TestClient[Any], keys: Keys, seed: Seed) -> None:
    headers = Keys.header(keys.viewer)
    default = _walk(client, "/api/queue?limit=1", headers)
    assert {i["comment"]["status"] for i in default} == {"pending", "flagged"}
    assert len(default) == 3
    newest = _walk(client, "/api/queue?limit=2&sort=newest", headers)
    assert [i["comment"]["id"] for i in newest] == [i["comment"]["id"] for i in default][::-1]
    spam = _walk(client, "/api/queue?status=spam&status=rejected", headers)
    assert {i["comment"]["status"] for i in spam} == {"spam", "rejected"}
    since = (T0.replace(minute=5)).isoformat().replace("+00:00", "Z")
    later = _walk(client, f"/api/queue?status=approved&since={since}", headers)
    assert {i["comment"]["id"] for i in later} == {seed.reply_id, seed.grandchild_id}
    text = _walk(client, "/api/queue?status=approved&text=NUMBER%201%20about", headers)
    assert [i["comment"]["id"] for i in text] == [seed.by_status["approved"]]
    topic = _walk(client, "/api/queue?status=approved&topic=gold", headers)
    assert [i["article_title"] for i in topic] == ["Gold and the P5+1"]


def test_history_lists_audit_events_of_a_comment(
    client: TestClient[Any], keys: Keys, seed: Seed
) -> None:
    comment = seed.by_status["pending"]
    client.post(
        f"/api/comments/{comment}/actions",
        json={"action": "approve"},
        headers=Keys.header(keys.moderator),
    )
    history = client.get(f"/api/comments/{comment}/history", headers=Keys.header(keys.viewer))
    assert history.status_code == 200
    [event] = history.json()["items"]
    assert event["action"] == "approve" and event["actor"] == "key:moderator-key"
    assert (event["from_state"], event["to_state"]) == ("pending", "approved")


def test_thread_topics_are_the_reports_topic_summary(
    client: TestClient[Any], engine: Engine, keys: Keys, seed: Seed
) -> None:
    from threads.analysis.common import DEFAULT_STATUSES, ReportQuery
    from threads.analysis.data import to_jsonable
    from threads.analysis.report import build_report

    public = client.get(f"/api/threads/{seed.thread_id}/topics")
    assert public.status_code == 200, public.text
    report = build_report(engine, ReportQuery(thread_ids=(seed.thread_id,), statuses=("approved",)))
    assert public.json() == to_jsonable(report.topics)  # type: ignore[union-attr]
    assert public.json()["comments"] == 3  # approved comments only
    gold = next(row for row in public.json()["rows"] if row["topic_id"] == "gold")
    assert gold["comments"] == 1
    keyed = client.get(f"/api/threads/{seed.thread_id}/topics", headers=Keys.header(keys.viewer))
    full = build_report(
        engine, ReportQuery(thread_ids=(seed.thread_id,), statuses=DEFAULT_STATUSES)
    )
    assert keyed.json() == to_jsonable(full.topics)  # type: ignore[union-attr]
    missing = client.get("/api/threads/424242/topics")
    assert missing.status_code == 404
