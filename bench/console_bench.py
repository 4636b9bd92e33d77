"""The console's queue page beside the JSON queue listing, in one run, on PostgreSQL.

Seeds ``--comments`` comments (default 100,000) with bench/api_bench.py's seeding, starts
`threads serve` (one worker), signs in to the console with the seeded moderator key (a real
session cookie, through the sign-in form and its CSRF token), then sends ``--requests``
sequential requests of each kind, interleaved so that all three see the same conditions:

- ``GET /console`` (the queue page a moderator lives in: pending tab, tab counts, 50 cards
  with their evidence, reasons, author records and action controls), as the signed-in moderator;
- ``GET /api/queue?limit=50`` with the viewer key, repeated byte for byte (no response cache:
  each one is built; a client sending ``If-None-Match`` would get a 304 but the server still
  builds the page to compare);
- ``GET /api/queue?limit=50&run=N``: the same listing with a query string that differs every
  time (the unknown parameter is ignored), kept to show that nothing is cached by URL.

Server time is measured as request latency over loopback (127.0.0.1) with one client and one
request at a time on a kept-alive connection (``time.perf_counter`` around each request): it
includes the client's and the loopback's share, well under a millisecond, and no queueing.
Prints p50, p99, mean and max in milliseconds and the size of each answer.

    .venv/bin/python bench/console_bench.py [--comments 100000] [--requests 500] [--warmup 50]

PostgreSQL: THREADS_TEST_POSTGRES_URL (an admin URL) or a throwaway cluster as in tests/pg.py.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _quick import capped  # noqa: E402

from bench.api_bench import (  # noqa: E402
    PYTHON,
    create_database,
    drop_database,
    free_port,
    postgres,
    seed,
    server,
)

TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


@dataclass
class Timings:
    name: str
    seconds: list[float] = field(default_factory=list)
    size: int = 0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.seconds)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index] * 1000


def sign_in(client: httpx.Client, base: str, key: str) -> None:
    """The console's sign-in form, as a browser fills it: the session cookie stays in
    ``client``."""
    form = client.get(f"{base}/console/signin")
    token = TOKEN.search(form.text)
    assert token, "no CSRF token on the sign-in page"
    answer = client.post(
        f"{base}/console/signin",
        data={"key": key, "_csrf_token": token.group(1)},
        follow_redirects=True,
    )
    assert "signed in as" in answer.text, "sign-in failed"


def timed(client: httpx.Client, url: str, timings: Timings, **kw: object) -> None:
    started = time.perf_counter()
    response = client.get(url, **kw)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    timings.seconds.append(elapsed)
    timings.size = len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=500, help="measured, of each kind")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured, of each kind")
    args = capped(parser.parse_args(), comments=1000, requests=20, warmup=2)
    with postgres() as admin_url:
        url = create_database(admin_url)
        try:
            seeded = seed(url, args.comments)
            print(f"seeded {args.comments} comments in {seeded.seconds:.1f} s", flush=True)
            port = free_port()
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
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
                "1",
                "--no-access-log",
                "--log-level",
                "warning",
            ]
            base = f"http://127.0.0.1:{port}"
            page = Timings("console queue page  GET /console")
            cached = Timings("JSON listing        GET /api/queue?limit=50 (same URL)")
            built = Timings("JSON listing, built GET /api/queue?limit=50&run=N")
            with server(serve, port, env), httpx.Client(timeout=30) as client:
                sign_in(client, base, seeded.moderator)
                viewer = {"Authorization": f"Bearer {seeded.viewer}"}
                first = client.get(f"{base}/console")
                assert first.status_code == 200 and 'id="comment-' in first.text, "no cards"
                listing = client.get(f"{base}/api/queue?limit=50", headers=viewer).json()
                assert len(listing["items"]) == 50
                rounds = [False] * args.warmup + [True] * args.requests
                for run, measured in enumerate(rounds, start=1):
                    kinds = [
                        (page, f"{base}/console", {}),
                        (cached, f"{base}/api/queue?limit=50", {"headers": viewer}),
                        (built, f"{base}/api/queue?limit=50&run={run}", {"headers": viewer}),
                    ]
                    for timings, target, kw in kinds:
                        scratch = Timings(timings.name)
                        timed(client, target, timings if measured else scratch, **kw)
        finally:
            drop_database(admin_url, url)
    print(
        f"\n{args.comments} comments on PostgreSQL, {args.requests} sequential requests of each "
        f"kind after {args.warmup} unmeasured, one client over loopback, one server worker\n"
    )
    print("| request | p50 ms | p99 ms | mean ms | max ms | bytes |")
    print("|---|---:|---:|---:|---:|---:|")
    for t in (page, cached, built):
        print(
            f"| {t.name} | {t.percentile(50):.1f} | {t.percentile(99):.1f} | "
            f"{statistics.fmean(t.seconds) * 1000:.1f} | {max(t.seconds) * 1000:.1f} | {t.size} |"
        )


if __name__ == "__main__":
    main()
