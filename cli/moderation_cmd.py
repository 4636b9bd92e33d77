"""Terminal moderation: the queue, actions on comments, closing and reopening threads, policies.

The terminal user acts as the person named by ``--by`` (default: $USER) with the admin role: whoever
can run commands against the database owns it anyway. Every change is audited like an API action.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime, timedelta

import msgspec
import typer
from rich.table import Table

from cli.console import make_console
from cli.context import CODEBOOK_HELP, state
from cli.safe_text import safe_json, safe_text, visible
from threads.db import session_scope
from threads.db.types import utcnow
from threads.errors import InvalidInput
from threads.models import AutoCloseFrom, CommentStatus, EventTarget, Role, Thread, ThreadState
from threads.moderation.audit import Actor
from threads.moderation.history import (
    DEFAULT_LIMIT,
    AuditFilter,
    HistoryPage,
    audit_log,
    comment_history,
    thread_history,
)
from threads.moderation.lifecycle import ACTIONS
from threads.moderation.queue import SORTS, QueueFilter, list_queue
from threads.moderation.service import apply_action, get_comment_or_404
from threads.moderation.shapes import history_page, queue_page
from threads.moderation.threads import (
    UNSET,
    ThreadStatus,
    auto_close_policy,
    close_stale,
    close_thread,
    effective_state,
    get_thread_or_404,
    reopen_thread,
    set_policy,
)

#: the role of a terminal user (documented in the README)
TERMINAL_ROLE = Role.ADMIN
BY_HELP = "Who is acting, as recorded in the audit log (default: $USER)."


def _actor(ctx: typer.Context, by: str | None) -> Actor:
    name = (by or state(ctx).settings.user or _login() or "").strip()
    if not name:
        raise InvalidInput("cannot tell who is acting: pass --by NAME", field="--by")
    if len(name) > 200:
        raise InvalidInput(f"--by has {len(name)} characters; at most 200", field="--by")
    return Actor.user(name)


def _login() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (containers): fall back to --by
        return None


def _when(value: str | None, option: str, *, end: bool = False) -> datetime | None:
    """A date (YYYY-MM-DD; as --until it includes the whole day) or an ISO time (UTC if naive)."""
    if value is None:
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{option} {value!r} is not a date (YYYY-MM-DD) or an ISO time", field=option
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if end and len(text) == 10:
        parsed += timedelta(days=1)
    return parsed


def _excerpt(body: str, width: int = 60) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def queue(
    ctx: typer.Context,
    status: list[str] | None = typer.Option(
        None,
        "--status",
        "-s",
        help="Status to list (repeatable). Default: pending and flagged.",
    ),
    thread: int | None = typer.Option(None, "--thread", help="Only this thread id."),
    topic: str | None = typer.Option(None, "--topic", help="Only comments labelled with topic."),
    author: str | None = typer.Option(None, "--author", help="Author e-mail or exact name."),
    since: str | None = typer.Option(None, "--since", help="Posted on/after (YYYY-MM-DD or ISO)."),
    until: str | None = typer.Option(
        None, "--until", help="Posted up to this date, inclusive (or before an ISO time)."
    ),
    text: str | None = typer.Option(None, "--text", help="Body contains this (any case)."),
    codebook: str | None = typer.Option(None, "--codebook", help=CODEBOOK_HELP, metavar="NAME"),
    site: str | None = typer.Option(
        None, "--site", help="Only this site's threads (its key; see `threads sites`)."
    ),
    sort: str = typer.Option("oldest", "--sort", help=f"Order: {', '.join(SORTS)}."),
    limit: int = typer.Option(50, "--limit", "-n", help="Comments per page (1-500)."),
    cursor: str | None = typer.Option(None, "--cursor", help="Next page (printed below a page)."),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print the page as JSON for scripts: the same shape as GET /api/queue.",
    ),
) -> None:
    """List the moderation queue: what waits for a moderator, oldest first."""
    flt = QueueFilter(
        statuses=tuple(CommentStatus(s) for s in _statuses(status)),
        thread_id=thread,
        topic=topic,
        author=author,
        since=_when(since, "--since"),
        until=_when(until, "--until", end=True),
        text=text,
        codebook=state(ctx).codebook(codebook),
        site=site,
    )
    with session_scope(state(ctx).engine()) as session:
        page = list_queue(session, flt, sort=sort, cursor=cursor, limit=limit)
    if as_json:
        _print_json(queue_page(page))
        return
    console = make_console()
    table = Table(title=f"moderation queue ({page.total} matching)", title_justify="left")
    for name, justify in [
        ("id", "right"),
        ("thread", "left"),
        ("author", "left"),
        ("posted", "left"),
        ("status", "left"),
        ("reports", "right"),
        ("ver", "right"),
        ("excerpt", "left"),
    ]:
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for item in page.items:
        c = item.comment
        table.add_row(
            str(c.id),
            safe_text(f"{item.thread_id} {_excerpt(item.article_title, 24)}"),
            safe_text(c.author_name or "-"),
            _time(c.posted_at),
            CommentStatus(c.status).value,
            str(c.report_count),
            str(c.version),
            safe_text(_excerpt(c.body)),
        )
    console.print(table)
    if page.next_cursor:
        console.print(f"more: threads queue ... --cursor {page.next_cursor}")


def _print_json(value: msgspec.Struct) -> None:
    """``value`` as the API encodes it (msgspec: the same fields and time format), indented,
    with terminal controls escaped."""
    text = msgspec.json.format(msgspec.json.encode(value), indent=2).decode()
    typer.echo(safe_json(text))


def _statuses(given: list[str] | None) -> list[str]:
    if not given:
        return [CommentStatus.PENDING.value, CommentStatus.FLAGGED.value]
    values = [part.strip() for s in given for part in s.split(",") if part.strip()]
    if "all" in values:
        return [s.value for s in CommentStatus]
    known = {s.value for s in CommentStatus}
    for value in values:
        if value not in known:
            raise InvalidInput(
                f"--status {value!r} is not a status; expected some of: "
                f"{', '.join(sorted(known))} (or all)",
                field="--status",
            )
    return values


def moderate(
    ctx: typer.Context,
    comment_id: int = typer.Argument(..., help="The comment id."),
    action: str = typer.Argument(..., help=f"One of: {', '.join(ACTIONS)}."),
    reason: str | None = typer.Option(None, "--reason", "-r", help="Why (required for reject)."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
    expected_version: int | None = typer.Option(
        None,
        "--expected-version",
        help="Refuse if the comment changed since you saw this version (see `threads queue`).",
    ),
) -> None:
    """Take a moderation action on a comment (audited; the terminal user acts as admin)."""
    actor = _actor(ctx, by)
    with session_scope(state(ctx).engine()) as session:
        before = CommentStatus(get_comment_or_404(session, comment_id).status).value
        comment = apply_action(
            session,
            comment_id,
            action,
            actor=actor,
            role=TERMINAL_ROLE,
            reason=reason,
            expected_version=expected_version,
        )
    typer.echo(
        f"comment {comment_id}: {before} -> {CommentStatus(comment.status).value} "
        f"(version {comment.version}, by {visible(actor.name, one_line=True)})"
    )


def history(
    ctx: typer.Context,
    comment_id: int | None = typer.Argument(None, help="The comment id."),
    thread: int | None = typer.Option(
        None, "--thread", help="A thread's whole trail instead: the thread and its comments."
    ),
    limit: int = typer.Option(DEFAULT_LIMIT, "--limit", "-n", help="Events per page (1-500)."),
    cursor: str | None = typer.Option(None, "--cursor", help="Next page (printed below a page)."),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print the page as JSON for scripts: the same shape as the API's history.",
    ),
) -> None:
    """Show a comment's audit trail (or a thread's, with --thread): who did what, when and why."""
    if (comment_id is None) == (thread is None):
        raise InvalidInput("give a comment id or --thread ID (one of them)", field="comment_id")
    with session_scope(state(ctx).engine()) as session:
        if thread is not None:
            page = thread_history(session, thread, cursor=cursor, limit=limit)
        else:
            assert comment_id is not None
            page = comment_history(session, comment_id, cursor=cursor, limit=limit)
    if as_json:
        _print_json(history_page(page))
        return
    of = f"thread {thread}" if thread is not None else f"comment {comment_id}"
    _history_table(page, f"history of {of} ({page.total} events)")
    if page.next_cursor:
        what = f"--thread {thread}" if thread is not None else str(comment_id)
        make_console().print(f"more: threads history {what} --cursor {page.next_cursor}")


def audit(
    ctx: typer.Context,
    actor: str | None = typer.Option(
        None, "--actor", help="Only this actor, exactly as the log shows it (key:NAME, alice)."
    ),
    action: str | None = typer.Option(None, "--action", help="Only this action (reject, close)."),
    since: str | None = typer.Option(
        None, "--since", help="Recorded on/after (YYYY-MM-DD or ISO)."
    ),
    until: str | None = typer.Option(
        None, "--until", help="Recorded up to this date, inclusive (or before an ISO time)."
    ),
    site: str | None = typer.Option(
        None, "--site", help="Only this site's threads (its key; see `threads sites`)."
    ),
    limit: int = typer.Option(DEFAULT_LIMIT, "--limit", "-n", help="Events per page (1-500)."),
    cursor: str | None = typer.Option(None, "--cursor", help="Next page (printed below a page)."),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print the page as JSON for scripts: the same shape as GET /api/audit.",
    ),
) -> None:
    """Show the whole audit log, newest first: who did what to which comment or thread."""
    flt = AuditFilter(
        actor=actor,
        action=action,
        since=_when(since, "--since"),
        until=_when(until, "--until", end=True),
        site=site,
    )
    with session_scope(state(ctx).engine()) as session:
        page = audit_log(session, flt, cursor=cursor, limit=limit)
    if as_json:
        _print_json(history_page(page))
        return
    _history_table(page, f"audit log, newest first ({page.total} matching)")
    if page.next_cursor:
        make_console().print(f"more: threads audit ... --cursor {page.next_cursor}")


def _history_table(page: HistoryPage, title: str) -> None:
    table = Table(title=title, title_justify="left")
    for name in ("time", "on", "actor", "action", "from", "to", "reason"):
        table.add_column(name, overflow="fold")
    for e in page.items:
        table.add_row(
            e.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            f"{EventTarget(e.target_type).value} {e.target_id}",
            safe_text(e.actor),
            safe_text(e.action),
            safe_text(e.from_state or "-"),
            safe_text(e.to_state or "-"),
            safe_text(e.reason or "", one_line=False),
        )
    make_console().print(table)


def close(
    ctx: typer.Context,
    thread_id: int = typer.Argument(..., help="The thread id."),
    reason: str = typer.Option(..., "--reason", "-r", help="Why the thread is closed."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
) -> None:
    """Close a thread: it accepts no new comments or replies (audited)."""
    actor = _actor(ctx, by)
    with session_scope(state(ctx).engine()) as session:
        thread = close_thread(session, thread_id, actor=actor, reason=reason)
    typer.echo(
        f"thread {thread_id} closed by {visible(actor.name, one_line=True)}: "
        f"{visible(thread.close_reason, one_line=True)}"
    )


def reopen(
    ctx: typer.Context,
    thread_id: int = typer.Argument(..., help="The thread id."),
    reason: str | None = typer.Option(None, "--reason", "-r", help="Why (optional)."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
) -> None:
    """Reopen a closed or auto-closed thread; auto-close stops until its policy is set again."""
    actor = _actor(ctx, by)
    app_state = state(ctx)
    with session_scope(app_state.engine()) as session:
        reopen_thread(session, thread_id, actor=actor, reason=reason, settings=app_state.settings)
    typer.echo(f"thread {thread_id} reopened by {visible(actor.name, one_line=True)}")


def close_stale_cmd(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would close; change nothing."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
) -> None:
    """Close every thread past its auto-close time (thread policy, else THREADS_AUTO_CLOSE_*)."""
    app_state = state(ctx)
    actor = _actor(ctx, by)
    with session_scope(app_state.engine()) as session:
        ids = close_stale(session, app_state.settings, utcnow(), actor=actor, dry_run=dry_run)
    verb = "would close" if dry_run else "closed"
    listed = ", ".join(str(i) for i in ids)
    plural = "s" if len(ids) != 1 else ""
    typer.echo(f"{verb} {len(ids)} thread{plural}" + (f": {listed}" if ids else ""))


def policy(
    ctx: typer.Context,
    thread_id: int = typer.Argument(..., help="The thread id."),
    premoderation: str | None = typer.Option(
        None,
        "--premoderation",
        help="all, first_time, links, none, or default (use THREADS_PREMODERATION).",
    ),
    auto_close_days: str | None = typer.Option(
        None,
        "--auto-close-days",
        help="Close N days after the start point; 0 never; default (use THREADS_AUTO_CLOSE_DAYS).",
    ),
    auto_close_from: str | None = typer.Option(
        None, "--auto-close-from", help="published, last_comment, or default."
    ),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
) -> None:
    """Show a thread's pre-moderation and auto-close policy, or set it (audited)."""
    app_state = state(ctx)
    settings = app_state.settings
    with session_scope(app_state.engine()) as session:
        if premoderation is not None or auto_close_days is not None or auto_close_from is not None:
            set_policy(
                session,
                thread_id,
                actor=_actor(ctx, by),
                premoderation=UNSET if premoderation is None else _default(premoderation),
                auto_close_days=UNSET if auto_close_days is None else _days(auto_close_days),
                auto_close_from=UNSET if auto_close_from is None else _default(auto_close_from),
            )
        thread = get_thread_or_404(session, thread_id)
        status = effective_state(session, thread, settings, utcnow())
        days, start = auto_close_policy(thread, settings)
    typer.echo(_describe(thread, status, days, start, settings.premoderation))


def _describe(
    thread: Thread,
    status: ThreadStatus,
    days: int | None,
    start: AutoCloseFrom,
    default_premoderation: str,
) -> str:
    own_pre = thread.premoderation.value if thread.premoderation else None
    head = f"thread {thread.id}: {status.state.value}"
    if status.state is ThreadState.CLOSED:
        reason = visible(status.reason or "no reason given", one_line=True)
        head += f" since {_time(status.closed_at)} ({reason})"
    after = "publication" if start is AutoCloseFrom.PUBLISHED else "the last comment"
    auto = f"{days} days after {after}" if days else "never"
    lines = [
        head,
        f"  premoderation: {own_pre or default_premoderation}{'' if own_pre else ' (default)'}",
        f"  auto-close:    {auto}{'' if thread.auto_close_days is not None else ' (default)'}",
    ]
    if thread.reopened_at:
        lines.append(
            f"  reopened by {visible(thread.reopened_by, one_line=True)} at "
            f"{_time(thread.reopened_at)}: auto-close is "
            "off until the policy is set again"
        )
    return "\n".join(lines)


def _default(value: str) -> str | None:
    return None if value.strip().lower() == "default" else value.strip()


def _days(value: str) -> int | None:
    if value.strip().lower() == "default":
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(
            f"--auto-close-days {value!r} is not a whole number (or 'default')",
            field="--auto-close-days",
        ) from None


__all__ = [
    "audit",
    "close",
    "close_stale_cmd",
    "history",
    "moderate",
    "policy",
    "queue",
    "reopen",
]
