"""The comment tally: per-thread, per-status counts PostgreSQL keeps with triggers.

The queue's total reads it there, so it must agree with a real count after anything that writes
comments: the ORM, moderation actions, bulk loads (COPY), multi-row SQL statements, deletes, moves
between threads, concurrent writers, and a database migrated from before the tally existed.
SQLite keeps no tally (the table stays empty) and counts directly: the same totals must come out.
"""

from __future__ import annotations

import random
import threading
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.ingest_support import ingest_one
from tests.moderation_support import (
    T0,
    make_comment,
    make_comment_before,
    make_thread,
    make_thread_before_sites,
)
from threads.db import downgrade, make_engine, session_scope, upgrade
from threads.db.queries.tally import rebuild_tally, tally_drift
from threads.errors import ActionNotAllowed
from threads.models import Comment, CommentStatus, Role
from threads.moderation import lifecycle
from threads.moderation.audit import Actor
from threads.moderation.queue import QueueFilter, list_queue
from threads.moderation.service import apply_action, bulk_action

P, F, A = CommentStatus.PENDING, CommentStatus.FLAGGED, CommentStatus.APPROVED
ACTOR = Actor.user("mod")


def _tally(engine: Engine) -> dict[tuple[int, str], int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT thread_id, status, n FROM comment_tally WHERE n <> 0"))
        return {(t, s): n for t, s, n in rows}


def _counted(engine: Engine) -> dict[tuple[int, str], int]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT thread_id, status, count(*) FROM comment GROUP BY thread_id, status")
        )
        return {(t, s): n for t, s, n in rows}


def _assert_exact(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        assert _tally(engine) == _counted(engine)
    else:
        assert _tally(engine) == {}
    with session_scope(engine) as session:
        assert tally_drift(session) == []


def _total(engine: Engine, flt: QueueFilter) -> int:
    with session_scope(engine) as session:
        return list_queue(session, flt, limit=1).total


def test_queue_totals_follow_every_moderation_action(engine: Engine) -> None:
    rng = random.Random(11)
    threads = [make_thread(engine, title="Gold"), make_thread(engine, title="Russia")]
    ids = [
        make_comment(engine, threads[i % 2], status=[P, F, A][i % 3], body=f"comment {i}")
        for i in range(24)
    ]
    _assert_exact(engine)
    for _ in range(80):
        cid = rng.choice(ids)
        with session_scope(engine) as session:
            status = CommentStatus(session.get_one(Comment, cid).status)
        allowed = sorted(lifecycle.allowed_actions(status))
        if not allowed:
            continue
        action = rng.choice(allowed)
        try:
            with session_scope(engine) as session:
                apply_action(session, cid, action, actor=ACTOR, role=Role.ADMIN, reason="test")
        except ActionNotAllowed:  # purged tombstones accept nothing
            continue
        counted = _counted(engine)
        for statuses in ([P, F], [A], [CommentStatus.DELETED], list(CommentStatus)):
            expected = sum(n for (_t, s), n in counted.items() if s in statuses)
            assert _total(engine, QueueFilter(statuses=statuses)) == expected
            for tid in threads:
                in_thread = sum(n for (t, s), n in counted.items() if t == tid and s in statuses)
                assert _total(engine, QueueFilter(statuses=statuses, thread_id=tid)) == in_thread
    _assert_exact(engine)


def test_filtered_totals_are_still_exact_counts(engine: Engine) -> None:
    tid = make_thread(engine)
    for i in range(6):
        make_comment(engine, tid, body=f"bullion {i}" if i % 2 else "weather", status=P)
    flt = QueueFilter(text="bullion")
    assert _total(engine, flt) == 3
    since = QueueFilter(since=T0 - timedelta(days=1))
    assert _total(engine, since) == 6


def test_bulk_actions_and_multi_row_statements_keep_the_tally(engine: Engine) -> None:
    t1, t2 = make_thread(engine, title="one"), make_thread(engine, title="two")
    ids = [make_comment(engine, t1 if i % 3 else t2, status=P) for i in range(12)]
    bulk_action(engine, ids[:5], "approve", actor=ACTOR, role=Role.MODERATOR)
    _assert_exact(engine)
    table = Comment.__table__  # type: ignore[attr-defined]
    now = T0
    rows = [
        {
            "thread_id": t2,
            "position": 100 + i,
            "key": f"bulk{i}",
            "body": "inserted in one statement",
            "status": "flagged" if i % 2 else "pending",
            "content_hash": f"{i:064x}",
            "extra": {},
            "created_at": now,
            "updated_at": now,
        }
        for i in range(7)
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(table), rows)
    _assert_exact(engine)
    with engine.begin() as conn:  # one UPDATE over many rows and two statuses
        conn.execute(
            sa.update(table).where(table.c.status.in_(["pending", "flagged"])).values(status="spam")
        )
    _assert_exact(engine)
    with engine.begin() as conn:  # comments moved to another thread, status unchanged
        conn.execute(
            sa.update(table)
            .where(table.c.thread_id == t2)
            .values(thread_id=t1, key=sa.literal("moved-") + table.c.key)
        )
    assert _counted(engine) == {(t1, "approved"): 5, (t1, "spam"): 14}
    _assert_exact(engine)
    with engine.begin() as conn:  # columns the tally does not follow: no change
        conn.execute(sa.update(table).values(report_count=table.c.report_count + 1))
    _assert_exact(engine)
    with engine.begin() as conn:
        conn.execute(sa.delete(table).where(table.c.status == "spam"))
    assert _counted(engine) == {(t1, "approved"): 5}
    _assert_exact(engine)


def test_a_rolled_back_write_leaves_the_tally_as_it_was(engine: Engine, backend: str) -> None:
    tid = make_thread(engine)
    make_comment(engine, tid, status=P)
    before = _tally(engine)
    conn = engine.connect()
    try:
        with conn.begin() as tx:
            conn.execute(sa.text("UPDATE comment SET status = 'approved'"))
            tx.rollback()
    finally:
        conn.close()
    assert _tally(engine) == before
    if backend == "postgresql":
        assert before == {(tid, "pending"): 1}
    _assert_exact(engine)


def test_concurrent_writers_lose_no_count(engine: Engine, backend: str) -> None:
    tid = make_thread(engine)
    flagged = [make_comment(engine, tid, status=F, body=f"f{i}") for i in range(20)]
    approved = [make_comment(engine, tid, status=A, body=f"a{i}") for i in range(20)]
    errors: list[BaseException] = []

    def work(ids: list[int], action: str) -> None:
        try:
            for cid in ids:
                with session_scope(engine) as session:
                    apply_action(session, cid, action, actor=ACTOR, role=Role.MODERATOR)
        except BaseException as exc:  # reported below
            errors.append(exc)

    # opposite moves on the same thread: flagged -> approved and approved -> flagged
    workers = [
        threading.Thread(target=work, args=(flagged, "approve")),
        threading.Thread(target=work, args=(approved, "flag")),
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert _counted(engine) == {(tid, "approved"): 20, (tid, "flagged"): 20}
    assert _total(engine, QueueFilter(statuses=[F], thread_id=tid)) == 20
    _assert_exact(engine)


def test_upgrade_counts_the_comments_already_there(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0001")
        tid = make_thread_before_sites(engine)
        for status in (P, P, F, A):
            make_comment_before(engine, tid, status=status)
        upgrade(engine)
        if engine.dialect.name == "postgresql":
            counts = {(tid, "pending"): 2, (tid, "flagged"): 1, (tid, "approved"): 1}
            assert _tally(engine) == counts
        assert _total(engine, QueueFilter()) == 3
        make_comment(engine, tid, status=P)
        _assert_exact(engine)
        downgrade(engine, "0001")  # the triggers go with the table
        make_comment_before(engine, tid, status=P)
        upgrade(engine)
        _assert_exact(engine)
    finally:
        engine.dispose()


def test_db_check_finds_drift_and_repair_recounts(
    engine: Engine, db_url: str, backend: str
) -> None:
    runner = CliRunner()
    env = {"THREADS_DATABASE_URL": db_url}
    tid = make_thread(engine)
    for status in (P, F, F):
        make_comment(engine, tid, status=status)
    result = runner.invoke(app, ["db", "check"], env=env)
    assert result.exit_code == 0, result.output
    if backend == "sqlite":
        assert "not kept on SQLite" in result.output
        assert _total(engine, QueueFilter()) == 3
        with session_scope(engine) as session:
            assert rebuild_tally(session) == 0
        return
    assert "consistent" in result.output
    with engine.begin() as conn:  # something went around the triggers
        conn.execute(sa.text("UPDATE comment_tally SET n = n + 5 WHERE status = 'flagged'"))
        conn.execute(sa.text("DELETE FROM comment_tally WHERE status = 'pending'"))
    assert _total(engine, QueueFilter()) == 7
    result = runner.invoke(app, ["db", "check"], env=env)
    assert result.exit_code == 1
    assert "flagged" in result.output and "pending" in result.output
    assert "--repair" in result.output
    result = runner.invoke(app, ["db", "check", "--repair"], env=env)
    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.output
    assert _total(engine, QueueFilter()) == 3
    _assert_exact(engine)
    with session_scope(engine) as session:
        assert rebuild_tally(session) == 2


def test_imports_and_archive_restores_keep_the_tally(
    engine: Engine, corpora: Path, tmp_path: Path, db_url: str
) -> None:
    for path in (
        corpora / "disqus" / "isso-disqus.xml",
        corpora / "wxr" / sorted(p.name for p in (corpora / "wxr").glob("*.xml"))[0],
        Path("fixtures/consortiumnews-us-policy-unites-iran-and-china.txt"),
    ):
        ingest_one(engine, path)
    assert sum(_counted(engine).values()) > 0
    _assert_exact(engine)
    runner = CliRunner()
    archive = tmp_path / "all.jsonl"
    env = {"THREADS_DATABASE_URL": db_url}
    result = runner.invoke(app, ["export", "--out", str(archive)], env=env)
    assert result.exit_code == 0, result.output
    with engine.begin() as conn:  # an empty database to restore into
        for table in ("comment_report", "comment_topic", "comment", "thread", "article"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
    assert _counted(engine) == {}
    _assert_exact(engine)
    result = runner.invoke(app, ["ingest", str(archive)], env=env)
    assert result.exit_code == 0, result.output
    assert sum(_counted(engine).values()) > 0
    _assert_exact(engine)


def test_truncating_comments_empties_the_tally(engine: Engine, backend: str) -> None:
    if backend != "postgresql":  # SQLite keeps no tally and has no TRUNCATE
        return
    tid = make_thread(engine)
    for status in (CommentStatus.PENDING, CommentStatus.FLAGGED):
        make_comment(engine, tid, status=status)
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE comment CASCADE"))
    with session_scope(engine) as session:
        assert tally_drift(session) == []
        assert session.execute(sa.text("SELECT count(*) FROM comment_tally")).scalar_one() == 0
