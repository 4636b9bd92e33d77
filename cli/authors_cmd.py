"""`threads author ...` and `threads authors`: an author's standing in a site, rejecting all their
pending comments, and the list of authors with a standing.

The terminal user acts as the person named by ``--by`` (default: $USER) with the admin role, as
in the other moderation commands; every change is audited. ``--json`` prints the shapes the API
answers (``GET /api/authors/{site}/{author}``, ``GET /api/authors``,
``POST /api/actions/reject-pending``).
"""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from cli.console import make_console, plain
from cli.context import state
from cli.moderation_cmd import BY_HELP, TERMINAL_ROLE, _actor, _print_json
from cli.safe_text import visible
from threads.db import session_scope
from threads.errors import InvalidInput
from threads.moderation.authors import (
    DEFAULT_LIMIT,
    STANDINGS,
    AuthorRecord,
    get_author,
    list_standings,
    parse_standing,
    reject_pending,
    set_standing,
)
from threads.moderation.shapes import author_read, authors_page, reject_pending_response

app = typer.Typer(
    help="An author's standing in a site, and rejecting all their pending comments.",
    no_args_is_help=True,
)

SITE_HELP = "The site's key (see `threads sites`)."
AUTHOR_HELP = "The author's e-mail or name (compared without case, spaces collapsed)."


@app.command("standing")
def standing_cmd(
    ctx: typer.Context,
    site: str = typer.Argument(..., help=SITE_HELP),
    author: str = typer.Argument(..., help=AUTHOR_HELP),
    set_to: str | None = typer.Option(
        None, "--set", help=f"Set the standing: {', '.join(STANDINGS)}.", metavar="STANDING"
    ),
    reason: str | None = typer.Option(
        None, "--reason", "-r", help="Why (required for premoderated and banned)."
    ),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
    as_json: bool = typer.Option(
        False, "--json", help="Print the author as GET /api/authors/{site}/{author} answers it."
    ),
) -> None:
    """Show an author's standing and record in a site, or set it with --set (audited).

    trusted skips pre-moderation; premoderated holds every comment; banned refuses every one.
    """
    if set_to is None and reason is not None:
        raise InvalidInput("--reason goes with --set STANDING", field="--reason")
    with session_scope(state(ctx).engine()) as session:
        if set_to is not None:
            record = set_standing(
                session,
                site,
                author,
                parse_standing(set_to, "--set"),
                actor=_actor(ctx, by),
                role=TERMINAL_ROLE,
                reason=reason,
            )
        else:
            record = get_author(session, site, author)
    if as_json:
        _print_json(author_read(record))
        return
    typer.echo(_describe(record))


def _describe(record: AuthorRecord) -> str:
    shape = author_read(record)
    lines = [
        f"author {visible(record.author_key, one_line=True)} on "
        f"{visible(record.site, one_line=True)}: {record.standing.value}"
    ]
    if record.set_by:
        when = record.set_at.strftime("%Y-%m-%d %H:%M UTC") if record.set_at else "-"
        why = f": {visible(record.reason, one_line=True)}" if record.reason else ""
        lines.append(f"  set by {visible(record.set_by, one_line=True)} at {when}{why}")
    lines.append(
        f"  comments: {shape.comments} (pending {shape.pending}, approved {shape.approved}, "
        f"flagged {shape.flagged}, rejected {shape.rejected}, spam {shape.spam}, "
        f"deleted {shape.deleted})"
    )
    return "\n".join(lines)


@app.command("reject-pending")
def reject_pending_cmd(
    ctx: typer.Context,
    site: str = typer.Argument(..., help=SITE_HELP),
    author: str = typer.Argument(..., help=AUTHOR_HELP),
    reason: str = typer.Option(..., "--reason", "-r", help="Why (required)."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
    as_json: bool = typer.Option(
        False, "--json", help="Print the result as POST /api/actions/reject-pending answers it."
    ),
) -> None:
    """Reject every pending comment of an author in a site, in one transaction (audited)."""
    with session_scope(state(ctx).engine()) as session:
        result = reject_pending(
            session, site, author, actor=_actor(ctx, by), role=TERMINAL_ROLE, reason=reason
        )
    if as_json:
        _print_json(reject_pending_response(result))
        return
    n = len(result.comment_ids)
    listed = ": " + ", ".join(map(str, result.comment_ids)) if n else ""
    typer.echo(
        f"rejected {n} pending comment{'' if n == 1 else 's'} of "
        f"{visible(result.author_key, one_line=True)} on {visible(result.site, one_line=True)}"
        f"{listed}"
    )


def authors(
    ctx: typer.Context,
    standing: list[str] | None = typer.Option(
        None, "--standing", help=f"Only this standing (repeatable): {', '.join(STANDINGS)}."
    ),
    site: str | None = typer.Option(None, "--site", help="Only this site's authors (its key)."),
    limit: int = typer.Option(DEFAULT_LIMIT, "--limit", "-n", help="Authors per page (1-500)."),
    cursor: str | None = typer.Option(None, "--cursor", help="Next page (printed below a page)."),
    as_json: bool = typer.Option(
        False, "--json", help="Print the page as GET /api/authors answers it."
    ),
) -> None:
    """List the authors whose standing was set (e.g. --standing banned), oldest first."""
    with session_scope(state(ctx).engine()) as session:
        wanted = [parse_standing(s, "--standing") for s in standing or []]
        page = list_standings(
            session, standings=wanted or None, site=site, cursor=cursor, limit=limit
        )
    if as_json:
        _print_json(authors_page(page))
        return
    console = make_console()
    table = Table(title=f"authors ({page.total} matching)", title_justify="left")
    for name in ("site", "author", "standing", "set by", "set at", "reason", "comments"):
        table.add_column(name, overflow="fold", justify="right" if name == "comments" else "left")
    for record in page.items:
        table.add_row(
            plain(record.site),
            plain(record.author_key),
            Text(record.standing.value),
            plain(record.set_by),
            Text(record.set_at.strftime("%Y-%m-%d %H:%M") if record.set_at else "-"),
            plain(record.reason),
            Text(str(record.comments)),
        )
    console.print(table)
    if page.next_cursor:
        console.print(f"more: threads authors ... --cursor {page.next_cursor}")


__all__ = ["app", "authors"]
