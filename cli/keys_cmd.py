"""`threads keys ...`: create, list and revoke API keys for the HTTP API."""

from __future__ import annotations

import getpass
from datetime import datetime

import typer
from rich.table import Table

from cli.console import make_console
from cli.context import state
from cli.safe_text import safe_text, visible
from threads.db import session_scope
from threads.keys import create_key, list_keys, parse_role, revoke_key
from threads.moderation.audit import Actor

app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)


def _actor() -> Actor:
    try:
        who = getpass.getuser()
    except Exception:  # no login name in some containers
        who = "cli"
    return Actor.user(who)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


@app.command("create")
def create_cmd(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", help="A unique name for the key, e.g. alice-laptop."),
    role: str = typer.Option(
        "viewer", "--role", help="viewer (read, queue), moderator (+ actions), admin (+ keys)."
    ),
) -> None:
    """Create an API key and print it ONCE; only its hash is stored."""
    parsed = parse_role(role)
    with session_scope(state(ctx).engine()) as session:
        created = create_key(session, name, parsed, actor=_actor())
    typer.echo(created.secret)
    typer.echo(
        f"created key {visible(repr(created.info.name))} (role {created.info.role.value}, "
        f"prefix {created.info.prefix}). Store it now: it cannot be shown again.",
        err=True,
    )


@app.command("list")
def list_cmd(ctx: typer.Context) -> None:
    """List API keys: name, role, prefix, created, last used, revoked."""
    with session_scope(state(ctx).engine()) as session:
        keys = list_keys(session)
    console = make_console()
    if not keys:
        console.print("no API keys: create one with `threads keys create --name N --role R`")
        return
    table = Table(title="API keys", title_justify="left")
    for column in ("name", "role", "prefix", "created", "last used", "revoked"):
        table.add_column(column)
    for key in keys:
        table.add_row(
            safe_text(key.name),
            key.role.value,
            key.prefix + "…",
            _when(key.created_at),
            _when(key.last_used_at),
            _when(key.revoked_at),
        )
    console.print(table)


@app.command("revoke")
def revoke_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The name of the key to revoke."),
) -> None:
    """Revoke an API key by NAME: it is refused from then on (the record is kept)."""
    with session_scope(state(ctx).engine()) as session:
        info = revoke_key(session, name, actor=_actor())
    typer.echo(f"revoked key {visible(repr(info.name))} (prefix {info.prefix})")
