"""`threads db ...`: migrations and a look at what the database holds."""

from __future__ import annotations

import typer
from rich.table import Table

from cli.console import make_console
from cli.context import state
from cli.safe_text import safe_text
from threads.db import current_revision, downgrade, head_revision, session_scope, upgrade
from threads.db.queries import server_identity, table_counts
from threads.db.queries.tally import rebuild_tally, tally_drift, tally_kept

app = typer.Typer(help="Create, upgrade and inspect the database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(
    ctx: typer.Context,
    revision: str = typer.Argument("head", help="Target revision (default: the newest)."),
) -> None:
    """Upgrade the database schema (SQLite file or PostgreSQL) to REVISION."""
    engine = state(ctx).engine(migrate=False)
    before = current_revision(engine)
    upgrade(engine, revision)
    after = current_revision(engine)
    typer.echo(f"database upgraded: {before or 'empty'} -> {after}")


@app.command("downgrade")
def downgrade_cmd(
    ctx: typer.Context,
    revision: str = typer.Argument(..., help="Target revision, e.g. -1 or base."),
) -> None:
    """Downgrade the database schema to REVISION (``base`` removes every table)."""
    engine = state(ctx).engine(migrate=False)
    before = current_revision(engine)
    downgrade(engine, revision)
    typer.echo(f"database downgraded: {before or 'empty'} -> {current_revision(engine) or 'base'}")


@app.command("current")
def current_cmd(ctx: typer.Context) -> None:
    """Print the database's schema revision and the newest one the code knows."""
    engine = state(ctx).engine(migrate=False)
    current = current_revision(engine)
    head = head_revision()
    status = "up to date" if current == head else "behind: run `threads db upgrade`"
    typer.echo(f"current: {current or 'none'}\nhead: {head}\n{status}")


@app.command("info")
def info_cmd(ctx: typer.Context) -> None:
    """Show where the database is and how many rows each table holds."""
    engine = state(ctx).engine()
    console = make_console()
    where = engine.url.render_as_string(hide_password=True)
    identity = server_identity(engine)
    if identity is not None:
        where = f"{where} ({identity})"
    console.print(safe_text(where), markup=False, highlight=False, soft_wrap=True)
    table = Table()
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in table_counts(engine).items():
        table.add_row(name, str(count))
    console.print(table)


@app.command("check")
def check_cmd(
    ctx: typer.Context,
    repair: bool = typer.Option(False, "--repair", help="Recount the tally when it drifted."),
) -> None:
    """Check what the database keeps with triggers: the comment tally.

    The tally (the queue's per-thread, per-status counts) is compared with a real count; drift
    means something went around its triggers (dropped by hand, a dump restored without them).
    Exit code 1 on drift left unrepaired. The embedded SQLite database keeps no tally: its
    queue counts directly.
    """
    engine = state(ctx).engine()
    with session_scope(engine) as session:
        if not tally_kept(session):
            typer.echo("comment tally: not kept on SQLite (the queue counts directly)")
            return
        drift = tally_drift(session)
        if drift and repair:
            rows = rebuild_tally(session)
    if not drift:
        typer.echo("comment tally: consistent with the comments")
        return
    console = make_console()
    table = Table(title="comment tally drift", title_justify="left")
    for name in ("thread", "status", "tally", "counted"):
        table.add_column(name, justify="right" if name != "status" else "left")
    for d in drift:
        table.add_row(str(d.thread_id), d.status.value, str(d.tallied), str(d.counted))
    console.print(table)
    if repair:
        typer.echo(f"comment tally: rebuilt from the comments ({rows} rows)")
        return
    typer.echo("comment tally: drifted; run `threads db check --repair` to recount", err=True)
    raise typer.Exit(1)
