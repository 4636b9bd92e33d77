"""The terminal moderation commands end to end, through the real CLI and database."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.moderation_support import (
    T0,
    count,
    events,
    get_comment,
    get_thread,
    make_comment,
    make_thread,
)
from threads.config import Settings
from threads.db import session_scope
from threads.db.types import utcnow
from threads.errors import ThreadClosed
from threads.models import Comment, CommentStatus, EventTarget, ModerationEvent, ThreadState
from threads.moderation.submission import Submission, submit_comment

runner = CliRunner()


def _run(db_url: str, *args: str, user: str = "mia", **env: str):  # type: ignore[no-untyped-def]
    return runner.invoke(
        app,
        list(args),
        env={"THREADS_DATABASE_URL": db_url, "USER": user, "COLUMNS": "200", **env},
    )


def test_queue_lists_pending_and_flagged(engine: Engine, db_url: str) -> None:
    tid = make_thread(engine, title="Gold reserves")
    waiting = make_comment(engine, tid, body="Is gold still money?", author="Ann")
    flagged = make_comment(engine, tid, status=CommentStatus.FLAGGED, body="Rude one", author="Bo")
    make_comment(engine, tid, status=CommentStatus.APPROVED, body="Visible already")
    result = _run(db_url, "queue")
    assert result.exit_code == 0, result.output
    assert "2 matching" in result.output
    assert "Is gold still money?" in result.output and "Rude one" in result.output
    assert "Visible already" not in result.output
    assert "Gold reserves" in result.output and "Ann" in result.output
    assert result.output.index(str(waiting)) < result.output.index("Rude one")
    only = _run(db_url, "queue", "--status", "flagged")
    assert (
        "Rude one" in only.output and "Is gold" not in only.output and str(flagged) in only.output
    )
    every = _run(db_url, "queue", "--status", "all", "--text", "VISIBLE")
    assert "1 matching" in every.output and "Visible already" in every.output


def test_queue_pages_with_the_printed_cursor(engine: Engine, db_url: str) -> None:
    tid = make_thread(engine)
    for i in range(5):
        make_comment(engine, tid, body=f"body number {i}", posted_at=T0 + timedelta(minutes=i))
    first = _run(db_url, "queue", "--limit", "3")
    assert first.exit_code == 0 and "body number 2" in first.output
    cursor = first.output.split("--cursor ")[1].split()[0]
    second = _run(db_url, "queue", "--limit", "3", "--cursor", cursor)
    assert "body number 3" in second.output and "body number 4" in second.output
    assert "body number 0" not in second.output and "--cursor" not in second.output
    bad = _run(db_url, "queue", "--cursor", base64.b64encode(b"nope").decode())
    assert bad.exit_code == 1 and "error: cursor" in bad.output
    assert "Traceback" not in bad.output


@pytest.mark.parametrize(
    "forged",
    [["most_reported", 9223372036854775808, 1], ["oldest", None, 2**40], ["oldest", None, -5]],
    ids=str,
)
def test_queue_refuses_a_forged_cursor_in_one_line(
    engine: Engine, db_url: str, forged: list[object]
) -> None:
    make_comment(engine, make_thread(engine), body="waiting")
    cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
    result = _run(db_url, "queue", "--sort", str(forged[0]), "--cursor", cursor)
    assert result.exit_code == 1
    assert result.output.startswith("error: cursor is not valid") and result.output.count("\n") == 1


def test_queue_rejects_bad_options(engine: Engine, db_url: str) -> None:
    for args, words in [
        (["--status", "waiting"], "--status 'waiting'"),
        (["--since", "last week"], "--since 'last week'"),
        (["--sort", "loudest"], "unknown sort"),
    ]:
        result = _run(db_url, "queue", *args)
        assert result.exit_code == 1 and words in result.output, result.output


def test_moderate_acts_as_the_named_person_and_is_audited(engine: Engine, db_url: str) -> None:
    cid = make_comment(engine, make_thread(engine))
    result = _run(db_url, "moderate", str(cid), "approve", "--by", "Ines")
    assert result.exit_code == 0, result.output
    assert f"comment {cid}: pending -> approved (version 2, by Ines)" in result.output
    default_user = _run(db_url, "moderate", str(cid), "reject", "--reason", "off topic")
    assert default_user.exit_code == 0, default_user.output
    assert [(e.actor, e.action, e.reason) for e in events(engine, cid)] == [
        ("Ines", "approve", None),
        ("mia", "reject", "off topic"),
    ]
    history = _run(db_url, "history", str(cid))
    assert history.exit_code == 0 and "off topic" in history.output and "Ines" in history.output


def test_moderate_refusals_are_one_line_errors(engine: Engine, db_url: str) -> None:
    cid = make_comment(engine, make_thread(engine), status=CommentStatus.APPROVED)
    cases = [
        (["approve"], "cannot approve a comment that is approved"),
        (["reject"], "a reason is required"),
        (["bless"], "unknown action 'bless'"),
        (["flag", "--expected-version", "7"], "changed since you read it"),
    ]
    for args, message in cases:
        result = _run(db_url, "moderate", str(cid), *args)
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output
    long_name = _run(db_url, "moderate", str(cid), "flag", "--by", "x" * 300)
    assert long_name.exit_code == 1 and "--by has 300 characters" in long_name.output
    missing = _run(db_url, "moderate", "4242", "approve")
    assert missing.exit_code == 1 and "comment 4242 not found" in missing.output
    assert count(engine, ModerationEvent) == 0
    assert get_comment(engine, cid).version == 1


def test_terminal_user_may_purge(engine: Engine, db_url: str) -> None:
    tid = make_thread(engine)
    cid = make_comment(engine, tid, body="my address is 1 Main St", email="x@example.org")
    result = _run(db_url, "moderate", str(cid), "purge", "--reason", "personal data")
    assert result.exit_code == 0, result.output
    tomb = get_comment(engine, cid)
    assert tomb.purged and tomb.body == "" and tomb.author_email is None


def test_close_refuses_comments_and_reopen_allows_them(
    engine: Engine, db_url: str, settings: Settings
) -> None:
    tid = make_thread(engine)
    no_reason = _run(db_url, "close", str(tid))
    assert no_reason.exit_code != 0 and "--reason" in no_reason.output
    closed = _run(db_url, "close", str(tid), "--reason", "flame war", "--by", "Ines")
    assert closed.exit_code == 0, closed.output
    assert "thread" in closed.output and "closed by Ines" in closed.output
    assert get_thread(engine, tid).state is ThreadState.CLOSED
    again = _run(db_url, "close", str(tid), "--reason", "twice")
    assert again.exit_code == 1 and "already closed" in again.output
    before = count(engine, Comment)
    with pytest.raises(ThreadClosed), session_scope(engine) as session:
        submit_comment(
            session, tid, Submission("Zoe", "let me in"), settings=settings, now=utcnow()
        )
    assert count(engine, Comment) == before
    reopened = _run(db_url, "reopen", str(tid))
    assert reopened.exit_code == 0 and f"thread {tid} reopened by mia" in reopened.output
    with session_scope(engine) as session:
        submit_comment(
            session, tid, Submission("Zoe", "let me in"), settings=settings, now=utcnow()
        )
    assert count(engine, Comment) == before + 1
    actions = [(e.action, e.actor) for e in events(engine, tid, EventTarget.THREAD)]
    assert actions == [("close", "Ines"), ("reopen", "mia")]


def test_close_stale_with_dry_run(engine: Engine, db_url: str) -> None:
    old = make_thread(engine, published_at=utcnow() - timedelta(days=40))
    new = make_thread(engine, published_at=utcnow() - timedelta(days=2))
    own = make_thread(engine, published_at=utcnow() - timedelta(days=2), auto_close_days=1)
    env = {"THREADS_AUTO_CLOSE_DAYS": "30"}
    dry = _run(db_url, "close-stale", "--dry-run", **env)
    assert dry.exit_code == 0, dry.output
    assert f"would close 2 threads: {old}, {own}" in dry.output
    assert get_thread(engine, old).state is ThreadState.OPEN
    real = _run(db_url, "close-stale", **env)
    assert f"closed 2 threads: {old}, {own}" in real.output
    assert get_thread(engine, old).state is ThreadState.CLOSED
    assert get_thread(engine, new).state is ThreadState.OPEN
    assert "closed 0 threads" in _run(db_url, "close-stale", **env).output
    [event] = events(engine, old, EventTarget.THREAD)
    assert event.actor == "rule:auto-close@1" and event.extra == {"run_by": "mia"}


def test_policy_shows_and_sets(engine: Engine, db_url: str) -> None:
    tid = make_thread(engine)
    shown = _run(db_url, "policy", str(tid))
    assert shown.exit_code == 0, shown.output
    assert "premoderation: first_time (default)" in shown.output
    assert "auto-close:    never (default)" in shown.output
    changed = _run(
        db_url,
        "policy",
        str(tid),
        "--premoderation",
        "links",
        "--auto-close-days",
        "10",
        "--auto-close-from",
        "last_comment",
    )
    assert changed.exit_code == 0, changed.output
    assert "premoderation: links\n" in changed.output
    assert "10 days after the last comment" in changed.output
    thread = get_thread(engine, tid)
    assert (thread.premoderation, thread.auto_close_days) == ("links", 10)
    reset = _run(db_url, "policy", str(tid), "--premoderation", "default")
    assert "first_time (default)" in reset.output
    for args, message in [
        (["--premoderation", "often"], "premoderation must be one of"),
        (["--auto-close-days", "soon"], "not a whole number"),
        (["--auto-close-days", "-3"], "auto_close_days must be"),
    ]:
        bad = _run(db_url, "policy", str(tid), *args)
        assert bad.exit_code == 1 and message in bad.output, bad.output
    assert len(events(engine, tid, EventTarget.THREAD)) == 2
    gone = _run(db_url, "policy", "999")
    assert gone.exit_code == 1 and "thread 999 not found" in gone.output


def test_queue_filters_from_the_terminal(engine: Engine, db_url: str) -> None:
    tid = make_thread(engine)
    other = make_thread(engine, title="Other thread")
    make_comment(engine, tid, body="early bird", posted_at=T0, author="Ann", email="ann@x.org")
    make_comment(engine, tid, body="next day", posted_at=T0 + timedelta(days=1), author="Bo")
    make_comment(engine, other, body="elsewhere", posted_at=T0 + timedelta(days=2), author="Bo")
    day = T0.date().isoformat()

    def shown(*args: str) -> set[str]:
        result = _run(db_url, "queue", *args)
        assert result.exit_code == 0, result.output
        return {b for b in ("early bird", "next day", "elsewhere") if b in result.output}

    assert shown("--until", day) == {"early bird"}  # a date as --until includes that day
    assert shown("--since", (T0 + timedelta(days=1)).date().isoformat()) == {
        "next day",
        "elsewhere",
    }
    assert shown("--author", "ANN@x.org") == {"early bird"}
    assert shown("--author", "bo", "--thread", str(other)) == {"elsewhere"}
    assert shown("--sort", "newest", "--limit", "1") == {"elsewhere"}


def test_readme_commands_in_a_real_process(engine: Engine, db_url: str) -> None:
    import os
    import subprocess
    import sys

    cid = make_comment(engine, make_thread(engine), body="from a subprocess")
    env = {**os.environ, "THREADS_DATABASE_URL": db_url, "USER": "ops", "COLUMNS": "200"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    listed = run("queue")
    assert listed.returncode == 0, listed.stderr
    assert "from a subprocess" in listed.stdout
    acted = run("moderate", str(cid), "reject")
    assert acted.returncode == 1 and acted.stderr.strip() == (
        "error: a reason is required to reject a comment"
    )
    acted = run("moderate", str(cid), "reject", "--reason", "spam-like")
    assert acted.returncode == 0 and "pending -> rejected" in acted.stdout
    assert get_comment(engine, cid).status is CommentStatus.REJECTED


def test_out_of_range_ids_are_clean_errors(engine: Engine, db_url: str) -> None:
    huge = str(2**40)
    for args, message in [
        (["moderate", huge, "approve"], f"comment {huge} not found"),
        (["close", huge, "--reason", "x"], f"thread {huge} not found"),
        (["queue", "--thread", huge], "is not a thread id"),
        (["history", huge], f"comment {huge} not found"),
    ]:
        result = _run(db_url, *args)
        assert result.exit_code == 1 and message in result.output, result.output


def test_queue_as_json_walks_all_pages(engine: Engine, db_url: str) -> None:
    import json

    tid = make_thread(engine, title="Gold")
    made = [
        make_comment(engine, tid, body=f"json {i}", posted_at=T0 + timedelta(minutes=i))
        for i in range(7)
    ]
    seen: list[int] = []
    cursor: str | None = None
    while True:
        args = ["queue", "--json", "--limit", "3"] + (["--cursor", cursor] if cursor else [])
        result = _run(db_url, *args)
        assert result.exit_code == 0, result.output
        page = json.loads(result.output)
        assert page["total"] == 7
        seen += [item["comment"]["id"] for item in page["items"]]
        assert all(
            i["article_title"] == "Gold" and i["comment"]["status"] == "pending"
            for i in page["items"]
        )
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made
