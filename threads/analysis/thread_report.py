"""The report on one thread: header, comment tree, topic summary, moderation summary."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from threads.analysis.common import (
    Context,
    build_manifest,
    label_facts,
    language_mix,
    moderation_summary,
    plain_text,
    topic_summary,
)
from threads.analysis.data import (
    CommentNode,
    CommentTopicView,
    Highlight,
    ThreadHeader,
    ThreadReport,
)
from threads.db.queries import analysis as q
from threads.models import CommentKind, CommentStatus


def build_thread_report(
    conn: Connection, ctx: Context, thread: Any, generated_at: datetime
) -> ThreadReport:
    """The report on ``thread`` (a row of :func:`threads.db.queries.analysis.thread_rows`)."""
    sel = replace(ctx.selection, thread_ids=(thread.id,))
    ctx = replace(ctx, selection=sel)
    counts: dict[str, int] = {s.value: 0 for s in CommentStatus}
    pingbacks = 0
    for row in q.status_counts(conn, q.Selection(thread_ids=(thread.id,))):
        if row.kind == CommentKind.COMMENT.value:
            counts[row.status] += int(row.n)
        else:
            pingbacks += int(row.n)
    header = ThreadHeader(
        id=thread.id,
        title=thread.title,
        byline=thread.byline,
        authors=list(thread.authors or []),
        published_at=thread.published_at,
        published_text=thread.published_text,
        source_url=thread.source_url,
        source_format=thread.source_format,
        state=str(thread.state),
        state_note=thread.state_note,
        closed_at=thread.closed_at,
        closed_by=thread.closed_by,
        close_reason=thread.close_reason,
        counts=counts,
        total=sum(counts.values()),
        pingbacks=pingbacks,
    )

    rows = q.comment_rows(conn, sel, kinds=(CommentKind.COMMENT.value,))
    pings = q.comment_rows(
        conn,
        replace(sel, topic=None),
        kinds=(CommentKind.PINGBACK.value, CommentKind.TRACKBACK.value),
    )
    labels: dict[int, list[Any]] = defaultdict(list)
    for label in q.labels_for(conn, sel.codebook, [r.id for r in rows]):
        labels[label.comment_id].append(label)
    nodes = [_node(ctx, r, labels.get(r.id, [])) for r in rows]
    tree = _tree(nodes)

    counted = len(rows) if sel.topic is None else q.count_comments(conn, replace(sel, topic=None))
    facts = label_facts(conn, ctx)
    cells = facts.cells
    versions = sorted(facts.versions)
    labelled = facts.labelled
    topics = topic_summary(conn, ctx, comments=counted, labelled=labelled, cells=cells)
    moderation = moderation_summary(conn, ctx, (thread.id,), counts)
    manifest = build_manifest(
        ctx,
        comments=counted,
        threads_count=1,
        generated_at=generated_at,
        label_versions=versions,
        languages=language_mix(conn, ctx.selection),
    )
    return ThreadReport(
        header=header,
        comments=tree,
        pingbacks=[_node(ctx, r, []) for r in pings],
        topics=topics,
        moderation=moderation,
        manifest=manifest,
    )


def _node(ctx: Context, row: Any, labels: list[Any]) -> CommentNode:
    body, truncated, highlights = _body(ctx, row, labels)
    return CommentNode(
        id=row.id,
        thread_id=row.thread_id,
        parent_id=row.parent_id,
        depth=0,
        position=row.position,
        kind=str(row.kind),
        author=ctx.author(row.author_key, row.author_name),
        posted_at=row.posted_at,
        posted_text=row.posted_text,
        status=str(row.status),
        sentiment=None if row.sentiment is None else round(float(row.sentiment), 4),
        topics=[
            CommentTopicView(
                topic_id=label.topic_id,
                label=ctx.labels.get(label.topic_id, label.topic_id),
                score=round(float(label.score), 4),
                source=str(label.source),
                evidence=_evidence_terms(label.evidence),
            )
            for label in labels
        ],
        body=body,
        truncated=truncated,
        highlights=highlights,
    )


def _evidence_terms(evidence: Any) -> list[str]:
    terms: list[str] = []
    for item in evidence or []:
        if isinstance(item, dict):
            term = str(item.get("term") or item.get("text") or "").strip()
            if term and term not in terms:
                terms.append(term)
    return terms


def _body(ctx: Context, row: Any, labels: list[Any]) -> tuple[str, bool, list[Highlight]]:
    """The body (excerpted past ``body_chars``) and the evidence spans that fall inside it.

    Evidence offsets index the stored body; a span whose text does not match is looked up by
    its text instead, and dropped when it cannot be found.
    """
    if row.purged:
        return "[purged]", False, []
    full = plain_text(row.body, row.body_format)
    lead = len(full) - len(full.lstrip())
    text = full.strip()
    limit = ctx.request.body_chars
    truncated = len(text) > limit
    if truncated:
        cut = text[:limit]
        space = cut.rfind(" ")
        if space > limit * 0.6:
            cut = cut[:space]
        text = cut.rstrip() + " …"
    shown = len(text) - (2 if truncated else 0)
    spans: list[Highlight] = []
    for label in labels:
        for item in label.evidence or []:
            span = _span(full, item)
            if span is None:
                continue
            start, end = span[0] - lead, span[1] - lead
            if start < 0 or end > shown or start >= end:
                continue
            term = str(item.get("term") or item.get("text") or "")
            spans.append(Highlight(start=start, end=end, topic_id=label.topic_id, term=term))
    spans.sort(key=lambda h: (h.start, h.end, h.topic_id))
    merged: list[Highlight] = []
    for h in spans:
        if merged and h.start < merged[-1].end:
            continue  # overlapping evidence: the first span wins
        merged.append(h)
    return text, truncated, merged


def _span(body: str, item: Any) -> tuple[int, int] | None:
    if not isinstance(item, dict):
        return None
    text = str(item.get("text") or "")
    start, end = item.get("start"), item.get("end")
    if (
        isinstance(start, int)
        and isinstance(end, int)
        and 0 <= start < end <= len(body)
        and (not text or body[start:end].lower() == text.lower())
    ):
        return start, end
    if text:
        found = body.lower().find(text.lower())
        if found >= 0:
            return found, found + len(text)
    return None


def _tree(nodes: list[CommentNode]) -> list[CommentNode]:
    """Replies under their parents, in position order; a reply whose parent is not listed
    goes to the top level, marked ``detached``."""
    by_id = {n.id: n for n in nodes}
    roots: list[CommentNode] = []
    for node in nodes:
        parent = by_id.get(node.parent_id) if node.parent_id is not None else None
        if parent is None or parent is node:
            node.detached = node.parent_id is not None
            roots.append(node)
        else:
            parent.children.append(node)

    def set_depth(node: CommentNode, depth: int, seen: set[int]) -> None:
        seen.add(node.id)
        node.depth = depth
        node.children = [c for c in node.children if c.id not in seen]
        for child in node.children:
            set_depth(child, depth + 1, seen)

    seen: set[int] = set()
    for root in roots:
        set_depth(root, 0, seen)
    return roots
