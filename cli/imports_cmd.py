"""`threads imports`: what `threads ingest` read, file by file, newest first."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from cli.console import make_console, plain
from cli.context import state
from threads.imports import list_imports


def imports(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="Show at most this many."),
) -> None:
    """List the import history: each file's batch (format, status, comments, warnings, and
    whether it was recovered from damaged XML with --recover) and each archive load."""
    found = list_imports(state(ctx).engine(), limit=limit)
    console = make_console()
    if not found:
        console.print("no imports yet: import a file with `threads ingest PATH`")
        return
    table = Table(title=f"imports ({len(found)}, newest first)", title_justify="left")
    table.add_column("what", no_wrap=True)
    table.add_column("file", overflow="fold")
    table.add_column("format", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("at", no_wrap=True)
    table.add_column("comments", justify="right")
    table.add_column("warnings", justify="right")
    table.add_column("recovered", no_wrap=True)
    for entry in found:
        at = entry.at.strftime("%Y-%m-%d %H:%M:%S") if entry.at is not None else "-"
        recovered = f"yes ({entry.repairs} repairs)" if entry.recovered else "-"
        table.add_row(
            Text(f"{entry.kind} #{entry.id}"),
            plain(entry.source_name),
            plain(entry.format),
            plain(entry.status),
            Text(at),
            Text(str(entry.comments)),
            Text(str(entry.warnings)),
            Text(recovered),
        )
    console.print(table)
