"""Moderation results in the shapes of :mod:`threads.schemas`.

The one place a queue page, a comment as key holders see it and an audit event become the
msgspec Structs that ``GET /api/queue`` and the history endpoints answer and that
``threads queue --json`` and ``threads history --json`` print: the terminal and the API cannot
drift apart in fields or time format (both encode with msgspec).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from threads.body_text import plain_text, safe_html
from threads.models import Comment, CommentStatus, ModerationEvent
from threads.moderation.history import HistoryPage
from threads.moderation.queue import QueuePage
from threads.schemas import CommentFull, CommentPublic, HistoryEvent, Page, QueueItem


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
