"""Benchmark: the corpus summary (`threads report --all --format json`) over N comments.

Bulk-generates a synthetic corpus (threads, comments, topic labels with a few moderator
overrides) on SQLite and/or PostgreSQL, then times, in the same run (after one untimed report
that warms the caches; best of two runs each):

- baseline A: ``SELECT status, count(*) FROM comment GROUP BY status`` (index only);
- baseline B: ``SELECT kind, status, count(*) FROM comment GROUP BY kind, status`` (a scan of
  the comment table);
- the corpus summary with distinctive terms (the default), built and rendered as JSON;
- the corpus summary without distinctive terms (``--no-terms``).

Usage (from the repository root)::

    .venv/bin/python bench/report_bench.py --comments 1000000 --backend both

PostgreSQL: ``THREADS_TEST_POSTGRES_URL`` (an admin URL; a scratch database is created and
dropped), else a throwaway cluster started as the tests do (tests/pg.py).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _quick import capped, quick  # noqa: E402

from threads.analysis.common import ReportQuery  # noqa: E402
from threads.analysis.formats import report_json  # noqa: E402
from threads.analysis.report import build_report  # noqa: E402
from threads.db import make_engine, upgrade  # noqa: E402
from threads.models import DEFAULT_CODEBOOK  # noqa: E402

TOPICS = ["gold", "p5", "russia"]
_VOCABULARY = (
    "gold reserves ruble sanctions iran talks enrichment centrifuges vienna moscow kremlin "
    "putin oil deal bank vault dollar china trade nuclear treaty europe market price "
    "election policy war peace media truth people government money history future"
)
WORDS = _VOCABULARY.split()
STATUSES = ["approved"] * 16 + ["pending", "flagged", "spam", "rejected"]
START = datetime(2012, 1, 1, tzinfo=UTC)
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.000000"


def _body(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30)))


def _comments(n: int, threads: int, seed: int) -> Iterator[tuple[Any, ...]]:
    """(id, thread_id, parent_id, position, key, author, posted_at, body, status, sentiment)."""
    rng = random.Random(seed)
    per_thread = max(1, n // threads)
    cid = 0
    for t in range(1, threads + 1):
        # never more than n: with fewer comments than threads, the last threads stay empty
        count = min(per_thread, n - cid) if t < threads else n - cid
        first = cid + 1
        base = START + timedelta(days=(t * 1095) // threads)
        for pos in range(count):
            cid += 1
            parent = rng.randint(first, cid - 1) if pos and rng.random() < 0.4 else None
            posted = base + timedelta(minutes=pos * 7 + rng.randint(0, 5))
            yield (
                cid,
                t,
                parent,
                pos,
                f"c{cid}",
                f"user{rng.randint(1, 20000)}",
                posted,
                _body(rng),
                rng.choice(STATUSES),
                round(rng.uniform(-1, 1), 3),
            )


def _labels(n: int, seed: int) -> Iterator[tuple[Any, ...]]:
    """(comment_id, topic_id, score, assigned, source, labeler): ~1.1 labels per comment."""
    rng = random.Random(seed + 1)
    for cid in range(1, n + 1):
        for topic in TOPICS:
            if rng.random() < 0.37:
                score = round(rng.random(), 3)
                yield (cid, topic, score, score >= 0.3, "auto", "")
                if rng.random() < 0.01:
                    yield (cid, topic, 1.0, rng.random() < 0.5, "moderator", "mod")


def _generate_sqlite(engine: sa.Engine, n: int, threads: int, seed: int) -> None:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        now = datetime.now(UTC).strftime(SQLITE_TIME)
        cur.execute("BEGIN")
        # every article belongs to a site: one for the whole corpus
        cur.execute(
            "INSERT INTO site (id, key, name, extra, created_at, updated_at)"
            " VALUES (1, 'bench.example', 'bench', '{}', ?, ?)",
            (now, now),
        )
        cur.executemany(
            "INSERT INTO article (id, site_id, key, title, authors, body, source_format,"
            " content_hash, extra, created_at, updated_at)"
            " VALUES (?, 1, ?, ?, '[]', '', 'bench', 'h', '{}', ?, ?)",
            [(t, f"bench:{t}", f"Bench article {t}", now, now) for t in range(1, threads + 1)],
        )
        cur.executemany(
            "INSERT INTO thread (id, article_id, state, version, extra, created_at, updated_at)"
            " VALUES (?, ?, 'open', 1, '{}', ?, ?)",
            [(t, t, now, now) for t in range(1, threads + 1)],
        )
        rows = (
            (*r[:6], r[5], r[6].strftime(SQLITE_TIME), r[7], r[8], r[9], now, now)
            for r in _comments(n, threads, seed)
        )
        cur.executemany(
            "INSERT INTO comment (id, thread_id, parent_id, position, key, author_name, author_key,"
            " posted_at, body, status, sentiment, created_at, updated_at, kind, body_format,"
            " purged, version, report_count, content_hash, extra)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " 'comment', 'text', 0, 1, 0, 'h', '{}')",
            rows,
        )
        # labels of the shipped codebook: the one the report reads
        cur.executemany(
            "INSERT INTO comment_topic (comment_id, topic_id, score, assigned, source, labeler,"
            " evidence, taxonomy_version, created_at, codebook)"
            " VALUES (?, ?, ?, ?, ?, ?, '[]', 'bench', ?, ?)",
            ((*r, now, DEFAULT_CODEBOOK) for r in _labels(n, seed)),
        )
        cur.execute("COMMIT")
        cur.execute("ANALYZE")
    finally:
        raw.close()


def _generate_postgres(engine: sa.Engine, n: int, threads: int, seed: int) -> None:
    raw = engine.raw_connection()
    try:
        conn: Any = raw.driver_connection
        now = datetime.now(UTC)
        with conn.cursor() as cur:
            # every article belongs to a site: one for the whole corpus
            cur.execute(
                "INSERT INTO site (id, key, name, extra, created_at, updated_at)"
                " VALUES (1, 'bench.example', 'bench', '{}', %s, %s)",
                (now, now),
            )
            with cur.copy(
                "COPY article (id, site_id, key, title, authors, body, source_format,"
                " content_hash, extra, created_at, updated_at) FROM STDIN"
            ) as copy:
                for t in range(1, threads + 1):
                    copy.write_row(
                        (t, 1, f"bench:{t}", f"Bench {t}", "[]", "", "bench", "h", "{}", now, now)
                    )
            with cur.copy(
                "COPY thread (id, article_id, state, version, extra, created_at, updated_at)"
                " FROM STDIN"
            ) as copy:
                for t in range(1, threads + 1):
                    copy.write_row((t, t, "open", 1, "{}", now, now))
            with cur.copy(
                "COPY comment (id, thread_id, parent_id, position, key, author_name, author_key,"
                " posted_at, body, status, sentiment, created_at, updated_at, kind, body_format,"
                " purged, version, report_count, content_hash, extra) FROM STDIN"
            ) as copy:
                for r in _comments(n, threads, seed):
                    copy.write_row(
                        (*r[:6], r[5], *r[6:], now, now, "comment", "text", False, 1, 0, "h", "{}")
                    )
            # labels of the shipped codebook: the one the report reads
            with cur.copy(
                "COPY comment_topic (comment_id, topic_id, score, assigned, source, labeler,"
                " evidence, taxonomy_version, created_at, codebook) FROM STDIN"
            ) as copy:
                for r in _labels(n, seed):
                    copy.write_row((*r, "[]", "bench", now, DEFAULT_CODEBOOK))
            for table in ("site", "article", "thread", "comment", "comment_topic"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT coalesce(max(id), 1) FROM {table}))"
                )
        conn.commit()
        with conn.cursor() as cur:
            conn.autocommit = True
            cur.execute("VACUUM ANALYZE")
        # back to transactions before the connection returns to the pool: the report streams
        # comments through a server-side cursor, which PostgreSQL allows only in a transaction
        conn.autocommit = False
    finally:
        raw.close()


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def run(backend: str, url: str, n: int, threads: int, seed: int) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            have = conn.execute(sa.text("SELECT count(*) FROM comment")).scalar_one()
        generate_s = 0.0
        if have == 0:
            gen = _generate_sqlite if backend == "sqlite" else _generate_postgres
            generate_s, _ = _timed(lambda: gen(engine, n, threads, seed))
        with engine.connect() as conn:
            n = conn.execute(sa.text("SELECT count(*) FROM comment")).scalar_one()
            labels = conn.execute(sa.text("SELECT count(*) FROM comment_topic")).scalar_one()

        def query(sql: str) -> Callable[[], Any]:
            def go() -> Any:
                with engine.connect() as conn:
                    return list(conn.execute(sa.text(sql)))

            return go

        baseline = query("SELECT status, count(*) FROM comment GROUP BY status")
        scan = query("SELECT kind, status, count(*) FROM comment GROUP BY kind, status")

        def report(terms: bool) -> Callable[[], int]:
            def go() -> int:
                request = ReportQuery(all_threads=True, terms=terms)
                return len(report_json(build_report(engine, request)))

            return go

        # One untimed report warms the caches; then each case runs twice, the best counts.
        report(False)()
        base_s = min(_timed(baseline)[0] for _ in range(2))
        scan_s = min(_timed(scan)[0] for _ in range(2))
        full = [_timed(report(True)) for _ in range(2)]
        full_s, size = min(t for t, _ in full), full[0][1]
        lean_s = min(_timed(report(False))[0] for _ in range(2))
        return {
            "backend": backend,
            "comments": n,
            "labels": labels,
            "threads": threads,
            "generate_s": generate_s,
            "baseline_s": base_s,
            "scan_s": scan_s,
            "report_s": full_s,
            "report_no_terms_s": lean_s,
            "json_bytes": size,
        }
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--sqlite-file",
        type=Path,
        help="keep the SQLite corpus in this file (reused when it already holds comments)",
    )
    args = capped(parser.parse_args(), comments=1000, threads=50)
    results = []
    if args.backend in ("sqlite", "both"):
        if args.sqlite_file and quick():
            # a full-size corpus kept under that name is neither reused nor overwritten, and a
            # quick run keeps nothing
            print(f"quick run: {args.sqlite_file} is not used; the corpus is temporary")
        if args.sqlite_file and not quick():
            url = f"sqlite:///{args.sqlite_file.resolve()}"
            results.append(run("sqlite", url, args.comments, args.threads, args.seed))
        else:
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{tmp}/bench.db"
                results.append(run("sqlite", url, args.comments, args.threads, args.seed))
        print(_line(results[-1]), flush=True)
    if args.backend in ("postgresql", "both"):
        results.append(_run_postgres(args))
        print(_line(results[-1]), flush=True)


def _run_postgres(args: argparse.Namespace) -> dict[str, Any]:
    from tests.pg import find_pg_bin, start_cluster

    admin = os.environ.get("THREADS_TEST_POSTGRES_URL")
    cluster = None
    if not admin:
        bindir = find_pg_bin()
        if bindir is None:
            raise SystemExit("PostgreSQL binaries not found (or set THREADS_TEST_POSTGRES_URL)")
        cluster = start_cluster(bindir)
        admin = cluster.admin_url
    name = f"threads_bench_{uuid.uuid4().hex[:8]}"
    admin_engine = make_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with admin_engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(admin).set(database=name)
        return run(
            "postgresql",
            url.render_as_string(hide_password=False),
            args.comments,
            args.threads,
            args.seed,
        )
    finally:
        with admin_engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()
        if cluster is not None:
            cluster.stop()


def _line(r: dict[str, Any]) -> str:
    buf = io.StringIO()
    buf.write(
        f"{r['backend']}: {r['comments']:,} comments, {r['labels']:,} labels, "
        f"{r['threads']:,} threads; generated in {r['generate_s']:.1f} s\n"
        f"  baseline A: SELECT status, count(*) GROUP BY status (index only)  "
        f"{r['baseline_s']:.2f} s\n"
        f"  baseline B: SELECT kind, status, count(*) GROUP BY kind, status (table scan)  "
        f"{r['scan_s']:.2f} s\n"
        f"  report --all (json)       {r['report_s']:.2f} s  "
        f"= {r['report_s'] / r['baseline_s']:.0f} x A, {r['report_s'] / r['scan_s']:.1f} x B\n"
        f"  report --all --no-terms   {r['report_no_terms_s']:.2f} s  "
        f"= {r['report_no_terms_s'] / r['baseline_s']:.0f} x A, "
        f"{r['report_no_terms_s'] / r['scan_s']:.1f} x B\n"
        f"  JSON size {r['json_bytes']:,} bytes"
    )
    return buf.getvalue()


if __name__ == "__main__":
    main()
