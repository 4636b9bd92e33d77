"""`threads author ...` and `threads authors` through the real CLI and database: the same
library calls and JSON shapes as the API, audited, with one-line errors and exit code 1."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.moderation_support import events, get_comment, make_comment, make_thread
from threads.models import CommentStatus, EventTarget

runner = CliRunner()
SITE = "example.org"


def _run(db_url: str, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(
        app, list(args), env={"THREADS_DATABASE_URL": db_url, "USER": "mia", "COLUMNS": "200"}
    )


def test_standing_is_shown_set_and_audited(engine: Engine, db_url: str) -> None:
    thread = make_thread(engine)
    make_comment(engine, thread, author="Zoe", email="zoe@example.net")
    shown = _run(db_url, "author", "standing", SITE, "ZOE@example.net")
    assert shown.exit_code == 0, shown.output
    assert "author zoe@example.net on example.org: normal" in shown.output
    assert "comments: 1 (pending 1," in shown.output
    banned = _run(
        db_url, "author", "standing", SITE, "zoe@example.net", "--set", "banned", "-r", "spam"
    )
    assert banned.exit_code == 0, banned.output
    assert "banned" in banned.output and "set by mia" in banned.output and ": spam" in banned.output
    [event] = events(engine, target=EventTarget.AUTHOR)
    assert (event.actor, event.from_state, event.to_state, event.reason) == (
        "mia",
        "normal",
        "banned",
        "spam",
    )
    as_json = _run(db_url, "author", "standing", SITE, "zoe@example.net", "--json")
    body = json.loads(as_json.output)
    assert body["standing"] == "banned" and body["set_by"] == "mia" and body["pending"] == 1
    assert body["set_at"].endswith("Z")


def test_bad_standing_values_exit_1_with_one_line(engine: Engine, db_url: str) -> None:
    make_thread(engine)
    cases = [
        (["--set", "exiled", "-r", "x"], "--set must be one of: trusted, normal, premoderated"),
        (["--set", "banned"], "a reason is required to make an author banned"),
        (["-r", "why"], "--reason goes with --set STANDING"),
    ]
    for extra, message in cases:
        result = _run(db_url, "author", "standing", SITE, "zoe", *extra)
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output
    nowhere = _run(db_url, "author", "standing", "nowhere", "zoe")
    assert nowhere.exit_code == 1 and "no site with key 'nowhere'" in nowhere.output
    assert events(engine, target=EventTarget.AUTHOR) == []


def test_authors_lists_by_standing_in_the_api_page_shape(engine: Engine, db_url: str) -> None:
    make_thread(engine)
    for author, standing in [("a", "banned"), ("b", "trusted"), ("c", "banned")]:
        assert _run(db_url, "author", "standing", SITE, author, "--set", standing, "-r", "x")
    table = _run(db_url, "authors", "--standing", "banned")
    assert table.exit_code == 0, table.output
    assert "authors (2 matching)" in table.output and "trusted" not in table.output
    page = json.loads(_run(db_url, "authors", "--standing", "banned", "-n", "1", "--json").output)
    assert set(page) == {"items", "total", "next_cursor"} and page["total"] == 2
    assert [i["author_key"] for i in page["items"]] == ["a"] and page["next_cursor"]
    wrong = _run(db_url, "authors", "--standing", "nice")
    assert wrong.exit_code == 1 and "--standing must be one of" in wrong.output


def test_reject_pending_rejects_the_authors_pending_comments(engine: Engine, db_url: str) -> None:
    thread = make_thread(engine)
    mine = [make_comment(engine, thread, author="Zoe", body=f"Comment {n} here") for n in (1, 2)]
    other = make_comment(engine, thread, author="Yan")
    missing = _run(db_url, "author", "reject-pending", SITE, "zoe")
    assert missing.exit_code == 1 and "--reason" in missing.output
    result = _run(db_url, "author", "reject-pending", SITE, "zoe", "-r", "flood", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "site": SITE,
        "author_key": "zoe",
        "rejected": 2,
        "comment_ids": mine,
    }
    assert [get_comment(engine, i).status for i in mine] == [CommentStatus.REJECTED] * 2
    assert get_comment(engine, other).status is CommentStatus.PENDING
    again = _run(db_url, "author", "reject-pending", SITE, "zoe", "-r", "flood")
    assert again.exit_code == 0 and "rejected 0 pending comments" in again.output
