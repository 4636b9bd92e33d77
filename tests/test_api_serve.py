"""`threads serve` runs the API in a real uvicorn process."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import httpx

from tests.serve_process import THREADS, free_port, wait_until_serving


def test_serve_answers_on_the_given_port_with_problem_details(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "THREADS_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}"}
    process = subprocess.Popen(
        [THREADS, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        response = wait_until_serving(process, f"{base}/api/threads")
        assert response.status_code == 200
        assert response.json() == {"items": [], "total": 0, "next_cursor": None}
        schema = httpx.get(f"{base}/schema/openapi.json", timeout=5).json()
        assert "/api/queue" in schema["paths"]
        missing = httpx.get(f"{base}/api/queue", timeout=5)
        assert missing.status_code == 401
        assert missing.headers["content-type"].startswith("application/problem+json")
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_survives_more_concurrent_requests_than_threads_and_connections(
    tmp_path: Path,
) -> None:
    """64 concurrent keyed requests: more than the 40 worker threads and the 15 pooled
    connections (a session released from a second thread once deadlocked here)."""
    port = free_port()
    env = {**os.environ, "THREADS_DATABASE_URL": f"sqlite:///{tmp_path / 'busy.db'}"}
    created = subprocess.run(
        [THREADS, "keys", "create", "--name", "load", "--role", "viewer"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = created.stdout.strip().splitlines()[0]
    process = subprocess.Popen(
        [THREADS, "serve", "--port", str(port), "--no-access-log", "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(process, f"{base}/api/threads")  # type: ignore[arg-type]

        async def burst() -> list[int]:
            headers = {"Authorization": f"Bearer {key}"}
            limits = httpx.Limits(max_connections=64)
            async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
                responses = await asyncio.gather(
                    *[client.get("/api/queue", headers=headers) for _ in range(64)]
                )
            return [r.status_code for r in responses]

        assert asyncio.run(burst()) == [200] * 64
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_refuses_a_postgres_database_without_schema_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "THREADS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    result = subprocess.run(
        [THREADS, "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
