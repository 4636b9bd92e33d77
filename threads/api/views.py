"""Read models of the API: database rows shaped into the response Structs of threads.schemas.

Listing cursors are those of :mod:`threads.cursor` (the keyset of a page's last item).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from threads.config import Settings
from threads.cursor import Part, decode_cursor, encode_cursor
from threads.db.queries import reads as r
from threads.db.queries.labels import topics_of
from threads.errors import InvalidInput, NotFound
from threads.models import Comment
from threads.moderation.lifecycle import PUBLIC_STATUSES
from threads.moderation.shapes import full_comment, public_comment
from threads.moderation.threads import effective_state
from threads.schemas import (
    ArticleRead,
    CommentFull,
    CommentPublic,
    Page,
    SiteRead,
    ThreadDetail,
    ThreadSummary,
)
from threads.site_directory import find_site, site_summaries

MAX_PAGE = 500


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}, got {limit}", field="limit")
    return limit


# --------------------------------------------------------------------------- threads


def thread_page(
    session: Session,
    settings: Settings,
    *,
    cursor: str | None,
    limit: int,
    now: datetime,
    site: str | None = None,
) -> Page[ThreadSummary]:
    """Threads in id order (of the site with key ``site`` if given: NotFound naming the known
    keys when there is none); ``comment_count`` counts approved comments (what readers see)."""
    check_limit(limit)
    site_id = find_site(session, site).id if site is not None else None
    after = decode_cursor(cursor, "t", Part.INT)[0] if cursor else None
    rows = r.thread_rows(
        session, after_id=after, limit=limit + 1, statuses=PUBLIC_STATUSES, site_id=site_id
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        ThreadSummary(
            id=row.thread.id or 0,
            article_id=row.article.id or 0,
            title=row.article.title,
            url=row.article.source_url,
            published_at=row.article.published_at,
            state=effective_state(session, row.thread, settings, now).state.value,
            comment_count=row.comment_count,
            last_comment_at=row.last_comment_at,
        )
        for row in rows
    ]
    next_cursor = encode_cursor("t", items[-1].id) if more and items else None
    return Page(items=items, total=r.thread_count(session, site_id), next_cursor=next_cursor)


def site_page(session: Session) -> Page[SiteRead]:
    """Every site in key order, with its articles and approved comments (what readers see)."""
    items = [
        SiteRead(
            key=s.key, name=s.name, base_url=s.base_url, articles=s.articles, comments=s.comments
        )
        for s in site_summaries(session, PUBLIC_STATUSES)
    ]
    return Page(items=items, total=len(items), next_cursor=None)


def thread_detail(
    session: Session, settings: Settings, thread_id: int, *, now: datetime, codebook: str
) -> ThreadDetail:
    """One thread: its article, effective state, comments per status and (approved) per topic
    of ``codebook``. Core rows only: the thread and its article in one query, the counts from
    the tally where the database keeps one."""
    row = r.thread_read_row(session, thread_id)
    if row is None:
        raise NotFound(f"thread {thread_id} not found", thread_id=thread_id)
    status = effective_state(session, row, settings, now, published_at=row.a_published_at)
    counts = r.status_counts(session, thread_id)
    return ThreadDetail(
        id=thread_id,
        article=ArticleRead(
            id=row.a_id,
            key=row.a_key,
            title=row.a_title,
            url=row.a_source_url,
            byline=row.a_byline,
            authors=list(row.a_authors or []),
            standfirst=row.a_standfirst,
            published_at=row.a_published_at,
        ),
        state=status.state.value,
        closed_at=status.closed_at,
        close_reason=status.reason,
        auto_closed=status.auto,
        premoderation=_value(row.premoderation),
        auto_close_days=row.auto_close_days,
        auto_close_from=_value(row.auto_close_from),
        version=row.version,
        comment_count=sum(counts.values()),
        counts_by_status=counts,
        counts_by_topic=r.topic_counts(session, thread_id, PUBLIC_STATUSES, codebook),
    )


def _value(member: Any) -> str | None:
    """An enum column's value (None stays None)."""
    return None if member is None else str(getattr(member, "value", member))


# --------------------------------------------------------------------------- comments


def shape_comments(
    session: Session, comments: Sequence[Comment], *, full: bool, codebook: str
) -> list[CommentPublic] | list[CommentFull]:
    """Comments as the API shows them, each with its topics in ``codebook``."""
    topics = topics_of(session, codebook, [c.id for c in comments if c.id is not None])
    if full:
        return [full_comment(c, topics.get(c.id or 0, [])) for c in comments]
    return [public_comment(c, topics.get(c.id or 0, [])) for c in comments]


def thread_comments(
    session: Session,
    thread_id: int,
    *,
    full: bool,
    view: str,
    cursor: str | None,
    limit: int,
    codebook: str,
) -> Page[Any]:
    """Comments of a thread: approved only unless ``full`` (a key holder), flat or as a tree.

    ``flat`` pages over comments in order of appearance; ``tree`` pages over top-level comments,
    each with all its replies nested. In the public tree a reply whose parent is hidden hangs
    under its nearest visible ancestor (or at the top).
    """
    check_limit(limit)
    if r.thread_with_article(session, thread_id) is None:
        raise NotFound(f"thread {thread_id} not found", thread_id=thread_id)
    statuses = None if full else PUBLIC_STATUSES
    if view == "flat":
        after = decode_cursor(cursor, "f", Part.INT, Part.INT) if cursor else None
        rows = r.thread_comments_page(
            session,
            thread_id,
            statuses,
            after=(after[0], after[1]) if after else None,
            limit=limit + 1,
        )
        more = len(rows) > limit
        rows = rows[:limit]
        items = shape_comments(session, rows, full=full, codebook=codebook)
        last = rows[-1] if rows else None
        next_cursor = (
            encode_cursor("f", last.position, last.id or 0) if more and last is not None else None
        )
        total = r.thread_comment_count(session, thread_id, statuses)
        return Page(items=list(items), total=total, next_cursor=next_cursor)
    if view != "tree":
        raise InvalidInput(f"view must be tree or flat, got {view!r}", field="view")
    comments = r.thread_comments(session, thread_id, statuses)
    shaped = shape_comments(session, comments, full=full, codebook=codebook)
    roots = _tree(comments, list(shaped), session=session if not full else None)
    start = 0
    if cursor:
        position, last_id = decode_cursor(cursor, "r", Part.INT, Part.INT)
        keys = [(c.position, c.id or 0) for c, _ in roots]
        start = next((i for i, k in enumerate(keys) if k > (position, last_id)), len(keys))
    chosen = roots[start : start + limit]
    more = start + limit < len(roots)
    next_cursor = None
    if more and chosen:
        last_comment = chosen[-1][0]
        next_cursor = encode_cursor("r", last_comment.position, last_comment.id or 0)
    return Page(items=[node for _, node in chosen], total=len(roots), next_cursor=next_cursor)


def _tree(
    comments: Sequence[Comment], shaped: list[Any], *, session: Session | None
) -> list[tuple[Comment, Any]]:
    """Nest ``shaped`` (parallel to ``comments``) by parent; returns the top-level pairs."""
    by_id = {c.id: node for c, node in zip(comments, shaped, strict=True)}
    parents: dict[int, int | None] = {}
    if session is not None:
        # Public view: hidden comments are not loaded; climb through them to a visible one.
        parents = r.thread_parent_links(session, comments[0].thread_id) if comments else {}
    roots: list[tuple[Comment, Any]] = []
    for c, node in zip(comments, shaped, strict=True):
        parent = c.parent_id
        seen: set[int] = set()
        while parent is not None and parent not in by_id and parent in parents:
            if parent in seen:  # a cycle in imported data: stop climbing
                parent = None
                break
            seen.add(parent)
            parent = parents[parent]
        holder = by_id.get(parent) if parent is not None else None
        if holder is None or holder is node:
            roots.append((c, node))
        else:
            if holder.replies is None:
                holder.replies = []
            holder.replies.append(node)
    return roots
