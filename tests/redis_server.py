"""A throwaway Redis-compatible server for the test session (valkey-server or redis-server on a
free port, data in a temporary folder, nothing saved to disk)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import redis

INSTALL_HINT = (
    "no Redis-compatible server (valkey-server or redis-server) found: install one with "
    "`apt-get install redis-server` (Debian/Ubuntu), or run scripts/ensure-redis.sh"
)


def find_server() -> str | None:
    """The path of valkey-server or redis-server, if either is installed."""
    return shutil.which("valkey-server") or shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    process: subprocess.Popen[bytes]
    root: Path
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=5)

    def flush(self) -> None:
        """Forget every key (a fresh store for the next test)."""
        with contextlib.closing(self.client()) as client:
            client.flushall()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def start_server(binary: str, port: int | None = None) -> RedisServer:
    """Start a server (on ``port``, or a free one) and wait (up to 30 s) until it answers PING."""
    last_error = ""
    for _ in range(1 if port is not None else 3):  # a free port can be taken before binding it
        root = Path(tempfile.mkdtemp(prefix="threads-redis-"))
        chosen = port if port is not None else _free_port()
        log = root / "server.log"
        process = subprocess.Popen(
            [
                binary,
                "--port", str(chosen),
                "--bind", "127.0.0.1",
                "--dir", str(root),
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--logfile", str(log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        server = RedisServer(process=process, root=root, port=chosen)
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            try:
                with contextlib.closing(server.client()) as client:
                    client.ping()
                return server
            except redis.RedisError:
                time.sleep(0.05)
        last_error = log.read_text() if log.exists() else f"exit code {process.poll()}"
        server.stop()
    raise RuntimeError(f"could not start {binary}: {last_error}")
