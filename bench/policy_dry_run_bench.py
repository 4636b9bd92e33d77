"""Rule dry-run benchmark: proposed rules over N past comments (target: 100,000 in under 10 s).

Not a test. Fills a fresh database (SQLite file, or PostgreSQL with --postgres URL of an empty
database) with N comments in 200 threads of one site: 5,000 authors, 85% approved, 5% pending,
5% rejected, 5% spam; 3% of bodies carry links, 2% a word of the packaged list, 2% repeat an
earlier text (duplicates). Then times one dry-run of a proposal that touches every rule (a word
added, the link limit lowered, pre-moderation ``first_time``, auto-close after 30 days from the
last comment) over the whole site: every comment judged, the first page of stopped comments,
the confusion table. The fill is not timed.

    .venv/bin/python bench/policy_dry_run_bench.py --comments 100000
    .venv/bin/python bench/policy_dry_run_bench.py --comments 100000 --postgres postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from _quick import capped

from threads.config import Settings
from threads.db import make_engine, upgrade
from threads.models import Article, AutoCloseFrom, Comment, PreModeration, Site, Thread
from threads.moderation.dryrun import Proposal, Scope, dry_run
from threads.moderation.matching import content_hash_of

T0 = datetime(2025, 1, 1, tzinfo=UTC)
THREADS = 200
AUTHORS = 5000
WORDS = ["gold", "reserves", "bank", "russia", "talks"]
WORDS += ["unity", "nuclear", "deal", "market", "price"]


def fill(engine: sa.Engine, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with engine.begin() as conn:
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
                    "published_at": T0 + timedelta(days=i),
                    "body": "",
                    "authors": [],
                    "extra": {},
                    "created_at": T0,
                    "updated_at": T0,
                }
                for i in range(THREADS)
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
    statuses = ["approved"] * 17 + ["pending", "rejected", "spam"]
    bodies: list[str] = []
    batch = 5000
    for start in range(0, n, batch):
        rows = []
        for i in range(start, min(n, start + batch)):
            roll = rng.random()
            if roll < 0.02 and bodies:
                body = rng.choice(bodies[-500:])
            else:
                body = " ".join(rng.choice(WORDS) for _ in range(25))
                if roll < 0.05:
                    body += " see http://a.example/x and www.b.example"
                elif roll < 0.07:
                    body += " what an idiot"
                bodies.append(body)
            author = f"user{rng.randint(0, AUTHORS)}"
            rows.append(
                {
                    "thread_id": tids[i % THREADS],
                    "position": i // THREADS,
                    "key": f"c{i}",
                    "kind": "comment",
                    "author_name": author,
                    "author_key": author,
                    "posted_at": T0 + timedelta(seconds=rng.randint(0, 3600 * 24 * 365)),
                    "body": body,
                    "body_format": "text",
                    "status": rng.choice(statuses),
                    "purged": False,
                    "version": 1,
                    "report_count": 0,
                    "content_hash": content_hash_of(body),
                    "extra": {},
                    "created_at": T0,
                    "updated_at": T0,
                }
            )
        with engine.begin() as conn:
            conn.execute(sa.insert(Comment.__table__), rows)  # type: ignore[attr-defined]
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--postgres", help="URL of an empty PostgreSQL database")
    parser.add_argument("--target", type=float, default=10.0, help="seconds")
    args = capped(parser.parse_args(), comments=1000)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.postgres or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        fill(engine, args.comments)
        print(f"filled {args.comments} comments in {time.perf_counter() - started:.1f} s")
        settings = Settings(database_url=url)
        proposal = Proposal(
            add_words=(("hold", "nuclear deal"),),
            max_links=1,
            premoderation=PreModeration.FIRST_TIME,
            auto_close_days=30,
            auto_close_from=AutoCloseFrom.LAST_COMMENT,
        )
        started = time.perf_counter()
        with engine.connect() as conn:
            result = dry_run(conn, settings, proposal, Scope(site="bench.example"))
            conn.rollback()
        took = time.perf_counter() - started
        engine.dispose()
    print(
        f"dry-run over {result.total} comments ({engine.dialect.name}): {took:.2f} s; "
        f"held {result.held}, refused {result.refused}, flagged {result.outcomes['flag']}; "
        f"precision {result.precision}, recall {result.recall}"
    )
    verdict = "met" if took < args.target else "MISSED"
    print(f"target {args.target:.0f} s for {args.comments} comments: {verdict}")
    return 0 if took < args.target else 1


if __name__ == "__main__":
    sys.exit(main())
