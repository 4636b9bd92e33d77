"""`threads export`: the JSONL archive, WXR, Disqus XML or CSV, to stdout or a file."""

from __future__ import annotations

import io
from enum import StrEnum
from pathlib import Path

import typer

from cli.context import CODEBOOK_HELP, state
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
    codebook: str | None = typer.Option(
        None, "--codebook", help="csv: " + CODEBOOK_HELP, metavar="NAME"
    ),
    site: str | None = typer.Option(
        None, "--site", help="Export only the threads of this site (its key; see `threads sites`)."
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
    book = state(ctx).codebook(codebook)
    if out is not None:
        counts = write_atomically(
            out,
            lambda handle: export(
                engine, fmt.value, handle, thread_ids=thread_ids, site=site, codebook=book
            ),
        )
        what = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
        typer.echo(f"wrote {out} ({fmt.value}: {what or 'nothing'})", err=True)
        return
    stdout = typer.get_binary_stream("stdout")
    handle = io.TextIOWrapper(stdout, encoding="utf-8", newline="")
    try:
        export(engine, fmt.value, handle, thread_ids=thread_ids, site=site, codebook=book)
        handle.flush()
    finally:
        handle.detach()  # leave stdout itself open
