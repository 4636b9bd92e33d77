"""`threads ingest PATH...`: import saved pages and exports, show progress and a summary."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.context import state
from threads.ingest.ahead import ReadAhead
from threads.ingest.detect import FORMATS

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.engine import Engine

    from threads.ingest.service import IngestReport


def ingest(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(
        ..., help="Files or folders (walked recursively, hidden entries skipped)."
    ),
    fmt: str = typer.Option(
        "auto",
        "--format",
        "-f",
        help=f"Input format: auto (from each file's content) or one of {', '.join(FORMATS)}.",
    ),
    parallel: bool | None = typer.Option(
        None,
        "--parallel/--serial",
        help="Read WXR, Disqus and Blogger files in a second process while this one writes "
        "(default: for files of 8 MiB or more, on a machine with two cores or more). The "
        "result is the same either way.",
        show_default=False,
    ),
) -> None:
    """Import comment threads from saved pages (text, HTML) and WXR/Disqus/Blogger/JSONL files.

    Each file is one transaction: a file that fails leaves nothing behind, and the others still
    import. A file already imported (same sha256) is reported as unchanged.
    """
    # A large export's reader process starts first, with only the readers loaded: it parses
    # while this process loads the database layer and opens the database.
    ahead = ReadAhead.start(paths, fmt, parallel)
    try:
        from cli.console import make_console
        from threads.ingest.service import ingest_paths

        engine = state(ctx).engine()
        console = make_console()
        if sys.stdout.isatty():
            report = _with_progress(engine, paths, fmt, console, parallel, ahead)
        else:
            report = ingest_paths(engine, paths, fmt=fmt, parallel=parallel, ahead=ahead)
    finally:
        ahead.close()
    render_report(report, console)
    if not report.ok:
        for failed in report.failed:
            typer.echo(f"error: {failed.error}", err=True)
        raise typer.Exit(code=1)


def _with_progress(
    engine: Engine,
    paths: list[Path],
    fmt: str,
    console: Console,
    parallel: bool | None,
    ahead: ReadAhead,
) -> IngestReport:
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TransferSpeedColumn,
    )

    from threads.ingest.service import Progress as IngestProgress
    from threads.ingest.service import ingest_paths

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[comments]} comments"),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
    )
    # Redrawn from the import's own progress calls (several a second on a large file), not by
    # Rich's refresh thread: an import reads a large export in a forked reader process, which it
    # starts only while no other thread runs.
    with Progress(*columns, console=console, transient=True, auto_refresh=False) as bar:
        task = bar.add_task("ingest", total=None, comments=0)

        def update(event: IngestProgress) -> None:
            bar.update(
                task,
                description=event.path.name,
                completed=event.bytes_done,
                total=event.bytes_total or None,
                comments=event.comments,
                refresh=True,
            )

        return ingest_paths(engine, paths, fmt=fmt, progress=update, parallel=parallel, ahead=ahead)


def shown_path(path: Path) -> str:
    """A file as the user can find it again: relative to the working directory when inside it,
    else as given (long names fold in the table rather than being cut)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def render_report(report: IngestReport, console: Console) -> None:
    """Per-file lines and a summary table: articles, comments by status, closed, warnings."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    files = Table(title="Files", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    files.add_column("file", overflow="fold", ratio=1)
    files.add_column("read as", no_wrap=True)
    files.add_column("status", no_wrap=True)
    files.add_column("comments", justify="right", no_wrap=True)
    files.add_column("warnings", justify="right", no_wrap=True)
    folder: str | None = None
    for item in report.files:
        shown = shown_path(item.path)
        parent, _, name = shown.rpartition("/")
        if parent != folder:  # a folder line, then its files by name (names stay whole)
            folder = parent
            if parent:
                files.add_row(Text(parent + "/", style="dim"))
        batch = f" #{item.batch_id}" if item.batch_id is not None else ""
        files.add_row(
            ("  " if parent else "") + name,
            f"{item.format or '-'} {item.encoding or ''}".rstrip(),
            item.status + batch,
            str(item.counts.get("comments", "-")),
            str(len(item.warnings)),
        )
    console.print(files)
    totals = report.totals()
    summary = Table(title="Imported", title_justify="left")
    summary.add_column("what")
    summary.add_column("count", justify="right")
    summary.add_row("articles", str(totals["articles"]))
    summary.add_row("threads", str(totals["threads"]))
    summary.add_row("threads closed", str(totals["threads_closed"]))
    summary.add_row("comments", str(totals["comments"]))
    for status, count in totals["comments_by_status"].items():
        summary.add_row(f"  {status}", str(count))
    summary.add_row("replies linked", str(totals["replies"]))
    summary.add_row("orphan replies", str(totals["orphans"]))
    summary.add_row("warnings", str(totals["warnings"]))
    summary.add_row("files unchanged", str(totals["files_unchanged"]))
    summary.add_row("files failed", str(totals["files_failed"]))
    console.print(summary)
    for item in report.files:
        for warning in item.warnings[:20]:
            console.print(f"warning: {warning}", markup=False)
        if len(item.warnings) > 20:
            console.print(f"... and {len(item.warnings) - 20} more warnings for {item.path.name}")
