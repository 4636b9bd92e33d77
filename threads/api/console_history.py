"""The console's history pages: one comment with its whole audit trail, and the audit log.

Both are read-only pages for any signed-in key; the comment page carries the same action forms
as a queue card for moderators (they post to the card's route and come back here). They use
the console's session, CSRF, templates and refusal page (:mod:`threads.api.console`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import Parameter
from litestar.response import Redirect, Template
from sqlmodel import Session

from threads.api import views
from threads.api.console import (
    ACTIONS,
    PREFIX,
    _conflict_view,
    _page,
    _principal,
    _signin,
    _take_flash,
)
from threads.db.queries.reads import thread_with_article
from threads.errors import InvalidInput, NotFound, ThreadsError
from threads.models import Role
from threads.moderation.history import (
    ACTION_LENGTH,
    ACTOR_LENGTH,
    MAX_LIMIT,
    AuditFilter,
    audit_log,
    comment_history,
)
from threads.moderation.service import get_comment_or_404
from threads.moderation.shapes import history_page
from threads.schemas import MAX_ID

#: events per page of the audit log page
AUDIT_PAGE = 50
Cursor = Annotated[str | None, Parameter(max_length=1000)]


@get("/comments/{comment_id:int}", sync_to_thread=True)
def comment_page(
    request: Request[Any, Any, Any],
    db: NamedDependency[Session],
    codebook: NamedDependency[str],
    comment_id: Annotated[int, Parameter(ge=1, le=MAX_ID)],
    cursor: Cursor = None,
) -> Template | Redirect:
    """A comment, its thread, its status and its audit trail (oldest first, 500 a page)."""
    try:
        principal = _principal(request, db)
        if principal is None:
            return _signin()
        flash = _take_flash(request)
        try:
            comment = get_comment_or_404(db, comment_id)
            trail = history_page(
                comment_history(db, comment_id, cursor=cursor or None, limit=MAX_LIMIT)
            )
        except (NotFound, InvalidInput) as exc:
            status = 404 if isinstance(exc, NotFound) else 400
            return _page(
                "refused.html",
                status_code=status,
                principal=principal,
                heading="Not found" if status == 404 else "Not shown",
                why=str(exc),
                flash=None,
            )
        found = thread_with_article(db, comment.thread_id)
        here = f"{PREFIX}/comments/{comment_id}"
        return _page(
            "comment.html",
            principal=principal,
            can_act=principal.has_role(Role.MODERATOR),
            flash=flash,
            conflict=_conflict_view(db, flash, codebook),
            comment=views.shape_comments(db, [comment], full=True, codebook=codebook)[0],
            thread_title=found[1].title if found else "",
            trail=trail,
            next_url=f"{here}?{urlencode({'cursor': trail.next_cursor})}"
            if trail.next_cursor
            else None,
            here=here,
            actions=ACTIONS,
        )
    finally:
        db.commit()
        db.close()


@get("/audit", sync_to_thread=True)
def audit_page(
    request: Request[Any, Any, Any],
    db: NamedDependency[Session],
    actor: Annotated[str | None, Parameter(max_length=ACTOR_LENGTH)] = None,
    action: Annotated[str | None, Parameter(max_length=ACTION_LENGTH)] = None,
    since: Annotated[str | None, Parameter(max_length=40)] = None,
    until: Annotated[str | None, Parameter(max_length=40)] = None,
    site: Annotated[str | None, Parameter(max_length=255)] = None,
    cursor: Cursor = None,
) -> Template | Redirect:
    """Every audit event, newest first, filtered by actor, action, days and site; a bad filter
    is said on the page, above an empty list."""
    try:
        principal = _principal(request, db)
        if principal is None:
            return _signin()
        filters = {"actor": actor, "action": action, "since": since, "until": until, "site": site}
        query = {k: v for k, v in filters.items() if v}
        page = None
        error = None
        try:
            flt = AuditFilter(
                actor=actor or None,
                action=action or None,
                since=_day(since, "since"),
                until=_day(until, "until", end=True),
                site=site or None,
            )
            page = history_page(audit_log(db, flt, cursor=cursor or None, limit=AUDIT_PAGE))
        except ThreadsError as exc:
            error = str(exc)
        return _page(
            "audit.html",
            principal=principal,
            flash=_take_flash(request),
            filters=filters,
            page=page,
            error=error,
            next_url=f"{PREFIX}/audit?{urlencode({**query, 'cursor': page.next_cursor})}"
            if page and page.next_cursor
            else None,
        )
    finally:
        db.commit()
        db.close()


def _day(value: str | None, field: str, *, end: bool = False) -> datetime | None:
    """The start of the day ``value`` (YYYY-MM-DD, as a date input sends it) in UTC; with
    ``end``, the start of the next day, so that the day itself is included."""
    if not value or not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            f"{field} must be a date (YYYY-MM-DD), got {value!r}", field=field
        ) from None
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    if not end:
        return start
    try:
        return start + timedelta(days=1)
    except OverflowError:  # the last day there is: nothing is recorded after it
        return None


#: registered by :func:`threads.api.console.console_routers`
HISTORY_ROUTES = [comment_page, audit_page]

__all__ = ["HISTORY_ROUTES"]
