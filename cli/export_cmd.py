"""`threads export`: the JSONL archive, WXR, Disqus XML or CSV, to stdout or a file."""

from __future__ import annotations

import io
from enum import StrEnum
from pathlib import Path

import typer

from cli.context import state
from cli.safe_text import for_terminal, visible
from threads.archive import export, write_atomically


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    WXR = "wxr"
    DISQUS = "disqus"
    CSV = "csv"


def export_cmd(
    ctx: typer.Context,
    fmt: ExportFormat = typer.Option(
        ExportFormat.JSONL,
        "--format",
        "-f",
        help="jsonl: the lossless archive; wxr: WordPress; disqus: Disqus XML; csv: comments.",
        case_sensitive=False,
    ),
    thread: list[int] | None = typer.Option(
        None, "--thread", "-t", help="Export only this thread id (repeatable)."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Write to FILE (replaced only once complete) instead of stdout.",
        dir_okay=False,
        metavar="FILE",
    ),
) -> None:
    """Export threads and comments: the lossless JSONL archive, WXR, Disqus XML or CSV."""
    engine = state(ctx).engine()
    thread_ids = list(thread) if thread else None
    if out is not None:
        counts = write_atomically(
            out, lambda handle: export(engine, fmt.value, handle, thread_ids=thread_ids)
        )
        what = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
        typer.echo(
            visible(f"wrote {out} ({fmt.value}: {what or 'nothing'})", one_line=True), err=True
        )
        return
    stdout = typer.get_binary_stream("stdout")
    handle = io.TextIOWrapper(stdout, encoding="utf-8", newline="")
    try:
        # exact data when piped or redirected; controls shown as escapes on a terminal
        export(engine, fmt.value, for_terminal(handle), thread_ids=thread_ids)
        handle.flush()
    finally:
        handle.detach()  # leave stdout itself open
