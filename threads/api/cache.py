"""Responses kept under the change-clock reading they were built after, served while it holds.

An entry built after the clock read ``g`` is exact for any request whose own reading (taken after
the request arrived, see :mod:`threads.db.probe`) is still ``g``: no write has committed in
between. Any other reading is a miss and the entry is rebuilt. Nothing is ever served on a
guess, so moderators see their own actions at once from any worker, and so do other writers'
(imports, the CLI, psql). Bounded by weight: least recently used entries go first.

:func:`served_again` puts this in front of an endpoint (the queue, a thread read): a request
answered 200 before, byte for byte the same, at the same reading, gets the same status, headers
and body without Litestar's guards, parameter parsing, handler and encoding (about half of a
cached request's CPU when the handler itself looked the page up).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from threads.api import auth
from threads.db.probe import Generation
from threads.db.types import utcnow
from threads.errors import ThreadsError
from threads.models import Role


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    #: entries dropped to stay within the bound
    evictions: int = 0
    #: requests answered by a build another request at the same reading had under way
    shared: int = 0


class _Entry(NamedTuple):
    generation: Generation
    response: Any
    weight: int
    #: the response stops being true at this time even without a write (auto-close)
    expires_at: datetime | None


class ResponseCache:
    """An LRU map from a request's normalised form to (generation, response), per worker."""

    def __init__(self, max_weight: int = 64 * 2**20) -> None:
        if max_weight < 1:
            raise ValueError("max_weight must be at least 1")
        #: bound on the sum of the entries' weights (for encoded responses: bytes; 64 MiB)
        self.max_weight = max_weight
        self.weight = 0
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self.stats = CacheStats()
        #: builds under way: key -> (reading, what they will have sent, None if not a 200)
        self.building: dict[Hashable, tuple[Generation, asyncio.Future[Any]]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, generation: Generation, now: datetime | None = None) -> Any | None:
        """The response kept for ``key`` if it was built at ``generation`` (and, for one that
        expires, ``now`` is before that); else None."""
        entry = self._entries.get(key)
        if (
            entry is None
            or entry.generation != generation
            or (entry.expires_at is not None and (now is None or now >= entry.expires_at))
        ):
            self.stats.misses += 1
            return None
        self._entries.move_to_end(key)
        self.stats.hits += 1
        return entry.response

    def put(
        self,
        key: Hashable,
        generation: Generation,
        response: Any,
        weight: int = 1,
        *,
        expires_at: datetime | None = None,
    ) -> None:
        """Keep ``response`` for ``key``, built after the clock read ``generation``.

        ``weight`` is its share of the bound (an encoded response weighs its bytes, at least 1);
        a response heavier than the whole bound is not kept. ``expires_at``: when the response
        stops being true with no write at all (a thread's auto-close time).
        """
        weight = max(1, weight)
        current = self._entries.get(key)
        if current is not None:
            if _newer(current.generation, generation):
                return  # a slower request built it from an older reading: keep the newer one
            del self._entries[key]
            self.weight -= current.weight
        if weight > self.max_weight:
            return
        self._entries[key] = _Entry(generation, response, weight, expires_at)
        self.weight += weight
        while self.weight > self.max_weight:
            _, dropped = self._entries.popitem(last=False)
            self.weight -= dropped.weight
            self.stats.evictions += 1

    def clear(self) -> None:
        self._entries.clear()
        self.weight = 0


def _newer(a: Generation, b: Generation) -> bool:
    """Whether ``a`` is a later reading of the same database than ``b``."""
    return a[:2] == b[:2] and a[2] > b[2]


#: set by a handler in the request's scope: when its response stops being true without a write
EXPIRES_KEY = "threads_expires_at"


def served_again(required: Role | None) -> Callable[[ASGIApp], ASGIApp]:
    """Handler middleware: answer a GET from the cache when nothing was written since the same
    request (path and query string, byte for byte) was answered 200; else let the handler
    answer and keep what it sent.

    The hit path runs before Litestar's guards, parameter parsing and handler, so it checks
    what the guard would: ``required`` is the role the endpoint needs (None: public). Any
    request it cannot serve (no key, a bad or revoked key, a role too low, no clock) goes
    through to the endpoint unchanged, which answers as always. The key and the clock are read
    once (:func:`threads.api.auth.authenticate`) and the endpoint reuses the reading.
    """

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope, receive, send)
            generation = await _usable_generation(connection, required)
            if generation is None:
                await app(scope, receive, send)
                return
            cache: ResponseCache = connection.app.state.responses
            key = (scope["path"], scope["query_string"])
            kept = cache.get(key, generation, utcnow())
            if kept is None:
                under_way = cache.building.get(key)
                if (
                    under_way is not None
                    and under_way[0] == generation
                    and under_way[1].get_loop() is asyncio.get_running_loop()
                ):
                    # Another request with the same reading is building this very response
                    # (after a write, every waiting reader misses at once): share its result.
                    kept = await asyncio.shield(under_way[1])
                    if kept is not None:
                        cache.stats.shared += 1
            if kept is not None:
                start, body = kept
                await send(start)
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            built: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            cache.building[key] = (generation, built)
            sent: list[Message] = []

            async def keep(message: Message) -> None:
                sent.append(message)
                await send(message)

            result = None
            try:
                await app(scope, receive, keep)
                if (
                    len(sent) == 2
                    and sent[0]["type"] == "http.response.start"
                    and sent[0]["status"] == 200
                    and not sent[1].get("more_body", False)
                ):
                    body = cast(bytes, sent[1].get("body", b""))
                    expires = cast(datetime | None, scope.get(EXPIRES_KEY))
                    result = (sent[0], body)
                    cache.put(key, generation, result, len(body), expires_at=expires)
            finally:
                built.set_result(result)  # None: the waiters ask the endpoint themselves
                if cache.building.get(key, (None, None))[1] is built:
                    del cache.building[key]

        return middleware

    return wrap


async def _usable_generation(
    connection: ASGIConnection[Any, Any, Any, Any], required: Role | None
) -> Generation | None:
    """The clock reading for this request if the endpoint would let it through; else None."""
    try:
        if required is not None:
            principal = await auth.authenticate(connection)
            if principal is None or not principal.has_role(required):
                return None
        return await auth.generation(connection)
    except ThreadsError:  # a bad key: the endpoint's guard answers it
        return None
