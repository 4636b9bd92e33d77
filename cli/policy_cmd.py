"""`threads policy THREAD_ID ...` (show or set a thread's policy) and `threads policy test`
(a dry-run of proposed rules over past comments; nothing is written).

``threads policy`` stays the command it was: a first argument that is not ``test`` is the
thread id of the show-or-set form (:class:`PolicyGroup` routes it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from cli.console import make_console, plain
from cli.context import state
from cli.moderation_cmd import _print_json, policy
from cli.safe_text import visible
from threads.errors import InvalidInput
from threads.models import AutoCloseFrom, PreModeration
from threads.moderation import rules
from threads.moderation.dryrun import (
    DEFAULT_LIMIT,
    OUTCOMES,
    Proposal,
    Scope,
    dry_run,
    parse_add_word,
    parse_time,
)
from threads.moderation.shapes import dry_run_response
from threads.moderation.threads import UNSET

#: the hidden sub-command that takes a thread id (the original `threads policy`)
_SHOW = "show"


class PolicyGroup(TyperGroup):
    """``threads policy test ...`` is the dry-run; ``threads policy THREAD_ID ...`` the
    original command (routed to the hidden ``show``)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = [_SHOW, *args]
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: Any) -> list[str]:
        return [name for name in super().list_commands(ctx) if name != _SHOW]


app = typer.Typer(
    cls=PolicyGroup,
    no_args_is_help=True,
    add_completion=False,
    help=(
        "`threads policy THREAD_ID [--premoderation P] [--auto-close-days N] "
        "[--auto-close-from F]` shows or sets a thread's policy (audited); "
        "`threads policy test ...` runs proposed rules over past comments (nothing is written)."
    ),
)
app.command(_SHOW, hidden=True)(policy)


@app.command("test")
def test_cmd(
    ctx: typer.Context,
    words: Path | None = typer.Option(
        None, "--words", help="A whole proposed word list (TOML, as THREADS_WORDLIST_PATH)."
    ),
    add_word: list[str] | None = typer.Option(
        None,
        "--add-word",
        help="Add an entry: TIER:WORDS (tier block, hold or flag) or WORDS (hold). Repeatable.",
    ),
    remove_word: list[str] | None = typer.Option(
        None, "--remove-word", help="Remove an entry from the list (any tier). Repeatable."
    ),
    link_limit: int | None = typer.Option(
        None, "--link-limit", help="Hold comments with more links than this."
    ),
    premoderation: str | None = typer.Option(
        None, "--premoderation", help="all, first_time, links or none, for every thread."
    ),
    auto_close_days: int | None = typer.Option(
        None, "--auto-close-days", help="Auto-close N days after the start point (0: never)."
    ),
    auto_close_from: str | None = typer.Option(
        None, "--auto-close-from", help="published or last_comment."
    ),
    site: str | None = typer.Option(None, "--site", help="Only this site's comments (key)."),
    thread: int | None = typer.Option(None, "--thread", help="Only this thread's comments."),
    since: str | None = typer.Option(
        None, "--since", help="Comments posted at or after this date or time (UTC)."
    ),
    until: str | None = typer.Option(
        None, "--until", help="Comments posted before this date or time (UTC)."
    ),
    fmt: str = typer.Option("rich", "--format", help="rich (tables) or json (as the API)."),
    limit: int = typer.Option(DEFAULT_LIMIT, "--limit", help="Stopped comments per page."),
    cursor: str | None = typer.Option(None, "--cursor", help="The next page (from a page's end)."),
) -> None:
    """Run proposed rules over past comments: how many would have been held or refused, which,
    and how that compares with what moderators decided. Nothing is written."""
    if fmt not in ("rich", "json"):
        raise InvalidInput(f"--format must be rich or json, got {fmt!r}", field="--format")
    app_state = state(ctx)
    proposal = Proposal(
        wordlist=_wordlist(words),
        add_words=tuple(parse_add_word(w) for w in add_word or []),
        remove_words=tuple(remove_word or []),
        max_links=link_limit,
        premoderation=_enum(PreModeration, premoderation, "--premoderation"),
        auto_close_days=UNSET if auto_close_days is None else auto_close_days,
        auto_close_from=UNSET
        if auto_close_from is None
        else _enum(AutoCloseFrom, auto_close_from, "--auto-close-from"),
    )
    scope = Scope(
        site=site,
        thread_id=thread,
        since=parse_time(since, "--since"),
        until=parse_time(until, "--until"),
    )
    with app_state.engine().connect() as conn:
        result = dry_run(conn, app_state.settings, proposal, scope, cursor=cursor, limit=limit)
        conn.rollback()
    answer = dry_run_response(result)
    if fmt == "json":
        _print_json(answer)
        return
    console = make_console()
    r = answer.rules
    auto = (
        "as each thread has it"
        if r["auto_close_days"] == "as set" and r["auto_close_from"] == "as set"
        else f"{r['auto_close_days']} days from {r['auto_close_from']}"
    )
    console.print(
        Text(
            f"Proposed rules: word list {visible(r['wordlist']['version'], one_line=True)}, "
            f"link limit {r['link_limit']}, pre-moderation {r['premoderation']}, "
            f"auto-close {auto}"
        )
    )
    console.print(
        Text(
            f"{answer.total} past comments judged: {answer.held} held, {answer.refused} refused, "
            f"{answer.outcomes['flag']} flagged, {answer.outcomes['accept']} accepted"
        )
    )
    table = Table(title="Proposed outcome vs status now")
    statuses = list(next(iter(answer.confusion.values())).keys())
    table.add_column("proposed")
    for status in statuses:
        table.add_column(status, justify="right")
    for outcome in OUTCOMES:
        row = answer.confusion[outcome]
        table.add_row(outcome, *(str(row[s]) for s in statuses))
    console.print(table)
    console.print(
        Text(
            f"precision {_share(answer.precision)} (of the stopped comments that moderators "
            f"decided, rejected or spam); recall {_share(answer.recall)} (of the rejected and "
            "spam comments, stopped)"
        )
    )
    page = answer.comments
    if page.items:
        listing = Table(title=f"Stopped comments ({page.total})")
        for name in ("id", "thread", "posted", "author", "outcome", "now", "why", "excerpt"):
            listing.add_column(name)
        for item in page.items:
            listing.add_row(
                str(item.comment_id),
                str(item.thread_id),
                item.posted_at.strftime("%Y-%m-%d %H:%M") if item.posted_at else "-",
                plain(item.author_name),
                item.outcome,
                item.status,
                plain("; ".join(item.reasons)),
                plain(item.excerpt[:80]),
            )
        console.print(listing)
    if page.next_cursor:
        console.print(Text(f"next page: --cursor {page.next_cursor}"))


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _enum(cls: Any, value: str | None, name: str) -> Any:
    if value is None:
        return None
    try:
        return cls(value.strip().lower())
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise InvalidInput(f"{name} must be one of {allowed}, got {value!r}", field=name) from None


def _wordlist(path: Path | None) -> rules.WordList | None:
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"--words {path} cannot be read as UTF-8 text: {exc}", field="--words"
        ) from None
    return rules.parse_wordlist(text, str(path))
