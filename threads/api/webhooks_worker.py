"""The webhook delivery worker inside ``threads serve``: a Litestar lifespan task.

Every ``webhook_poll_seconds`` it sends what is due in the outbox
(:func:`threads.webhooks.delivery.deliver_due`, in a thread: it does blocking HTTP and database
work), apart from every request: an action only writes its outbox rows and answers. Each
worker process of ``serve --workers N`` runs one; a delivery is claimed by exactly one of them.
A failure of the pass (the database away, the secret unset) is logged and the loop goes on.
On shutdown the loop stops after the attempt in progress, before the engine is disposed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio
from anyio import to_thread
from litestar import Litestar

from threads.config import Settings
from threads.errors import ThreadsError
from threads.webhooks.delivery import deliver_due

log = logging.getLogger("threads.webhooks")


async def _loop(app: Litestar, settings: Settings, stop: threading.Event) -> None:
    warned = False
    while not stop.is_set():
        try:
            await to_thread.run_sync(lambda: deliver_due(app.state.engine, settings, stop=stop))
            warned = False
        except ThreadsError as exc:
            if not warned:  # the same message every poll would drown the log
                log.warning("webhook deliveries paused: %s", exc.detail)
                warned = True
        except Exception:
            log.exception("webhook delivery pass failed; trying again")
        await anyio.sleep(settings.webhook_poll_seconds)


def delivery_lifespan(
    settings: Settings,
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """The lifespan manager that runs the loop while the app serves."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        stop = threading.Event()
        async with anyio.create_task_group() as group:
            group.start_soon(_loop, app, settings, stop)
            try:
                yield
            finally:
                stop.set()
                group.cancel_scope.cancel()

    return lifespan
