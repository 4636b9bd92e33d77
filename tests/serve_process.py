"""Real `threads serve` processes for the tests: a free port, and waiting until one answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

#: the `threads` command of the interpreter running the tests
THREADS = str(Path(sys.executable).with_name("threads"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(
    process: subprocess.Popen[str], url: str, timeout: float = 60
) -> httpx.Response:
    """The first answer of ``url`` from the server ``process`` started; fails with the
    server's error output when it exits first, or when it has not answered in ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, process.communicate()
        try:
            return httpx.get(url, timeout=2)
        except httpx.HTTPError:
            assert time.monotonic() < deadline, "threads serve did not start"
            time.sleep(0.2)
