"""The rate limit across real `threads serve` processes (uvicorn, real sockets): one limit shared
through a real Redis-compatible server, and proxy headers believed only when configured."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from tests.api_fixtures import seed_data
from tests.redis_server import RedisServer
from tests.serve_process import THREADS, free_port, wait_until_serving
from threads.db import make_engine


@contextmanager
def serving(env: dict[str, str], *options: str) -> Iterator[str]:
    """A `threads serve` process on a free port; yields its base URL once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [THREADS, "serve", "--port", str(port), "--no-access-log", "--log-level", "warning",
         *options],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, f"{base}/api/threads")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def _comment(n: int) -> dict[str, str]:
    return {"author_name": f"Reader {n}", "body": f"comment number {n} here"}


def _submit(base: str, thread_id: int, n: int, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{base}/api/threads/{thread_id}/comments", json=_comment(n), headers=headers, timeout=30
    )


def test_two_serve_processes_share_one_rate_limit(
    db_url: str, engine: Engine, store: RedisServer
) -> None:
    thread_id = seed_data(engine).thread_id
    env = {
        "THREADS_DATABASE_URL": db_url,
        "THREADS_RATE_LIMIT_PER_MINUTE": "4",
        "THREADS_STORE_URL": store.url,
    }
    with serving(env) as first, serving(env) as second:
        assert first != second
        one_by_one = [_submit(base, thread_id, n) for n, base in enumerate([first, second] * 2)]
        assert [r.status_code for r in one_by_one] == [201] * 4, one_by_one[-1].text
        for base in (second, first):
            refused = _submit(base, thread_id, 9)
            assert refused.status_code == 429, refused.text
            assert refused.json()["code"] == "rate_limited"
            assert 1 <= int(refused.headers["retry-after"]) <= 60

        # A fresh window, and 16 requests at once, 8 on each process: exactly 4 pass.
        store.flush()

        async def burst() -> list[int]:
            async with httpx.AsyncClient(timeout=60) as client:
                answers = await asyncio.gather(
                    *[
                        client.post(
                            f"{base}/api/threads/{thread_id}/comments", json=_comment(100 + n)
                        )
                        for n, base in enumerate([first, second] * 8)
                    ]
                )
            return sorted(a.status_code for a in answers)

        assert asyncio.run(burst()) == [201] * 4 + [429] * 12


@pytest.fixture
def seeded_sqlite(sqlite_template: Path, tmp_path: Path) -> tuple[str, int]:
    """A seeded SQLite file and its open thread (the proxy tests are about addresses, not the
    database)."""
    path = tmp_path / "proxied.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        thread_id = seed_data(engine).thread_id
    finally:
        engine.dispose()
    return f"sqlite:///{path}", thread_id


def test_rotating_forwarded_for_does_not_bypass_the_limit_by_default(
    seeded_sqlite: tuple[str, int],
) -> None:
    url, thread_id = seeded_sqlite
    env = {"THREADS_DATABASE_URL": url, "THREADS_RATE_LIMIT_PER_MINUTE": "2"}
    with serving(env) as base:
        answers = [
            _submit(base, thread_id, n, **{"X-Forwarded-For": f"198.51.100.{n}"})
            for n in range(1, 4)
        ]
    assert [a.status_code for a in answers] == [201, 201, 429]


@pytest.mark.parametrize("given_by", ["setting", "option"])
def test_configured_proxy_gives_the_client_address(
    seeded_sqlite: tuple[str, int], given_by: str
) -> None:
    url, thread_id = seeded_sqlite
    env = {"THREADS_DATABASE_URL": url, "THREADS_RATE_LIMIT_PER_MINUTE": "2"}
    options: tuple[str, ...] = ()
    if given_by == "setting":
        env["THREADS_FORWARDED_ALLOW_IPS"] = "127.0.0.1"
    else:
        options = ("--forwarded-allow-ips", "127.0.0.0/8")

    def as_reader(base: str, address: str, n: int) -> int:
        return _submit(base, thread_id, n, **{"X-Forwarded-For": address}).status_code

    with serving(env, *options) as base:
        first = [as_reader(base, "198.51.100.1", n) for n in range(3)]
        other = as_reader(base, "198.51.100.2", 3)
    assert first == [201, 201, 429]
    assert other == 201  # another reader behind the same proxy has a limit of their own


def test_serve_refuses_a_store_it_cannot_reach_in_one_line(tmp_path: Path) -> None:
    env: dict[str, Any] = {
        **os.environ,
        "THREADS_DATABASE_URL": f"sqlite:///{tmp_path / 'limits.db'}",
        "THREADS_STORE_URL": f"redis://reader:secret@127.0.0.1:{free_port()}/0",
    }
    result = subprocess.run(
        [THREADS, "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: cannot reach the rate-limit store redis://reader:***@")
    assert "secret" not in result.stderr
