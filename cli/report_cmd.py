"""`threads report`: one thread in full, or a summary over many threads, in four formats."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.console import make_console
from cli.context import CODEBOOK_HELP, AppState, state
from cli.render import render_markdown, render_rich
from cli.safe_text import for_terminal, safe_json, visible
from threads.analysis.common import DEFAULT_STATUSES, ReportQuery
from threads.analysis.formats import manifest_json, report_csv, report_json
from threads.analysis.manifest import parse_bound
from threads.analysis.report import (
    build_corpus,
    build_report,
    comment_table,
    report_agreement,
    threads_from_files,
)
from threads.archive.output import write_output
from threads.errors import InvalidInput
from threads.models import CommentStatus

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class Format(enum.StrEnum):
    RICH = "rich"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"
    HTML = "html"


def report(
    ctx: typer.Context,
    threads: list[int] | None = typer.Argument(
        None,
        metavar="[THREAD]...",
        help="Thread ids: one for the full report, several for a summary.",
    ),
    all_threads: bool = typer.Option(False, "--all", help="Summarise every thread."),
    source: list[Path] | None = typer.Option(
        None,
        "--source",
        help="The threads imported from this file (repeatable; matched by content).",
        metavar="FILE",
    ),
    site: str | None = typer.Option(
        None,
        "--site",
        help="The threads of this site (its key; see `threads sites`); with thread ids, they "
        "must be of this site.",
    ),
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
    fmt: Format = typer.Option(Format.RICH, "--format", "-f", help="Output format."),
    width: int | None = typer.Option(
        None,
        "--width",
        min=40,
        help="Terminal width for the rich format (default: the terminal's).",
    ),
    anonymize: bool = typer.Option(
        False, "--anonymize", help="Show authors as stable salted pseudonyms (author-xxxxxx)."
    ),
    salt: str | None = typer.Option(
        None,
        "--salt",
        help="Secret salt of the --anonymize pseudonyms (default: THREADS_REPORT_SALT, else a "
        "public built-in salt).",
        show_default=False,
    ),
    taxonomy: Path | None = typer.Option(
        None,
        "--taxonomy",
        help="Codebook (TOML) for topic names (default: THREADS_TAXONOMY_PATH "
        "or the packaged one).",
    ),
    codebook: str | None = typer.Option(None, "--codebook", help=CODEBOOK_HELP, metavar="NAME"),
    terms: bool = typer.Option(
        True, "--terms/--no-terms", help="Compute distinctive terms per topic (log-odds)."
    ),
    campaigns: bool = typer.Option(
        True,
        "--campaigns/--no-campaigns",
        help="Find campaigns (near-duplicates, bursts, aliases) for a summary's Campaigns "
        "section (see `threads campaigns`).",
    ),
    full_body: bool = typer.Option(
        False, "--full-body", help="CSV: the whole body instead of a 200-character excerpt."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Write to FILE (replaced only once complete). CSV: the run manifest goes beside "
        "it, in FILE.manifest.json; on stdout it comes first, as '# ' lines.",
        dir_okay=False,
        metavar="FILE",
    ),
) -> None:
    """Report on one thread (header, comment tree, topics, moderation) or summarise many.

    The run manifest at the bottom names the software and codebook versions, the filters and
    the generation time (fixed by THREADS_REPORT_TIME or SOURCE_DATE_EPOCH for reproducible
    output).
    """
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
        anonymize=anonymize,
        salt=salt,
        taxonomy=taxonomy,
        codebook=codebook,
        terms=terms,
        campaigns=campaigns,
    )
    if out is not None and fmt is Format.RICH:
        raise InvalidInput(
            "--out writes json, csv, markdown or html: give --format too", field="--out"
        )
    if fmt is Format.CSV:
        records, topic_ids, manifest = comment_table(engine, request, full_body=full_body)
        if out is None:
            handle = for_terminal(sys.stdout)
            for chunk in report_csv(records, topic_ids, manifest):
                handle.write(chunk)
            handle.flush()
            return
        sidecar = out.with_name(out.name + ".manifest.json")
        write_output(out, lambda h: h.writelines(report_csv(records, topic_ids)))
        write_output(sidecar, lambda h: h.write(manifest_json(manifest)))
        typer.echo(visible(f"wrote {out} and {sidecar}", one_line=True), err=True)
        return
    if fmt is Format.HTML:
        from threads.analysis.html_report import render_html_report

        agreement = report_agreement(engine, request)
        text = render_html_report(build_corpus(engine, request), agreement=agreement)
    else:
        data = build_report(engine, request)
        if fmt is Format.JSON:
            text = report_json(data) + "\n"
        elif fmt is Format.MARKDOWN:
            text = render_markdown(data)
        else:
            render_rich(data, make_console(width=width))
            return
    if fmt is Format.JSON:
        text = safe_json(text)
    if out is None:
        handle = for_terminal(sys.stdout)  # controls shown as escapes on a terminal only
        handle.write(text)
        handle.flush()
        return
    write_output(out, lambda h: h.write(text))
    typer.echo(visible(f"wrote {out}", one_line=True), err=True)


def report_request(
    app_state: AppState,
    engine: Engine,
    *,
    threads: list[int] | None,
    all_threads: bool,
    source: list[Path] | None,
    site: str | None,
    topic: str | None,
    since: str | None,
    until: str | None,
    status: list[str] | None,
    anonymize: bool = False,
    salt: str | None = None,
    taxonomy: Path | None = None,
    codebook: str | None = None,
    terms: bool = True,
    campaigns: bool = True,
) -> ReportQuery:
    """The report request from the command line's selection options (shared by `threads
    chart`)."""
    statuses = tuple(status or DEFAULT_STATUSES)
    if "all" in statuses:
        statuses = tuple(s.value for s in CommentStatus)
    thread_ids = tuple(threads or ())
    if source:
        thread_ids += threads_from_files(engine, source)
    return ReportQuery(
        thread_ids=thread_ids,
        all_threads=all_threads,
        site=site,
        topic=topic,
        since=parse_bound(since, "--since", end=False),
        until=parse_bound(until, "--until", end=True),
        statuses=statuses,
        anonymize=anonymize,
        salt=salt or app_state.settings.report_salt,
        taxonomy_path=taxonomy or app_state.settings.taxonomy_path,
        codebook=codebook,
        generated_at=app_state.settings.generated_at(),
        terms=terms,
        campaigns=campaigns,
    )
