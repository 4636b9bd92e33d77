"""The console's campaigns page: clusters of comments that look organised, with their evidence,
and one form per cluster that rejects or marks as spam all its waiting members (moderator or
admin; a reason required; each comment its own audited transaction, changed only if still at
the version shown, the cluster's id in every audit event).

The page is computed on each visit (``site``, ``since`` and ``kind`` narrow it). A form carries
the cluster's members as shown, so an action on a cluster that has changed since is refused.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from anyio import to_thread
from litestar import Request, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from threads.analysis.campaigns import KINDS
from threads.analysis.manifest import parse_bound
from threads.api.console import (
    PREFIX,
    _flash,
    _page,
    _picked,
    _principal,
    _refused,
    _signin,
    _take_flash,
    flash_bulk,
)
from threads.db import session_scope
from threads.errors import InvalidInput, ThreadsError
from threads.models import Role
from threads.moderation.campaigns import (
    CAMPAIGN_ACTIONS,
    CampaignQuery,
    act_on_campaign,
    list_campaigns,
)
from threads.schemas import MAX_ID

PAGE = f"{PREFIX}/campaigns"


def _members(text: str) -> list[int]:
    parts = [p for p in text.split(",") if p]
    if not parts or not all(p.isdigit() and 0 < int(p) <= MAX_ID for p in parts[:100_000]):
        raise InvalidInput("members must be comment ids separated by commas", field="members")
    return [int(p) for p in parts]


@get("/campaigns")
async def campaigns_page(request: Request[Any, Any, Any]) -> Template | Redirect:
    engine = request.app.state.engine
    params = request.query_params
    site = str(params.get("site") or "") or None
    since_text = str(params.get("since") or "") or None
    kind = str(params.get("kind") or "") or None

    def run() -> Template | Redirect:
        with session_scope(engine) as session:
            principal = _principal(request, session)
            if principal is None:
                return _signin()
            if not principal.has_role(Role.MODERATOR):
                return _refused(principal, "the campaigns page needs a moderator or admin key")
        flash = _take_flash(request)
        try:
            query = CampaignQuery(
                site=site, since=parse_bound(since_text, "since", end=False), kind=kind
            )
            views = list_campaigns(engine, query)
        except ThreadsError as exc:
            flash, views = {"error": str(exc)}, []
        here = PAGE + ("?" + urlencode({k: v for k, v in params.items() if v}) if params else "")
        return _page(
            "campaigns.html",
            principal=principal,
            flash=flash,
            campaigns=views,
            kinds=KINDS,
            actions=CAMPAIGN_ACTIONS,
            site=site or "",
            since=since_text or "",
            kind=kind or "",
            here=here,
        )

    return await to_thread.run_sync(run)


@post("/campaigns/{campaign:str}", status_code=303)
async def campaign_action(
    request: Request[Any, Any, Any], campaign: Annotated[str, Parameter(max_length=40)]
) -> Redirect | Template:
    """Reject or spam the ticked waiting members (``pick`` = ``id:version``) of one campaign."""
    form = await request.form()
    engine = request.app.state.engine
    back = str(form.get("back") or "")
    if not back.startswith(PAGE) or back.startswith("//"):
        back = PAGE

    def run() -> Redirect | Template:
        with session_scope(engine) as session:
            principal = _principal(request, session)
            if principal is None:
                return _signin()
            if not principal.has_role(Role.MODERATOR):
                return _refused(principal, "campaign actions need a moderator or admin key")
        action = str(form.get("action") or "")
        try:
            results = act_on_campaign(
                engine,
                campaign,
                _members(str(form.get("members") or "")),
                _picked([str(p) for p in form.getall("pick", [])]),
                action,
                actor=principal.actor,
                role=principal.role,
                reason=str(form.get("reason") or "") or None,
            )
        except ThreadsError as exc:
            _flash(request, error=f"campaign {campaign}: {exc}")
            return Redirect(back, status_code=303)
        flash_bulk(request, action, results)
        return Redirect(back, status_code=303)

    return await to_thread.run_sync(run)


#: the console's campaign routes (registered with the other console pages)
CAMPAIGN_PAGES = [campaigns_page, campaign_action]
