"""One database round trip for many requests: the change clock and the API keys they present.

An API worker verifies a key on every protected request and, for cached responses, must know
whether anything changed since the response was built. Both are one small query. Through the
ORM each cost a pool checkout with its pre-ping, BEGIN, the query and the reset on return, in a
worker thread: about 1.3 ms of CPU, most of a request's budget. The probe instead keeps a few
autocommit connections per worker process, asynchronous (no thread hand-off), and batches:
requests that arrive while a reading is in flight wait for the next one, which then answers all
of them at once (the clock and every key they presented, in one statement).

Exactness: a request gets a reading taken by a statement that *started after the request
arrived*, never an older one. So a request sent after a write committed (a moderator's own
action, answered from any worker) always sees a clock that includes that write, and a key revoked
before the request is refused.

Two lanes (connections) by default: with one, every reading waited for the previous statement's
round trip, and on a loaded machine the worker sat idle meanwhile.

PostgreSQL only (:meth:`ClockProbe.for_engine` is None elsewhere); SQLite keeps no clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy.engine import Engine

from threads.db.queries.clock import GENERATION_SQL

#: (database oid, server start time, clock): a database recreated under the same name, or
#: restored to an earlier point, never matches a reading taken before
Generation = tuple[int, float, int]

_EPOCH_SQL = (
    "SELECT d.oid::bigint, extract(epoch FROM pg_postmaster_start_time())::float8 "
    "FROM pg_database AS d WHERE d.datname = current_database()"
)
_READ_SQL = (
    f"SELECT ({GENERATION_SQL}), k.key_hash, k.id, k.name, k.role, k.revoked_at, "
    "k.last_used_at FROM (SELECT 1) AS one LEFT JOIN api_key AS k ON k.key_hash = ANY(%s)"
)


@dataclass(frozen=True)
class KeyRecord:
    """What verification needs to know of a stored key (never the secret)."""

    key_hash: str
    id: int
    name: str
    role: str
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class Reading:
    generation: Generation
    #: the stored keys among those asked about, by hash
    keys: Mapping[str, KeyRecord]


_Waiter = tuple[str | None, "asyncio.Future[Reading]"]


class _Lane:
    """One connection of the probe and the epoch read when it connected."""

    def __init__(self) -> None:
        self.conn: psycopg.AsyncConnection[Any] | None = None
        self.epoch: tuple[int, float] = (0, 0.0)


class ClockProbe:
    """Batched readings of the change clock and of API keys over a few async connections.

    At most ``lanes`` statements are in flight at once, each on its own connection; readers
    that arrive while every lane is busy wait for the next free one, which answers all of them
    with one statement. Bound to the event loop it was first used in (one per worker process).
    """

    def __init__(self, connect_kwargs: Mapping[str, Any], *, lanes: int = 2) -> None:
        if lanes < 1:
            raise ValueError("a probe needs at least one lane")
        self._connect_kwargs = dict(connect_kwargs)
        self._lanes_max = lanes
        self._idle: list[_Lane] = []
        self._busy = 0
        self._waiting: list[_Waiter] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        #: statements sent so far (each answers one batch of readers)
        self.round_trips = 0

    @classmethod
    def for_engine(cls, engine: Engine, *, lanes: int = 2) -> ClockProbe | None:
        """A probe over the same server and database as ``engine``; None unless PostgreSQL."""
        if engine.dialect.name != "postgresql":
            return None
        _args, kwargs = engine.dialect.create_connect_args(engine.url)
        kwargs.pop("context", None)  # SQLAlchemy's adapters; plain psycopg types suffice here
        return cls(kwargs, lanes=lanes)

    async def read(self, key_hash: str | None = None) -> Reading:
        """A reading taken after this call began, with the stored key of ``key_hash`` if any."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # First use, or the app is served by a new event loop (a test client started
            # again): what belonged to the old loop cannot be used from this one.
            self._loop, self._idle, self._busy, self._waiting = loop, [], 0, []
            self._tasks = set()
        future: asyncio.Future[Reading] = loop.create_future()
        self._waiting.append((key_hash, future))
        if self._busy < self._lanes_max:
            self._busy += 1
            lane = self._idle.pop() if self._idle else _Lane()
            task = loop.create_task(self._drain(lane))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def close(self) -> None:
        """Close the idle connections; a later :meth:`read` opens new ones."""
        lanes, self._idle = self._idle, []
        if self._loop is asyncio.get_running_loop():
            for lane in lanes:
                await _discard(lane)

    async def _drain(self, lane: _Lane) -> None:
        try:
            while self._waiting:
                # Only readers already waiting join this statement: each reading is taken
                # after all of its readers arrived.
                batch, self._waiting = self._waiting, []
                hashes = sorted({h for h, _ in batch if h is not None})
                try:
                    reading = await self._query(lane, hashes)
                except Exception as exc:  # every waiter gets the failure, none is left hanging
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for _, future in batch:
                    if not future.done():
                        future.set_result(reading)
        finally:
            self._busy -= 1
            self._idle.append(lane)

    async def _query(self, lane: _Lane, hashes: list[str]) -> Reading:
        try:
            return await self._query_once(lane, hashes)
        except psycopg.OperationalError:
            # The server closed the connection (restart, idle timeout): one fresh try.
            await _discard(lane)
            return await self._query_once(lane, hashes)

    async def _query_once(self, lane: _Lane, hashes: list[str]) -> Reading:
        conn = await self._connection(lane)
        self.round_trips += 1
        try:
            cursor = await conn.execute(_READ_SQL, (hashes,), prepare=True)
            rows = await cursor.fetchall()
        except psycopg.OperationalError:
            raise
        except psycopg.Error:
            await _discard(lane)
            raise
        keys = {
            row[1]: KeyRecord(row[1], row[2], row[3], row[4], row[5], row[6])
            for row in rows
            if row[1] is not None
        }
        return Reading((*lane.epoch, int(rows[0][0])), keys)

    async def _connection(self, lane: _Lane) -> psycopg.AsyncConnection[Any]:
        if lane.conn is None or lane.conn.closed:
            conn = await psycopg.AsyncConnection.connect(**self._connect_kwargs, autocommit=True)
            cursor = await conn.execute(_EPOCH_SQL)
            row = await cursor.fetchone()
            assert row is not None
            lane.epoch = (int(row[0]), float(row[1]))
            lane.conn = conn
        return lane.conn


async def _discard(lane: _Lane) -> None:
    if lane.conn is not None:
        try:
            await lane.conn.close()
        finally:
            lane.conn = None
