"""Real `threads serve` processes for the tests: a free port, and waiting until one answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

#: the `threads` command of the interpreter running the tests
THREADS = str(Path(sys.executable).with_name("threads"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(
    process: subprocess.Popen[str], url: str, timeout: float = 60, log: IO[str] | None = None
) -> httpx.Response:
    """The first answer of ``url`` from the server ``process`` started; fails with the
    server's error output (its pipe, or ``log``) when it exits first, or when it has not
    answered in ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        if log is not None and process.poll() is not None:
            log.seek(0)
            raise AssertionError(f"threads serve exited: {log.read()}")
        assert process.poll() is None, process.communicate()
        try:
            return httpx.get(url, timeout=2)
        except httpx.HTTPError:
            assert time.monotonic() < deadline, "threads serve did not start"
            time.sleep(0.2)


@contextmanager
def console_server(
    db_url: str, env: dict[str, str] | None = None, *, workers: int = 1
) -> Iterator[str]:
    """A real `threads serve` over ``db_url`` with a console session secret; yields its base
    URL once the sign-in page answers. Its log goes to a file: a pipe nobody reads fills up
    and then blocks every worker that logs."""
    port = free_port()
    environment = {
        **os.environ,
        "THREADS_DATABASE_URL": db_url,
        "THREADS_SESSION_SECRET": "test-secret-for-the-console",
        **(env or {}),
    }
    command = [THREADS, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    if workers != 1:
        command += ["--workers", str(workers)]
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=log, text=True
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(process, f"{base}/console/signin", log=log)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=20)
