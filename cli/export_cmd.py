"""`threads export`: the JSONL archive, WXR, Disqus XML or CSV, to stdout or a file."""

from __future__ import annotations

import io
from enum import StrEnum
from pathlib import Path

import typer

from cli.console import stdout_failed
from cli.context import CODEBOOK_HELP, state
from cli.safe_text import for_terminal, visible
from threads.archive import SYMLINK_REFUSED, export, write_output
from threads.errors import InvalidInput


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
        help="Write to FILE instead of stdout: a regular file is replaced only once complete; "
        "a FIFO or a device (/dev/null) is written as a stream; a symbolic link is refused.",
        dir_okay=False,
        metavar="FILE",
    ),
    follow_symlinks: bool = typer.Option(
        False,
        "--follow-symlinks",
        help="With --out: when FILE is a symbolic link, write to what it points to.",
    ),
) -> None:
    """Export threads and comments: the lossless JSONL archive, WXR, Disqus XML or CSV."""
    engine = state(ctx).engine()
    thread_ids = list(thread) if thread else None
    book = state(ctx).codebook(codebook)
    as_of = state(ctx).settings.archive_time()
    if out is not None:
        try:
            counts = write_output(
                out,
                lambda handle: export(
                    engine,
                    fmt.value,
                    handle,
                    thread_ids=thread_ids,
                    site=site,
                    codebook=book,
                    as_of=as_of,
                ),
                follow_symlinks=follow_symlinks,
            )
        except InvalidInput as exc:
            if exc.code != SYMLINK_REFUSED:
                raise
            raise InvalidInput(
                f"{exc.detail}; pass --follow-symlinks to write to what it points to",
                field="--out",
            ) from None
        what = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
        typer.echo(
            visible(f"wrote {out} ({fmt.value}: {what or 'nothing'})", one_line=True), err=True
        )
        return
    stdout = typer.get_binary_stream("stdout")
    handle = io.TextIOWrapper(stdout, encoding="utf-8", newline="")
    try:
        # exact data when piped or redirected; controls shown as escapes on a terminal
        export(
            engine,
            fmt.value,
            for_terminal(handle),
            thread_ids=thread_ids,
            site=site,
            codebook=book,
            as_of=as_of,
        )
        handle.flush()
    except OSError as exc:  # stdout is full or closed: discarded, so that detach can flush
        raise stdout_failed(exc) from None
    finally:
        handle.detach()  # leave stdout itself open
