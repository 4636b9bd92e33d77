"""The summary over many threads: prevalence per thread and month, co-occurrence, authors,
timeline. Every number comes from a grouped SQL query; no comment is loaded one by one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from threads.analysis.campaigns import campaign_summary
from threads.analysis.common import (
    Context,
    build_manifest,
    label_facts,
    language_mix,
    moderation_summary,
    topic_summary,
)
from threads.analysis.data import (
    AuthorRow,
    Cooccurrence,
    CorpusReport,
    DayCount,
    MonthPrevalence,
    ThreadPrevalence,
)
from threads.analysis.timeline import fill_days
from threads.db.queries import analysis as q
from threads.models import CommentKind, CommentStatus


def build_corpus_report(
    conn: Connection, ctx: Context, threads: Sequence[Any], generated_at: datetime
) -> CorpusReport:
    """The summary over ``threads`` (rows of ``thread_rows``) within the context's filters."""
    sel = ctx.selection
    counted_statuses = set(sel.statuses)
    statuses: dict[str, int] = {s.value: 0 for s in CommentStatus}
    pingbacks = 0
    # Denominators: counted comments (status filter applied) per thread, month and day.
    per_thread: dict[int, int] = defaultdict(int)
    per_month: dict[str, int] = defaultdict(int)
    per_day: dict[str, int] = defaultdict(int)
    undated = 0
    for row in q.comment_facts(conn, sel):
        n = int(row.n)
        if row.kind != CommentKind.COMMENT.value:
            pingbacks += n
            continue
        statuses[row.status] += n
        if row.status not in counted_statuses:
            continue
        per_thread[row.thread_id] += n
        if row.day is None:
            undated += n
        else:
            per_month[row.day[:7]] += n
            per_day[row.day] += n
    counted = sum(per_thread.values())

    facts = label_facts(conn, ctx)
    cells = facts.cells
    labelled = facts.labelled
    thread_topics = facts.per_thread
    month_topics = facts.per_month
    versions = sorted(facts.versions)
    combos = facts.combos

    shown = [t for t, _ in ctx.shown_topics()]
    prevalence = [
        ThreadPrevalence(
            thread_id=t.id,
            title=t.title,
            site=t.site,
            state=str(t.state),
            comments=per_thread.get(t.id, 0),
            topics={topic: thread_topics[t.id].get(topic, 0) for topic in shown},
        )
        for t in threads
    ]
    mood: dict[str, dict[str, tuple[int, float]]] = defaultdict(dict)
    for row in q.topic_sentiment_by_month(conn, sel):
        if row.topic_id in shown:
            mood[row.month][row.topic_id] = (int(row.n), round(float(row.mean), 4))
    months = [
        MonthPrevalence(
            month=m,
            comments=per_month.get(m, 0),
            topics={topic: month_topics[m].get(topic, 0) for topic in shown},
            sentiment={t: mean for t, (_, mean) in sorted(mood[m].items())},
            scored={t: n for t, (n, _) in sorted(mood[m].items())},
        )
        for m in _month_range(sorted(per_month))
    ]

    order = [t for t, _ in ctx.topics]
    matrix = [[0 for _ in order] for _ in order]
    index = {t: i for i, t in enumerate(order)}
    for combo, n in combos.items():
        for a in combo:
            for b in combo:
                if a in index and b in index:
                    matrix[index[a]][index[b]] += n

    authors = [
        AuthorRow(
            author=ctx.author(row.author, row.name) or row.author,
            comments=int(row.n),
            threads=int(row.threads),
            first=row.first,
            last=row.last,
        )
        for row in q.top_authors(conn, sel, ctx.request.authors)
    ]
    timeline = fill_days([DayCount(day=d, comments=per_day[d]) for d in sorted(per_day)])
    topics = topic_summary(conn, ctx, comments=counted, labelled=labelled, cells=cells)
    moderation = moderation_summary(conn, ctx, sel.thread_ids, statuses)
    manifest = build_manifest(
        ctx,
        comments=counted,
        threads_count=len(threads),
        generated_at=generated_at,
        label_versions=versions,
        languages=language_mix(conn, ctx.selection),
    )
    return CorpusReport(
        threads=prevalence,
        months=months,
        undated=undated,
        topics=topics,
        topic_labels=dict(ctx.topics),
        cooccurrence=Cooccurrence(topics=order, matrix=matrix),
        authors=authors,
        timeline=timeline,
        statuses=statuses,
        pingbacks=pingbacks,
        moderation=moderation,
        manifest=manifest,
        campaigns=campaign_summary(conn, ctx),
    )


def _month_range(months: list[str]) -> list[str]:
    """Every month from the first to the last given ("YYYY-MM"), gaps included."""
    if not months:
        return []
    year, month = map(int, months[0].split("-"))
    last = tuple(map(int, months[-1].split("-")))
    out: list[str] = []
    while (year, month) <= last:
        out.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out
