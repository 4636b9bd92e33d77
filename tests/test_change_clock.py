"""The change clock (migration 0003): it moves exactly when a write to a shown table commits.

Cached API responses are only as exact as this: every kind of write to every clocked table must
move it (ORM, raw SQL, COPY, TRUNCATE), at commit and not before, never on a rollback, never
backwards (folding the rows of ended backends keeps the sum). SQLite keeps no clock.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.conftest import PgDatabases
from tests.ingest_support import ingest_one
from tests.moderation_support import make_comment, make_thread, make_thread_before_sites
from threads.db import downgrade, make_engine, session_scope, upgrade
from threads.db.probe import ClockProbe
from threads.db.queries.clock import (
    CLOCKED_TABLES,
    clock_kept,
    clock_rows,
    fold_clock,
    missing_clock_triggers,
    read_generation,
)
from threads.db.queries.tally import tally_drift
from threads.models import CommentStatus


def _generation(engine: Engine) -> int:
    with session_scope(engine) as session:
        return read_generation(session)


@pytest.fixture
def pg_engine(pg_databases: PgDatabases) -> Iterator[Engine]:
    """The clock is PostgreSQL's alone: these tests run there only (SQLite: the test below)."""
    url = pg_databases.migrated()
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        pg_databases.drop(url)


def test_only_postgresql_keeps_the_clock(engine: Engine, backend: str) -> None:
    tid = make_thread(engine)
    make_comment(engine, tid)
    with session_scope(engine) as session:
        if backend == "postgresql":
            assert clock_kept(session) and missing_clock_triggers(session) == []
            return
        assert not clock_kept(session)
        assert missing_clock_triggers(session) == list(CLOCKED_TABLES)
        assert fold_clock(session) == 0
    assert ClockProbe.for_engine(engine) is None


def test_every_write_to_every_clocked_table_moves_the_clock(pg_engine: Engine) -> None:
    engine = pg_engine
    tid = make_thread(engine)
    cid = make_comment(engine, tid)
    with session_scope(engine) as session:
        assert clock_kept(session)
    statements = {
        "import_batch": "UPDATE import_batch SET status = status",
        "article": "UPDATE article SET title = title || '!'",
        "thread": "UPDATE thread SET version = version + 1",
        "comment": f"UPDATE comment SET report_count = 3 WHERE id = {cid}",
        "comment_topic": (
            "INSERT INTO comment_topic (comment_id, codebook, topic_id, score, assigned, source, "
            f"labeler, taxonomy_version, evidence, created_at) VALUES ({cid}, 'c', 'gold', 1, "
            "true, 'moderator', 'm', 't', '[]', now())"
        ),
        "topic_model": "DELETE FROM topic_model",
        "comment_report": (
            "INSERT INTO comment_report (comment_id, reason_code, created_at) "
            f"VALUES ({cid}, 'spam', now())"
        ),
        "moderation_event": "DELETE FROM moderation_event WHERE id < 0",
    }
    assert set(statements) == set(CLOCKED_TABLES)
    for table, statement in statements.items():
        before = _generation(engine)
        with engine.begin() as conn:
            conn.execute(sa.text(statement))
        assert _generation(engine) > before, table
    # TRUNCATE too (statement-level triggers see it; row-level ones would not).
    before = _generation(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE comment_report"))
    assert _generation(engine) > before
    # api_key is read on every request, never cached: using a key does not move the clock.
    before = _generation(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE api_key SET last_used_at = now()"))
    assert _generation(engine) == before


def test_the_clock_moves_at_commit_never_before_and_never_on_rollback(pg_engine: Engine) -> None:
    engine = pg_engine
    tid = make_thread(engine)
    cid = make_comment(engine, tid)
    start = _generation(engine)
    with engine.connect() as writer:
        writer.execute(sa.text(f"UPDATE comment SET status = 'approved' WHERE id = {cid}"))
        assert _generation(engine) == start  # another connection sees nothing yet
        writer.rollback()
    assert _generation(engine) == start
    with engine.connect() as writer:
        writer.execute(sa.text(f"UPDATE comment SET status = 'approved' WHERE id = {cid}"))
        writer.execute(sa.text(f"UPDATE comment SET report_count = 1 WHERE id = {cid}"))
        assert _generation(engine) == start
        writer.commit()
    assert _generation(engine) > start


def test_a_long_writer_does_not_block_other_writers(pg_engine: Engine) -> None:
    """Each backend ticks its own row: a transaction left open (a long import) holds no lock
    that another writer needs."""
    engine = pg_engine
    tid = make_thread(engine)
    first, second = make_comment(engine, tid), make_comment(engine, tid)
    with engine.connect() as long_writer:
        long_writer.execute(sa.text(f"UPDATE comment SET report_count = 1 WHERE id = {first}"))
        other = make_engine(str(engine.url.render_as_string(hide_password=False)))
        try:
            with other.connect() as conn:
                conn.execute(sa.text("SET lock_timeout = '2s'"))
                conn.execute(sa.text(f"UPDATE comment SET report_count = 1 WHERE id = {second}"))
                conn.commit()
        finally:
            other.dispose()
        long_writer.commit()


def test_bulk_loads_imports_and_concurrent_writers_move_it(pg_engine: Engine) -> None:
    engine = pg_engine
    before = _generation(engine)
    ingest_one(engine, Path("fixtures/consortiumnews-us-policy-unites-iran-and-china.txt"))
    after_import = _generation(engine)
    assert after_import > before
    tid = make_thread(engine)
    ids = [make_comment(engine, tid) for _ in range(20)]
    errors: list[BaseException] = []

    def work(chunk: list[int]) -> None:
        try:
            for cid in chunk:
                with engine.begin() as conn:
                    conn.execute(sa.text(f"UPDATE comment SET report_count = 2 WHERE id = {cid}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    start = _generation(engine)
    workers = [threading.Thread(target=work, args=(ids[i::4],)) for i in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert _generation(engine) >= start + len(ids)


def test_folding_ended_backends_keeps_the_sum(pg_engine: Engine) -> None:
    engine = pg_engine
    tid = make_thread(engine)
    url = engine.url.render_as_string(hide_password=False)
    pids = set()
    for _ in range(3):  # three other backends that write and end
        other = make_engine(url)
        try:
            with other.begin() as conn:
                pids.add(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())
                conn.execute(sa.text(f"UPDATE thread SET version = version + 1 WHERE id = {tid}"))
        finally:
            other.dispose()
    deadline = time.monotonic() + 10
    while True:  # a backend leaves pg_stat_activity shortly after its client hangs up
        with engine.connect() as conn:
            alive = conn.execute(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                {"pids": list(pids)},
            ).scalar_one()
        if alive == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    with session_scope(engine) as session:
        rows_before = clock_rows(session)
        total = read_generation(session)
    assert rows_before >= len(pids) + 1
    with session_scope(engine) as session:
        folded = fold_clock(session)
    assert folded >= len(pids)
    with session_scope(engine) as session:
        assert read_generation(session) == total
        assert clock_rows(session) == rows_before - folded
        assert fold_clock(session) == 0  # nothing left to fold


def test_truncating_comments_empties_the_tally(pg_engine: Engine) -> None:
    engine = pg_engine
    tid = make_thread(engine)
    for status in (CommentStatus.PENDING, CommentStatus.FLAGGED):
        make_comment(engine, tid, status=status)
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE comment CASCADE"))
    with session_scope(engine) as session:
        assert tally_drift(session) == []
        assert session.execute(sa.text("SELECT count(*) FROM comment_tally")).scalar_one() == 0


def test_upgrade_and_downgrade(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0002")
        tid = make_thread_before_sites(engine)
        make_comment(engine, tid)
        upgrade(engine)
        with session_scope(engine) as session:
            kept = clock_kept(session)
        assert kept == (engine.dialect.name == "postgresql")
        if kept:
            start = _generation(engine)
            make_comment(engine, tid)
            assert _generation(engine) > start
        downgrade(engine, "0002")  # the triggers go with the table
        make_comment(engine, tid)
        upgrade(engine)
        with session_scope(engine) as session:
            assert clock_kept(session) == kept
    finally:
        engine.dispose()


def test_db_check_reports_the_clock(engine: Engine, db_url: str, backend: str) -> None:
    runner = CliRunner()
    env = {"THREADS_DATABASE_URL": db_url}
    result = runner.invoke(app, ["db", "check"], env=env)
    assert result.exit_code == 0, result.output
    if backend == "sqlite":
        assert "change clock: not kept on SQLite" in result.output
        return
    assert "change clock: kept" in result.output
    result = runner.invoke(app, ["db", "check", "--repair"], env=env)
    assert result.exit_code == 0, result.output
    assert "folded" in result.output
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TRIGGER change_clock_tick ON comment_topic"))
    with session_scope(engine) as session:
        assert missing_clock_triggers(session) == ["comment_topic"]
        assert not clock_kept(session)
    result = runner.invoke(app, ["db", "check"], env=env)
    assert result.exit_code == 1
    assert "comment_topic" in result.output


# --------------------------------------------------------------------------- the probe


def test_probe_batches_concurrent_readers_and_reads_after_each_arrival(pg_engine: Engine) -> None:
    engine = pg_engine
    probe = ClockProbe.for_engine(engine)
    assert probe is not None
    tid = make_thread(engine)

    async def scenario() -> None:
        first = await probe.read()
        # A write that commits before a read starts is always in that read.
        await asyncio.to_thread(make_comment, engine, tid)
        second = await probe.read()
        assert second.generation[:2] == first.generation[:2]
        assert second.generation[2] > first.generation[2]
        trips = probe.round_trips
        readings = await asyncio.gather(*(probe.read() for _ in range(50)))
        assert {r.generation for r in readings} == {second.generation}
        assert probe.round_trips - trips < 50  # batched: far fewer statements than readers
        await probe.close()

    asyncio.run(scenario())


def test_probe_reconnects_after_the_server_drops_it(pg_engine: Engine) -> None:
    engine = pg_engine
    probe = ClockProbe.for_engine(engine)
    assert probe is not None

    async def scenario() -> None:
        first = await probe.read()
        with engine.begin() as conn:  # the server ends every other session of this database
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        again = await probe.read()
        assert again.generation == first.generation
        await probe.close()

    asyncio.run(scenario())


def test_probe_failures_reach_every_waiter(pg_engine: Engine) -> None:
    engine = pg_engine
    probe = ClockProbe.for_engine(engine)
    assert probe is not None
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE change_clock RENAME TO change_clock_gone"))

    async def scenario() -> None:
        results = await asyncio.gather(*(probe.read() for _ in range(5)), return_exceptions=True)
        assert all(isinstance(r, psycopg.errors.UndefinedTable) for r in results), results
        await probe.close()

    asyncio.run(scenario())
