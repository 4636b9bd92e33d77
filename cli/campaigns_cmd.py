"""`threads campaigns`: the clusters of comments that look organised, with their evidence.

E-mail addresses are never printed: members share an e-mail or address shown as a hash (and
an e-mail masked as ``j***@example.org``). ``--format json`` prints what ``GET /api/campaigns``
answers. ``--notify`` (for cron) announces the campaigns never announced before with the
``campaign.found`` webhook event and lists only those; without it nothing is written.
"""

from __future__ import annotations

import enum
import json

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from cli.console import make_console, plain
from cli.context import state
from cli.safe_text import safe_json, safe_text
from threads.analysis.campaigns import CampaignView, campaigns_data, evidence_text
from threads.analysis.manifest import parse_bound
from threads.moderation.campaigns import CampaignQuery, list_campaigns, notify_campaigns


class Format(enum.StrEnum):
    RICH = "rich"
    JSON = "json"


class Kind(enum.StrEnum):
    DUP = "dup"
    BURST = "burst"
    ALIAS = "alias"


def campaigns(
    ctx: typer.Context,
    site: str | None = typer.Option(None, "--site", help="Only this site's comments (its key)."),
    since: str | None = typer.Option(
        None, "--since", help="Members posted on or after this date (YYYY-MM-DD or ISO time)."
    ),
    kind: Kind | None = typer.Option(
        None,
        "--kind",
        help="Only this kind: dup (near-duplicate texts), burst (first-time "
        "authors piling onto a thread), alias (one e-mail or address, several names).",
    ),
    fmt: Format = typer.Option(Format.RICH, "--format", "-f", help="Output format."),
    notify: bool = typer.Option(
        False,
        "--notify",
        help="Announce campaigns never announced before (webhook event campaign.found, once "
        "per campaign) and list only those. For cron.",
    ),
) -> None:
    """List clusters of comments that look organised, with their evidence (computed now)."""
    query = CampaignQuery(
        site=site,
        since=parse_bound(since, "--since", end=False),
        kind=kind.value if kind else None,
    )
    engine = state(ctx).engine()
    views = notify_campaigns(engine, query) if notify else list_campaigns(engine, query)
    if fmt is Format.JSON:
        typer.echo(safe_json(json.dumps(campaigns_data(views), indent=2, ensure_ascii=False)))
        return
    console = make_console()
    if not views:
        console.print("No new campaigns to announce." if notify else "No campaigns found.")
        return
    if notify:
        console.print(f"Announced {_n(len(views), 'new campaign')}:")
    for view in views:
        console.print(_panel_title(view))
        # the evidence of an alias campaign quotes its authors' names
        console.print(safe_text(evidence_line(view), style="dim"))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for name in ("comment", "thread", "author", "posted", "status", "text"):
            table.add_column(name, overflow="fold", ratio=3 if name == "text" else None)
        for s in view.samples:
            table.add_row(
                Text(str(s.id)),
                Text(str(s.thread_id)),
                plain(s.author),
                Text(s.posted_at.strftime("%Y-%m-%d %H:%M") if s.posted_at else "-"),
                Text(s.status),
                plain(s.excerpt),
            )
        console.print(table)
    counts = campaigns_data(views)["counts"]
    console.print(", ".join(f"{n} {k}" for k, n in counts.items()))


def _panel_title(view: CampaignView) -> Text:
    title = Text(f"{view.id}", style="bold")
    title.append(
        f"  {_n(view.size, 'comment')}, {_n(len(view.authors), 'author')}, "
        f"{_n(len(view.threads), 'thread')}, {len(view.pending)} waiting"
    )
    return title


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def evidence_line(view: CampaignView) -> str:
    """The evidence of a campaign and its time span in one line (no e-mail address)."""
    what = evidence_text(view.kind, view.evidence)
    if view.first and view.last:
        return f"{what}; {view.first:%Y-%m-%d %H:%M} to {view.last:%Y-%m-%d %H:%M}"
    return what


__all__ = ["campaigns", "evidence_line"]
