"""/api/comments/{id}: moderation actions, history, labels, readers' reports."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from sqlmodel import Session

from threads.api import auth, views
from threads.api.deps import problems, unit_of_work
from threads.api.ratelimit import PUBLIC_WRITE
from threads.keys import Principal
from threads.moderation.history import DEFAULT_LIMIT, MAX_LIMIT, comment_history
from threads.moderation.reports import report_comment
from threads.moderation.service import apply_action
from threads.moderation.shapes import history_page
from threads.schemas import (
    MAX_ID,
    ActionRequest,
    CommentFull,
    CommentReportRequest,
    CommentReportResponse,
    HistoryEvent,
    Page,
)

CommentId = Annotated[int, Parameter(ge=1, le=MAX_ID, description="comment id")]
Cursor = Annotated[
    str | None, Parameter(max_length=1000, description="next_cursor of the previous page")
]
HistoryLimit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description="events per page")]


class CommentController(Controller):
    path = "/api/comments"
    tags = ["comments"]

    @post(
        "/{comment_id:int}/actions",
        sync_to_thread=True,
        guards=[auth.moderator],
        status_code=200,
        responses=problems(400, 401, 403, 404, 409, 413, 422),
        security=[{"bearer": []}],
    )
    @unit_of_work
    def act(
        self,
        db: NamedDependency[Session],
        key: NamedDependency[Principal],
        codebook: NamedDependency[str],
        comment_id: CommentId,
        data: JSONBody[ActionRequest],
    ) -> CommentFull:
        """Take a moderation action (moderator+; purge: admin). A stale ``expected_version``
        gets 409 ``version_conflict`` with ``current_version``; nothing changes then.
        """
        comment = apply_action(
            db,
            comment_id,
            data.action,
            actor=key.actor,
            role=key.role,
            reason=data.reason,
            expected_version=data.expected_version,
        )
        return views.shape_comments(db, [comment], full=True, codebook=codebook)[0]  # type: ignore[return-value]

    @get(
        "/{comment_id:int}/history",
        sync_to_thread=True,
        guards=[auth.viewer],
        responses=problems(400, 401, 403, 404, 422),
        security=[{"bearer": []}],
    )
    @unit_of_work
    def history(
        self,
        db: NamedDependency[Session],
        comment_id: CommentId,
        cursor: Cursor = None,
        limit: HistoryLimit = DEFAULT_LIMIT,
    ) -> Page[HistoryEvent]:
        """The audit events of a comment, oldest first, in cursor pages (any key)."""
        return history_page(comment_history(db, comment_id, cursor=cursor or None, limit=limit))

    @post(
        "/{comment_id:int}/reports",
        sync_to_thread=True,
        opt={PUBLIC_WRITE: True},
        status_code=202,
        responses=problems(400, 404, 409, 413, 422, 429),
    )
    @unit_of_work
    def report(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        comment_id: CommentId,
        data: JSONBody[CommentReportRequest],
    ) -> CommentReportResponse:
        """Report a comment (public, rate-limited): it is flagged for review.

        Reasons: spam, abuse, off_topic, personal_info, other.
        """
        report_comment(
            db,
            comment_id,
            data.reason,
            reporter=request.client.host if request.client else None,
            detail=data.detail,
        )
        return CommentReportResponse(comment_id=comment_id)
