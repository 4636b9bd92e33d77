"""The console's webhooks page (admin only): the hooks, a form that adds one, a button that
removes one, and the recent deliveries with a retry button for the failed and cancelled ones.
Adding and removing are audited as the signed-in key (``key:NAME``), like the API's.

Everything goes through :mod:`threads.webhooks.service`, as the API and the CLI do. Adding a hook
answers the page itself instead of redirecting, so that the signing secret, shown this once,
travels only in that response's body (never in a URL, a redirect, the session or a log) and the
console's ``Cache-Control: no-store`` keeps it out of the browser's cache. Removing and retrying
POST and redirect back with a flash, like the other console forms.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from anyio import to_thread
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import Parameter
from litestar.response import Redirect, Template
from sqlmodel import Session

from threads.api.console import (
    PREFIX,
    _back,
    _flash,
    _page,
    _principal,
    _refused,
    _signin,
    _take_flash,
)
from threads.api.problems import status_for
from threads.db import session_scope
from threads.errors import InvalidInput, ThreadsError
from threads.keys import Principal
from threads.models import DeliveryStatus, Role
from threads.site_directory import site_summaries
from threads.webhooks.events import EVENTS
from threads.webhooks.service import (
    DEFAULT_REPORT_THRESHOLD,
    MAX_THRESHOLD,
    MAX_URL_CHARS,
    CreatedHook,
    add_hook,
    list_deliveries,
    list_hooks,
    remove_hook,
    retry_delivery,
)
from threads.webhooks.shapes import delivery_page

PAGE = f"{PREFIX}/hooks"
#: deliveries on one page
DELIVERY_PAGE = 50
RETRYABLE = (DeliveryStatus.FAILED.value, DeliveryStatus.CANCELLED.value)
ADMIN_ONLY = "the webhooks page needs an admin key"


def _admin(principal: Principal) -> Template | None:
    """The refusal page for a key below admin (None: go on)."""
    return None if principal.has_role(Role.ADMIN) else _refused(principal, ADMIN_ONLY)


def _hooks_page(
    db: Session,
    principal: Principal,
    *,
    flash: dict[str, Any] | None,
    cursor: str | None = None,
    created: CreatedHook | None = None,
    form: dict[str, Any] | None = None,
    secret_set: bool = True,
    status_code: int = 200,
) -> Template:
    """The page: hooks (removed ones too), the add form (refilled after a refusal), one page of
    deliveries, and, right after an addition, the new hook's secret."""
    hooks = list_hooks(db, include_removed=True)
    urls = {h.id: h.url for h in hooks}
    active = {h.id for h in hooks if h.removed_at is None}
    deliveries = None
    delivery_error = None
    try:
        deliveries = delivery_page(list_deliveries(db, limit=DELIVERY_PAGE, cursor=cursor or None))
    except ThreadsError as exc:
        delivery_error = str(exc)
    here = f"{PAGE}?{urlencode({'cursor': cursor})}" if cursor else PAGE
    return _page(
        "hooks.html",
        status_code=status_code,
        principal=principal,
        flash=flash,
        hooks=hooks,
        hook_urls=urls,
        active_hooks=active,
        deliveries=deliveries,
        delivery_error=delivery_error,
        retryable=RETRYABLE,
        next_url=f"{PAGE}?{urlencode({'cursor': deliveries.next_cursor})}"
        if deliveries and deliveries.next_cursor
        else None,
        first_url=PAGE if cursor else None,
        here=here,
        events=EVENTS,
        sites=[s.key for s in site_summaries(db)],
        form=form
        or {"url": "", "events": list(EVENTS), "site": "", "threshold": DEFAULT_REPORT_THRESHOLD},
        max_url=MAX_URL_CHARS,
        max_threshold=MAX_THRESHOLD,
        created=created,
        secret_set=secret_set,
    )


@get("/hooks", sync_to_thread=True)
def hooks_page(
    request: Request[Any, Any, Any],
    db: NamedDependency[Session],
    cursor: Annotated[str | None, Parameter(max_length=400)] = None,
) -> Template | Redirect:
    try:
        principal = _principal(request, db)
        if principal is None:
            return _signin()
        refused = _admin(principal)
        if refused is not None:
            return refused
        return _hooks_page(
            db,
            principal,
            flash=_take_flash(request),
            cursor=cursor,
            secret_set=bool(request.app.state.settings.webhook_secret),
        )
    finally:
        db.commit()
        db.close()


def _threshold(text: str) -> int:
    value = text.strip()
    if not value:
        return DEFAULT_REPORT_THRESHOLD
    if not value.isdigit() or len(value) > 9:
        raise InvalidInput(
            f"report threshold must be a whole number from 1 to {MAX_THRESHOLD}, got {text[:20]!r}",
            field="report_threshold",
        )
    return int(value)


@post("/hooks")
async def add_hook_form(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Add a hook and answer the page with its secret (no redirect: see the module's doc); a
    refusal answers the page with the error and the form as it was sent, nothing written."""
    form = await request.form()
    engine = request.app.state.engine
    settings = request.app.state.settings
    url = str(form.get("url") or "")
    events = [str(e) for e in form.getall("events", [])]
    site = str(form.get("site") or "")
    threshold = str(form.get("report_threshold") or "")
    sent = {"url": url, "events": events, "site": site, "threshold": threshold}

    def run() -> Template | Redirect:
        with session_scope(engine) as session:
            principal = _principal(request, session)
            if principal is None:
                return _signin()
            refused = _admin(principal)
            if refused is not None:
                return refused
            try:
                created = add_hook(
                    session,
                    url,
                    settings=settings,
                    actor=principal.actor,
                    events=events or None,
                    site=site or None,
                    report_threshold=_threshold(threshold),
                )
                session.commit()
            except ThreadsError as exc:
                session.rollback()
                return _hooks_page(
                    session,
                    principal,
                    flash={"error": f"webhook not added: {exc}"},
                    form=sent,
                    secret_set=bool(settings.webhook_secret),
                    status_code=status_for(exc),
                )
            return _hooks_page(
                session,
                principal,
                flash={"notice": f"added webhook {created.info.id}"},
                created=created,
                status_code=201,
            )

    return await to_thread.run_sync(run)


async def _admin_action(
    request: Request[Any, Any, Any],
    back: str,
    act: Callable[[Session, Principal], str],
    failed: str,
) -> Template | Redirect:
    """Run ``act`` (which answers the notice to show) for an admin in one unit of work and come
    back to ``back``; a refusal is rolled back and shown as ``failed: reason``."""
    engine = request.app.state.engine

    def run() -> Template | Redirect:
        with session_scope(engine) as session:
            principal = _principal(request, session)
            if principal is None:
                return _signin()
            refused = _admin(principal)
            if refused is not None:
                return refused
            try:
                notice = act(session, principal)
                session.commit()
                _flash(request, notice=notice)
            except ThreadsError as exc:
                session.rollback()
                _flash(request, error=f"{failed}: {exc}")
        return Redirect(back, status_code=303)

    return await to_thread.run_sync(run)


@post("/hooks/{hook_id:int}/remove", status_code=303)
async def remove_hook_form(
    request: Request[Any, Any, Any], hook_id: Annotated[int, Parameter(ge=1, le=2**31 - 1)]
) -> Template | Redirect:
    """Remove a hook (its pending deliveries cancelled) and come back to the page."""

    def act(session: Session, principal: Principal) -> str:
        removed = remove_hook(session, hook_id, actor=principal.actor)
        return f"removed webhook {removed.id} ({removed.url})"

    return await _admin_action(request, PAGE, act, f"webhook {hook_id}")


@post("/hooks/deliveries/{delivery_id:str}/retry", status_code=303)
async def retry_delivery_form(
    request: Request[Any, Any, Any],
    delivery_id: Annotated[str, Parameter(min_length=1, max_length=36)],
) -> Template | Redirect:
    """Send a failed or cancelled delivery again and come back to the page it was on."""
    form = await request.form()

    def act(session: Session, principal: Principal) -> str:
        again = retry_delivery(session, delivery_id)
        return f"delivery {again.uid} will be sent again"

    back = _back(str(form.get("back") or ""), PAGE)
    return await _admin_action(request, back, act, f"delivery {delivery_id}")


#: registered by :func:`threads.api.console.console_routers`
HOOK_PAGES = [hooks_page, add_hook_form, remove_hook_form, retry_delivery_form]

__all__ = ["HOOK_PAGES"]
