"""`threads snapshot THREAD --at TIME`: a thread as readers saw it then, replayed from the audit
trail, as a self-contained HTML page or JSON lines (with a manifest and its sha256)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import typer

from cli.context import state
from cli.safe_text import for_terminal, visible
from threads.archive.snapshot_page import FORMATS, render_snapshot
from threads.errors import InvalidInput, OutputFailed
from threads.moderation.dryrun import parse_time
from threads.moderation.replay import snapshot as replay_snapshot


def snapshot(
    ctx: typer.Context,
    thread_id: int = typer.Argument(..., help="The thread id."),
    at: str = typer.Option(
        ..., "--at", help="The moment: an ISO date or time (UTC without an offset)."
    ),
    fmt: str = typer.Option("html", "--format", help="html (a page to keep) or jsonl."),
    out: Path | None = typer.Option(
        None, "--out", help="Write to this file (whole, or not at all) instead of stdout."
    ),
) -> None:
    """Show a thread as readers saw it at a moment, replayed from the audit trail."""
    if fmt not in FORMATS:
        raise InvalidInput(
            f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}", field="--format"
        )
    when = parse_time(at, "--at")
    assert when is not None
    with state(ctx).engine().connect() as conn:
        snap = replay_snapshot(conn, thread_id, when)
        conn.rollback()
    text = render_snapshot(snap, fmt)
    if out is None:
        stream = for_terminal(typer.get_text_stream("stdout"))
        stream.write(text)
        stream.flush()
        return
    _write_whole(out, text)
    typer.echo(
        f"wrote {visible(str(out), one_line=True)} ({len(snap.comments)} comments visible at "
        f"{snap.manifest()['at']})",
        err=True,
    )


def _write_whole(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed into place: a failure leaves
    no half-written file."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputFailed(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputFailed(f"cannot write {path}: {exc.strerror or exc}") from exc
