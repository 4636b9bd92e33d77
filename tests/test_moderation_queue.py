"""The moderation queue: filters, sorts, totals and keyset cursor pagination."""

from __future__ import annotations

import base64
import random
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from tests.moderation_support import T0, make_comment, make_thread
from threads.db import session_scope
from threads.errors import InvalidInput
from threads.models import CommentStatus, CommentTopic, LabelSource, Role
from threads.moderation.audit import Actor
from threads.moderation.queue import QueueFilter, QueuePage, list_queue
from threads.moderation.service import bulk_action

P, F, A = CommentStatus.PENDING, CommentStatus.FLAGGED, CommentStatus.APPROVED


def _page(engine: Engine, flt: QueueFilter, **kwargs: object) -> QueuePage:
    with session_scope(engine) as session:
        return list_queue(session, flt, **kwargs)  # type: ignore[arg-type]


def _walk(engine: Engine, flt: QueueFilter, sort: str, limit: int) -> tuple[list[int], set[int]]:
    ids: list[int] = []
    totals: set[int] = set()
    cursor = None
    for _ in range(1000):
        page = _page(engine, flt, sort=sort, cursor=cursor, limit=limit)
        assert len(page.items) <= limit
        ids.extend(item.comment.id or 0 for item in page.items)
        totals.add(page.total)
        cursor = page.next_cursor
        if cursor is None:
            return ids, totals
    raise AssertionError("the cursor never ended")


@pytest.fixture
def queue(engine: Engine) -> dict[str, object]:
    """Two threads, 40 comments: mixed statuses, tied and missing times, reports, topics."""
    rng = random.Random(7)
    t1 = make_thread(engine, title="Gold reserves")
    t2 = make_thread(engine, title="Russia talks")
    rows = []
    for i in range(40):
        status = [P, F, A, P][i % 4]
        posted = None if i % 9 == 0 else T0 + timedelta(hours=rng.randint(0, 10))  # ties
        tid = t1 if i % 3 else t2
        cid = make_comment(
            engine,
            tid,
            status=status,
            posted_at=posted,
            body=f"comment {i} about {'bullion' if i % 5 == 0 else 'weather'}",
            author="Ann" if i % 2 else "Bob",
            email="ann@x.org" if i % 2 else None,
            report_count=rng.randint(0, 3),
        )
        rows.append({"id": cid, "status": status, "posted": posted, "thread": tid, "i": i})
    with session_scope(engine) as session:
        for row in rows[::4]:
            session.add(
                CommentTopic(
                    comment_id=row["id"],
                    topic_id="gold",
                    score=0.9,
                    source=LabelSource.AUTO,
                    taxonomy_version="v1",
                )
            )
        # a moderator says the first of them is not about gold
        session.add(
            CommentTopic(
                comment_id=rows[0]["id"],
                topic_id="gold",
                score=0.0,
                assigned=False,
                source=LabelSource.MODERATOR,
                labeler="mia",
                taxonomy_version="v1",
            )
        )
    return {"rows": rows, "t1": t1, "t2": t2}


def _expected(rows: list[dict], statuses=(P, F), reverse: bool = False) -> list[int]:  # type: ignore[type-arg, no-untyped-def]
    chosen = [r for r in rows if r["status"] in statuses]
    dated = sorted((r for r in chosen if r["posted"]), key=lambda r: (r["posted"], r["id"]))
    if reverse:
        dated.reverse()
    undated = sorted((r["id"] for r in chosen if not r["posted"]), reverse=reverse)
    return [r["id"] for r in dated] + undated


@pytest.mark.parametrize("limit", [1, 7, 50])
def test_walking_every_page_yields_each_item_once_in_order(
    engine: Engine,
    queue: dict,
    limit: int,  # type: ignore[type-arg]
) -> None:
    rows = queue["rows"]
    ids, totals = _walk(engine, QueueFilter(), "oldest", limit)
    assert ids == _expected(rows)
    assert totals == {len(ids)} == {30}
    newest, _ = _walk(engine, QueueFilter(), "newest", limit)
    assert newest == _expected(rows, reverse=True)


def test_most_reported_sort(engine: Engine, queue: dict) -> None:  # type: ignore[type-arg]
    ids, totals = _walk(engine, QueueFilter(), "most_reported", 4)
    page = _page(engine, QueueFilter(), sort="most_reported", limit=50)
    counts = [item.comment.report_count for item in page.items]
    assert counts == sorted(counts, reverse=True)
    assert ids == [item.comment.id for item in page.items] and totals == {30}


def test_new_comments_during_a_walk_do_not_repeat_items(engine: Engine, queue: dict) -> None:  # type: ignore[type-arg]
    first = _page(engine, QueueFilter(), sort="oldest", limit=10)
    make_comment(engine, queue["t1"], status=P, posted_at=T0 - timedelta(days=1), body="early")
    seen = [i.comment.id for i in first.items]
    cursor = first.next_cursor
    while cursor:
        page = _page(engine, QueueFilter(), sort="oldest", cursor=cursor, limit=10)
        seen.extend(i.comment.id for i in page.items)
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 30


def test_filters(engine: Engine, queue: dict) -> None:  # type: ignore[type-arg]
    rows = queue["rows"]
    everything = (P, F, A, CommentStatus.REJECTED, CommentStatus.SPAM, CommentStatus.DELETED)

    def ids(**kwargs: object) -> set[int]:
        page = _page(engine, QueueFilter(**kwargs), limit=500)  # type: ignore[arg-type]
        assert page.total == len(page.items)
        return {i.comment.id for i in page.items}  # type: ignore[misc]

    def want(pred) -> set[int]:  # type: ignore[no-untyped-def]
        return {r["id"] for r in rows if pred(r)}

    assert ids(statuses=[A]) == want(lambda r: r["status"] is A)
    assert ids(statuses=everything) == want(lambda r: True)
    assert ids(thread_id=queue["t2"]) == want(
        lambda r: r["thread"] == queue["t2"] and r["status"] in (P, F)
    )
    assert ids(author="ann@x.org") == want(lambda r: r["i"] % 2 and r["status"] in (P, F))
    assert ids(author="BOB") == want(lambda r: not r["i"] % 2 and r["status"] in (P, F))
    assert ids(text="BULLION", statuses=everything) == want(lambda r: r["i"] % 5 == 0)
    since, until = T0 + timedelta(hours=3), T0 + timedelta(hours=6)
    assert ids(since=since, until=until) == want(
        lambda r: r["posted"] and since <= r["posted"] < until and r["status"] in (P, F)
    )
    # topic: assigned labels only, and the moderator's "not gold" wins
    assert ids(topic="gold", statuses=everything) == {r["id"] for r in rows[4::4]}
    assert ids(text="100%_") == set()  # LIKE wildcards are escaped


def test_items_carry_thread_title_and_topics(engine: Engine, queue: dict) -> None:  # type: ignore[type-arg]
    page = _page(engine, QueueFilter(statuses=[P], topic="gold"), limit=5)
    assert page.items
    for item in page.items:
        assert item.article_title in {"Gold reserves", "Russia talks"}
        assert item.topics == ["gold"] and item.thread_id == item.comment.thread_id


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        base64.urlsafe_b64encode(b'["newest", null, 3]').decode(),
        base64.urlsafe_b64encode(b'["oldest", {"t": "yesterday"}, 3]').decode(),
        base64.urlsafe_b64encode(b'["oldest", null, "3"]').decode(),
        base64.urlsafe_b64encode(b"{}").decode(),
    ],
)
def test_invalid_cursor_names_the_field(engine: Engine, cursor: str) -> None:
    with pytest.raises(InvalidInput) as info:
        _page(engine, QueueFilter(), sort="oldest", cursor=cursor)
    assert info.value.field == "cursor"


def test_bad_arguments(engine: Engine) -> None:
    for kwargs, field in [({"sort": "loudest"}, "sort"), ({"limit": 0}, "limit")]:
        with pytest.raises(InvalidInput) as info:
            _page(engine, QueueFilter(), **kwargs)
        assert info.value.field == field
    with pytest.raises(InvalidInput) as status:
        QueueFilter(statuses=["waiting"])  # type: ignore[list-item]
    assert status.value.field == "status"


def test_bulk_action_each_comment_in_its_own_transaction(engine: Engine, queue: dict) -> None:  # type: ignore[type-arg]
    rows = queue["rows"]
    pending = [r["id"] for r in rows if r["status"] is P][:3]
    approved = next(r["id"] for r in rows if r["status"] is A)
    results = bulk_action(
        engine,
        [*pending, approved, 999999],
        "approve",
        actor=Actor.user("mia"),
        role=Role.MODERATOR,
    )
    assert [r.ok for r in results] == [True, True, True, False, False]
    assert results[3].error_code == "action_not_allowed"
    assert (results[3].status, results[3].version) == (A, 1)
    assert results[4].error_code == "not_found" and results[4].status is None
    assert all(r.status is A and r.version == 2 for r in results[:3])
    remaining = _page(engine, QueueFilter(statuses=[P]), limit=500).total
    by_filter = bulk_action(
        engine,
        None,
        "spam",
        actor=Actor.user("mia"),
        role=Role.MODERATOR,
        filter=QueueFilter(statuses=[P], thread_id=queue["t1"]),
    )
    assert by_filter and all(r.ok and r.status is CommentStatus.SPAM for r in by_filter)
    left = _page(engine, QueueFilter(statuses=[P]), limit=500).total
    assert left == remaining - len(by_filter)
    with pytest.raises(InvalidInput):
        bulk_action(engine, None, "approve", actor=Actor.user("m"), role=Role.MODERATOR)


def _plan(engine: Engine, stmt: object) -> str:
    import sqlalchemy as sa

    sql = str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))  # type: ignore[attr-defined]
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return "\n".join(str(r[-1]) for r in conn.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
        conn.execute(sa.text("SET enable_seqscan = off"))  # tiny tables: ask what it *can* use
        return "\n".join(r[0] for r in conn.execute(sa.text("EXPLAIN " + sql)))


def _full_scan(plan: str) -> bool:
    return "SCAN comment" in plan or "Seq Scan on comment" in plan


@pytest.mark.parametrize("sort", ["oldest", "newest", "most_reported"])
def test_queue_pages_read_the_indexes_not_the_whole_table(
    engine: Engine,
    queue: dict,  # type: ignore[type-arg]
    sort: str,
) -> None:
    from threads.db.queries.moderation import queue_statements

    after = (3, 5) if sort == "most_reported" else (T0, 5)
    for flt in (QueueFilter(), QueueFilter(thread_id=1), QueueFilter(topic="gold")):
        for stmt in queue_statements(flt, sort=sort, after=after, limit=50):  # type: ignore[arg-type]
            plan = _plan(engine, stmt)
            assert "ix_comment_" in plan and not _full_scan(plan), plan


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    hours=st.lists(st.one_of(st.none(), st.integers(0, 4)), min_size=0, max_size=14),
    limit=st.integers(1, 5),
    sort=st.sampled_from(["oldest", "newest", "most_reported"]),
)
def test_cursor_walk_law(engine: Engine, hours: list[int | None], limit: int, sort: str) -> None:
    """Law: walking the cursor gives every matching comment exactly once, in the sort order,
    whatever the ties and missing times."""
    tid = make_thread(engine, title="law")
    made = []
    for n, h in enumerate(hours):
        posted = None if h is None else T0 + timedelta(hours=h)
        reports = n % 3
        cid = make_comment(engine, tid, posted_at=posted, body=f"law {n}", report_count=reports)
        made.append((cid, posted, reports))
    ids, totals = _walk(engine, QueueFilter(thread_id=tid), sort, limit)
    if sort == "most_reported":
        want = [c for c, _, r in sorted(made, key=lambda m: (-m[2], m[0]))]
    else:
        dated = sorted((m for m in made if m[1]), key=lambda m: (m[1], m[0]))
        undated = sorted(m[0] for m in made if not m[1])
        if sort == "newest":
            dated.reverse()
            undated.reverse()
        want = [m[0] for m in dated] + undated
    assert ids == want
    assert totals == {len(made)}


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"thread": True},
        {"text": "bullion"},
        {"author": "ann@x.org"},
        {"topic": "gold"},
        {"thread": True, "text": "weather"},
    ],
    ids=["none", "thread", "text", "author", "topic", "thread+text"],
)
def test_the_count_of_every_status_at_once_is_each_status_counted_alone(
    engine: Engine,
    queue: dict,  # type: ignore[type-arg]
    filters: dict[str, object],
) -> None:
    """The console's tabs count every status with one query (the tally where it can answer):
    each count is what listing that status alone says, whatever the filter."""
    from sqlmodel import Session

    from threads.moderation.queue import status_counts

    def queue_total(session: Session, flt: QueueFilter) -> int:  # what the listing says
        return list_queue(session, flt, limit=1).total

    base = {k: v for k, v in filters.items() if k != "thread"}
    if filters.get("thread"):
        base["thread_id"] = queue["t1"]
    with session_scope(engine) as session:
        counts = status_counts(session, QueueFilter(statuses=(P,), codebook="v1", **base))
        for status in CommentStatus:
            alone = QueueFilter(statuses=(status,), codebook="v1", **base)
            assert counts[status] == queue_total(session, alone), status
        assert sum(counts.values()) == queue_total(
            session, QueueFilter(statuses=tuple(CommentStatus), codebook="v1", **base)
        )
    rows = queue["rows"]
    if not filters:  # and against the fixture itself
        assert counts[P] == sum(r["status"] == P for r in rows)
        assert counts[F] == sum(r["status"] == F for r in rows)
