"""The moderation console: server-rendered pages over the same services as the API.

Signing in trades an API key (posted in a form, never in a URL) for a session cookie that is
encrypted and signed by Litestar's cookie backend, HttpOnly, SameSite=Strict and short-lived; the
session holds only the key's id, and each request looks the key up again, so revoking it ends its
sessions. Every form carries a CSRF token (Litestar's CSRF middleware, on the console's routes
only: the JSON API authenticates with a header no other site can send). Every action is a form
that POSTs and redirects; what the redirect must say (an error, a version conflict) travels in
the session as a one-shot ``flash``. Pages allow no inline script (Content-Security-Policy).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from anyio import to_thread
from litestar import Request, Router, get, post
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.params import Body, Parameter, QueryParameter
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from sqlmodel import Session

from threads.api.problems import status_for
from threads.api.ratelimit import STORE_NAME
from threads.config import Settings
from threads.db import session_scope
from threads.db.types import utcnow
from threads.errors import Conflict, InvalidInput, ThreadsError, Unauthorized
from threads.keys import Principal, principal_by_id, verify_key
from threads.models import Comment, CommentStatus, Role
from threads.moderation import lifecycle
from threads.moderation.cards import article_title, card_extras, latest_event
from threads.moderation.history import thread_history
from threads.moderation.queue import QueueFilter, list_queue, status_counts
from threads.moderation.service import apply_action, bulk_action, get_comment_or_404
from threads.moderation.shapes import history_event, history_page, queue_page
from threads.moderation.threads import close_thread, reopen_thread
from threads.schemas import MAX_ID

from . import views

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
PREFIX = "/console"
#: how long a console session lasts, in seconds
SESSION_SECONDS = 8 * 60 * 60
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
#: the queue's tabs: name -> statuses
TABS: dict[str, tuple[CommentStatus, ...]] = {
    "pending": (CommentStatus.PENDING,),
    "reported": (CommentStatus.FLAGGED,),
    "all": tuple(CommentStatus),
}
ACTIONS = ("approve", "reject", "spam", "delete", "restore")
Sort = Literal["oldest", "newest", "most_reported"]
Form = Body(media_type=RequestEncodingType.URL_ENCODED)


def _secret(settings: Settings, purpose: str) -> bytes:
    """32 bytes for ``purpose`` (the session cookie, the CSRF token), derived from
    THREADS_SESSION_SECRET, or else from a secret made up once per process."""
    base = settings.session_secret or _process_secret()
    return hashlib.sha256(f"{purpose}\0{base}".encode()).digest()


_PROCESS_SECRET: list[str] = []


def _process_secret() -> str:
    if not _PROCESS_SECRET:
        _PROCESS_SECRET.append(secrets.token_urlsafe(32))
    return _PROCESS_SECRET[0]


# --- the signed-in moderator ------------------------------------------------------------------


def _principal(request: Request[Any, Any, Any], db: Session) -> Principal | None:
    """Who holds this session (None: nobody signed in, or the key was revoked since)."""
    key_id = request.session.get("key_id") if request.session else None
    if not isinstance(key_id, int):
        return None
    principal = principal_by_id(db, key_id)
    if principal is None:
        request.set_session({})
    return principal


def flash_bulk(request: Request[Any, Any, Any], action: str, results: Sequence[Any]) -> None:
    """The outcome of a bulk action (the queue's or a campaign's) for the next page: the
    comments changed, and the first failures with their reasons."""
    failed = [r for r in results if not r.ok]
    _flash(
        request,
        bulk={
            "action": action,
            "done": [r.comment_id for r in results if r.ok],
            "failed": [
                [r.comment_id, r.error_code, (r.error_detail or "")[:300]]
                for r in failed[:BULK_REPORTED]
            ],
            "more_failed": max(0, len(failed) - BULK_REPORTED),
        },
    )


def _flash(request: Request[Any, Any, Any], **message: Any) -> None:
    request.session["flash"] = message


def _take_flash(request: Request[Any, Any, Any]) -> dict[str, Any] | None:
    if not request.session:
        return None
    flash = request.session.pop("flash", None)
    return flash if isinstance(flash, dict) else None


def _back(target: str | None, default: str = PREFIX) -> str:
    """Where to return after a form: a console path only (never another site)."""
    if target and target.startswith(PREFIX) and not target.startswith("//") and "\\" not in target:
        return target
    return default


def _signin() -> Redirect:
    return Redirect(f"{PREFIX}/signin", status_code=303)


def _page(name: str, status_code: int = 200, **context: Any) -> Template:
    return Template(
        template_name=name, context={**context, "allowed": allowed}, status_code=status_code
    )


# --- sign in and out --------------------------------------------------------------------------


@get("/signin")
async def signin_form(request: Request[Any, Any, Any]) -> Template:
    return _page("signin.html", flash=_take_flash(request), principal=None)


@post("/signin", status_code=303)
async def signin(
    request: Request[Any, Any, Any],
    data: Annotated[dict[str, str], Form],
) -> Redirect:
    """Trade an API key for a session. Attempts are rate limited per address; a refusal says
    why in words that never repeat the key."""
    if not await _signin_allowed(request):
        _flash(request, error="too many sign-in attempts from this address: wait a minute")
        return _signin()
    key = (data.get("key") or "").strip()

    def verify() -> Principal:
        with session_scope(request.app.state.engine) as session:
            return verify_key(session, key)

    try:
        principal = await to_thread.run_sync(verify)
    except Unauthorized as exc:
        _flash(request, error=f"not signed in: {exc}")
        return _signin()
    request.set_session({"key_id": principal.key_id})
    return Redirect(PREFIX, status_code=303)


@post("/signout", status_code=303)
async def signout(request: Request[Any, Any, Any]) -> Redirect:
    request.set_session({"flash": {"notice": "signed out"}})  # nothing else survives
    return _signin()


# --- the queue --------------------------------------------------------------------------------

#: cards on one queue page
PAGE_SIZE = 50
#: a request from our own script asks for an HTML fragment instead of a redirect
FRAGMENT_HEADER = "x-threads-fragment"
#: failures a bulk report names one by one (the rest are counted)
BULK_REPORTED = 25


def _card_view(db: Session, comment: Comment, codebook: str, title: str | None = None) -> Any:
    """One card's data: the comment as key holders see it, its thread's title, its extras."""
    shaped = views.shape_comments(db, [comment], full=True, codebook=codebook)[0]
    extras = card_extras(db, [comment], codebook).get(comment.id or 0)
    if title is None:
        title = article_title(db, comment.thread_id)
    return {"comment": shaped, "title": title, "extras": extras}


def _conflict_of(db: Session, comment_id: int, message: str | None, codebook: str) -> Any:
    """The fresh state of the comment a stale action was about, and who changed it last."""
    comment = get_comment_or_404(db, comment_id)
    event = latest_event(db, comment_id)
    return {
        **_card_view(db, comment, codebook),
        "event": history_event(event) if event else None,
        "message": message,
    }


def _conflict_view(db: Session, flash: dict[str, Any] | None, codebook: str) -> Any:
    if not flash or "conflict_id" not in flash:
        return None
    return _conflict_of(db, int(flash["conflict_id"]), flash.get("message"), codebook)


def _bulk_view(db: Session, flash: dict[str, Any] | None) -> Any:
    """What a bulk action did: the comments it changed, and per failure why (for a conflict,
    also who changed the comment first)."""
    if not flash or "bulk" not in flash:
        return None
    report = flash["bulk"]
    failed = []
    for comment_id, code, detail in report.get("failed", []):
        event = latest_event(db, int(comment_id)) if code == "version_conflict" else None
        failed.append(
            {
                "id": comment_id,
                "code": code,
                "detail": detail,
                "event": history_event(event) if event else None,
            }
        )
    return {**report, "failed": failed}


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{field} must be a date as YYYY-MM-DD, got {value!r}", field=field
        ) from None


def _dates(date_from: str | None, date_to: str | None) -> tuple[datetime | None, datetime | None]:
    """The posted-time bounds of the from/to days (UTC, both days included)."""
    first, last = _day(date_from, "from"), _day(date_to, "to")
    since = datetime.combine(first, time.min, tzinfo=UTC) if first else None
    until = None
    if last:
        if last >= date.max:
            raise InvalidInput("to must be a date before 9999-12-31", field="to")
        until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    return since, until


@get("/", sync_to_thread=True)
def queue(
    request: Request[Any, Any, Any],
    db: NamedDependency[Session],
    codebook: NamedDependency[str],
    tab: Annotated[Literal["pending", "reported", "all"], Parameter()] = "pending",
    site: Annotated[str | None, Parameter(max_length=255)] = None,
    thread: Annotated[int | None, Parameter(ge=1)] = None,
    topic: Annotated[str | None, Parameter(max_length=64)] = None,
    author: Annotated[str | None, Parameter(max_length=512)] = None,
    text: Annotated[str | None, Parameter(max_length=500)] = None,
    date_from: Annotated[str | None, QueryParameter(name="from", max_length=32)] = None,
    date_to: Annotated[str | None, QueryParameter(name="to", max_length=32)] = None,
    sort: Annotated[Sort, Parameter()] = "oldest",
    cursor: Annotated[str | None, Parameter(max_length=1000)] = None,
) -> Template | Redirect:
    try:
        principal = _principal(request, db)
        if principal is None:
            return _signin()
        flash = _take_flash(request)
        filters = {
            "site": site or None,
            "topic": topic or None,
            "author": author or None,
            "text": text or None,
        }
        counts: dict[str, int] = {}
        error = None
        page = None
        extras: dict[int, Any] = {}
        try:
            since, until = _dates(date_from, date_to)

            def flt(statuses: tuple[CommentStatus, ...]) -> QueueFilter:
                return QueueFilter(
                    statuses=statuses,
                    codebook=codebook,
                    thread_id=thread,
                    site=filters["site"],
                    topic=filters["topic"],
                    author=filters["author"],
                    text=filters["text"],
                    since=since,
                    until=until,
                )

            by_status = status_counts(db, flt(TABS[tab]))
            for name, statuses in TABS.items():
                counts[name] = sum(by_status[s] for s in statuses)
            listed = list_queue(
                db,
                flt(TABS[tab]),
                sort=sort,
                cursor=cursor or None,
                limit=PAGE_SIZE,
                total=counts[tab],
            )
            page = queue_page(listed)
            extras = card_extras(db, [item.comment for item in listed.items], codebook)
        except ThreadsError as exc:
            error = str(exc)
        query = {
            k: v
            for k, v in {
                "tab": tab,
                "site": site,
                "thread": thread,
                "topic": topic,
                "author": author,
                "text": text,
                "from": date_from,
                "to": date_to,
                "sort": sort,
            }.items()
            if v not in (None, "")
        }
        here = f"{PREFIX}?{urlencode({**query, **({'cursor': cursor} if cursor else {})})}"
        return _page(
            "queue.html",
            principal=principal,
            can_act=principal.has_role(Role.MODERATOR),
            flash=flash,
            conflict=_conflict_view(db, flash, codebook),
            bulk=_bulk_view(db, flash),
            tabs=list(TABS),
            tab_urls={t: f"{PREFIX}?{urlencode({**query, 'tab': t})}" for t in TABS},
            tab=tab,
            tab_statuses=" ".join(s.value for s in TABS[tab]),
            counts=counts,
            page=page,
            extras=extras,
            error=error,
            query=query,
            filters={
                "site": site,
                "thread": thread,
                "topic": topic,
                "author": author,
                "text": text,
                "from": date_from,
                "to": date_to,
            },
            sort=sort,
            here=here,
            next_url=f"{PREFIX}?{urlencode({**query, 'cursor': page.next_cursor})}"
            if page and page.next_cursor
            else None,
            actions=ACTIONS,
        )
    finally:
        db.commit()
        db.close()


def _wants_fragment(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get(FRAGMENT_HEADER) == "1"


def _fragment(status_code: int, **context: Any) -> Template:
    """An HTML fragment for our script: the fresh card, a conflict card or an error."""
    return _page("_fragment.html", status_code=status_code, can_act=True, **context)


@post("/comments/{comment_id:int}/action", sync_to_thread=True, status_code=303)
def act(
    request: Request[Any, Any, Any],
    db: NamedDependency[Session],
    codebook: NamedDependency[str],
    comment_id: Annotated[int, Parameter(ge=1, le=MAX_ID)],
    data: Annotated[dict[str, str], Form],
) -> Redirect | Template:
    """One moderation action from a card's own form (the thread page's cards)."""
    try:
        principal = _principal(request, db)
        if principal is None:
            return _signin()
        if not principal.has_role(Role.MODERATOR):
            db.rollback()
            return _refused(principal, "moderation actions need a moderator or admin key")
        return _act_one(
            request,
            db,
            principal,
            codebook,
            comment_id,
            action=data.get("action", ""),
            version=data.get("version"),
            reason=data.get("reason"),
            back=_back(data.get("back")),
            shared=False,
        )
    finally:
        db.close()


def _act_one(
    request: Request[Any, Any, Any],
    db: Session,
    principal: Principal,
    codebook: str,
    comment_id: int,
    *,
    action: str,
    version: str | None,
    reason: str | None,
    back: str,
    shared: bool,
) -> Redirect | Template:
    """Take one action if the comment is still at ``version``; a stale version changes nothing
    and the page says who changed the comment first. Asked by our script (header
    ``X-Threads-Fragment: 1``), answer the fresh card's HTML (or the conflict card, or the
    error) instead of a redirect; ``shared``: its buttons belong to the queue's one form."""
    fragment = _wants_fragment(request)
    try:
        comment = apply_action(
            db,
            comment_id,
            action,
            actor=principal.actor,
            role=principal.role,
            reason=reason or None,
            expected_version=_int(version, "version"),
        )
        db.commit()
        notice = f"comment {comment_id}: {action} done"
        if fragment:
            fresh = _card_view(db, comment, codebook)
            return _fragment(200, fresh=fresh, shared=shared, here=back, actions=ACTIONS)
        _flash(request, notice=notice)
    except Conflict as exc:
        db.rollback()
        if fragment:
            conflict = _conflict_of(db, comment_id, str(exc), codebook)
            return _fragment(409, conflict=conflict, shared=shared, here=back, actions=ACTIONS)
        _flash(request, conflict_id=comment_id, message=str(exc))
    except ThreadsError as exc:
        db.rollback()
        if fragment:
            return _fragment(status_for(exc), error=f"comment {comment_id}: {exc}")
        _flash(request, error=f"comment {comment_id}: {exc}")
    return Redirect(back, status_code=303)


@post("/actions", status_code=303)
async def queue_actions(request: Request[Any, Any, Any]) -> Redirect | Template:
    """The queue page's one form: a card's button (``do`` = ``id:version:action``, its reason
    in ``reason-<id>``) acts on that comment; a bulk button (``bulk`` = the action, with
    ``reason``) acts on the ticked cards (each ``pick`` is ``id:version``), each comment its
    own audited transaction, changed only if still at the version shown; the queue then
    reports what was done and, per comment, what was not and why."""
    form = await request.form()
    engine = request.app.state.engine
    back = _back(str(form.get("back") or ""))
    codebook = str(request.app.state.codebook)

    def run() -> Redirect | Template:
        with session_scope(engine) as session:
            principal = _principal(request, session)
            if principal is None:
                return _signin()
            if not principal.has_role(Role.MODERATOR):
                return _refused(principal, "moderation actions need a moderator or admin key")
            do = str(form.get("do") or "")
            if do:
                comment_id, version, action = _one(do)
                return _act_one(
                    request,
                    session,
                    principal,
                    codebook,
                    comment_id,
                    action=action,
                    version=version,
                    reason=str(form.get(f"reason-{comment_id}") or ""),
                    back=back,
                    shared=True,
                )
        picks = [str(p) for p in form.getall("pick", [])]
        action = str(form.get("bulk") or "")
        try:
            versions = _picked(picks)
            results = bulk_action(
                engine,
                list(versions),
                action,
                actor=principal.actor,
                role=principal.role,
                reason=str(form.get("reason") or "") or None,
                versions=versions,
            )
        except ThreadsError as exc:
            _flash(request, error=f"bulk {action or 'action'}: {exc}")
            return Redirect(back, status_code=303)
        flash_bulk(request, action, results)
        return Redirect(back, status_code=303)

    return await to_thread.run_sync(run)


def _one(do: str) -> tuple[int, str, str]:
    """A card button's ``id:version:action`` (a malformed one: comment 0, which is not found)."""
    comment_id, _, rest = do.partition(":")
    version, _, action = rest.partition(":")
    number = int(comment_id) if comment_id.isdigit() and len(comment_id) < 11 else 0
    return number, version, action


def _picked(picks: list[str]) -> dict[int, int]:
    """The ticked cards: comment id -> the version shown (InvalidInput ``pick`` otherwise)."""
    if not picks:
        raise InvalidInput("no comment is selected: tick the cards to act on", field="pick")
    versions: dict[int, int] = {}
    for pick in picks:
        comment_id, _, version = pick.partition(":")
        if not (comment_id.isdigit() and version.isdigit()) or not 0 < int(comment_id) <= MAX_ID:
            raise InvalidInput(f"pick must be comment-id:version, got {pick[:40]!r}", field="pick")
        versions[int(comment_id)] = int(version)
    return versions


def allowed(status: str, purged: bool) -> list[str]:
    """The console's actions the lifecycle allows from ``status`` (a card shows only these)."""
    possible = lifecycle.allowed_actions(status, purged=purged)
    return [a for a in ACTIONS if a in possible]


def _int(value: str | None, field: str) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise InvalidInput(f"{field} must be a whole number", field=field) from None


def _refused(principal: Principal, why: str) -> Template:
    return _page("refused.html", status_code=403, principal=principal, why=why, flash=None)


# --- a thread ---------------------------------------------------------------------------------


@get("/threads/{thread_id:int}", sync_to_thread=True)
def thread_page(
    request: Request[Any, Any, Any],
    db: NamedDependency[Session],
    settings: NamedDependency[Settings],
    codebook: NamedDependency[str],
    thread_id: Annotated[int, Parameter(ge=1, le=MAX_ID)],
) -> Template | Redirect:
    try:
        principal = _principal(request, db)
        if principal is None:
            return _signin()
        detail = views.thread_detail(db, settings, thread_id, now=utcnow(), codebook=codebook)
        comments = views.thread_comments(
            db, thread_id, full=True, view="flat", cursor=None, limit=500, codebook=codebook
        )
        trail = history_page(thread_history(db, thread_id, limit=500))
        return _page(
            "thread.html",
            principal=principal,
            can_act=principal.has_role(Role.MODERATOR),
            flash=_take_flash(request),
            thread=detail,
            comments=comments,
            trail=trail,
            here=f"{PREFIX}/threads/{thread_id}",
            actions=ACTIONS,
        )
    finally:
        db.commit()
        db.close()


@post("/threads/{thread_id:int}/{change:str}", sync_to_thread=True, status_code=303)
def change_thread(
    request: Request[Any, Any, Any],
    db: NamedDependency[Session],
    settings: NamedDependency[Settings],
    thread_id: Annotated[int, Parameter(ge=1, le=MAX_ID)],
    change: Annotated[str, Parameter(max_length=16)],
    data: Annotated[dict[str, str], Form],
) -> Redirect | Template:
    """Close or reopen a thread with a reason (moderator or admin); audited."""
    try:
        principal = _principal(request, db)
        if principal is None:
            return _signin()
        if not principal.has_role(Role.MODERATOR):
            return _refused(principal, "closing and reopening threads need a moderator key")
        reason = (data.get("reason") or "").strip()
        try:
            if change == "close":
                close_thread(db, thread_id, actor=principal.actor, reason=reason)
            elif change == "reopen":
                reopen_thread(
                    db, thread_id, actor=principal.actor, reason=reason or None, settings=settings
                )
            else:
                raise InvalidInput("the change must be close or reopen", field="change")
            db.commit()
            _flash(request, notice=f"thread {thread_id}: {change} done")
        except ThreadsError as exc:
            db.rollback()
            _flash(request, error=f"thread {thread_id}: {exc}")
        return Redirect(f"{PREFIX}/threads/{thread_id}", status_code=303)
    finally:
        db.close()


@get("/", include_in_schema=False)
async def root() -> Redirect:
    return Redirect(PREFIX, status_code=303)


def session_middleware(settings: Settings) -> DefineMiddleware:
    """The console's session cookie (scoped to its path). App-wide middleware: a router's
    middleware is deep-copied, which the cookie backend's cipher cannot be; a request without
    the cookie costs nothing."""
    return CookieBackendConfig(
        secret=_secret(settings, "session"),
        key="threads_console",
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        path=PREFIX,
    ).middleware


def console_routers(settings: Settings) -> list[Any]:
    """The console's routes (CSRF on them only), its static files, and ``/``."""
    from threads.api.console_history import HISTORY_ROUTES  # it builds on this module

    csrf = CSRFConfig(
        secret=_secret(settings, "csrf").hex(),
        cookie_name="threads_csrf",
        cookie_path=PREFIX,
        cookie_httponly=True,
        cookie_samesite="strict",
    )
    headers = [
        ResponseHeader(name="Content-Security-Policy", value=CSP),
        ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
        ResponseHeader(name="Referrer-Policy", value="same-origin"),
        ResponseHeader(name="Cache-Control", value="no-store"),
    ]
    from threads.api.console_authors import AUTHOR_PAGES  # it builds on this module's helpers
    from threads.api.console_campaigns import CAMPAIGN_PAGES
    from threads.api.console_hooks import HOOK_PAGES

    pages = Router(
        path=PREFIX,
        route_handlers=[
            signin_form,
            signin,
            signout,
            queue,
            act,
            queue_actions,
            thread_page,
            change_thread,
            *AUTHOR_PAGES,
            *CAMPAIGN_PAGES,
            *HOOK_PAGES,
        ],
        middleware=[DefineMiddleware(CSRFMiddleware, config=csrf)],
        response_headers=headers,
        include_in_schema=False,
    )
    from threads.api.console_replay import REPLAY_ROUTES  # it builds on this module too
    from threads.api.console_reports import REPORT_ROUTES  # it builds on this module's helpers

    for handler in [*HISTORY_ROUTES, *REPLAY_ROUTES, *REPORT_ROUTES]:
        pages.register(handler)
    static = create_static_files_router(
        path=f"{PREFIX}/static", directories=[STATIC], include_in_schema=False
    )
    return [pages, static, root]


async def _signin_allowed(request: Request[Any, Any, Any]) -> bool:
    """Count one sign-in attempt of the client address in the rate-limit store (the one the API
    limit uses, so shared by every worker when THREADS_STORE_URL is set); False past
    ``signin_attempts_per_minute`` within the minute that began with its first attempt."""
    limit = request.app.state.settings.signin_attempts_per_minute
    if limit <= 0:
        return True
    store = request.app.stores.get(STORE_NAME)
    address = request.client.host if request.client else "unknown"
    key = f"signin:{address}"
    seen = await store.get(key)
    count = int(seen or 0)
    if count >= limit:
        return False
    left = await store.expires_in(key) if seen is not None else None
    await store.set(key, str(count + 1), expires_in=left if left and left > 0 else 60)
    return True


__all__ = ["console_routers", "session_middleware", "TEMPLATES", "TABS"]
