"""Where an API request's time goes, in one process: sequential calls through Litestar's test
client (no HTTP server, no load), on a seeded throwaway PostgreSQL (or SQLite with --sqlite).

Times ``--calls`` sequential calls per scenario (queue listing, thread read, approve,
submission) and prints per call the mean, median and minimum time, the SQL statements the app
sent and the time spent in them (waiting for the database included). A tool for finding what
to remove, not a benchmark (see api_bench.py).

    .venv/bin/python bench/api_inprocess.py [--comments 20000] [--calls 30] [--sqlite]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _quick import capped  # noqa: E402
from litestar.testing import TestClient  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bench.api_bench import database, seed  # noqa: E402
from threads.api import create_app  # noqa: E402
from threads.config import Settings  # noqa: E402


class Statements:
    """How many SQL statements an engine ran, and the time spent in them (driver included)."""

    def __init__(self, engine: Any) -> None:
        self.count = 0
        self.seconds = 0.0
        self._started: dict[int, float] = {}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, *_: Any) -> None:
        self._started[id(cursor)] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, *_: Any) -> None:
        self.count += 1
        self.seconds += time.perf_counter() - self._started.pop(id(cursor), time.perf_counter())


def timed(calls: int, call: Callable[[int], Any]) -> list[float]:
    spent = []
    for i in range(calls):
        start = time.perf_counter()
        call(i)
        spent.append((time.perf_counter() - start) * 1000)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--sqlite", action="store_true")
    args = capped(parser.parse_args(), comments=1000, calls=3)
    with database(args.sqlite) as url:
        seeded = seed(url, args.comments)
        settings = Settings(database_url=url, rate_limit_per_minute=10**9)
        viewer = {"Authorization": f"Bearer {seeded.viewer}"}
        moderator = {"Authorization": f"Bearer {seeded.moderator}"}
        pending = iter(seeded.pending_ids)
        thread = seeded.threads[0]

        def queue(_: int) -> None:
            assert client.get("/api/queue?limit=50", headers=viewer).status_code == 200

        def read(_: int) -> None:
            assert client.get(f"/api/threads/{thread}").status_code == 200

        def approve(_: int) -> None:
            response = client.post(
                f"/api/comments/{next(pending)}/actions",
                json={"action": "approve"},
                headers=moderator,
            )
            assert response.status_code == 200, response.text

        def submit(i: int) -> None:
            response = client.post(
                f"/api/threads/{seeded.threads[i % len(seeded.threads)]}/comments",
                json={"author_name": "bench reader", "body": f"bench comment {i} on the talks"},
            )
            assert response.status_code == 201, response.text

        scenarios = {"queue": queue, "read": read, "approve": approve, "submit": submit}
        app = create_app(settings)
        statements = Statements(app.state.engine)
        with TestClient(app) as client:
            for call in scenarios.values():  # unmeasured: first connections, imports
                call(10**6)
            print(f"{args.comments} comments, {args.calls} sequential calls, ms per call")
            print("| scenario | mean | median | min | SQL statements | SQL ms |")
            print("|---|---:|---:|---:|---:|---:|")
            for name, call in scenarios.items():
                count, seconds = statements.count, statements.seconds
                spent = timed(args.calls, call)
                count, seconds = statements.count - count, statements.seconds - seconds
                print(
                    f"| {name} | {statistics.mean(spent):.2f} | {statistics.median(spent):.2f} "
                    f"| {min(spent):.2f} | {count / args.calls:.1f} "
                    f"| {seconds * 1000 / args.calls:.2f} |"
                )


if __name__ == "__main__":
    main()
