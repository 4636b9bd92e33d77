"""A per-client-address rate limit for the public write endpoints (submission, report).

A sliding window of one minute, held in the process: with ``--workers N`` each worker counts on
its own, so the effective limit is up to N times higher. Behind a reverse proxy, run uvicorn with
``--proxy-headers`` so the client address is the reader's, not the proxy's.
"""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from threads.errors import RateLimited

WINDOW_SECONDS = 60.0


class SlidingWindowLimiter:
    """At most ``limit`` hits per address in any ``window`` seconds."""

    def __init__(self, limit: int, window: float = WINDOW_SECONDS) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._last_sweep = 0.0

    def hit(self, address: str, now: float | None = None) -> float | None:
        """Count one hit; None when allowed, else the seconds until the next hit is allowed."""
        moment = time.monotonic() if now is None else now
        self._sweep(moment)
        hits = self._hits.setdefault(address, deque())
        while hits and hits[0] + self.window <= moment:
            hits.popleft()
        if len(hits) >= self.limit:
            return min(self.window, hits[0] + self.window - moment)
        hits.append(moment)
        return None

    def _sweep(self, moment: float) -> None:
        # Forget idle addresses now and then so the table cannot grow without bound.
        if moment - self._last_sweep < self.window:
            return
        self._last_sweep = moment
        for address in [a for a, h in self._hits.items() if not h or h[-1] <= moment - self.window]:
            del self._hits[address]


async def rate_limit(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: refuse with 429 (and Retry-After) past Settings.rate_limit_per_minute."""
    limiter: SlidingWindowLimiter = connection.app.state.limiter
    if limiter.limit <= 0:
        return
    address = connection.client.host if connection.client else "unknown"
    wait = limiter.hit(address)
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise RateLimited(
            f"too many requests from your address: at most {limiter.limit} per minute; "
            f"retry in {seconds} s",
            retry_after=seconds,
        )
