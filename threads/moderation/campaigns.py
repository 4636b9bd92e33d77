"""Campaigns for moderators: list the clusters of a site (computed on demand, see
:mod:`threads.analysis.campaigns`) and act on all waiting members of one cluster at once.

The action is :func:`threads.moderation.service.bulk_action` (one audited transaction per
comment, each a compare-and-set on the version the moderator saw), with the cluster's id and
kind in every audit event. A cluster is named by the members the moderator was shown: its id is
a hash of them, so a stale or altered list is refused instead of acting on other comments.

:func:`notify_campaigns` is the one scan that writes: it announces each cluster not seen
before with the ``campaign.found`` webhook event, once per cluster id (``campaign_notice``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from threads.analysis.campaigns import (
    KINDS,
    CampaignView,
    Cluster,
    Settings,
    cluster_id,
    describe,
    scan_database,
)
from threads.cursor import Part, decode_cursor, encode_cursor
from threads.db import session_scope
from threads.db.queries import campaigns as q
from threads.db.types import utcnow
from threads.errors import Conflict, InvalidInput, refuse_nul
from threads.models import Role
from threads.moderation import lifecycle
from threads.moderation.audit import Actor
from threads.moderation.service import BulkResult, bulk_action, check_role
from threads.site_directory import find_site
from threads.webhooks.events import campaign_found

#: the actions a campaign may get: both take every waiting member out of sight
CAMPAIGN_ACTIONS: tuple[str, ...] = (lifecycle.REJECT, lifecycle.SPAM)
#: most members one campaign action touches
MAX_MEMBERS = 1000


@dataclass(frozen=True)
class CampaignQuery:
    """Which campaigns: of a site (its key), with members posted at or after ``since`` (a naive
    time is UTC), of one kind."""

    site: str | None = None
    since: datetime | None = None
    kind: str | None = None

    def __post_init__(self) -> None:
        refuse_nul(self.site, "site")
        when = self.since
        if when is not None:
            if when.tzinfo is None:  # a naive time is UTC, as the database takes it
                when = when.replace(tzinfo=UTC)
            try:  # a time whose UTC value falls outside the years 1-9999 cannot be compared
                object.__setattr__(self, "since", when.astimezone(UTC))
            except OverflowError:
                raise InvalidInput(f"since {when} is out of range", field="since") from None


def parse_kind(kind: str | None, field: str = "kind") -> str | None:
    if kind is None or kind == "":
        return None
    if kind not in KINDS:
        raise InvalidInput(f"{field} must be one of: {', '.join(KINDS)}; got {kind!r}", field=field)
    return kind


def list_campaigns(engine: Engine, query: CampaignQuery) -> list[CampaignView]:
    """The campaigns among the comments of ``query.site`` (every site when None), of the kind
    asked for, with members posted since ``query.since``; largest first within each kind.
    Read-only: nothing is announced (see :func:`notify_campaigns`)."""
    with engine.connect() as conn:
        _, clusters = _scan(conn, query)
        return describe(conn, clusters)


#: the cursor kind of the campaign listing; campaigns on a page by default and at most
CURSOR_KIND = "cg"
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class CampaignPage:
    """One page of campaigns, the number of campaigns in all pages, the cursor of the next
    page (None on the last) and how many campaigns of each kind all pages hold."""

    items: list[CampaignView]
    total: int
    next_cursor: str | None
    counts: dict[str, int]


def _place(cluster: Cluster) -> tuple[int, int, str]:
    """Where a cluster stands in the listing: its kind (dup, burst, alias), larger first, then
    the hash of its id (its members); the order :meth:`CampaignScan.clusters` gives."""
    return (KINDS.index(cluster.kind), -len(cluster.members), cluster.id.partition("-")[2])


def page_campaigns(
    engine: Engine,
    query: CampaignQuery,
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> CampaignPage:
    """One page of :func:`list_campaigns`: by kind (dup, burst, alias), largest first, then by
    id; ``cursor`` is the ``next_cursor`` of the page before.

    Campaigns are computed again for every page, so the cursor is a keyset, not a position: it
    holds the place of the last campaign shown (kind, size, id hash), and the next page lists
    the campaigns placed after it in the new computation. While the comments do not change,
    walking the pages lists each campaign once; when they do, a campaign whose members changed
    has a new id (and may have a new size), so it shows (or not) where it now belongs, and no
    other campaign is shown twice or skipped. InvalidInput for a ``limit`` outside 1-500 or a
    cursor this listing did not write (checked before the scan)."""
    if isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be from 1 to {MAX_LIMIT}, got {limit}", field="limit")
    after = None
    if cursor:
        kind_index, size, digest = decode_cursor(cursor, CURSOR_KIND, Part.INT, Part.INT, Part.HEX)
        after = (kind_index, -size, digest)
    with engine.connect() as conn:
        _, clusters = _scan(conn, query)
        placed = sorted(clusters, key=_place)
        rest = [cl for cl in placed if after is None or _place(cl) > after]
        shown = rest[:limit]
        next_cursor = None
        if len(rest) > limit:
            last = _place(shown[-1])
            next_cursor = encode_cursor(CURSOR_KIND, last[0], -last[1], last[2])
        return CampaignPage(
            items=describe(conn, shown),
            total=len(placed),
            next_cursor=next_cursor,
            counts={k: sum(1 for cl in placed if cl.kind == k) for k in KINDS},
        )


def _scan(conn: Any, query: CampaignQuery) -> tuple[int | None, list[Cluster]]:
    kind = parse_kind(query.kind)
    settings = Settings(since=query.since, kinds=(kind,) if kind else KINDS)
    site_id = find_site(conn, query.site, field="site").id if query.site else None
    return site_id, scan_database(conn, site_id=site_id, settings=settings)


def notice_data(cluster: Cluster) -> dict[str, Any]:
    """The ``campaign`` object of a ``campaign.found`` event (docs/webhooks.md): no e-mail
    address, only the evidence as the listing shows it (e-mails masked and hashed)."""
    return {
        "id": cluster.id,
        "kind": cluster.kind,
        "size": len(cluster.members),
        "comment_ids": list(cluster.members),
        "thread_ids": list(cluster.threads),
        "author_count": len(cluster.authors),
        "first": cluster.first,
        "last": cluster.last,
        "evidence": cluster.evidence,
    }


def notify_campaigns(
    engine: Engine, query: CampaignQuery, *, now: datetime | None = None
) -> list[CampaignView]:
    """Scan as :func:`list_campaigns` does, then announce (``campaign.found``) each cluster
    whose id was never announced: the notices and the deliveries are written in one
    transaction, so a failed scan announces nothing, and a notice is the cluster id's primary
    key, so two scans (even at once) never announce a cluster twice. The campaigns announced
    now, in id order."""
    with engine.connect() as conn:  # the scan only reads: no write lock while it runs
        site_id, clusters = _scan(conn, query)
    when = now or utcnow()
    with session_scope(engine, write=True) as session:
        conn = session.connection()
        sites: dict[int, int] = {}
        if site_id is None:
            sites = q.thread_sites(conn, sorted({t for cl in clusters for t in cl.threads}))
        announced: list[Cluster] = []
        for cl in sorted(clusters, key=lambda c: c.id):
            where = site_id
            if where is None:  # a cluster within one site is that site's; across sites, none
                found = {sites[t] for t in cl.threads if t in sites}
                where = found.pop() if len(found) == 1 else None
            inserted = q.insert_notice(
                conn,
                cl.id,
                kind=cl.kind,
                site_id=where,
                members=len(cl.members),
                first_seen_at=when,
            )
            if inserted:
                campaign_found(session, notice_data(cl), site_id=where)
                announced.append(cl)
        return describe(conn, announced)


def act_on_campaign(
    engine: Engine,
    campaign: str,
    members: Sequence[int],
    versions: Mapping[int, int],
    action: str,
    *,
    actor: Actor,
    role: Role,
    reason: str | None,
) -> list[BulkResult]:
    """``action`` (reject or spam) on the waiting members ``versions`` (id -> version shown) of
    the campaign ``campaign`` whose members were ``members``; each audit event carries the
    campaign's id and kind. A reason is required. Conflict ``campaign_changed`` when
    ``members`` do not make ``campaign`` (a stale or altered page)."""
    if action not in CAMPAIGN_ACTIONS:
        raise InvalidInput(
            f"action must be one of: {', '.join(CAMPAIGN_ACTIONS)}; got {action!r}", field="action"
        )
    check_role(role, action)
    if not (reason or "").strip():
        raise InvalidInput("a reason is required to act on a campaign", field="reason")
    kind, _, _ = campaign.partition("-")
    parse_kind(kind, "campaign")
    if cluster_id(kind, members) != campaign:
        raise Conflict(
            f"campaign {campaign} does not have these members: it changed since the page was "
            "made; reload it",
            code="campaign_changed",
        )
    if not versions:
        raise InvalidInput(f"campaign {campaign} has no waiting members to act on", field="pick")
    outside = sorted(set(versions) - set(members))
    if outside:
        raise InvalidInput(
            f"comment {outside[0]} is not a member of campaign {campaign}", field="pick"
        )
    if len(versions) > MAX_MEMBERS:
        raise InvalidInput(
            f"{len(versions)} comments; at most {MAX_MEMBERS} per campaign action", field="pick"
        )
    return bulk_action(
        engine,
        list(versions),
        action,
        actor=actor,
        role=role,
        reason=reason,
        versions=versions,
        limit=MAX_MEMBERS,
        extra={"campaign": campaign, "campaign_kind": kind},
    )
