"""/api/policy/dry-run (proposed rules over past comments) and /api/threads/{id}/snapshot (a
thread as readers saw it at a moment). Both only read."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from sqlmodel import Session

from threads.api import auth
from threads.api.deps import problems, unit_of_work
from threads.config import Settings
from threads.moderation.dryrun import dry_run, from_request, parse_time
from threads.moderation.replay import snapshot
from threads.moderation.shapes import dry_run_response, snapshot_read
from threads.schemas import MAX_ID, DryRunRequest, DryRunResponse, SnapshotRead


class PolicyController(Controller):
    path = "/api/policy"
    tags = ["moderation"]

    @post(
        "/dry-run",
        sync_to_thread=True,
        guards=[auth.moderator],
        status_code=200,
        responses=problems(400, 401, 403, 404, 413, 422),
        security=[{"bearer": []}],
    )
    @unit_of_work
    def dry_run(
        self,
        db: NamedDependency[Session],
        settings: NamedDependency[Settings],
        data: JSONBody[DryRunRequest],
    ) -> DryRunResponse:
        """Run proposed rules (word list, link limit, pre-moderation, auto-close) over the past
        comments of a site or thread in a date range (moderator+). Nothing is written. Answers
        how many would have been held or refused, the confusion table of proposed outcome
        against status now, precision and recall, and one page of the comments stopped
        (``comments``; pass its ``next_cursor`` back as ``cursor``)."""
        proposal, scope = from_request(data, settings)
        result = dry_run(
            db.connection(), settings, proposal, scope, cursor=data.cursor, limit=data.limit
        )
        return dry_run_response(result)


class SnapshotController(Controller):
    path = "/api/threads"
    tags = ["threads"]

    @get(
        "/{thread_id:int}/snapshot",
        sync_to_thread=True,
        guards=[auth.viewer],
        responses=problems(400, 401, 403, 404, 422),
        security=[{"bearer": []}],
    )
    @unit_of_work
    def snapshot(
        self,
        db: NamedDependency[Session],
        thread_id: Annotated[int, Parameter(ge=1, le=MAX_ID, description="thread id")],
        at: Annotated[
            str,
            Parameter(
                min_length=1,
                max_length=40,
                description="the moment: an ISO date or time (UTC when it has no offset)",
            ),
        ],
    ) -> SnapshotRead:
        """The thread as readers saw it at ``at``, replayed from the audit trail (viewer+:
        it shows comments hidden since): the visible comments in reading order, the thread's
        event times, and a manifest with the sha256 of the content."""
        when = parse_time(at, "at")
        assert when is not None  # at is not empty
        return snapshot_read(snapshot(db.connection(), thread_id, when))


__all__ = ["PolicyController", "SnapshotController"]
