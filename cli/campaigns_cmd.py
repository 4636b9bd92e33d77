"""`threads campaigns`: the clusters of comments that look organised, with their evidence.

E-mail addresses are never printed: members share an e-mail or address shown as a hash (and
an e-mail masked as ``j***@example.org``). The listing is paged like the API's (``--limit``,
``--cursor``); ``--format json`` prints what ``GET /api/campaigns`` answers. ``--notify`` (for
cron) announces the campaigns never announced before with the ``campaign.found`` webhook event
and lists all of those, as ``POST /api/campaigns/scan`` does; without it nothing is written.
"""

from __future__ import annotations

import enum

import msgspec
import typer
from rich import box
from rich.table import Table
from rich.text import Text

from cli.console import make_console, plain
from cli.context import state
from cli.safe_text import safe_json, safe_text
from threads.analysis.campaigns import KINDS, CampaignView, evidence_text
from threads.analysis.manifest import parse_bound
from threads.errors import InvalidInput
from threads.moderation.campaigns import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    CampaignQuery,
    notify_campaigns,
    page_campaigns,
)
from threads.moderation.shapes import campaigns_all, campaigns_page


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
        "per campaign) and list all of those. For cron.",
    ),
    limit: int | None = typer.Option(
        None,
        "--limit",
        "-n",
        help=f"Campaigns per page, 1-{MAX_LIMIT} (default {DEFAULT_LIMIT}); not with --notify.",
    ),
    cursor: str | None = typer.Option(
        None, "--cursor", help="Next page (printed below a page); not with --notify."
    ),
) -> None:
    """List clusters of comments that look organised, with their evidence (computed now), a
    page at a time: by kind (dup, burst, alias), largest first, then by id."""
    query = CampaignQuery(
        site=site,
        since=parse_bound(since, "--since", end=False),
        kind=kind.value if kind else None,
    )
    engine = state(ctx).engine()
    if notify:
        if limit is not None or cursor is not None:
            raise InvalidInput(
                "--notify lists every campaign it announces: leave out --limit and --cursor",
                field="--notify",
            )
        views = notify_campaigns(engine, query)
        counts = {k: sum(1 for v in views if v.kind == k) for k in KINDS}
        listing, next_cursor = campaigns_all(views), None
    else:
        page = page_campaigns(
            engine, query, limit=DEFAULT_LIMIT if limit is None else limit, cursor=cursor
        )
        views, counts, next_cursor = page.items, page.counts, page.next_cursor
        listing = campaigns_page(page)
    if fmt is Format.JSON:
        encoded = msgspec.json.format(msgspec.json.encode(listing), indent=2).decode()
        typer.echo(safe_json(encoded))
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
    console.print(", ".join(f"{n} {k}" for k, n in counts.items()))
    if next_cursor:
        shown = f"{len(views)} of {listing.total} shown"
        console.print(Text(f"{shown}; more: threads campaigns ... --cursor {next_cursor}"))


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
