"""A real HTTP server on 127.0.0.1 that receives webhook deliveries, for the tests.

It records every request (headers and the exact body bytes), answers with the status codes it
is told to (then 200), and can hold its answer until the test releases it.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: the longest a test waits for something that should happen at once (a hang guard, not a
#: measure of speed)
HANG_GUARD = 30.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    #: status codes to answer with, first to last; then 200
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    #: while set, each request waits for ``release`` before answering
    hold: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int) -> list[Received]:
        """Wait (up to the hang guard) until ``count`` requests have arrived."""
        with self.lock:
            if len(self.received) >= count:
                return list(self.received)
        while True:
            if not self.arrived.wait(HANG_GUARD):
                raise AssertionError(f"the receiver got {len(self.received)} of {count} requests")
            with self.lock:
                self.arrived.clear()
                if len(self.received) >= count:
                    return list(self.received)


@contextmanager
def receiver(path: str = "/hook") -> Iterator[Receiver]:
    """A receiver listening on a free port of 127.0.0.1 while the block runs."""
    state: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's name)
            rec = state[0]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with rec.lock:
                rec.received.append(Received(self.path, dict(self.headers.items()), body))
                code = rec.answers.pop(0) if rec.answers else 200
                rec.arrived.set()
            if rec.hold:
                rec.release.wait(HANG_GUARD)
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    state.append(Receiver(url=f"http://127.0.0.1:{port}{path}"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state[0]
    finally:
        state[0].release.set()
        server.shutdown()
        server.server_close()
        thread.join(HANG_GUARD)


def refused_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (the port was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"
