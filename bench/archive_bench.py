"""Archive and export speed: comments per second and peak Python memory, with a baseline.

Builds a database of N comments (SQLite file, or an empty PostgreSQL database given with
--postgres), then times in the same run:

* baseline: read every comment row with one plain SELECT and json.dumps each row (the floor any
  exporter pays);
* each export (jsonl, wxr, disqus, csv) to /dev/null;
* restoring the JSONL archive into a second, empty database (load_archive, one transaction).

Run: .venv/bin/python bench/archive_bench.py --comments 100000 [--backend postgresql]
(PostgreSQL: two new databases on THREADS_TEST_POSTGRES_URL's server, else on a throwaway
cluster started as the tests do; or give --postgres and --postgres-target, two EMPTY databases.)
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _quick import capped  # noqa: E402

from threads.archive import export  # noqa: E402
from threads.archive.jsonl import load_archive  # noqa: E402
from threads.db import make_engine, upgrade  # noqa: E402
from threads.models import Article, Comment, CommentTopic, Site, Thread  # noqa: E402

WORDS = [
    "gold",
    "reserves",
    "sanctions",
    "russia",
    "unity",
    "nuclear",
    "deal",
    "bank",
    "price",
    "market",
    "vote",
    "the",
    "a",
    "of",
]


def populate(engine: sa.Engine, comments: int, threads: int) -> None:
    rng = random.Random(7)
    t0 = datetime(2014, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        # every article belongs to a site: the one a saved page at example.org would get
        site_id = conn.execute(
            sa.insert(Site.__table__).returning(Site.__table__.c.id),  # type: ignore[attr-defined]
            {
                "key": "example.org",
                "name": "example.org",
                "base_url": "https://example.org/",
                "extra": {},
                "created_at": t0,
                "updated_at": t0,
            },
        ).scalar_one()
        conn.execute(
            sa.insert(Article.__table__),  # type: ignore[attr-defined]
            [
                {
                    "id": i + 1,
                    "site_id": site_id,
                    "key": f"url:https://example.org/{i}",
                    "source_url": f"https://example.org/{i}",
                    "title": f"Article {i} — “quoted”",
                    "authors": ["A"],
                    "body": "body " * 50,
                    "source_format": "text",
                    "content_hash": f"{i:064d}",
                    "extra": {},
                    "created_at": t0,
                    "updated_at": t0,
                }
                for i in range(threads)
            ],
        )
        conn.execute(
            sa.insert(Thread.__table__),  # type: ignore[attr-defined]
            [
                {
                    "id": i + 1,
                    "article_id": i + 1,
                    "state": "open",
                    "extra": {},
                    "created_at": t0,
                    "updated_at": t0,
                    "version": 1,
                }
                for i in range(threads)
            ],
        )
        batch: list[dict[str, Any]] = []
        labels: list[dict[str, Any]] = []
        for i in range(comments):
            thread = i % threads + 1
            parent = i + 1 - threads if i >= threads and rng.random() < 0.4 else None
            body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 60)))
            batch.append(
                {
                    "id": i + 1,
                    "thread_id": thread,
                    "parent_id": parent,
                    "position": i // threads,
                    "key": f"id:{i}",
                    "kind": "comment",
                    "author_name": f"Zoë {i % 997}",
                    "author_email": f"a{i % 997}@example.org",
                    "posted_at": t0 + timedelta(minutes=i),
                    "posted_text": "January 1, 2014 at 10:00",
                    "body": body,
                    "body_format": "text",
                    "status": "approved",
                    "purged": False,
                    "version": 1,
                    "report_count": 0,
                    "content_hash": f"{i:064x}",
                    "sentiment": rng.uniform(-1, 1),
                    "extra": {},
                    "created_at": t0,
                    "updated_at": t0,
                }
            )
            if i % 3 == 0:
                labels.append(
                    {
                        "comment_id": i + 1,
                        "topic_id": rng.choice(["gold", "p5", "russia"]),
                        "score": rng.random(),
                        "assigned": True,
                        "evidence": [],
                        "source": "auto",
                        "labeler": "",
                        "taxonomy_version": "v1",
                        "created_at": t0,
                    }
                )
            if len(batch) >= 5000:
                conn.execute(sa.insert(Comment.__table__), batch)  # type: ignore[attr-defined]
                batch = []
        if batch:
            conn.execute(sa.insert(Comment.__table__), batch)  # type: ignore[attr-defined]
        conn.execute(sa.insert(CommentTopic.__table__), labels)  # type: ignore[attr-defined]
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("article", "thread", "comment"):
                conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
                )


def measure(fn: Callable[[], Any], again: Callable[[], Any] | None = None) -> tuple[float, float]:
    """Seconds of one plain run, then peak traced MB of a second run.

    Two runs because tracemalloc slows Python code several times over: timing a traced run
    would measure the tracer, not us. ``again`` is the second run when the first cannot repeat.
    """
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 1e6


def baseline(engine: sa.Engine) -> None:
    table = Comment.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn, open(os.devnull, "w", encoding="utf-8") as out:
        for row in conn.execute(sa.select(table), execution_options={"yield_per": 1000}):
            out.write(json.dumps(dict(row._mapping), default=str) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=500)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres", help="URL of an EMPTY PostgreSQL database (source)")
    parser.add_argument("--postgres-target", help="URL of a second EMPTY PostgreSQL database")
    args = capped(parser.parse_args(), comments=1000, threads=50)
    tmp = Path(tempfile.mkdtemp(prefix="archive-bench-"))
    cluster = None
    if args.backend == "postgresql" and not args.postgres:
        from ingest_bench import fresh_pg_database, postgres_url

        admin, cluster = postgres_url(tmp)
        if admin is None:
            sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
        args.postgres, args.postgres_target = fresh_pg_database(admin), fresh_pg_database(admin)
    try:
        run_all(args, tmp)
    finally:
        if cluster is not None:
            cluster.stop()  # type: ignore[attr-defined]
        shutil.rmtree(tmp, ignore_errors=True)  # a smoke run in the tests leaves nothing


def run_all(args: argparse.Namespace, tmp: Path) -> None:
    source_url = args.postgres or f"sqlite:///{tmp / 'source.db'}"
    target_url = args.postgres_target or f"sqlite:///{tmp / 'target.db'}"
    source, target = make_engine(source_url), make_engine(target_url)
    upgrade(source)
    upgrade(target)
    populate(source, args.comments, args.threads)
    n = args.comments
    rows: list[tuple[str, float, float]] = []
    seconds, peak = measure(lambda: baseline(source))
    rows.append(("baseline: SELECT every comment + json.dumps", seconds, peak))
    for fmt in ("jsonl", "wxr", "disqus", "csv"):

        def run(fmt: str = fmt) -> None:
            with open(os.devnull, "w", encoding="utf-8") as out:
                export(source, fmt, out)

        seconds, peak = measure(run)
        rows.append((f"export --format {fmt}", seconds, peak))
    archive = io.StringIO()
    export(source, "jsonl", archive)
    text = archive.getvalue()
    archive_path = tmp / "archive.jsonl"
    archive_path.write_text(text, encoding="utf-8")
    del archive, text

    def restore(commit: bool) -> None:
        with Session(target) as session, archive_path.open(encoding="utf-8") as handle:
            load_archive(session, handle, batch=None)
            if commit:
                session.commit()
            else:
                session.rollback()

    # memory first, rolled back so the target is empty again, then the timed run that commits
    tracemalloc.start()
    restore(commit=False)
    _, peak_bytes = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    start = time.perf_counter()
    restore(commit=True)
    seconds, peak = time.perf_counter() - start, peak_bytes / 1e6
    rows.append(("restore the archive into an empty database", seconds, peak))
    base = rows[0][1]
    print(f"{source.dialect.name}, {n} comments in {args.threads} threads")
    print("(seconds from a plain run; peak traced MB from a second run under tracemalloc)")
    print("| case | seconds | comments/s | x baseline time | peak Python MB |")
    print("|---|---:|---:|---:|---:|")
    for name, secs, peak in rows:
        print(f"| {name} | {secs:.2f} | {n / secs:,.0f} | {secs / base:.1f} | {peak:.1f} |")


if __name__ == "__main__":
    main()
