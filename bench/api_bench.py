"""HTTP load benchmark: `threads serve` over 100,000 comments vs a bare Litestar app.

Loopback only (127.0.0.1). Uses `wrk` (Debian package `wrk`) at 32 connections for a fixed time
per scenario: a bare Litestar app returning a constant JSON (the baseline, measured before and
after), then against the real app: the queue listing and a thread read (uncached: the server
keeps no response cache, and wrk sends no If-None-Match), public submissions, approvals, and
reads while moderators write: the queue listing, then a thread read, each with 24 connections
while 8 connections approve at the same time (the approvals' own figures are recorded beside the
queue listing's). Each server first gets one unmeasured second of the GET scenarios.
Prints requests/s, p50/p99 latency and non-2xx counts, and each scenario's ratio to bare.

    .venv/bin/python bench/api_bench.py [--comments 100000] [--duration 10] [--workers 2]
    .venv/bin/python bench/api_bench.py --sqlite   # the embedded SQLite file, one worker

PostgreSQL: THREADS_TEST_POSTGRES_URL (an admin URL) or a throwaway cluster as in tests/pg.py.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# bench._quick, not _quick: uvicorn imports this module as bench.api_bench
from bench._quick import capped, quick  # noqa: E402
from tests.pg import find_pg_bin, start_cluster  # noqa: E402
from threads.db import make_engine, session_scope, upgrade  # noqa: E402
from threads.keys import create_key  # noqa: E402
from threads.models import Article, Comment, Role, Site, Thread  # noqa: E402
from threads.moderation.audit import Actor  # noqa: E402

PYTHON = sys.executable


def bare_app() -> Any:
    """The baseline: a Litestar app with one handler returning a constant JSON."""
    from litestar import Litestar, get

    @get("/", sync_to_thread=False)
    def constant() -> dict[str, Any]:
        return {"items": [], "total": 0, "next_cursor": None}

    return Litestar(route_handlers=[constant])


# --------------------------------------------------------------------------- database


@contextmanager
def postgres() -> Iterator[str]:
    given = os.environ.get("THREADS_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    bindir = find_pg_bin()
    if bindir is None:
        sys.exit("PostgreSQL not found: install it or set THREADS_TEST_POSTGRES_URL")
    cluster = start_cluster(bindir)
    try:
        yield cluster.admin_url
    finally:
        cluster.stop()


def create_database(admin_url: str) -> str:
    name = f"threads_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = sa.engine.make_url(admin_url).set(database=name)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        name = sa.engine.make_url(url).database
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclass
class Seeded:
    threads: list[int]
    pending_ids: list[int]
    viewer: str
    moderator: str
    seconds: float


def seed(url: str, comments: int, threads: int = 100) -> Seeded:
    """Bulk-insert ``comments`` comments over ``threads`` threads (multi-row INSERTs)."""
    started = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    rng = random.Random(7)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    now = datetime.now(UTC)
    statuses = ["approved"] * 6 + ["pending"] * 2 + ["flagged", "rejected"]
    with engine.begin() as conn:
        site = conn.execute(
            sa.insert(Site.__table__).returning(Site.__table__.c.id),  # type: ignore[attr-defined]
            {
                "key": "bench.example",
                "name": "bench",
                "base_url": "https://bench.example/",
                "extra": {},
                "created_at": now,
                "updated_at": now,
            },
        ).scalar_one()
        article_rows = [
            {
                "site_id": site,
                "key": f"bench:{i}",
                "title": f"Article {i}",
                "authors": [],
                "body": "",
                "source_format": "bench",
                "content_hash": "0" * 64,
                "extra": {},
                "created_at": now,
                "updated_at": now,
                "published_at": now - timedelta(days=1),
            }
            for i in range(threads)
        ]
        article_ids = (
            conn.execute(
                sa.insert(Article.__table__).returning(Article.__table__.c.id),  # type: ignore[attr-defined]
                article_rows,
            )
            .scalars()
            .all()
        )
        thread_ids = (
            conn.execute(
                sa.insert(Thread.__table__).returning(Thread.__table__.c.id),  # type: ignore[attr-defined]
                [
                    {
                        "article_id": a,
                        "state": "open",
                        "version": 1,
                        "extra": {},
                        "created_at": now,
                        "updated_at": now,
                    }
                    for a in article_ids
                ],
            )
            .scalars()
            .all()
        )
        table = Comment.__table__  # type: ignore[attr-defined]
        batch: list[dict[str, Any]] = []
        for n in range(comments):
            status = statuses[n % len(statuses)]
            batch.append(
                {
                    "thread_id": thread_ids[n % threads],
                    "position": n // threads,
                    "key": f"b{n}",
                    "kind": "comment",
                    "author_name": f"reader {n % 5000}",
                    "author_email": f"r{n % 5000}@example.org",
                    "author_key": f"r{n % 5000}@example.org",
                    "posted_at": t0 + timedelta(seconds=n * 7 + rng.randint(0, 6)),
                    "body": f"comment {n} on gold reserves and the P5+1 talks, with some words",
                    "body_format": "text",
                    "status": status,
                    "purged": False,
                    "version": 1,
                    "report_count": rng.choice([0, 0, 0, 1, 2]),
                    "content_hash": f"{n:064x}",
                    "extra": {},
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if len(batch) == 5000:
                conn.execute(sa.insert(table), batch)
                batch = []
        if batch:
            conn.execute(sa.insert(table), batch)
        pending = (
            conn.execute(sa.text("SELECT id FROM comment WHERE status = 'pending' ORDER BY id"))
            .scalars()
            .all()
        )
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
            conn.commit()
    else:
        vacuum(engine)
    with session_scope(engine) as session:
        actor = Actor.user("bench")
        viewer = create_key(session, "bench-viewer", Role.VIEWER, actor=actor).secret
        moderator = create_key(session, "bench-moderator", Role.MODERATOR, actor=actor).secret
    engine.dispose()
    return Seeded(list(thread_ids), list(pending), viewer, moderator, time.perf_counter() - started)


def vacuum(engine: sa.engine.Engine) -> None:
    """As autovacuum would after a bulk load: statistics, and a visibility map so that counts can
    use index-only scans. On the throwaway cluster (synchronous_commit=off) a VACUUM right
    after the load leaves the map empty (hint bits wait for the commit's WAL to be flushed),
    and every count then reads the heap: vacuum again until the map is filled, as autovacuum
    would have by the time a server takes traffic."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        allvisible = 0.0
        for _ in range(20):
            conn.execute(sa.text("VACUUM (ANALYZE) comment"))
            allvisible = conn.execute(
                sa.text(
                    "SELECT relallvisible::float / greatest(relpages, 1) FROM pg_class "
                    "WHERE relname = 'comment'"
                )
            ).scalar_one()
            if allvisible > 0.95:
                break
            time.sleep(0.5)
        conn.execute(sa.text("VACUUM (ANALYZE)"))
        print(f"comment pages all-visible after VACUUM: {allvisible:.0%}", flush=True)


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(command: list[str], port: int, env: dict[str, str]) -> Iterator[None]:
    # the server's log goes to a file: a pipe nobody reads fills up (64 KB) and then blocks
    # every worker that logs (the first runs of the mixed scenarios stalled on it)
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed after the server stops
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"server exited: {log.read()}")
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start")
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


# --------------------------------------------------------------------------- wrk


@dataclass
class Result:
    name: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: str


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)", text)
    assert match, text
    value, unit = float(match.group(1)), match.group(2)
    return {"us": value / 1000, "ms": value, "s": value * 1000, "m": value * 60000}[unit]


def wrk(
    name: str,
    url: str,
    *,
    duration: int,
    connections: int,
    threads: int,
    script: str | None = None,
    headers: dict[str, str] | None = None,
) -> Result:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for key, value in (headers or {}).items():
        command += ["-H", f"{key}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script or "")
        path = handle.name
    if script:
        command += ["-s", path]
    command.append(url)
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(path)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    dist = out[out.index("Latency Distribution") :]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", dist, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", dist, re.M).group(1))  # type: ignore[union-attr]
    non = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return Result(
        name,
        requests,
        rps,
        p50,
        p99,
        int(non.group(1)) if non else 0,
        errors.group(1) if errors else "",
    )


# Each wrk thread has its own Lua state: ``setup`` (run in the main state) numbers them, so
# that threads never send the same body (duplicates are held) nor act on the same comment.
SUBMIT_LUA = """
next_tid = 0
tid = 0
local counter = 0
local threads = {%(threads)s}
setup = function(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end
request = function()
  counter = counter + 1
  local thread_id = threads[(counter %% #threads) + 1]
  local body = '{"author_name":"bench reader","body":"bench comment %(run)s-' .. tid ..
    '-' .. counter .. ' about the talks"}'
  return wrk.format("POST", "/api/threads/" .. thread_id .. "/comments",
    {["Content-Type"] = "application/json"}, body)
end
"""

ACTION_LUA = """
next_tid = 0
tid = 0
local ids = {%(ids)s}
local counter = 0
local stride = %(stride)d
setup = function(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end
request = function()
  local i = tid * stride + counter + 1
  counter = counter + 1
  local id = ids[((i - 1) %% #ids) + 1]
  return wrk.format("POST", "/api/comments/" .. id .. "/actions",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(key)s"},
    '{"action":"approve"}')
end
"""


@contextmanager
def database(sqlite: bool) -> Iterator[str]:
    """A fresh database: a SQLite file in a temporary folder, or a database on PostgreSQL."""
    if sqlite:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    with postgres() as admin_url:
        url = create_database(admin_url)
        try:
            yield url
        finally:
            drop_database(admin_url, url)


def run_scenarios(args: argparse.Namespace, url: str, seeded: Seeded) -> list[Result]:
    results: list[Result] = []
    run = {"duration": args.duration, "connections": args.connections, "threads": args.wrk_threads}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    port = free_port()
    bare = [
        PYTHON,
        "-m",
        "uvicorn",
        "bench.api_bench:bare_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]

    def warm_up(target: str, **kw: Any) -> None:
        """Unmeasured: first connections, imports, first pages; none in a quick run (it only
        checks that every scenario runs)."""
        if not quick():
            wrk("warm-up", target, **{**run, "duration": 1}, **kw)

    with server(bare, port, env):
        warm_up(f"http://127.0.0.1:{port}/")
        results.append(wrk("bare (before)", f"http://127.0.0.1:{port}/", **run))
    port = free_port()
    app_env = {
        **env,
        "THREADS_DATABASE_URL": url,
        "THREADS_RATE_LIMIT_PER_MINUTE": str(10**9),
    }
    serve = [
        str(Path(PYTHON).with_name("threads")),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    base = f"http://127.0.0.1:{port}"
    queue_url = f"{base}/api/queue?limit=50"
    thread_url = f"{base}/api/threads/{seeded.threads[0]}"
    viewer = {"Authorization": f"Bearer {seeded.viewer}"}
    # pending comments in three parts: approvals alone, then beside each of the two readers
    third = len(seeded.pending_ids) // 3
    parts = [seeded.pending_ids[i * third : (i + 1) * third] for i in range(3)]

    def approvals(ids: list[int]) -> str:
        return ACTION_LUA % {
            "ids": ",".join(str(i) for i in ids),
            "stride": max(1, len(ids) // args.wrk_threads),
            "key": seeded.moderator,
        }

    def beside_approvals(name: str, target: str, headers: dict[str, str], ids: list[int]) -> None:
        """``target`` read by 3/4 of the connections, the rest approve (8 of 32 by default)."""
        with ThreadPoolExecutor(2) as pool:
            reading = pool.submit(
                wrk,
                f"{name}, while {args.connections // 4} connections approve",
                target,
                headers=headers,
                **{**run, "connections": args.connections * 3 // 4},
            )
            writing = pool.submit(
                wrk,
                f"approvals, while {name} runs",
                base,
                script=approvals(ids),
                **{**run, "connections": args.connections // 4},
            )
            results.append(reading.result())
            approving = writing.result()
        if name == "queue listing":
            results.append(approving)

    with server(serve, port, app_env):
        warm_up(queue_url, headers=viewer)
        warm_up(thread_url)
        results.append(wrk("queue listing (uncached)", queue_url, headers=viewer, **run))
        results.append(wrk("thread read (uncached)", thread_url, **run))
        threads = ",".join(str(t) for t in seeded.threads)
        # unmeasured: a fresh server's first submissions load the language model and fit the
        # learned layer once per worker (the reads above do not); distinct bodies, so that the
        # measured ones are not refused as duplicates
        warm_up(base, script=SUBMIT_LUA % {"threads": threads, "run": "warm"})
        results.append(
            wrk(
                "submission",
                base,
                script=SUBMIT_LUA % {"threads": threads, "run": "measured"},
                **run,
            )
        )
        results.append(wrk("approve", base, script=approvals(parts[0]), **run))
        beside_approvals("queue listing", queue_url, viewer, parts[1])
        beside_approvals("thread read", thread_url, {}, parts[2])
    port = free_port()
    bare[bare.index("--port") + 1] = str(port)
    with server(bare, port, env):
        warm_up(f"http://127.0.0.1:{port}/")
        results.append(wrk("bare (after)", f"http://127.0.0.1:{port}/", **run))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument(
        "--sqlite", action="store_true", help="the embedded SQLite file (one worker)"
    )
    args = capped(parser.parse_args(), comments=1000, duration=1, connections=8)
    if args.sqlite:
        args.workers = 1
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install wrk")
    results: list[Result] = []
    with database(args.sqlite) as url:
        seeded = seed(url, args.comments)
        print(f"seeded {args.comments} comments in {seeded.seconds:.1f} s", flush=True)
        results = run_scenarios(args, url, seeded)
    bare_rps = (results[0].rps + results[-1].rps) / 2
    backend = "SQLite" if args.sqlite else "PostgreSQL"
    print(
        f"\n{backend}, {args.comments} comments, {args.connections} connections, "
        f"{args.duration} s each, {args.workers} server workers, wrk {args.wrk_threads} threads\n"
    )
    print("| scenario | requests | req/s | vs bare | p50 ms | p99 ms | non-2xx |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.name} | {r.requests} | {r.rps:.0f} | {r.rps / bare_rps:.2f} | "
            f"{r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.non_2xx} |"
            + (f" {r.errors}" if r.errors else "")
        )
    # what a small run shows that a full one does not: say so rather than leave a puzzle
    per_part = len(seeded.pending_ids) // 3
    if any(r.name.startswith("approv") and r.requests > per_part for r in results):
        print(
            f"\nnote: each approval scenario has {per_part} pending comments; approvals past them "
            "approve an approved comment again (409, counted in non-2xx): seed more --comments"
        )
    if any(r.requests == 0 for r in results):
        print(
            f"\nnote: a scenario with 0 requests had none answered within {args.duration} s "
            "(each waits behind the other connections'): give a longer --duration"
        )


if __name__ == "__main__":
    main()
