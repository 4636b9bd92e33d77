"""`threads ingest PATH...`: import saved pages and exports, show progress and a summary."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cli.context import state
from cli.safe_text import safe_text, visible

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
        help="Input format: auto (from each file's content) or one of wxr, disqus, blogger, "
        "jsonl, reddit, pushshift, hackernews, remark42, commento, isso, html, text.",
    ),
    site: str | None = typer.Option(
        None,
        "--site",
        help="Put every thread in the site with this key (created if new) instead of the "
        "site each file names.",
    ),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Read and match everything, report what an import would add and change, and "
        "write nothing.",
    ),
    recover: bool = typer.Option(
        False,
        "--recover",
        help="Salvage XML that is not well-formed (an unquoted attribute, an unclosed tag): "
        "lxml's recovery mode repairs what it can, each repair is a warning with its line, and "
        "the import is marked recovered.",
    ),
) -> None:
    """Import comment threads from saved pages (text, HTML), WXR/Disqus/Blogger/JSONL files,
    Reddit, Pushshift (.zst too), Hacker News, Remark42, Commento and Isso JSON.

    Each file is one transaction: a file that fails leaves nothing behind, and the others still
    import. A file already imported (same sha256) is reported as unchanged. Ctrl-C stops at
    once: the file being read is rolled back, the files imported before it are named, exit 130.
    """
    from cli.console import make_console
    from threads.ingest.service import IngestInterrupted, ingest_paths

    console = make_console()
    try:
        engine = state(ctx).engine()
        limit = state(ctx).settings.max_import_comment_chars
        if sys.stdout.isatty():
            report = _with_progress(engine, paths, fmt, site, dry_run, limit, recover, console)
        else:
            report = ingest_paths(
                engine,
                paths,
                fmt=fmt,
                site=site,
                dry_run=dry_run,
                max_comment_chars=limit,
                recover=recover,
            )
    except IngestInterrupted as stop:
        render_report(stop.report, console)
        for failed in stop.report.failed:
            typer.echo(f"error: {visible(failed.error or '', one_line=True)}", err=True)
        typer.echo(interrupted_line(stop.report), err=True)
        raise typer.Exit(code=INTERRUPTED) from None
    except KeyboardInterrupt:
        typer.echo("interrupted: no file was imported", err=True)
        raise typer.Exit(code=INTERRUPTED) from None
    render_report(report, console)
    if not report.ok:
        for failed in report.failed:
            typer.echo(f"error: {visible(failed.error, one_line=True)}", err=True)
        raise typer.Exit(code=1)


#: the exit code after Ctrl-C (128 + SIGINT, as a shell reports it)
INTERRUPTED = 130
#: how many file names the line after Ctrl-C lists in each group
LISTED_FILES = 10


def interrupted_line(report: IngestReport) -> str:
    """The one line said after Ctrl-C: which files were imported and which were not
    (``interrupted: imported a.xml; not imported big.xml (rolled back), c.xml``)."""
    groups: dict[str, list[str]] = {}
    for item in report.files:
        name = shown_path(item.path)
        if item.status == "interrupted":
            name += " (rolled back)"
        if item.status == "ok":
            group = "read (dry run, nothing written)" if report.dry_run else "imported"
        elif item.status == "unchanged":
            group = "unchanged (imported before)"
        else:
            group = "not imported"
        groups.setdefault(group, []).append(name)
    if "imported" not in groups and not report.dry_run:
        groups["imported"] = ["no file"]
    parts = []
    order = ("imported", "read (dry run, nothing written)", "unchanged (imported before)")
    for group in (*order, "not imported"):
        names = groups.get(group)
        if names:
            more = f" and {len(names) - LISTED_FILES} more" if len(names) > LISTED_FILES else ""
            parts.append(f"{group} {', '.join(names[:LISTED_FILES])}{more}")
    return visible("interrupted: " + "; ".join(parts), one_line=True)


def _with_progress(
    engine: Engine,
    paths: list[Path],
    fmt: str,
    site: str | None,
    dry_run: bool,
    limit: int,
    recover: bool,
    console: Console,
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
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[comments]} comments"),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("ingest", total=None, comments=0)

        def update(event: IngestProgress) -> None:
            bar.update(
                task,
                description=_safe(event.path.name),
                completed=event.bytes_done,
                total=event.bytes_total or None,
                comments=event.comments,
            )

        return ingest_paths(
            engine,
            paths,
            fmt=fmt,
            site=site,
            dry_run=dry_run,
            progress=update,
            max_comment_chars=limit,
            recover=recover,
        )


def _safe(text: str) -> str:
    """A file name as Rich markup that shows it as it is (controls made visible)."""
    from rich.markup import escape

    return escape(visible(text, one_line=True))


def shown_path(path: Path) -> str:
    """A file as the user can find it again: relative to the working directory when inside it,
    else as given (long names fold in the table rather than being cut)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def render_report(report: IngestReport, console: Console) -> None:
    """Per-file lines (what each file added, changed and left as it was) and a summary: sites,
    articles, comments by status, closed threads, warnings; then the existing comments whose
    text or status an import changes, and the warnings."""
    from rich import box
    from rich.table import Table

    title = "Files (dry run: nothing was written)" if report.dry_run else "Files"
    files = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    files.add_column("file", overflow="fold", ratio=1, min_width=16)
    files.add_column("read as", no_wrap=True)
    files.add_column("status", no_wrap=True)
    files.add_column("articles", no_wrap=True)
    files.add_column("comments", no_wrap=True)
    files.add_column("warnings", justify="right", no_wrap=True)
    folder: str | None = None
    for item in report.files:
        shown = shown_path(item.path)
        parent, _, name = shown.rpartition("/")
        if parent != folder:  # a folder line, then its files by name (names stay whole)
            folder = parent
            if parent:
                files.add_row(safe_text(parent + "/", style="dim"))
        batch = f" #{item.batch_id}" if item.batch_id is not None else ""
        counts = item.counts
        if counts.get("mode"):  # an archive: its load is recorded apart from import batches
            batch = f" ({counts['mode']}, archive load #{counts.get('archive_load')})"
        if counts.get("recovered"):
            batch += f" recovered ({counts.get('repairs', 0)} repairs)"
        files.add_row(
            safe_text(("  " if parent else "") + name),
            safe_text(f"{item.format or '-'} {item.encoding or ''}".rstrip()),
            safe_text(item.status + batch),
            _changes(counts, "articles"),
            _changes(counts, "comments"),
            str(len(item.warnings)),
        )
    console.print(files)
    console.print("articles, comments: + new  ~ updated  = unchanged", style="dim")
    totals = report.totals()
    summary = Table(title="Would import" if report.dry_run else "Imported", title_justify="left")
    summary.add_column("what")
    summary.add_column("count", justify="right")
    summary.add_row("sites", safe_text(", ".join(totals["sites"]) or "-"))
    summary.add_row("  new sites", str(totals["sites_new"]))
    summary.add_row("articles", str(totals["articles"]))
    summary.add_row("threads", str(totals["threads"]))
    summary.add_row("threads closed", str(totals["threads_closed"]))
    summary.add_row("comments", str(totals["comments"]))
    for status, count in totals["comments_by_status"].items():
        summary.add_row(f"  {status}", str(count))
    summary.add_row("comments new", str(totals["comments_new"]))
    summary.add_row("comments updated", str(totals["comments_updated"]))
    summary.add_row("  text changed", str(totals["comments_text_changed"]))
    summary.add_row("  status changed", str(totals["comments_status_changed"]))
    summary.add_row("comments unchanged", str(totals["comments_unchanged"]))
    summary.add_row("replies linked", str(totals["replies"]))
    summary.add_row("orphan replies", str(totals["orphans"]))
    summary.add_row("warnings", str(totals["warnings"]))
    summary.add_row("files unchanged", str(totals["files_unchanged"]))
    summary.add_row("files failed", str(totals["files_failed"]))
    console.print(summary)
    verb = "would change" if report.dry_run else "changes"
    for item in report.files:
        text = item.counts.get("comments_text_changed", 0)
        status = item.counts.get("comments_status_changed", 0)
        if text or status:
            listed = ", ".join(_change(c) for c in item.counts.get("changed", []))
            more = " ..." if len(item.counts.get("changed", [])) < text + status else ""
            console.print(
                safe_text(
                    f"{item.path.name} {verb} existing comments: the text of {text}, the "
                    f"status of {status} (comment ids: {listed}{more})"
                )
            )
    for item in report.files:
        for warning in item.warnings[:20]:
            console.print(safe_text(f"warning: {warning}"))
        if len(item.warnings) > 20:
            console.print(
                safe_text(f"... and {len(item.warnings) - 20} more warnings for {item.path.name}")
            )


def _changes(counts: dict[str, Any], what: str) -> str:
    """``+3 ~1 =40``: new, updated and unchanged rows of one kind."""
    if not counts:
        return "-"
    new, updated, same = (counts.get(f"{what}_{k}", 0) for k in ("new", "updated", "unchanged"))
    return f"+{new} ~{updated} ={same}"


def _change(change: dict[str, Any]) -> str:
    """``12 (status approved -> spam)`` or ``12 (body)``."""
    what = [c for c in change.get("changed", []) if c in ("body", "status")]
    if "status" in change:
        old, new = change["status"]
        what = [w if w != "status" else f"status {old} -> {new}" for w in what]
    return f"{change['id']} ({', '.join(what)})"
