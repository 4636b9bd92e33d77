"""Moderation results in the shapes of :mod:`threads.schemas`.

The one place a queue page, a comment as key holders see it, an audit event and an author's
standing become the msgspec Structs that ``GET /api/queue``, the history and author endpoints
answer and that ``threads queue --json``, ``threads history --json`` and ``threads author ...
--json`` print: the terminal and the API cannot
drift apart in fields or time format (both encode with msgspec).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Row

from threads.body_text import plain_text, safe_html
from threads.models import Comment, CommentStatus, ModerationEvent
from threads.moderation.authors import AuthorRecord, RejectPendingResult, StandingPage
from threads.moderation.dryrun import DryRunResult
from threads.moderation.history import HistoryPage
from threads.moderation.queue import QueuePage
from threads.moderation.replay import Snapshot
from threads.schemas import (
    AuthorRead,
    CampaignRead,
    CampaignSample,
    CommentFull,
    CommentPublic,
    DryRunItem,
    DryRunResponse,
    HistoryEvent,
    Page,
    QueueItem,
    RejectPendingResponse,
    SnapshotCommentRead,
    SnapshotRead,
)

if TYPE_CHECKING:  # the campaign module imports numpy: only the commands that list campaigns
    from threads.analysis.campaigns import CampaignView
    from threads.moderation.campaigns import CampaignPage


def public_comment(c: Comment | Row[Any], topics: list[str]) -> CommentPublic:
    """A comment as readers see it, with ``topics``: no e-mail, no moderation fields."""
    return CommentPublic(
        id=c.id or 0,
        thread_id=c.thread_id,
        parent_id=c.parent_id,
        author_name=c.author_name,
        author_url=c.author_url,
        posted_at=c.posted_at,
        body=c.body,
        body_format=c.body_format,
        body_text=plain_text(c.body, c.body_format),
        body_html=safe_html(c.body, c.body_format),
        topics=topics,
    )


def full_comment(c: Comment | Row[Any], topics: list[str]) -> CommentFull:
    """A comment with its moderation fields and ``topics``: everything but the import payload."""
    return CommentFull(
        id=c.id or 0,
        thread_id=c.thread_id,
        parent_id=c.parent_id,
        position=c.position,
        kind=str(getattr(c.kind, "value", c.kind)),
        author_name=c.author_name,
        author_url=c.author_url,
        author_email=c.author_email,
        posted_at=c.posted_at,
        body=c.body,
        body_format=c.body_format,
        body_text=plain_text(c.body, c.body_format),
        body_html=safe_html(c.body, c.body_format),
        status=CommentStatus(c.status).value,
        version=c.version,
        purged=c.purged,
        report_count=c.report_count,
        sentiment=c.sentiment,
        topics=topics,
    )


def queue_page(page: QueuePage) -> Page[QueueItem]:
    return Page(
        items=[
            QueueItem(
                comment=full_comment(item.comment, item.topics),
                article_id=item.article_id,
                article_title=item.article_title,
            )
            for item in page.items
        ],
        total=page.total,
        next_cursor=page.next_cursor,
    )


def history_event(e: ModerationEvent) -> HistoryEvent:
    return HistoryEvent(
        id=e.id or 0,
        target_type=str(getattr(e.target_type, "value", e.target_type)),
        target_id=e.target_id,
        thread_id=e.thread_id,
        action=e.action,
        actor=e.actor,
        actor_type=str(getattr(e.actor_type, "value", e.actor_type)),
        from_state=e.from_state,
        to_state=e.to_state,
        reason=e.reason,
        created_at=e.created_at,
    )


def history_page(page: HistoryPage) -> Page[HistoryEvent]:
    return Page(
        items=[history_event(e) for e in page.items],
        total=page.total,
        next_cursor=page.next_cursor,
    )


def author_read(record: AuthorRecord) -> AuthorRead:
    n = record.counts
    return AuthorRead(
        site=record.site,
        author_key=record.author_key,
        standing=record.standing.value,
        reason=record.reason,
        set_by=record.set_by,
        set_at=record.set_at,
        comments=record.comments,
        pending=n.get(CommentStatus.PENDING, 0),
        approved=n.get(CommentStatus.APPROVED, 0),
        flagged=n.get(CommentStatus.FLAGGED, 0),
        rejected=n.get(CommentStatus.REJECTED, 0),
        spam=n.get(CommentStatus.SPAM, 0),
        deleted=n.get(CommentStatus.DELETED, 0),
    )


def authors_page(page: StandingPage) -> Page[AuthorRead]:
    return Page(
        items=[author_read(r) for r in page.items],
        total=page.total,
        next_cursor=page.next_cursor,
    )


def reject_pending_response(result: RejectPendingResult) -> RejectPendingResponse:
    return RejectPendingResponse(
        site=result.site,
        author_key=result.author_key,
        rejected=len(result.comment_ids),
        comment_ids=result.comment_ids,
    )


def dry_run_response(result: DryRunResult) -> DryRunResponse:
    """A dry-run's answer as the API sends it (and ``threads policy test --format json``)."""
    scope = result.scope
    return DryRunResponse(
        scope={
            "site": scope.site,
            "thread_id": scope.thread_id,
            "since": scope.since.isoformat() if scope.since else None,
            "until": scope.until.isoformat() if scope.until else None,
        },
        rules=result.rules,
        total=result.total,
        outcomes=result.outcomes,
        held=result.held,
        refused=result.refused,
        stopped=result.stopped,
        confusion=result.confusion,
        precision=result.precision,
        recall=result.recall,
        comments=Page(
            items=[
                DryRunItem(
                    comment_id=s.comment_id,
                    thread_id=s.thread_id,
                    posted_at=s.posted_at,
                    author_name=s.author_name,
                    excerpt=s.excerpt,
                    outcome=s.outcome,
                    reasons=list(s.reasons),
                    status=s.status,
                )
                for s in result.items
            ],
            total=result.stopped,
            next_cursor=result.next_cursor,
        ),
    )


def snapshot_read(snap: Snapshot) -> SnapshotRead:
    """A replayed thread as the API sends it."""
    return SnapshotRead(
        manifest=snap.manifest(),
        comments=[SnapshotCommentRead(**c.__dict__) for c in snap.comments],
        times=list(snap.times),
    )


def campaign_read(view: CampaignView) -> CampaignRead:
    """A campaign as ``GET /api/campaigns`` and ``threads campaigns --format json`` show it."""
    from threads.analysis.data import to_jsonable

    return CampaignRead(
        id=view.id,
        kind=view.kind,
        size=view.size,
        members=list(view.members),
        threads=list(view.threads),
        authors=list(view.authors),
        first=view.first,
        last=view.last,
        # JSON-ready: floats rounded to 6 digits, keys as text, as the report shows evidence
        evidence=to_jsonable(view.evidence),
        samples=[
            CampaignSample(
                id=s.id,
                thread_id=s.thread_id,
                title=s.title,
                author=s.author,
                posted_at=s.posted_at,
                status=s.status,
                version=s.version,
                excerpt=s.excerpt,
            )
            for s in view.samples
        ],
        pending={str(k): v for k, v in view.pending.items()},
    )


def campaigns_page(page: CampaignPage) -> Page[CampaignRead]:
    """A page of campaigns in the shape of every list (``counts`` stay out: a ``kind`` filter's
    ``total`` gives them)."""
    return Page(
        items=[campaign_read(v) for v in page.items],
        total=page.total,
        next_cursor=page.next_cursor,
    )


def campaigns_all(views: list[CampaignView]) -> Page[CampaignRead]:
    """Every campaign of a scan as one page (``POST /api/campaigns/scan``, ``--notify``)."""
    return Page(items=[campaign_read(v) for v in views], total=len(views), next_cursor=None)
