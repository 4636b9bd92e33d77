"""The rate limit on public writes (submissions and reports): Litestar's rate-limit middleware
over a Litestar store.

Routes opt in with ``opt={PUBLIC_WRITE: True}`` and share one count per client address:
at most ``Settings.rate_limit_per_minute`` in a window of one minute that starts at the first
counted request. The count lives in the store: in each process's memory by default, or in a
Redis/Valkey server (``Settings.store_url``), so that every worker and host using that server
shares one limit. The client address is the connection's; ``threads serve`` trusts
``X-Forwarded-For`` only from the proxies given in ``Settings.forwarded_allow_ips``.
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import anyio
from litestar.exceptions import ServiceUnavailableException
from litestar.middleware.rate_limit import (
    DURATION_VALUES,
    CacheObject,
    RateLimitConfig,
    RateLimitMiddleware,
)
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from redis import Redis as SyncRedis
from redis.asyncio import ConnectionPool, Redis
from redis.exceptions import RedisError

from threads.errors import RateLimited

if TYPE_CHECKING:
    from litestar import Request
    from litestar.stores.base import Store
    from litestar.types import Receive, Scope, Send

    from threads.config import Settings

logger = logging.getLogger("threads.api")

#: the route option that puts a route under the limit
PUBLIC_WRITE = "public_write"
#: the name of the store in the app's store registry
STORE_NAME = "rate_limit"
#: the key prefix in a shared store (another app on the same server keeps its own keys)
STORE_NAMESPACE = "threads"
#: seconds to wait for the shared store before answering 503
STORE_TIMEOUT = 2.0
#: seconds a client is asked to wait while the shared store is unreachable
STORE_RETRY_AFTER = 5

# One counted request, atomically on the server: the same record and window as Litestar's
# middleware (JSON {"history": [times...], "reset": time}), but read, checked and written in
# one step, so that concurrent requests on several workers cannot count over one another.
_HIT_SCRIPT = """
local now = tonumber(ARGV[1])
local duration = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local raw = redis.call('GET', KEYS[1])
local record = nil
if raw then record = cjson.decode(raw) end
if record == nil or record.reset <= now then
  record = {history = {}, reset = now + duration}
end
local count = #record.history
if count >= limit then return {0, record.reset, count} end
table.insert(record.history, 1, now)
redis.call('SET', KEYS[1], cjson.encode(record), 'EX', duration)
return {1, record.reset, count + 1}
"""


class SharedRateLimitMiddleware(RateLimitMiddleware):
    """Litestar's rate-limit middleware, counting atomically in a shared store and refusing
    with our ``rate_limited`` problem (429 with ``Retry-After``)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["litestar_app"]
        request: Request[Any, Any, Any] = app.request_class(scope)
        if await self.should_check_request(request=request):
            store = self.config.get_store_from_app(app)
            key = self.cache_key_from_request(request)
            try:
                allowed, cache_object = await self._count(key, store)
            except RedisError as exc:
                logger.warning("rate-limit store unavailable: %s", exc)
                raise ServiceUnavailableException(
                    detail="the rate-limit store is unavailable; try again shortly",
                    headers={"Retry-After": str(STORE_RETRY_AFTER)},
                ) from None
            if not allowed:
                wait = max(1, math.ceil(cache_object.reset - time.time()))
                raise RateLimited(
                    f"too many requests from your address: at most {self.max_requests} per "
                    f"{self.unit}; retry in {wait} s",
                    retry_after=wait,
                )
            if self.config.set_rate_limit_headers:
                send = self.create_send_wrapper(send=send, cache_object=cache_object)
        await self.app(scope, receive, send)

    async def _count(self, key: str, store: Store) -> tuple[bool, CacheObject]:
        """Count one request unless the limit is reached: (allowed, the record after it)."""
        if isinstance(store, RedisStore):
            return await count_shared(
                store,
                key,
                now=int(time.time()),
                duration=DURATION_VALUES[self.unit],
                limit=self.max_requests,
            )
        # a store in this process: Litestar's own steps, under one lock for every route
        async with getattr(store, "count_lock", self._lock):
            cache_object = await self.retrieve_cached_history(key, store)
            if len(cache_object.history) >= self.max_requests:
                return False, cache_object
            await self.set_cached_history(key=key, cache_object=cache_object, store=store)
        return True, cache_object


async def count_shared(
    store: RedisStore, key: str, *, now: int, duration: int, limit: int
) -> tuple[bool, CacheObject]:
    """Count one request at ``now`` in a Redis/Valkey store unless ``limit`` requests were
    counted in the window (of ``duration`` seconds from its first request): one atomic step on
    the server, under the store's namespace. Returns (allowed, the record after it)."""
    script = store._redis.register_script(_HIT_SCRIPT)
    allowed, reset, count = await script(keys=[store._make_key(key)], args=[now, duration, limit])
    return bool(allowed), CacheObject(history=[0] * int(count), reset=int(reset))


class LocalStore(MemoryStore):
    """Litestar's memory store with the lock under which a request is counted: Litestar builds
    a middleware (with its own lock) per route, and the limited routes share one count."""

    def __init__(self) -> None:
        super().__init__()
        self.count_lock = anyio.Lock()


def _is_public_write(request: Request[Any, Any, Any]) -> bool:
    return bool(request.route_handler.opt.get(PUBLIC_WRITE))


def rate_limit_config(settings: Settings) -> RateLimitConfig | None:
    """The middleware's configuration, or None when the limit is off (0 or less)."""
    if settings.rate_limit_per_minute <= 0:
        return None
    return RateLimitConfig(
        rate_limit=("minute", settings.rate_limit_per_minute),
        check_throttle_handler=_is_public_write,
        middleware_class=SharedRateLimitMiddleware,
        store=STORE_NAME,
    )


def rate_limit_store(settings: Settings) -> Store:
    """A memory store, or a Redis/Valkey store at ``settings.store_url``."""
    if settings.store_url is None:
        return LocalStore()
    pool: ConnectionPool = ConnectionPool.from_url(
        settings.store_url,
        socket_timeout=STORE_TIMEOUT,
        socket_connect_timeout=STORE_TIMEOUT,
    )
    return RedisStore(
        redis=Redis(connection_pool=pool),
        namespace=STORE_NAMESPACE,
        handle_client_shutdown=True,
    )


def check_store(url: str) -> None:
    """Raise ``RedisError`` when the store at ``url`` does not answer a PING."""
    client = SyncRedis.from_url(
        url, socket_timeout=STORE_TIMEOUT, socket_connect_timeout=STORE_TIMEOUT
    )
    try:
        client.ping()
    finally:
        client.close()


def shown_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
