"""The `threads` command. Each sub-module parses its options, calls the library and renders."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from cli import (
    db_cmd,
    export_cmd,
    ingest_cmd,
    keys_cmd,
    moderation_cmd,
    report_cmd,
    serve_cmd,
    topics_cmd,
)
from cli.context import AppState
from threads import __version__
from threads.config import Settings
from threads.errors import ThreadsError


def fail(error: ThreadsError) -> typer.Exit:
    """Show a domain error as one line on stderr; the caller raises the returned Exit(1)."""
    typer.echo(f"error: {error.detail}", err=True)
    return typer.Exit(code=1)


class ThreadsGroup(TyperGroup):
    """Maps ThreadsError to a one-line message and exit code 1, never a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ThreadsError as exc:
            raise fail(exc) from None
        finally:
            if isinstance(ctx.obj, AppState):
                ctx.obj.close()


app = typer.Typer(
    name="threads",
    cls=ThreadsGroup,
    help="Comment-thread moderation and discussion analyzer.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"threads {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        envvar="THREADS_DATABASE_URL",
        help="Database URL (default: the SQLite file ./threads.db).",
        show_envvar=True,
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Comment-thread moderation and discussion analyzer."""
    try:
        settings = Settings.from_env(database_url=database_url)
    except ThreadsError as exc:
        raise fail(exc) from None
    ctx.obj = AppState(settings)


app.add_typer(db_cmd.app, name="db")
app.add_typer(keys_cmd.app, name="keys")
app.command("serve")(serve_cmd.serve)
app.command("report")(report_cmd.report)
app.command("queue")(moderation_cmd.queue)
app.command("moderate")(moderation_cmd.moderate)
app.command("history")(moderation_cmd.history)
app.command("close")(moderation_cmd.close)
app.command("reopen")(moderation_cmd.reopen)
app.command("close-stale")(moderation_cmd.close_stale_cmd)
app.command("policy")(moderation_cmd.policy)
app.command("export")(export_cmd.export_cmd)
app.command("ingest")(ingest_cmd.ingest)
app.command("classify")(topics_cmd.classify)
app.command("label")(topics_cmd.label)
app.command("train")(topics_cmd.train)
app.command("evaluate")(topics_cmd.evaluate_cmd)


def main() -> None:
    app()
