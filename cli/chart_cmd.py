"""`threads chart`: one chart of the corpus report, as an SVG or PNG file."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.context import CODEBOOK_HELP, state
from cli.report_cmd import report_request
from cli.safe_text import visible
from threads.analysis.chart_data import CHARTS, build_chart
from threads.analysis.charts import FORMATS, render_chart
from threads.analysis.common import DEFAULT_STATUSES
from threads.analysis.report import build_corpus
from threads.archive.output import write_output
from threads.errors import InvalidInput


def chart(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help=f"One of: {', '.join(CHARTS)}."),
    threads: list[int] | None = typer.Argument(
        None, metavar="[THREAD]...", help="Thread ids (default with --all: every thread)."
    ),
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="The file to write: FILE.svg or FILE.png (replaced only once complete).",
        dir_okay=False,
        metavar="FILE",
    ),
    all_threads: bool = typer.Option(False, "--all", help="Every thread."),
    source: list[Path] | None = typer.Option(
        None,
        "--source",
        help="The threads imported from this file (repeatable; matched by content).",
        metavar="FILE",
    ),
    site: str | None = typer.Option(None, "--site", help="The threads of this site (its key)."),
    topic: str | None = typer.Option(None, "--topic", help="Only this topic (its id)."),
    since: str | None = typer.Option(
        None, "--since", help="Comments posted on or after this date (YYYY-MM-DD or ISO time)."
    ),
    until: str | None = typer.Option(
        None, "--until", help="Comments posted up to this date, inclusive (or before an ISO time)."
    ),
    status: list[str] | None = typer.Option(
        None,
        "--status",
        help="Count comments with this status (repeatable; 'all' for every status). "
        f"Default: {', '.join(DEFAULT_STATUSES)}.",
    ),
    taxonomy: Path | None = typer.Option(
        None, "--taxonomy", help="Codebook (TOML) for topic names (default: the configured one)."
    ),
    codebook: str | None = typer.Option(None, "--codebook", help=CODEBOOK_HELP, metavar="NAME"),
) -> None:
    """Draw one chart of the corpus report (prevalence, comments, threads, cooccurrence,
    sentiment) into an SVG or PNG file; its caption names the codebook and its version."""
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InvalidInput(
            f"--out {out.name!r}: expected a file name ending in .svg or .png", field="--out"
        )
    if name not in CHARTS:
        raise InvalidInput(
            f"unknown chart {name!r} (expected one of: {', '.join(CHARTS)})", field="NAME"
        )
    app_state = state(ctx)
    engine = app_state.engine()
    request = report_request(
        app_state,
        engine,
        threads=threads,
        all_threads=all_threads,
        source=source,
        site=site,
        topic=topic,
        since=since,
        until=until,
        status=status,
        taxonomy=taxonomy,
        codebook=codebook,
        terms=False,
        campaigns=False,
    )
    data = render_chart(build_chart(name, build_corpus(engine, request)), fmt)
    write_output(out, lambda handle: handle.buffer.write(data))
    typer.echo(visible(f"wrote {out} ({name}, {fmt})", one_line=True), err=True)
