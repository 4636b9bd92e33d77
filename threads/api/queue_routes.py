"""/api/queue and /api/actions/bulk: what waits for review, and acting on many at once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from anyio import to_thread
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from sqlalchemy.engine import Engine
from sqlmodel import Session

from threads.api import auth
from threads.api.deps import SiteParam, problems, unit_of_work
from threads.api.etag import conditional
from threads.keys import Principal
from threads.models import CommentStatus
from threads.moderation.queue import QueueFilter, list_queue
from threads.moderation.service import bulk_action
from threads.moderation.shapes import queue_page
from threads.schemas import MAX_ID, BulkItem, BulkRequest, BulkResponse, Page, QueueItem, StatusName


class QueueController(Controller):
    path = "/api"
    tags = ["moderation"]

    @get(
        "/queue",
        sync_to_thread=True,
        guards=[auth.viewer],
        middleware=[conditional],
        responses=problems(400, 401, 403, 404, 422),
        security=[{"bearer": []}],
    )
    @unit_of_work
    def queue(
        self,
        db: NamedDependency[Session],
        codebook: NamedDependency[str],
        status: Annotated[
            list[StatusName] | None,
            Parameter(description="repeat for several; default pending and flagged"),
        ] = None,
        thread_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
        topic: Annotated[str | None, Parameter(max_length=64)] = None,
        author: Annotated[str | None, Parameter(max_length=512)] = None,
        since: Annotated[datetime | None, Parameter(description="posted at or after")] = None,
        until: Annotated[datetime | None, Parameter(description="posted before")] = None,
        text: Annotated[str | None, Parameter(max_length=500)] = None,
        site: SiteParam = None,
        sort: Annotated[
            Literal["oldest", "newest", "most_reported"], Parameter(description="order")
        ] = "oldest",
        cursor: Annotated[str | None, Parameter(max_length=1000)] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 50,
    ) -> Page[QueueItem]:
        """The moderation queue (viewer+): filters, three sorts, cursor pages, a total count.
        An unknown ``site`` key is a 404 ``site_not_found`` listing the known keys."""
        flt = QueueFilter(
            statuses=tuple(CommentStatus(s) for s in status)
            if status
            else (CommentStatus.PENDING, CommentStatus.FLAGGED),
            thread_id=thread_id,
            topic=topic or None,
            author=author or None,
            since=since,
            until=until,
            text=text or None,
            codebook=codebook,
            site=site or None,
        )
        page = list_queue(db, flt, sort=sort, cursor=cursor or None, limit=limit)
        return queue_page(page)

    @post(
        "/actions/bulk",
        guards=[auth.moderator],
        status_code=200,
        responses=problems(400, 401, 403, 404, 413, 422),
        security=[{"bearer": []}],
    )
    async def bulk(
        self,
        engine: NamedDependency[Engine],
        key: NamedDependency[Principal],
        codebook: NamedDependency[str],
        data: JSONBody[BulkRequest],
    ) -> BulkResponse:
        """One action on a list of ids or on a queue filter, with a result per comment.

        Each comment is its own transaction: one failure does not undo the others.
        """
        flt = None
        if data.filter is not None:
            f = data.filter
            flt = QueueFilter(
                statuses=tuple(CommentStatus(s) for s in f.statuses)
                if f.statuses
                else (CommentStatus.PENDING, CommentStatus.FLAGGED),
                thread_id=f.thread_id,
                topic=f.topic,
                author=f.author,
                since=f.since,
                until=f.until,
                text=f.text,
                codebook=codebook,
                site=f.site,
            )

        def run() -> list[BulkItem]:
            results = bulk_action(
                engine,
                data.ids,
                data.action,
                actor=key.actor,
                role=key.role,
                reason=data.reason,
                filter=flt,
            )
            return [
                BulkItem(
                    comment_id=res.comment_id,
                    ok=res.ok,
                    status=res.status.value if res.status else None,
                    version=res.version,
                    error_code=res.error_code,
                    error_detail=res.error_detail,
                )
                for res in results
            ]

        items = await to_thread.run_sync(run)
        ok = sum(1 for item in items if item.ok)
        return BulkResponse(
            action=data.action, ok_count=ok, failed_count=len(items) - ok, results=items
        )


__all__ = ["QueueController", "Session"]
