"""Rule dry-runs: proposed rules over past comments, through the library, the CLI, the API and
the console, on both backends; the same rules as live submissions; nothing written."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.api_fixtures import Keys, assert_problem, client, keys  # noqa: F401
from tests.moderation_support import T0, make_comment, make_thread
from threads.config import Settings
from threads.db import session_scope
from threads.models import ALL_TABLES, CommentStatus, PreModeration, Role
from threads.moderation.audit import Actor
from threads.moderation.dryrun import DryRunResult, Proposal, Scope, dry_run
from threads.moderation.service import apply_action
from threads.moderation.submission import Submission, submit_comment
from threads.moderation.threads import UNSET

runner = CliRunner()
MOD = Actor.user("mod")


def sign_in(client: TestClient[Any], key: str) -> None:
    """Sign in to the console with ``key`` through its form (CSRF token included)."""
    match = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/console/signin").text)
    assert match
    answer = client.post(
        "/console/signin",
        data={"key": key, "_csrf_token": match.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def _run(engine: Engine, settings: Settings, proposal: Proposal, scope: Scope, **kw: Any) -> Any:
    with engine.connect() as conn:
        result = dry_run(conn, settings, proposal, scope, **kw)
        conn.rollback()
    return result


def _submit(engine: Engine, settings: Settings, thread_id: int, body: str, author: str) -> int:
    with session_scope(engine) as session:
        done = submit_comment(
            session,
            thread_id,
            Submission(author_name=author, body=body, author_email=f"{author}@example.org"),
            settings=settings,
            now=None,
        )
        assert done.comment.id is not None
        return done.comment.id


def test_a_dry_run_of_the_current_rules_agrees_with_live_submissions(
    engine: Engine, settings: Settings
) -> None:
    """Each comment stored by a live submission is judged by the dry-run of the unchanged rules
    as it was judged then: the two use one function (``rules.decide``)."""
    thread = make_thread(engine, published_at=None)
    live: dict[int, str] = {}
    first = _submit(engine, settings, thread, "A first comment about gold reserves.", "ann")
    live[first] = "pending"  # first_time: held
    with session_scope(engine) as session:
        apply_action(session, first, "approve", actor=MOD, role=Role.MODERATOR)
    again = _submit(engine, settings, thread, "Ann again: prices keep going up.", "ann")
    live[again] = "approved"  # approved before: accepted
    links = _submit(
        engine, settings, thread, "See http://a.example http://b.example http://c.example", "ann"
    )
    live[links] = "pending"  # three links: held
    flagged = _submit(engine, settings, thread, "What an idiot thing to say, honestly.", "ann")
    live[flagged] = "flagged"  # the packaged word list flags it
    result = _run(engine, settings, Proposal(), Scope(thread_id=thread))
    judged = {item.comment_id: item.outcome for item in result.items}
    expected = {"pending": "hold", "approved": None, "flagged": "flag"}
    for cid, status in live.items():
        assert judged.get(cid) == expected[status], (cid, status, judged)
    assert result.total == 4


def _history(engine: Engine) -> tuple[int, dict[str, int]]:
    """A thread with comments moderators decided: spam with links, rejected insults, approved
    ordinary ones, and one pending."""
    thread = make_thread(engine, published_at=T0)
    ids = {
        "spam": make_comment(
            engine,
            thread,
            body="Cheap pills at http://x.example",
            status=CommentStatus.SPAM,
            author="s1",
            posted_at=T0 + timedelta(hours=1),
        ),
        "rejected": make_comment(
            engine,
            thread,
            body="You are a total moron, go away",
            status=CommentStatus.REJECTED,
            author="r1",
            posted_at=T0 + timedelta(hours=2),
        ),
        "approved": make_comment(
            engine,
            thread,
            body="A calm remark about gold prices.",
            status=CommentStatus.APPROVED,
            author="a1",
            posted_at=T0 + timedelta(hours=3),
        ),
        "late": make_comment(
            engine,
            thread,
            body="Another calm remark, days later.",
            status=CommentStatus.APPROVED,
            author="a1",
            posted_at=T0 + timedelta(days=3),
        ),
        "pending": make_comment(
            engine,
            thread,
            body="Waiting for a moderator.",
            status=CommentStatus.PENDING,
            author="p1",
            posted_at=T0 + timedelta(days=4),
        ),
    }
    return thread, ids


def test_proposed_rules_give_outcomes_a_confusion_table_precision_and_recall(
    engine: Engine, settings: Settings
) -> None:
    thread, ids = _history(engine)
    proposal = Proposal(
        add_words=(("hold", "moron"),),
        max_links=0,
        premoderation=PreModeration.NONE,
        auto_close_days=2,
    )
    result: DryRunResult = _run(engine, settings, proposal, Scope(thread_id=thread))
    by_id = {item.comment_id: item for item in result.items}
    assert by_id[ids["spam"]].outcome == "hold" and "links" in by_id[ids["spam"]].reasons[0]
    assert by_id[ids["rejected"]].outcome == "hold"
    assert "'moron'" in by_id[ids["rejected"]].reasons[0]
    assert by_id[ids["late"]].outcome == "closed"  # posted 3 days after publication
    assert by_id[ids["pending"]].outcome == "closed"
    assert ids["approved"] not in by_id
    assert result.total == 5
    assert result.held == 2 and result.refused == 2 and result.stopped == 4
    assert result.confusion["hold"]["spam"] == 1
    assert result.confusion["hold"]["rejected"] == 1
    assert result.confusion["closed"]["approved"] == 1
    assert result.confusion["closed"]["pending"] == 1
    assert result.confusion["accept"]["approved"] == 1
    # stopped & bad = 2, stopped & approved = 1 (the late one), missed bad = 0
    assert result.precision == 2 / 3
    assert result.recall == 1.0
    # the same thread, auto-close off and nothing else: no comment is stopped but by the
    # thread's own rules; "never" closes nothing
    never = _run(
        engine,
        settings,
        Proposal(premoderation=PreModeration.NONE, auto_close_days=0),
        Scope(thread_id=thread),
    )
    assert never.outcomes["closed"] == 0
    assert never.recall is not None and never.recall < 1.0


def test_a_date_range_and_a_site_narrow_the_comments(engine: Engine, settings: Settings) -> None:
    thread, _ = _history(engine)
    proposal = Proposal(premoderation=PreModeration.ALL)
    narrow = _run(
        engine,
        settings,
        proposal,
        Scope(site="example.org", since=T0 + timedelta(hours=2), until=T0 + timedelta(days=1)),
    )
    assert narrow.total == 2 and narrow.held == 2
    assert _run(engine, settings, proposal, Scope(thread_id=thread)).total == 5


def test_stopped_comments_come_in_keyset_pages(engine: Engine, settings: Settings) -> None:
    thread, ids = _history(engine)
    proposal = Proposal(premoderation=PreModeration.ALL, auto_close_days=UNSET)
    seen: list[int] = []
    cursor = None
    while True:
        page = _run(engine, settings, proposal, Scope(thread_id=thread), cursor=cursor, limit=2)
        assert page.stopped == 5
        seen += [item.comment_id for item in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(ids.values())


def _sqlite_path(settings: Settings) -> Path | None:
    url = sa.make_url(settings.database_url)
    return Path(url.database or "") if url.get_backend_name() == "sqlite" else None


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            m.__tablename__: int(  # type: ignore[attr-defined]
                conn.execute(sa.select(sa.func.count()).select_from(m)).scalar_one()
            )
            for m in ALL_TABLES
        }


def test_the_cli_dry_run_writes_nothing(engine: Engine, settings: Settings) -> None:
    thread, _ = _history(engine)
    counts = _row_counts(engine)
    engine.dispose()  # the last connection closing checkpoints the SQLite WAL into the file
    path = _sqlite_path(settings)
    before = hashlib.sha256(path.read_bytes()).hexdigest() if path else None
    args = ["--database-url", settings.database_url, "policy", "test", "--thread", str(thread)]
    rich = runner.invoke(app, [*args, "--premoderation", "all", "--add-word", "block:gold"])
    assert rich.exit_code == 0, rich.output
    assert "5 past comments judged" in rich.output and "refused" in rich.output
    as_json = runner.invoke(app, [*args, "--format", "json", "--link-limit", "0"])
    assert as_json.exit_code == 0, as_json.output
    assert '"total": 5' in as_json.output
    if path is not None:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert _row_counts(engine) == counts


def test_the_cli_names_a_bad_option(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    base = ["--database-url", settings.database_url, "policy", "test"]
    bad = runner.invoke(app, [*base, "--premoderation", "sometimes"])
    assert bad.exit_code == 1 and "--premoderation must be one of" in bad.output
    words = tmp_path / "w.toml"
    words.write_text("[hold\nwords=", encoding="utf-8")
    broken = runner.invoke(app, [*base, "--words", str(words)])
    assert broken.exit_code == 1 and "not valid TOML" in broken.output
    unknown = runner.invoke(app, [*base, "--site", "nowhere.example"])
    assert unknown.exit_code == 1 and "nowhere.example" in unknown.output
    # the old form of the command still shows a thread's policy
    thread = make_thread(engine)
    shown = runner.invoke(app, ["--database-url", settings.database_url, "policy", str(thread)])
    assert shown.exit_code == 0 and f"thread {thread}: open" in shown.output


def test_the_api_dry_run_for_moderators_with_problem_details(
    engine: Engine,
    client: TestClient[Any],  # noqa: F811
    keys: Keys,  # noqa: F811
) -> None:
    thread, ids = _history(engine)
    counts = _row_counts(engine)
    body = {
        "thread_id": thread,
        "add_words": [{"word": "moron", "tier": "block"}],
        "premoderation": "none",
        "link_limit": 0,
        "limit": 1,
    }
    moderator = Keys.header(keys.moderator)
    answer = client.post("/api/policy/dry-run", json=body, headers=moderator)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["total"] == 5 and data["refused"] == 1 and data["held"] == 1
    assert data["confusion"]["block"]["rejected"] == 1
    page = data["comments"]
    assert set(page) == {"items", "total", "next_cursor"}
    assert page["total"] == 2 and page["items"][0]["comment_id"] == ids["spam"]
    second = client.post(
        "/api/policy/dry-run", json={**body, "cursor": page["next_cursor"]}, headers=moderator
    ).json()["comments"]
    assert second["items"][0]["comment_id"] == ids["rejected"] and second["next_cursor"] is None
    assert _row_counts(engine) == counts
    viewer = client.post("/api/policy/dry-run", json=body, headers=Keys.header(keys.viewer))
    assert_problem(viewer, 403)
    assert_problem(client.post("/api/policy/dry-run", json=body), 401)
    bad = client.post(
        "/api/policy/dry-run", json={**body, "premoderation": "often"}, headers=moderator
    )
    assert "premoderation" in assert_problem(bad, 400)["detail"]
    toml = client.post("/api/policy/dry-run", json={"words": "[hold"}, headers=moderator)
    assert assert_problem(toml, 422)["field"] == "words"
    window = {"since": "2024-02-01T00:00:00Z", "until": "2024-01-01T00:00:00Z"}
    assert (
        assert_problem(client.post("/api/policy/dry-run", json=window, headers=moderator), 422)[
            "field"
        ]
        == "since"
    )
    missing = client.post("/api/policy/dry-run", json={"thread_id": 999999}, headers=moderator)
    assert_problem(missing, 404)
    document = client.get("/schema/openapi.json").json()
    assert "post" in document["paths"]["/api/policy/dry-run"]


def test_the_console_dry_run_page_works_as_a_plain_form(
    engine: Engine,
    client: TestClient[Any],  # noqa: F811
    keys: Keys,  # noqa: F811
) -> None:
    thread, _ = _history(engine)
    sign_in(client, keys.moderator)
    empty = client.get("/console/policy/dry-run")
    assert empty.status_code == 200 and 'name="premoderation"' in empty.text
    params = {
        "thread": str(thread),
        "premoderation": "all",
        "add_words": "block:moron\n<script>x</script>",
        "run": "1",
    }
    page = client.get("/console/policy/dry-run", params=params)
    assert page.status_code == 200, page.text
    assert "5 past comments judged" in page.text
    assert "past comments judged" in page.text and "<script>x" not in page.text
    bad = client.get("/console/policy/dry-run", params={**params, "link_limit": "lots"})
    assert bad.status_code == 200 and "link_limit must be a whole number" in bad.text
