"""`threads hooks ...`: add, list and remove webhooks; list, show and retry their deliveries;
deliver what is due once (for cron, or a setup without `threads serve`).

Adding and removing are audited as the person named by ``--by`` (default: $USER), like the
moderation commands.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
import typer
from rich.table import Table
from rich.text import Text

from cli.console import make_console, plain
from cli.context import state
from cli.moderation_cmd import BY_HELP, _actor
from cli.safe_text import safe_json, visible
from threads.db import session_scope
from threads.models import DeliveryStatus
from threads.schemas import Page
from threads.webhooks.delivery import deliver_due
from threads.webhooks.events import EVENTS
from threads.webhooks.service import (
    DEFAULT_REPORT_THRESHOLD,
    MIN_ID_PREFIX,
    add_hook,
    get_delivery,
    list_deliveries,
    list_hooks,
    remove_hook,
    retry_delivery,
)
from threads.webhooks.shapes import delivery_detail, delivery_page, hook_read

app = typer.Typer(
    help="Webhooks: signed JSON POSTs to your URLs when comments are held or reported, threads "
    "close or campaigns are found.",
    no_args_is_help=True,
)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


def _print_json(value: msgspec.Struct) -> None:
    """The API's JSON for the same data (controls escaped, so a terminal cannot be driven)."""
    typer.echo(safe_json(msgspec.json.format(msgspec.json.encode(value), indent=2).decode()))


JSON_HELP = "Print JSON, the same as the HTTP API's answer."


def _short(value: datetime | None) -> str:
    """A time in a narrow column (UTC, the year left out)."""
    return value.strftime("%m-%d %H:%M:%S") if value else "-"


@app.command("add")
def add_cmd(
    ctx: typer.Context,
    url: str = typer.Argument(..., help="The http:// or https:// URL to POST events to."),
    event: list[str] = typer.Option(
        [], "--event", help=f"An event to send (repeatable; default all): {', '.join(EVENTS)}."
    ),
    site: str | None = typer.Option(
        None, "--site", help="Only events of this site (its key, see `threads sites`)."
    ),
    report_threshold: int = typer.Option(
        DEFAULT_REPORT_THRESHOLD,
        "--report-threshold",
        min=1,
        help="comment.reported fires when a comment's report count reaches this.",
    ),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
) -> None:
    """Register URL for events and print its signing secret ONCE (it is not stored)."""
    settings = state(ctx).settings
    actor = _actor(ctx, by)
    with session_scope(state(ctx).engine()) as session:
        created = add_hook(
            session,
            url,
            settings=settings,
            actor=actor,
            events=event or None,
            site=site,
            report_threshold=report_threshold,
        )
    info = created.info
    typer.echo(created.secret)
    typer.echo(
        f"added webhook {info.id} -> {visible(info.url, one_line=True)} "
        f"(events: {', '.join(info.events)}; site: {visible(info.site or 'all', one_line=True)}). "
        "Store the secret above now: it cannot be shown again.",
        err=True,
    )


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    all_: bool = typer.Option(False, "--all", help="Removed hooks too."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List webhooks: id, URL, site, events, report threshold, added, removed."""
    with session_scope(state(ctx).engine()) as session:
        hooks = list_hooks(session, include_removed=all_)
    if as_json:
        items = [hook_read(h) for h in hooks]
        _print_json(Page(items=items, total=len(items), next_cursor=None))
        return
    console = make_console()
    if not hooks:
        console.print("no webhooks: add one with `threads hooks add URL`")
        return
    table = Table(title=f"webhooks ({len(hooks)})", title_justify="left")
    for column in ("id", "url", "site", "events", "reports", "added", "removed"):
        table.add_column(column, overflow="fold")
    for hook in hooks:
        table.add_row(
            Text(str(hook.id)),
            plain(hook.url),
            plain(hook.site, "all"),
            Text(", ".join(hook.events)),
            Text(str(hook.report_threshold)),
            Text(_when(hook.created_at)),
            Text(_when(hook.removed_at)),
        )
    console.print(table)


@app.command("remove")
def remove_cmd(
    ctx: typer.Context,
    hook_id: int = typer.Argument(..., help="The id of the hook (see `threads hooks list`)."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
) -> None:
    """Remove webhook HOOK_ID: no new deliveries, pending ones cancelled, the record kept."""
    actor = _actor(ctx, by)
    with session_scope(state(ctx).engine()) as session:
        info = remove_hook(session, hook_id, actor=actor)
    typer.echo(f"removed webhook {info.id} ({visible(info.url, one_line=True)})")


@app.command("deliveries")
def deliveries_cmd(
    ctx: typer.Context,
    hook: int | None = typer.Option(None, "--hook", help="Only this hook's deliveries."),
    status: str | None = typer.Option(
        None,
        "--status",
        help=f"Only deliveries in this status: {', '.join(s.value for s in DeliveryStatus)}.",
    ),
    limit: int = typer.Option(50, "--limit", min=1, max=1000, help="How many, newest first."),
    cursor: str | None = typer.Option(
        None, "--cursor", help="Where the page before ended (its next_cursor)."
    ),
    delivery: str | None = typer.Option(
        None, "--id", help="Show this one delivery (its id, or its first 8+ characters)."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List webhook deliveries (newest first) with their status and last answer, or show one
    with --id (its body and every attempt)."""
    if delivery is not None:
        _show(ctx, delivery, as_json=as_json)
        return
    with session_scope(state(ctx).engine()) as session:
        listing = list_deliveries(session, hook_id=hook, status=status, limit=limit, cursor=cursor)
    rows = listing.rows
    if as_json:
        _print_json(delivery_page(listing))
        return
    console = make_console()
    if not rows:
        console.print("no deliveries")
        return
    table = Table(title=f"deliveries ({len(rows)} of {listing.total})", title_justify="left")
    # the start of the id, which `--id` and `retry` take as well as the whole id
    table.add_column("id", no_wrap=True)
    for column in ("hook", "event", "status", "tries", "last answer", "next try (UTC)"):
        table.add_column(column, overflow="fold")
    for row in rows:
        # the status code, else the error's kind; `--id` shows the whole error
        if row.last_status_code is not None:
            answer = str(row.last_status_code)
        else:
            answer = (row.last_error or "-").split(":", 1)[0]
        table.add_row(
            Text(row.uid[:MIN_ID_PREFIX]),
            Text(str(row.hook_id)),
            Text(row.event),
            Text(DeliveryStatus(row.status).value),
            Text(str(row.attempts)),
            plain(answer),
            Text(_short(row.next_attempt_at)),
        )
    console.print(table)
    if listing.next_cursor is not None:
        console.print(Text(f"more: threads hooks deliveries --cursor {listing.next_cursor}"))


def _show(ctx: typer.Context, uid: str, *, as_json: bool) -> None:
    with session_scope(state(ctx).engine()) as session:
        detail = get_delivery(session, uid)
    if as_json:
        _print_json(delivery_detail(detail))
        return
    d = detail.delivery
    console = make_console()
    console.print(
        Text(
            f"delivery {d.uid}: {d.event} to hook {d.hook_id}, "
            f"{DeliveryStatus(d.status).value} after {d.attempts} attempt(s)"
        )
    )
    table = Table(title="attempts", title_justify="left")
    for column in ("started", "status code", "error", "ms"):
        table.add_column(column, overflow="fold")
    for a in detail.attempts:
        table.add_row(
            Text(_when(a.started_at)),
            Text(str(a.status_code) if a.status_code is not None else "-"),
            plain(a.error),
            Text(str(a.duration_ms)),
        )
    console.print(table)
    console.print(Text("body:"))
    console.print(Text(visible(d.body, one_line=True)), soft_wrap=True)


@app.command("retry")
def retry_cmd(
    ctx: typer.Context,
    delivery: str = typer.Argument(
        ..., help="The delivery's id, or its first 8+ characters (see `threads hooks deliveries`)."
    ),
) -> None:
    """Send a failed or cancelled DELIVERY again (due now, attempts counted afresh)."""
    with session_scope(state(ctx).engine()) as session:
        row = retry_delivery(session, delivery)
    typer.echo(f"delivery {row.uid} is pending again; `threads hooks deliver` or serve sends it")


@app.command("deliver")
def deliver_cmd(
    ctx: typer.Context,
    limit: int = typer.Option(100, "--limit", min=1, max=10000, help="At most this many."),
) -> None:
    """Send every due delivery once (one attempt each) and exit: for cron or CLI-only setups."""
    app_state = state(ctx)
    run = deliver_due(app_state.engine(), app_state.settings, limit=limit)
    typer.echo(
        f"{run.attempted} attempted: {run.delivered} delivered, {run.retrying} to retry, "
        f"{run.failed} failed"
    )
