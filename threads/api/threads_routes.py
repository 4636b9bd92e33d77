"""/api/threads: list and read threads and their comments; close, reopen, set policy; submit."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from sqlalchemy.engine import Engine
from sqlmodel import Session

from threads.analysis.common import DEFAULT_STATUSES, ReportQuery
from threads.analysis.data import ThreadReport, TopicSummary
from threads.analysis.report import build_report
from threads.api import auth, views
from threads.api.deps import SiteParam, problems, unit_of_work
from threads.api.etag import conditional
from threads.api.ratelimit import PUBLIC_WRITE
from threads.config import Settings
from threads.db.types import utcnow
from threads.keys import Principal
from threads.moderation.history import DEFAULT_LIMIT, MAX_LIMIT, thread_history
from threads.moderation.shapes import history_page
from threads.moderation.submission import Submission, submit_comment
from threads.moderation.threads import UNSET, close_thread, reopen_thread, set_policy
from threads.schemas import (
    MAX_ID,
    CloseRequest,
    HistoryEvent,
    Page,
    PolicyRequest,
    ReopenRequest,
    SubmissionRequest,
    SubmissionResponse,
    ThreadDetail,
    ThreadSummary,
)

Cursor = Annotated[str | None, Parameter(description="next_cursor of the previous page")]
Limit = Annotated[int, Parameter(ge=1, le=views.MAX_PAGE, description="items per page")]
ThreadId = Annotated[int, Parameter(ge=1, le=MAX_ID, description="thread id")]


class ThreadController(Controller):
    path = "/api/threads"
    tags = ["threads"]

    @get("/", sync_to_thread=True, responses=problems(400, 401, 404, 422))
    @unit_of_work
    def list_threads(
        self,
        db: NamedDependency[Session],
        settings: NamedDependency[Settings],
        cursor: Cursor = None,
        limit: Limit = 50,
        site: SiteParam = None,
    ) -> Page[ThreadSummary]:
        """Threads in id order (public), with their effective state and approved comments;
        ``site`` lists one site's (an unknown key is a 404 ``site_not_found``)."""
        return views.thread_page(
            db, settings, cursor=cursor, limit=limit, now=utcnow(), site=site or None
        )

    @get(
        "/{thread_id:int}",
        sync_to_thread=True,
        middleware=[conditional],
        responses=problems(400, 401, 404),
    )
    @unit_of_work
    def get_thread(
        self,
        db: NamedDependency[Session],
        settings: NamedDependency[Settings],
        codebook: NamedDependency[str],
        thread_id: ThreadId,
    ) -> ThreadDetail:
        """One thread: article, effective state (auto-closed counts as closed), counts (per
        topic: approved comments, topics of the chosen codebook).
        """
        return views.thread_detail(db, settings, thread_id, now=utcnow(), codebook=codebook)

    @get(
        "/{thread_id:int}/comments",
        sync_to_thread=True,
        middleware=[conditional],
        responses=problems(400, 401, 404, 422),
        security=[{}, {"bearer": []}],  # the key is optional: it shows more
    )
    @unit_of_work
    def list_comments(
        self,
        db: NamedDependency[Session],
        principal: NamedDependency[Principal | None],
        codebook: NamedDependency[str],
        thread_id: ThreadId,
        view: Annotated[
            Literal["tree", "flat"], Parameter(description="nested replies or one flat list")
        ] = "tree",
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[Any]:
        """Comments of a thread. Public: approved only, no e-mail. With a key: every status.

        ``tree`` pages over top-level comments with their replies nested; ``flat`` pages over
        all comments in order of appearance.
        """
        return views.thread_comments(
            db,
            thread_id,
            full=principal is not None,
            view=view,
            cursor=cursor,
            limit=limit,
            codebook=codebook,
        )

    @get(
        "/{thread_id:int}/history",
        sync_to_thread=True,
        guards=[auth.viewer],
        responses=problems(400, 401, 403, 404, 422),
        security=[{"bearer": []}],
    )
    @unit_of_work
    def history(
        self,
        db: NamedDependency[Session],
        thread_id: ThreadId,
        cursor: Cursor = None,
        limit: Annotated[
            int, Parameter(ge=1, le=MAX_LIMIT, description="events per page")
        ] = DEFAULT_LIMIT,
    ) -> Page[HistoryEvent]:
        """The thread's audit trail, oldest first, in cursor pages (any key): close, reopen,
        policy changes, and every action, label, report and rule decision on its comments
        (``target_type`` and ``target_id`` say which)."""
        return history_page(thread_history(db, thread_id, cursor=cursor or None, limit=limit))

    @get(
        "/{thread_id:int}/topics",
        sync_to_thread=True,
        responses=problems(400, 401, 404, 422),
        security=[{}, {"bearer": []}],  # the key is optional: it shows more
    )
    def topics(
        self,
        engine: NamedDependency[Engine],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal | None],
        codebook: NamedDependency[str],
        thread_id: ThreadId,
    ) -> TopicSummary:
        """The thread's topic summary, the same data as ``threads report``'s: per topic the
        comments, share, mean score, distinctive terms and a representative comment.

        Public: over approved comments. With a key: over every status but spam and deleted.
        """
        request = ReportQuery(
            thread_ids=(thread_id,),
            statuses=DEFAULT_STATUSES if principal is not None else ("approved",),
            taxonomy_path=settings.taxonomy_path,
            codebook=codebook,
        )
        report = build_report(engine, request)
        assert isinstance(report, ThreadReport)
        return report.topics

    @post(
        "/{thread_id:int}/comments",
        sync_to_thread=True,
        opt={PUBLIC_WRITE: True},
        status_code=201,
        responses=problems(400, 403, 404, 409, 413, 422, 429),
    )
    @unit_of_work
    def submit(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        settings: NamedDependency[Settings],
        codebook: NamedDependency[str],
        thread_id: ThreadId,
        data: JSONBody[SubmissionRequest],
    ) -> SubmissionResponse:
        """Submit a comment or a reply (public, rate-limited per address).

        The response says the resulting status (pending: held for review). A closed thread
        answers 409 ``thread_closed`` with ``closed_at`` and ``reason``; an author the site
        has banned, 403 ``author_banned``; nothing is stored then.
        """
        result = submit_comment(
            db,
            thread_id,
            Submission(
                author_name=data.author_name,
                body=data.body,
                author_email=data.author_email,
                author_url=data.author_url,
                parent_id=data.parent_id,
            ),
            settings=settings,
            client=request.client.host if request.client else None,
            classify=request.app.state.classify,
        )
        db.flush()
        topics = views.shape_comments(db, [result.comment], full=False, codebook=codebook)
        return SubmissionResponse(
            status=result.status.value,
            comment=topics[0],  # type: ignore[arg-type]
        )

    @post(
        "/{thread_id:int}/close",
        sync_to_thread=True,
        guards=[auth.moderator],
        status_code=200,
        responses=problems(400, 401, 403, 404, 409, 413, 422),
        security=[{"bearer": []}],
    )
    @unit_of_work
    def close(
        self,
        db: NamedDependency[Session],
        settings: NamedDependency[Settings],
        codebook: NamedDependency[str],
        key: NamedDependency[Principal],
        thread_id: ThreadId,
        data: JSONBody[CloseRequest],
    ) -> ThreadDetail:
        """Close a thread with a reason (moderator or admin); audited."""
        close_thread(db, thread_id, actor=key.actor, reason=data.reason)
        db.flush()
        return views.thread_detail(db, settings, thread_id, now=utcnow(), codebook=codebook)

    @post(
        "/{thread_id:int}/reopen",
        sync_to_thread=True,
        guards=[auth.moderator],
        status_code=200,
        responses=problems(400, 401, 403, 404, 409, 413, 422),
        security=[{"bearer": []}],
    )
    @unit_of_work
    def reopen(
        self,
        db: NamedDependency[Session],
        settings: NamedDependency[Settings],
        codebook: NamedDependency[str],
        key: NamedDependency[Principal],
        thread_id: ThreadId,
        data: JSONBody[ReopenRequest | None] = None,
    ) -> ThreadDetail:
        """Reopen a closed or auto-closed thread (moderator or admin); auto-close then stops."""
        reopen_thread(
            db,
            thread_id,
            actor=key.actor,
            reason=data.reason if data else None,
            settings=settings,
        )
        db.flush()
        return views.thread_detail(db, settings, thread_id, now=utcnow(), codebook=codebook)

    @put(
        "/{thread_id:int}/policy",
        sync_to_thread=True,
        guards=[auth.admin],
        responses=problems(400, 401, 403, 404, 413, 422),
        security=[{"bearer": []}],
    )
    @unit_of_work
    def put_policy(
        self,
        db: NamedDependency[Session],
        settings: NamedDependency[Settings],
        codebook: NamedDependency[str],
        key: NamedDependency[Principal],
        thread_id: ThreadId,
        data: JSONBody[PolicyRequest],
    ) -> ThreadDetail:
        """Set pre-moderation and auto-close policy (admin). Fields left out stay as they are;
        null clears one (the server default applies); ``auto_close_days`` 0 disables auto-close.
        """
        set_policy(
            db,
            thread_id,
            actor=key.actor,
            premoderation=_given(data.premoderation),
            auto_close_days=_given(data.auto_close_days),
            auto_close_from=_given(data.auto_close_from),
        )
        db.flush()
        return views.thread_detail(db, settings, thread_id, now=utcnow(), codebook=codebook)


def _given(value: Any) -> Any:
    """msgspec's "field left out" becomes the service's "leave as it is"."""
    return UNSET if value is msgspec.UNSET else value
