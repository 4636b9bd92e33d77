"""Campaigns for moderators: list the clusters of a site (computed on demand, see
:mod:`threads.analysis.campaigns`) and act on all waiting members of one cluster at once.

The action is :func:`threads.moderation.service.bulk_action` (one audited transaction per
comment, each a compare-and-set on the version the moderator saw), with the cluster's id and
kind in every audit event. A cluster is named by the members the moderator was shown: its id is
a hash of them, so a stale or altered list is refused instead of acting on other comments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from threads.analysis.campaigns import (
    KINDS,
    CampaignView,
    Settings,
    cluster_id,
    describe,
    scan_database,
)
from threads.errors import Conflict, InvalidInput, refuse_nul
from threads.models import Role
from threads.moderation import lifecycle
from threads.moderation.audit import Actor
from threads.moderation.service import BulkResult, bulk_action, check_role
from threads.site_directory import find_site

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
    asked for, with members posted since ``query.since``; largest first within each kind."""
    kind = parse_kind(query.kind)
    settings = Settings(since=query.since, kinds=(kind,) if kind else KINDS)
    with engine.connect() as conn:
        site_id = find_site(conn, query.site, field="site").id if query.site else None
        clusters = scan_database(conn, site_id=site_id, settings=settings)
        return describe(conn, clusters)


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
