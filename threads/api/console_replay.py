"""The console's dry-run page (proposed rules over past comments) and a thread's snapshot page
(as readers saw it, with a time slider). Both are GET forms: they only read, so they work
without script and can be bookmarked; ``console.js`` only submits the slider's form on change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import Parameter
from litestar.response import Redirect, Template
from sqlmodel import Session

from threads.api.console import PREFIX, _page, _principal, _refused, _signin, _take_flash
from threads.archive.snapshot_page import snapshot_html
from threads.config import Settings
from threads.db.types import utcnow
from threads.errors import InvalidInput, NotFound, ThreadsError
from threads.models import AutoCloseFrom, PreModeration, Role
from threads.moderation.dryrun import (
    OUTCOMES,
    Proposal,
    Scope,
    dry_run,
    parse_add_word,
    parse_time,
)
from threads.moderation.replay import snapshot
from threads.moderation.shapes import dry_run_response
from threads.moderation.threads import UNSET
from threads.schemas import MAX_ID

Text = Annotated[str | None, Parameter(max_length=255)]
Words = Annotated[str | None, Parameter(max_length=10_000)]
#: stopped comments per page of the dry-run page
DRY_RUN_PAGE = 50
FIELDS = (
    "site",
    "thread",
    "since",
    "until",
    "link_limit",
    "premoderation",
    "auto_close_days",
    "auto_close_from",
    "add_words",
    "remove_words",
)


def _number(value: str | None, field: str) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise InvalidInput(f"{field} must be a whole number, got {value!r}", field=field) from None


def _choice(cls: Any, value: str | None, field: str) -> Any:
    if not value:
        return None
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise InvalidInput(
            f"{field} must be one of {allowed}, got {value!r}", field=field
        ) from None


def _lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


@get("/policy/dry-run", sync_to_thread=True)
def dry_run_page(
    request: Request[Any, Any, Any],
    db: NamedDependency[Session],
    settings: NamedDependency[Settings],
    site: Text = None,
    thread: Text = None,
    since: Text = None,
    until: Text = None,
    link_limit: Text = None,
    premoderation: Text = None,
    auto_close_days: Text = None,
    auto_close_from: Text = None,
    add_words: Words = None,
    remove_words: Words = None,
    run: Text = None,
    cursor: Annotated[str | None, Parameter(max_length=400)] = None,
) -> Template | Redirect:
    """The form of proposed rules; with ``run``, the dry-run's answer under it (moderator+)."""
    try:
        principal = _principal(request, db)
        if principal is None:
            return _signin()
        if not principal.has_role(Role.MODERATOR):
            return _refused(principal, "rule dry-runs need a moderator key")
        values = {
            "site": site,
            "thread": thread,
            "since": since,
            "until": until,
            "link_limit": link_limit,
            "premoderation": premoderation,
            "auto_close_days": auto_close_days,
            "auto_close_from": auto_close_from,
            "add_words": add_words,
            "remove_words": remove_words,
        }
        answer = None
        error = None
        next_url = None
        if run:
            try:
                days = _number(auto_close_days, "auto_close_days")
                start = _choice(AutoCloseFrom, auto_close_from, "auto_close_from")
                proposal = Proposal(
                    add_words=tuple(parse_add_word(w) for w in _lines(add_words)),
                    remove_words=tuple(_lines(remove_words)),
                    max_links=_number(link_limit, "link_limit"),
                    premoderation=_choice(PreModeration, premoderation, "premoderation"),
                    auto_close_days=UNSET if days is None else days,
                    auto_close_from=UNSET if start is None else start,
                )
                scope = Scope(
                    site=(site or "").strip() or None,
                    thread_id=_number(thread, "thread"),
                    since=parse_time(since, "since"),
                    until=parse_time(until, "until"),
                )
                answer = dry_run_response(
                    dry_run(
                        db.connection(),
                        settings,
                        proposal,
                        scope,
                        cursor=cursor or None,
                        limit=DRY_RUN_PAGE,
                    )
                )
                if answer.comments.next_cursor:
                    query = {k: v for k, v in values.items() if v}
                    query.update(run="1", cursor=answer.comments.next_cursor)
                    next_url = f"{PREFIX}/policy/dry-run?{urlencode(query)}"
            except ThreadsError as exc:
                error = str(exc)
        return _page(
            "dry_run.html",
            principal=principal,
            flash=_take_flash(request),
            values=values,
            answer=answer,
            outcomes=OUTCOMES,
            premoderations=[p.value for p in PreModeration],
            starts=[s.value for s in AutoCloseFrom],
            error=error,
            next_url=next_url,
        )
    finally:
        db.rollback()
        db.close()


def _moment(at: str | None, step: str | None, times: list[datetime]) -> datetime:
    """The moment a snapshot page shows: ``at`` (a date or time), else the slider's step
    among ``times``, else now."""
    if at and at.strip():
        when = parse_time(at, "at")
        assert when is not None
        return when
    if step is not None and step.strip() and times:
        index = _number(step, "step") or 0
        return times[max(0, min(index, len(times) - 1))]
    return utcnow()


@get("/threads/{thread_id:int}/snapshot", sync_to_thread=True)
def snapshot_page(
    request: Request[Any, Any, Any],
    db: NamedDependency[Session],
    thread_id: Annotated[int, Parameter(ge=1, le=MAX_ID)],
    at: Text = None,
    step: Text = None,
) -> Template | Redirect:
    """The thread as readers saw it at a moment chosen with a slider over its event times."""
    try:
        principal = _principal(request, db)
        if principal is None:
            return _signin()
        conn = db.connection()
        try:
            times = snapshot(conn, thread_id, utcnow()).times
            when = _moment(at, step, times)
            snap = snapshot(conn, thread_id, when)
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
        index = sum(1 for t in times if t <= when) - 1
        return _page(
            "snapshot.html",
            principal=principal,
            flash=_take_flash(request),
            snap=snap,
            manifest=snap.manifest(),
            times=times,
            index=max(index, 0),
            at_text=when.strftime("%Y-%m-%dT%H:%M:%S"),
            download=f"{PREFIX}/threads/{thread_id}/snapshot.html?"
            + urlencode({"at": when.isoformat()}),
        )
    finally:
        db.rollback()
        db.close()


@get("/threads/{thread_id:int}/snapshot.html", sync_to_thread=True)
def snapshot_download(
    request: Request[Any, Any, Any],
    db: NamedDependency[Session],
    thread_id: Annotated[int, Parameter(ge=1, le=MAX_ID)],
    at: Text = None,
) -> Response[str] | Template | Redirect:
    """The archival page of the snapshot, as a file to keep."""
    try:
        principal = _principal(request, db)
        if principal is None:
            return _signin()
        try:
            when = parse_time(at, "at") or utcnow()
            snap = snapshot(db.connection(), thread_id, when)
        except (NotFound, InvalidInput) as exc:
            return _page(
                "refused.html",
                status_code=404 if isinstance(exc, NotFound) else 400,
                principal=principal,
                heading="Not shown",
                why=str(exc),
                flash=None,
            )
        stamp = when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return Response(
            snapshot_html(snap),
            media_type="text/html; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="thread-{thread_id}-{stamp}.html"'
            },
        )
    finally:
        db.rollback()
        db.close()


#: registered by :func:`threads.api.console.console_routers`
REPLAY_ROUTES = [dry_run_page, snapshot_page, snapshot_download]

__all__ = ["REPLAY_ROUTES"]
