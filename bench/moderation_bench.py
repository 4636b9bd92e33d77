"""Moderation queue benchmark: list_queue over N comments, against a primary-key baseline.

Not a test. Fills a fresh database (SQLite file, or PostgreSQL with --postgres URL of an empty
database) with N comments in 200 threads (10% pending, 5% flagged, 30% with a topic label), then
times queue pages (first page per sort, a page deep in a cursor walk, topic/thread/text filters)
and, as the baseline measured in the same run, fetching 50 comments by primary key.

    .venv/bin/python bench/moderation_bench.py --comments 100000
    .venv/bin/python bench/moderation_bench.py --comments 100000 --postgres postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from _quick import capped
from sqlmodel import Session

from threads.db import make_engine, upgrade
from threads.db.queries.moderation import queue_count
from threads.models import Article, Comment, CommentStatus, CommentTopic, Site, Thread
from threads.moderation.queue import QueueFilter, list_queue

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def fill(engine: sa.Engine, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    threads = 200
    with engine.begin() as conn:
        # every article belongs to a site: one for all of them
        site_id = conn.execute(
            sa.insert(Site.__table__)  # type: ignore[attr-defined]
            .values(key="bench.example", name="bench", extra={}, created_at=T0, updated_at=T0)
            .returning(sa.column("id"))
        ).scalar_one()
        conn.execute(
            sa.insert(Article.__table__),  # type: ignore[attr-defined]
            [
                {
                    "site_id": site_id,
                    "key": f"bench:{i}",
                    "title": f"Article {i}",
                    "source_format": "bench",
                    "content_hash": "0" * 64,
                    "published_at": T0,
                    "body": "",
                    "authors": [],
                    "extra": {},
                    "created_at": T0,
                    "updated_at": T0,
                }
                for i in range(threads)
            ],
        )
        ids = [r[0] for r in conn.execute(sa.select(Article.id).order_by(Article.id))]
        conn.execute(
            sa.insert(Thread.__table__),  # type: ignore[attr-defined]
            [
                {
                    "article_id": a,
                    "state": "open",
                    "version": 1,
                    "extra": {},
                    "created_at": T0,
                    "updated_at": T0,
                }
                for a in ids
            ],
        )
        tids = [r[0] for r in conn.execute(sa.select(Thread.id).order_by(Thread.id))]
    statuses = [CommentStatus.APPROVED] * 17 + [CommentStatus.PENDING] * 2 + [CommentStatus.FLAGGED]
    words = [
        "gold",
        "reserves",
        "bank",
        "russia",
        "talks",
        "unity",
        "nuclear",
        "deal",
        "market",
        "price",
    ]
    batch = 5000
    for start in range(0, n, batch):
        rows = []
        for i in range(start, min(n, start + batch)):
            rows.append(
                {
                    "thread_id": tids[i % threads],
                    "position": i // threads,
                    "key": f"c{i}",
                    "kind": "comment",
                    "author_name": f"user{rng.randint(0, 5000)}",
                    "author_key": f"user{rng.randint(0, 5000)}",
                    "posted_at": T0 + timedelta(seconds=rng.randint(0, 3600 * 24 * 365)),
                    "body": " ".join(rng.choice(words) for _ in range(25)),
                    "body_format": "text",
                    "status": rng.choice(statuses).value,
                    "purged": False,
                    "version": 1,
                    "report_count": rng.choice([0, 0, 0, 1, 2, 5]),
                    "content_hash": f"{i:064d}",
                    "extra": {},
                    "created_at": T0,
                    "updated_at": T0,
                }
            )
        with engine.begin() as conn:
            conn.execute(sa.insert(Comment.__table__), rows)  # type: ignore[attr-defined]
    with engine.begin() as conn:
        cids = [r[0] for r in conn.execute(sa.select(Comment.id))]
        labelled = rng.sample(cids, int(len(cids) * 0.3))
        for s in range(0, len(labelled), batch):
            conn.execute(
                sa.insert(CommentTopic.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "comment_id": c,
                        "topic_id": rng.choice(["gold", "p5", "russia"]),
                        "score": rng.random(),
                        "assigned": True,
                        "evidence": [],
                        "source": "auto",
                        "labeler": "",
                        "taxonomy_version": "v1",
                        "created_at": T0,
                    }
                    for c in labelled[s : s + batch]
                ],
            )
    if engine.dialect.name == "postgresql":
        # as autovacuum would: sets the visibility map, so counts can be index-only scans
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    fn()  # warm up
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--postgres", help="URL of an EMPTY PostgreSQL database to fill")
    parser.add_argument("--repeat", type=int, default=50)
    args = capped(parser.parse_args(), comments=1000, repeat=2)
    scratch = tempfile.TemporaryDirectory()  # removed when the script ends
    url = args.postgres or f"sqlite:///{Path(scratch.name) / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    t = time.perf_counter()
    fill(engine, args.comments)
    print(
        f"{engine.dialect.name}: filled {args.comments} comments in {time.perf_counter() - t:.1f}s"
    )

    def page(flt: QueueFilter, sort: str = "oldest", cursor: str | None = None) -> object:
        with Session(engine) as session:
            return list_queue(session, flt, sort=sort, cursor=cursor, limit=50)

    with Session(engine) as session:
        cursor = None
        for _ in range(20):
            cursor = list_queue(session, QueueFilter(), cursor=cursor, limit=50).next_cursor
    ids = list(range(1, 51))

    def baseline() -> object:
        with Session(engine) as session:
            return list(session.scalars(sa.select(Comment).where(Comment.id.in_(ids))))  # type: ignore[union-attr]

    def count() -> object:
        with Session(engine) as session:
            return queue_count(session, QueueFilter())

    cases: list[tuple[str, Callable[[], object]]] = [
        ("baseline: 50 comments by primary key", baseline),
        ("count of the default queue only", count),
        ("queue oldest, first page", lambda: page(QueueFilter())),
        ("queue newest, first page", lambda: page(QueueFilter(), "newest")),
        ("queue most_reported, first page", lambda: page(QueueFilter(), "most_reported")),
        ("queue oldest, page 21 (cursor)", lambda: page(QueueFilter(), cursor=cursor)),
        ("queue topic=gold", lambda: page(QueueFilter(topic="gold"))),
        ("queue thread=7", lambda: page(QueueFilter(thread_id=7))),
        ("queue text='nuclear deal'", lambda: page(QueueFilter(text="nuclear deal"))),
    ]
    base = None
    print(f"{'case':40} {'p50 ms':>8} {'p99 ms':>8} {'x baseline':>10}")
    for name, fn in cases:
        p50, p99 = timed(fn, args.repeat)
        base = base or p50
        print(f"{name:40} {p50:8.2f} {p99:8.2f} {p50 / base:10.1f}")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
