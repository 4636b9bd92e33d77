"""Renderers of the report data (threads.analysis): Rich for the terminal, and Markdown.

Each takes the plain report data and writes it; none queries the database. The report's CSV and
JSON are data shapes, made in the library (``threads.analysis.formats``). Rich output keeps
to the console's width (80 columns when piped) and never forces colour: Rich itself drops the
colour codes when stdout is not a terminal or when NO_COLOR is set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from cli.safe_text import safe_text, visible
from threads.analysis.data import (
    CampaignSummary,
    CommentNode,
    CorpusReport,
    Manifest,
    ModerationSummary,
    Report,
    ThreadHeader,
    ThreadReport,
    TopicSummary,
)
from threads.analysis.formats import manifest_rows
from threads.analysis.timeline import day_marks, month_marks

SPARKS = "▁▂▃▄▅▆▇█"
#: threads listed in the terminal's prevalence table (all of them are in JSON)
MAX_THREAD_ROWS = 25
#: widest site key shown in the per-thread table (longer keys end in "…"; JSON has them whole)
SITE_WIDTH = 14
#: most marks in a Markdown sparkline (longer series are grouped, and the label says how)
MARKDOWN_MARKS = 120
HIGHLIGHT = "bold underline yellow"
#: reply levels indented in the terminal (4 columns each); deeper replies stay at this level
MAX_TREE_DEPTH = 6
STATUS_STYLES = {
    "approved": "green",
    "pending": "yellow",
    "flagged": "bold red",
    "rejected": "red",
    "spam": "magenta",
    "deleted": "dim",
}


# --------------------------------------------------------------------------- small helpers


def when(value: datetime | None, *, date_only: bool = False) -> str:
    """A UTC time as "YYYY-MM-DD HH:MM" (or the date alone); "—" when unknown."""
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M")


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def sentiment_word(value: float | None) -> str:
    """VADER's usual reading of a compound score (±0.05 is neutral)."""
    if value is None:
        return "—"
    word = "positive" if value >= 0.05 else "negative" if value <= -0.05 else "neutral"
    return f"{value:+.2f} {word}"


def sparkline(values: Sequence[float | None]) -> str:
    """One block character per value, scaled to the largest; "·" marks zero and a blank marks
    None (no data for that period: a gap, never drawn as zero)."""
    top = max((v for v in values if v is not None), default=0)
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif v <= 0 or top <= 0:
            out.append("·")
        else:
            out.append(SPARKS[min(len(SPARKS) - 1, int(v / top * (len(SPARKS) - 1) + 0.5))])
    return "".join(out)


def counts_line(counts: dict[str, int], pingbacks: int, *, grouped: bool = False) -> str:
    """ "N comments: a approved · b pending …" (thousands separated when ``grouped``)."""

    def num(n: int) -> str:
        return f"{n:,}" if grouped else str(n)

    total = sum(counts.values())
    parts = [f"{num(n)} {status}" for status, n in counts.items() if n]
    noun = "comment" if total == 1 else "comments"
    line = f"{num(total)} {noun}" + (": " + " · ".join(parts) if parts else "")
    if pingbacks:
        plural = "s" if pingbacks != 1 else ""
        line += f" (+{num(pingbacks)} pingback/trackback{plural}, kept apart)"
    return line


# --------------------------------------------------------------------------- Rich


def render_rich(report: Report, console: Console) -> None:
    """Print ``report`` on ``console``: the one-thread or the many-thread layout."""
    if isinstance(report, ThreadReport):
        _rich_thread(report, console)
    else:
        _rich_corpus(report, console)
    _rich_manifest(report.manifest, console)


def _section(console: Console, title: str) -> None:
    console.print()
    console.print(Rule(Text(title, style="bold"), align="left"))


def _header_panel(h: ThreadHeader) -> Panel:
    lines: list[RenderableType] = []
    meta = [h.byline] if h.byline else []
    if h.published_at is not None:
        meta.append(f"published {when(h.published_at, date_only=True)}")
    elif h.published_text:
        meta.append(f"published {h.published_text}")
    if meta:
        lines.append(safe_text(" · ".join(meta), style="italic"))
    source = h.source_url or f"{h.source_format} import"
    lines.append(safe_text(f"source: {source}", overflow="fold"))
    if h.state == "closed":
        badge = Text(" Comments are closed ", style="bold white on red")
        detail = []
        if h.closed_at:
            detail.append(f"since {when(h.closed_at)} UTC")
        if h.closed_by:
            detail.append(f"by {h.closed_by}")
        if h.close_reason and h.close_reason.strip(". ").lower() != "comments are closed":
            detail.append(f"— {h.close_reason}")
        state = Text.assemble(badge, " ", safe_text(" ".join(detail)))
    else:
        state = Text.assemble(Text(" Open for comments ", style="bold black on green"))
    if h.state_note and h.state_note != h.close_reason:
        state.append(safe_text(f" ({h.state_note})", style="dim"))
    lines.append(state)
    lines.append(Text(counts_line(h.counts, h.pingbacks, grouped=True)))
    return Panel(
        Group(*lines),
        title=safe_text(h.title or "(untitled)", style="bold"),
        title_align="left",
        subtitle=f"thread {h.id}",
        subtitle_align="right",
        box=box.ROUNDED,
    )


def _comment_renderable(node: CommentNode, *, flattened: bool = False) -> Group:
    head = Text()
    head.append(f"#{node.id} ", style="dim")
    head.append(safe_text(node.author or "(anonymous)", style="bold"))
    head.append(f" · {when(node.posted_at)}")
    head.append(" · ")
    head.append(node.status, style=STATUS_STYLES.get(node.status, ""))
    if node.sentiment is not None:
        head.append(f" · sentiment {sentiment_word(node.sentiment)}", style="dim")
    if node.detached or flattened:
        head.append(f" · reply to #{node.parent_id}", style="dim")
    parts: list[RenderableType] = [head]
    if node.topics:
        topics = Text("topics: ", style="cyan")
        for i, t in enumerate(node.topics):
            if i:
                topics.append(" · ")
            topics.append(safe_text(f"{t.label} {t.score:.2f}", style="bold cyan"))
            if t.source == "moderator":
                topics.append(" (moderator)", style="cyan")
            if t.evidence:
                topics.append(safe_text(f" [{', '.join(t.evidence)}]", style="cyan"))
        parts.append(topics)
    parts.append(_highlighted(node))
    return Group(*parts)


def _highlighted(node: CommentNode) -> Text:
    """The body with its topic evidence highlighted; the highlights index the raw body, so each
    piece is made visible on its own (an escape is longer than the character it shows)."""
    body = Text(overflow="fold")
    pos = 0
    for h in sorted(node.highlights, key=lambda h: h.start):
        start = max(h.start, pos)
        if h.end <= start:  # inside a highlight already shown
            continue
        body.append(visible(node.body[pos:start]))
        body.append(visible(node.body[start : h.end]), style=HIGHLIGHT)
        pos = h.end
    body.append(visible(node.body[pos:]))
    return body


def _add_children(tree: Tree, nodes: list[CommentNode], depth: int = 1) -> None:
    """Replies under their parent; below ``MAX_TREE_DEPTH`` levels they stay at that level,
    marked "reply to #id", so that deep threads keep room for their text."""
    for node in nodes:
        branch = tree.add(_comment_renderable(node, flattened=depth > MAX_TREE_DEPTH))
        if depth >= MAX_TREE_DEPTH:
            _add_children(tree, node.children, depth + 1)
        else:
            _add_children(branch, node.children, depth + 1)


def _rich_thread(report: ThreadReport, console: Console) -> None:
    console.print(_header_panel(report.header))
    shown = _count_nodes(report.comments)
    _section(console, f"Comments ({shown} shown)" if shown else "Comments")
    if not report.comments:
        state = "closed" if report.header.state == "closed" else "open"
        if report.header.total:
            console.print(f"No comments match the filters (the thread is {state}).")
        else:
            console.print(f"No comments yet — the thread is {state}.")
    else:
        for n, root in enumerate(report.comments):
            if n:
                console.print()
            tree = Tree(_comment_renderable(root), guide_style="dim")
            _add_children(tree, root.children)
            console.print(tree)
    if report.pingbacks:
        _section(console, f"Pingbacks and trackbacks ({len(report.pingbacks)})")
        for p in report.pingbacks:
            console.print(
                safe_text(f"#{p.id} {p.author or '(unknown)'} · {when(p.posted_at)} · {p.body}"),
                overflow="fold",
            )
    _rich_topics(report.topics, console, "Topics in this thread")
    _rich_moderation(report.moderation, console)


def _site_state_columns(table: Table) -> None:
    table.add_column("site", overflow="ellipsis", no_wrap=True, max_width=SITE_WIDTH)
    table.add_column("state", no_wrap=True)


def _count_nodes(nodes: list[CommentNode]) -> int:
    return sum(1 + _count_nodes(n.children) for n in nodes)


def _rich_topics(summary: TopicSummary, console: Console, title: str) -> None:
    _section(console, title)
    if not summary.rows:
        console.print("No topics: no codebook and no labelled comments.")
        return
    if not summary.comments:
        console.print("No comments to summarise.")
        return
    table = Table(box=box.SIMPLE_HEAD, expand=False, show_footer=False, pad_edge=False)
    table.add_column("topic", overflow="fold")
    table.add_column("comments", justify="right")
    table.add_column("share", justify="right")
    table.add_column("mean score", justify="right")
    table.add_column("distinctive terms", overflow="fold", ratio=1)
    for row in summary.rows:
        if row.comments == 0:
            table.add_row(safe_text(row.label), "0", "—", "—", Text("no comments", style="dim"))
            continue
        terms = ", ".join(t.term for t in row.terms) or "—"
        mean = "—" if row.mean_score is None else f"{row.mean_score:.2f}"
        table.add_row(
            safe_text(row.label), f"{row.comments:,}", percent(row.share), mean, safe_text(terms)
        )
    table.add_row(
        Text("(no topic)", style="italic"),
        f"{summary.unlabelled:,}",
        percent(summary.unlabelled_share),
        "",
        "",
    )
    console.print(table)
    console.print(
        Text(
            f"Shares of {summary.comments} counted comments; a comment may have several topics.",
            style="dim",
        )
    )
    reps = [r for r in summary.rows if r.representative]
    if reps:
        console.print(Text("Most representative comments", style="bold"))
        for row in reps:
            rep = row.representative
            assert rep is not None
            line = Text()
            line.append(safe_text(f"{row.label}: ", style="bold cyan"))
            line.append(
                safe_text(f"#{rep.comment_id} {rep.author or '(anonymous)'} ({rep.score:.2f}) ")
            )
            line.append(safe_text(f"“{rep.excerpt}”", style="italic"))
            console.print(line, overflow="fold")


def _rich_moderation(m: ModerationSummary, console: Console) -> None:
    _section(console, "Moderation")
    queue = " · ".join(f"{n} {status}" for status, n in m.queue.items())
    console.print(f"Queue: {queue}" if sum(m.queue.values()) else "Queue: empty")
    if not m.actions_by_actor:
        console.print("No moderation actions recorded.")
        return
    actors = Table(
        box=box.SIMPLE_HEAD, pad_edge=False, title="Actions by actor", title_justify="left"
    )
    actors.add_column("actor", overflow="fold")
    actors.add_column("actions", justify="right")
    actors.add_column("of which", overflow="fold")
    for a in m.actions_by_actor:
        detail = ", ".join(f"{k} {v}" for k, v in a.actions.items())
        actors.add_row(safe_text(a.actor), f"{a.total:,}", safe_text(detail))
    console.print(actors)
    last = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Last actions", title_justify="left")
    last.add_column("when (UTC)", no_wrap=True)
    last.add_column("actor", overflow="fold")
    last.add_column("action", overflow="fold")
    last.add_column("target", overflow="fold")
    last.add_column("change", overflow="fold")
    last.add_column("reason", overflow="fold", ratio=1)
    for e in m.last_actions:
        change = (
            f"{e.from_state or '—'} → {e.to_state or '—'}" if e.from_state or e.to_state else ""
        )
        last.add_row(
            when(e.at),
            safe_text(e.actor),
            safe_text(e.action),
            safe_text(e.target),
            safe_text(change),
            safe_text(e.reason or "", one_line=False),
        )
    console.print(last)


def _change(before: str | None, after: str | None) -> str:
    return f"{before or '—'} → {after or '—'}" if before or after else ""


def _rich_corpus(report: CorpusReport, console: Console) -> None:
    counted = report.topics.comments
    title = Text(f"{len(report.threads):,} threads · {counted:,} counted comments", style="bold")
    body: list[RenderableType] = [
        Text(counts_line(report.statuses, report.pingbacks, grouped=True))
    ]
    if report.timeline:
        body.append(Text(f"from {report.timeline[0].day} to {report.timeline[-1].day}"))
    if report.undated:
        body.append(Text(f"{report.undated} comments have no date", style="dim"))
    console.print(Panel(Group(*body), title=title, title_align="left", box=box.ROUNDED))
    _rich_topics(report.topics, console, "Topics")
    labels = report.topic_labels
    topic_ids = [r.topic_id for r in report.topics.rows]

    _section(console, "Topic prevalence per thread (share of the thread's comments)")
    if not report.threads:
        console.print("No threads.")
    else:
        rows = sorted(report.threads, key=lambda r: (-r.comments, r.thread_id))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        room = console.width - 18 - 9 * len(topic_ids) - SITE_WIDTH - 12
        if room >= 16:  # one column per topic
            table.add_column("thread", overflow="ellipsis", no_wrap=True, max_width=room)
            _site_state_columns(table)
            table.add_column("comments", justify="right")
            for t in topic_ids:
                table.add_column(safe_text(labels.get(t, t)), justify="right", overflow="fold")
            for r in rows[:MAX_THREAD_ROWS]:
                cells = [
                    percent(r.topics.get(t, 0) / r.comments) if r.comments else "—"
                    for t in topic_ids
                ]
                table.add_row(
                    safe_text(f"{r.thread_id} {r.title}"),
                    safe_text(r.site),
                    r.state,
                    f"{r.comments:,}",
                    *cells,
                )
        else:  # too many topics for columns: each thread's topics, most frequent first
            table.add_column("thread", overflow="ellipsis", no_wrap=True, max_width=28)
            _site_state_columns(table)
            table.add_column("comments", justify="right")
            table.add_column("topics (share)", overflow="fold", ratio=1)
            for r in rows[:MAX_THREAD_ROWS]:
                ranked = sorted(
                    ((n, t) for t, n in r.topics.items() if n), key=lambda x: (-x[0], x[1])
                )
                listed = " · ".join(
                    f"{labels.get(t, t)} {percent(n / r.comments)}" for n, t in ranked
                )
                table.add_row(
                    safe_text(f"{r.thread_id} {r.title}"),
                    safe_text(r.site),
                    r.state,
                    f"{r.comments:,}",
                    safe_text(listed or "—"),
                )
        console.print(table)
        if len(rows) > MAX_THREAD_ROWS:
            console.print(
                Text(
                    f"… {len(rows) - MAX_THREAD_ROWS} more threads (all in --format json)",
                    style="dim",
                )
            )

    _section(console, "Topic prevalence per month")
    if not report.months:
        console.print("No dated comments.")
    else:
        first, last = report.months[0].month, report.months[-1].month
        spark_width = max(8, console.width - 40)
        marks = month_marks(report.months, spark_width)
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("topic", overflow="fold")
        table.add_column("comments", justify="right")
        table.add_column("trend", no_wrap=True, min_width=min(8, len(marks.totals)))
        table.add_column("peak month", no_wrap=True)
        table.add_row(
            Text("all comments", style="italic"),
            f"{sum(marks.totals):,}",
            sparkline(list(map(float, marks.totals))),
            max(report.months, key=lambda m: (m.comments, m.month)).month,
        )
        for t in topic_ids:
            n = sum(m.topics.get(t, 0) for m in report.months)
            peak = (
                max(report.months, key=lambda m: (m.topics.get(t, 0), m.month)).month if n else "—"
            )
            table.add_row(safe_text(labels.get(t, t)), f"{n:,}", sparkline(marks.shares(t)), peak)
        console.print(table)
        console.print(
            Text(
                f"{first} … {last}: {marks.label}; topics: share of that period's comments "
                "(· none of them; blank: no comments at all)",
                style="dim",
            )
        )

    _section(console, "Topic co-occurrence (comments carrying both)")
    co = report.cooccurrence
    if not co.topics:
        console.print("No topics.")
    else:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("")
        for t in co.topics:
            table.add_column(safe_text(labels.get(t, t)), justify="right", overflow="fold")
        for t, row in zip(co.topics, co.matrix, strict=True):
            table.add_row(safe_text(labels.get(t, t)), *(f"{n:,}" for n in row))
        console.print(table)

    _section(console, "Most active authors")
    if not report.authors:
        console.print("No named authors.")
    else:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("author", overflow="fold", ratio=1)
        table.add_column("comments", justify="right")
        table.add_column("threads", justify="right")
        table.add_column("first", no_wrap=True)
        table.add_column("last", no_wrap=True)
        for a in report.authors:
            table.add_row(
                safe_text(a.author),
                f"{a.comments:,}",
                f"{a.threads:,}",
                when(a.first, date_only=True),
                when(a.last, date_only=True),
            )
        console.print(table)

    _section(console, "Comments per day")
    if not report.timeline:
        console.print("No dated comments.")
    else:
        marks = day_marks(report.timeline, max(10, console.width - 2))
        console.print(sparkline(list(map(float, marks.totals))))
        busiest = max(report.timeline, key=lambda d: (d.comments, d.day))
        active = sum(1 for d in report.timeline if d.comments)
        console.print(
            Text(
                f"{report.timeline[0].day} … {report.timeline[-1].day}, {marks.label} "
                f"(· none); {active} days with comments; busiest {busiest.day} "
                f"({busiest.comments})",
                style="dim",
            )
        )
    _rich_campaigns(report.campaigns, console)
    _rich_moderation(report.moderation, console)


def _campaign_counts(c: CampaignSummary) -> str:
    kinds = ", ".join(f"{n} {kind}" for kind, n in c.counts.items())
    return f"{kinds}; {c.comments:,} comments in at least one"


def _rich_campaigns(c: CampaignSummary, console: Console) -> None:
    if not c.computed:
        return
    _section(console, "Campaigns")
    if not c.rows:
        console.print("No campaigns found (near-duplicates, bursts, aliases).")
        return
    console.print(Text(_campaign_counts(c), style="dim"))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("campaign", no_wrap=True)
    table.add_column("comments", justify="right")
    table.add_column("threads", justify="right")
    table.add_column("authors", justify="right")
    table.add_column("evidence and sample", overflow="fold", ratio=1)
    for row in c.rows:
        span = f"{when(row.first)} to {when(row.last)}" if row.first else ""
        detail = safe_text(row.evidence)
        if span:
            detail.append(f"; {span}")
        if row.sample:
            detail.append("\n“", style="dim")
            detail.append_text(safe_text(row.sample, "dim"))
            detail.append("”", style="dim")
        table.add_row(row.id, f"{row.comments:,}", f"{row.threads:,}", f"{row.authors:,}", detail)
    console.print(table)


def _rich_manifest(m: Manifest, console: Console) -> None:
    _section(console, "Run manifest")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    for key, value in manifest_rows(m):
        grid.add_row(key, safe_text(value))
    console.print(grid)


# --------------------------------------------------------------------------- Markdown


def md(text: str) -> str:
    """Text safe inside a Markdown paragraph or table cell (one line), control characters shown
    as escapes (:func:`cli.safe_text.visible`)."""
    flat = visible(" ".join(str(text).split()), one_line=True)
    for ch in "\\`*_[]<>|#":
        flat = flat.replace(ch, "\\" + ch)
    return flat


def _md_table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out.extend("| " + " | ".join(row) + " |" for row in rows)
    return out


def render_markdown(report: Report) -> str:
    """The report as Markdown: headings, lists and pipe tables, for notes and papers."""
    lines: list[str] = []
    if isinstance(report, ThreadReport):
        lines += _md_thread(report)
    else:
        lines += _md_corpus(report)
    lines += ["", "## Run manifest", ""]
    lines += _md_table(["field", "value"], ([k, md(v)] for k, v in manifest_rows(report.manifest)))
    return "\n".join(lines) + "\n"


def _md_body(node: CommentNode) -> str:
    out, pos = [], 0
    for h in node.highlights:
        out.append(md(node.body[pos : h.start]))
        out.append(f"**{md(node.body[h.start : h.end])}**")
        pos = h.end
    out.append(md(node.body[pos:]))
    return " ".join(x for x in out if x).replace(" **", " **")


def _md_thread(r: ThreadReport) -> list[str]:
    h = r.header
    lines = [f"# {md(h.title or '(untitled)')}", ""]
    if h.byline:
        lines.append(f"- Byline: {md(h.byline)}")
    if h.published_at is not None or h.published_text:
        published = when(h.published_at, date_only=True) if h.published_at else h.published_text
        lines.append(f"- Published: {md(published or '')}")
    lines.append(f"- Source: {md(h.source_url or h.source_format + ' import')}")
    if h.state == "closed":
        detail = ", ".join(
            x
            for x in (
                f"since {when(h.closed_at)} UTC" if h.closed_at else "",
                f"by {md(h.closed_by)}" if h.closed_by else "",
                md(h.close_reason) if h.close_reason else "",
            )
            if x
        )
        lines.append("- State: **Comments are closed**" + (f" ({detail})" if detail else ""))
    else:
        lines.append("- State: open")
    lines.append(f"- Comments: {md(counts_line(h.counts, h.pingbacks))}")
    lines += ["", "## Comments", ""]
    if not r.comments:
        state = "closed" if h.state == "closed" else "open"
        lines.append(
            f"No comments yet — the thread is {state}."
            if not h.total
            else f"No comments match the filters (the thread is {state})."
        )

    def walk(nodes: list[CommentNode], depth: int) -> None:
        pad = "  " * depth
        for n in nodes:
            meta = [f"**#{n.id} {md(n.author or '(anonymous)')}**", when(n.posted_at), n.status]
            if n.topics:
                meta.append(", ".join(f"{md(t.label)} {t.score:.2f}" for t in n.topics))
            if n.sentiment is not None:
                meta.append(f"sentiment {sentiment_word(n.sentiment)}")
            lines.append(f"{pad}- " + " · ".join(meta))
            lines.append(f"{pad}  {_md_body(n)}")
            walk(n.children, depth + 1)

    walk(r.comments, 0)
    if r.pingbacks:
        lines += ["", "### Pingbacks and trackbacks", ""]
        lines += [
            f"- #{p.id} {md(p.author or '')} · {when(p.posted_at)} · {md(p.body)}"
            for p in r.pingbacks
        ]
    lines += _md_topics(r.topics, "Topics in this thread")
    lines += _md_moderation(r.moderation)
    return lines


def _md_topics(s: TopicSummary, title: str) -> list[str]:
    lines = ["", f"## {title}", ""]
    rows = []
    for row in s.rows:
        rep = row.representative
        rows.append(
            [
                md(row.label),
                str(row.comments),
                percent(row.share) if row.comments else "—",
                f"{row.mean_score:.2f}" if row.mean_score is not None else "—",
                md(", ".join(t.term for t in row.terms)) or "—",
                f"#{rep.comment_id} “{md(rep.excerpt)}”" if rep else "no comments",
            ]
        )
    rows.append(["(no topic)", str(s.unlabelled), percent(s.unlabelled_share), "", "", ""])
    lines += _md_table(
        ["topic", "comments", "share", "mean score", "distinctive terms", "representative comment"],
        rows,
    )
    lines += ["", f"Shares of {s.comments} counted comments."]
    return lines


def _md_moderation(m: ModerationSummary) -> list[str]:
    lines = ["", "## Moderation", ""]
    lines.append("Queue: " + (" · ".join(f"{n} {s}" for s, n in m.queue.items())))
    if m.actions_by_actor:
        lines.append("")
        lines += _md_table(
            ["actor", "actions", "of which"],
            (
                [md(a.actor), str(a.total), md(", ".join(f"{k} {v}" for k, v in a.actions.items()))]
                for a in m.actions_by_actor
            ),
        )
        lines += ["", "Last actions:", ""]
        lines += _md_table(
            ["when (UTC)", "actor", "action", "target", "change", "reason"],
            (
                [
                    when(e.at),
                    md(e.actor),
                    md(e.action),
                    md(e.target),
                    md(f"{e.from_state or '—'} → {e.to_state or '—'}")
                    if e.from_state or e.to_state
                    else "",
                    md(e.reason or ""),
                ]
                for e in m.last_actions
            ),
        )
    else:
        lines.append("No moderation actions recorded.")
    return lines


def _md_corpus(r: CorpusReport) -> list[str]:
    labels = r.topic_labels
    topic_ids = [row.topic_id for row in r.topics.rows]
    lines = [f"# Corpus summary: {len(r.threads)} threads, {r.topics.comments} comments", ""]
    lines.append(f"- Comments: {md(counts_line(r.statuses, r.pingbacks))}")
    if r.timeline:
        lines.append(f"- Period: {r.timeline[0].day} to {r.timeline[-1].day}")
    lines += _md_topics(r.topics, "Topics")
    lines += ["", "## Topic prevalence per thread", ""]
    lines += _md_table(
        [
            "thread",
            "title",
            "site",
            "state",
            "comments",
            *[md(labels.get(t, t)) for t in topic_ids],
        ],
        (
            [
                str(t.thread_id),
                md(t.title),
                md(t.site),
                t.state,
                str(t.comments),
                *[
                    f"{t.topics.get(x, 0)} ({percent(t.topics.get(x, 0) / t.comments)})"
                    if t.comments
                    else "0"
                    for x in topic_ids
                ],
            ]
            for t in r.threads
        ),
    )
    lines += ["", "## Topic prevalence per month", ""]
    lines += _md_table(
        ["month", "comments", *[md(labels.get(t, t)) for t in topic_ids]],
        (
            [m.month, str(m.comments), *[str(m.topics.get(t, 0)) for t in topic_ids]]
            for m in r.months
        ),
    )
    if r.months:
        marks = month_marks(r.months, MARKDOWN_MARKS)
        lines += ["", f"Trend, {marks.label} (· none of them; blank: no comments at all):", ""]
        for t in topic_ids:
            lines.append(f"- {md(labels.get(t, t))}: `{sparkline(marks.shares(t))}`")
    lines += ["", "## Topic co-occurrence", ""]
    co = r.cooccurrence
    lines += _md_table(
        ["", *[md(labels.get(t, t)) for t in co.topics]],
        (
            [md(labels.get(t, t)), *map(str, row)]
            for t, row in zip(co.topics, co.matrix, strict=True)
        ),
    )
    lines += ["", "## Most active authors", ""]
    lines += _md_table(
        ["author", "comments", "threads", "first", "last"],
        (
            [
                md(a.author),
                str(a.comments),
                str(a.threads),
                when(a.first, date_only=True),
                when(a.last, date_only=True),
            ]
            for a in r.authors
        ),
    )
    lines += ["", "## Comments per day", ""]
    if r.timeline:
        marks = day_marks(r.timeline, MARKDOWN_MARKS)
        lines.append(f"`{sparkline([float(n) for n in marks.totals])}`")
        lines += ["", f"{r.timeline[0].day} … {r.timeline[-1].day}, {marks.label} (· none).", ""]
        lines += _md_table(
            ["day", "comments"], ([d.day, str(d.comments)] for d in r.timeline if d.comments)
        )
    else:
        lines.append("No dated comments.")
    lines += _md_campaigns(r.campaigns)
    lines += _md_moderation(r.moderation)
    return lines


def _md_campaigns(c: CampaignSummary) -> list[str]:
    if not c.computed:
        return []
    lines = ["", "## Campaigns", ""]
    if not c.rows:
        return [*lines, "No campaigns found (near-duplicates, bursts, aliases)."]
    lines += [f"- {md(_campaign_counts(c))}", ""]
    lines += _md_table(
        ["campaign", "comments", "threads", "authors", "first", "last", "evidence", "sample"],
        (
            [
                row.id,
                str(row.comments),
                str(row.threads),
                str(row.authors),
                when(row.first),
                when(row.last),
                md(row.evidence),
                md(row.sample),
            ]
            for row in c.rows
        ),
    )
    return lines
