"""/api/campaigns: clusters of comments that look organised (computed on each request, paged
like every list), one action (reject or spam) on the waiting members of a cluster, and the scan
that announces new clusters with the ``campaign.found`` webhook event."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from anyio import to_thread
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from msgspec import Meta
from sqlalchemy.engine import Engine

from threads.api import auth
from threads.api.deps import SiteParam, problems
from threads.keys import Principal
from threads.moderation.campaigns import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_MEMBERS,
    CampaignQuery,
    act_on_campaign,
    notify_campaigns,
    page_campaigns,
)
from threads.moderation.shapes import campaigns_all, campaigns_page
from threads.schemas import BulkItem, BulkResponse, CampaignRead, Id, Page, Reason

#: the campaign filters shared by the listing and the scan
SinceParam = Annotated[
    datetime | None, Parameter(description="members posted at or after this time")
]
KindParam = Annotated[str | None, Parameter(description="dup, burst or alias", max_length=8)]


class CampaignActionRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The campaign's members as listed (its id is their hash), the waiting members to act on
    with the version seen (comment id as text -> version), the action and the reason."""

    action: Annotated[str, Meta(max_length=16)]
    members: Annotated[list[Id], Meta(max_length=100_000)]
    versions: dict[str, int]
    reason: Reason


class CampaignController(Controller):
    path = "/api/campaigns"
    tags = ["moderation"]

    @get(
        "/",
        guards=[auth.viewer],
        responses=problems(400, 401, 403, 404, 422),
        security=[{"bearer": []}],
    )
    async def list_all(
        self,
        engine: NamedDependency[Engine],
        key: NamedDependency[Principal],
        site: SiteParam = None,
        since: SinceParam = None,
        kind: KindParam = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[
            str | None, Parameter(description="next_cursor of the page before", max_length=400)
        ] = None,
    ) -> Page[CampaignRead]:
        """Campaigns (viewer+): near-duplicate texts (``dup``), first-time authors piling onto a
        thread (``burst``), one e-mail or address under several names (``alias``), each with its
        members, evidence (e-mails as hashes) and sample texts, a page at a time.

        Computed on each request, pages included. The order is stable: by kind (dup, burst,
        alias), then largest first, then by id (a hash of the members). ``next_cursor`` holds
        the place of the last campaign of the page (kind, size, id), not a position, so the next
        page is the campaigns placed after it when they are computed again: with the comments
        unchanged, every campaign is listed once; a campaign whose members changed meanwhile
        has a new id and shows where it now belongs. ``total`` counts every page (per kind:
        filter with ``kind``)."""
        query = CampaignQuery(site=site or None, since=since, kind=kind or None)
        page = await to_thread.run_sync(
            lambda: page_campaigns(engine, query, limit=limit, cursor=cursor)
        )
        return campaigns_page(page)

    @post(
        "/scan",
        guards=[auth.moderator],
        status_code=200,
        responses=problems(400, 401, 403, 404, 422),
        security=[{"bearer": []}],
    )
    async def scan(
        self,
        engine: NamedDependency[Engine],
        key: NamedDependency[Principal],
        site: SiteParam = None,
        since: SinceParam = None,
        kind: KindParam = None,
    ) -> Page[CampaignRead]:
        """Announce new campaigns (moderator+): scan with the listing's filters and send the
        ``campaign.found`` webhook event for each campaign never announced before (once per
        campaign id, however many scans run). Answers with every campaign announced now, in id
        order, as one page of the listing's shape; a second scan with nothing new answers
        none."""
        query = CampaignQuery(site=site or None, since=since, kind=kind or None)
        views = await to_thread.run_sync(lambda: notify_campaigns(engine, query))
        return campaigns_all(views)

    @post(
        "/{campaign:str}/actions",
        guards=[auth.moderator],
        status_code=200,
        responses=problems(400, 401, 403, 409, 413, 422),
        security=[{"bearer": []}],
    )
    async def act(
        self,
        engine: NamedDependency[Engine],
        key: NamedDependency[Principal],
        campaign: Annotated[str, Parameter(max_length=40)],
        data: JSONBody[CampaignActionRequest],
    ) -> BulkResponse:
        """Reject or spam the waiting members of a campaign (moderator+), a reason required;
        each comment its own audited transaction (the campaign's id in the event), changed only
        if still at the version given; 409 ``campaign_changed`` when ``members`` are no longer
        the campaign's."""
        versions: dict[int, int] = {}
        for comment_id, version in list(data.versions.items())[: MAX_MEMBERS + 1]:
            versions[int(comment_id) if comment_id.isdigit() else 0] = version

        def run() -> BulkResponse:
            results = act_on_campaign(
                engine,
                campaign,
                data.members,
                versions,
                data.action,
                actor=key.actor,
                role=key.role,
                reason=data.reason,
            )
            items = [
                BulkItem(
                    comment_id=r.comment_id,
                    ok=r.ok,
                    status=r.status.value if r.status else None,
                    version=r.version,
                    error_code=r.error_code,
                    error_detail=r.error_detail,
                )
                for r in results
            ]
            ok = sum(1 for i in items if i.ok)
            return BulkResponse(
                action=data.action, ok_count=ok, failed_count=len(items) - ok, results=items
            )

        return await to_thread.run_sync(run)


__all__ = ["CampaignController"]
