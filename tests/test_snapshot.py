"""A thread as readers saw it, replayed from the audit trail: the property that the replay at
each event's time gives what the live public view showed then, on both backends; the archival
page and JSON lines; the CLI, the API and the console."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from cli.app import app
from tests.api_fixtures import Keys, assert_problem, client, keys  # noqa: F401
from tests.moderation_support import T0, make_comment, make_thread
from tests.test_policy_dry_run import sign_in
from threads.api import views
from threads.archive.snapshot_page import snapshot_html, snapshot_jsonl
from threads.config import Settings
from threads.db import session_scope
from threads.errors import ThreadsError
from threads.models import CommentStatus, ModerationEvent, PreModeration, Role
from threads.moderation.audit import Actor
from threads.moderation.replay import PURGED_TEXT, Snapshot, snapshot
from threads.moderation.reports import report_comment
from threads.moderation.service import apply_action
from threads.moderation.submission import Submission, submit_comment
from threads.moderation.threads import close_thread, reopen_thread

runner = CliRunner()
MOD = Actor.user("mod")
BODIES = (
    "A calm remark about gold reserves.",
    "You idiot, that is wrong about gold.",
    "Read http://a.example and http://b.example and http://c.example today.",
    "Short but fine.",
)
ACTIONS = ("approve", "reject", "spam", "flag", "delete", "restore", "purge")

Op = tuple[str, int, int]
ops = st.lists(
    st.one_of(
        st.tuples(st.just("submit"), st.integers(0, len(BODIES) - 1), st.integers(-1, 8)),
        st.tuples(st.sampled_from(ACTIONS), st.integers(0, 8), st.integers(0, 2)),
        st.tuples(st.just("report"), st.integers(0, 8), st.integers(0, 1000)),
        st.tuples(st.sampled_from(["close", "reopen"]), st.just(0), st.just(0)),
    ),
    min_size=1,
    max_size=14,
)


def _snap(engine: Engine, thread_id: int, at: datetime) -> Snapshot:
    with engine.connect() as conn:
        found = snapshot(conn, thread_id, at)
        conn.rollback()
    return found


def _public_ids(engine: Engine, thread_id: int) -> set[int]:
    """The comment ids the live public view lists (the API's public flat listing)."""
    with Session(engine) as session:
        page = views.thread_comments(
            session, thread_id, full=False, view="flat", cursor=None, limit=500, codebook="x"
        )
    return {item.id for item in page.items}


def _public_holders(engine: Engine, thread_id: int) -> dict[int, int | None]:
    """comment id -> the visible comment it hangs under in the live public tree."""
    with Session(engine) as session:
        page = views.thread_comments(
            session, thread_id, full=False, view="tree", cursor=None, limit=500, codebook="x"
        )
    holders: dict[int, int | None] = {}

    def walk(node: Any, parent: int | None) -> None:
        holders[node.id] = parent
        for child in node.replies or []:
            walk(child, node.id)

    for root in page.items:
        walk(root, None)
    return holders


def _apply(engine: Engine, settings: Settings, thread: int, op: Op, comments: list[int]) -> bool:
    """Do one operation; False when the rules refused it (nothing was written)."""
    kind, a, b = op
    try:
        with session_scope(engine) as session:
            if kind == "submit":
                parent = comments[b % len(comments)] if b >= 0 and comments else None
                done = submit_comment(
                    session,
                    thread,
                    Submission(
                        author_name=f"author {a}",
                        body=BODIES[a],
                        author_email=f"a{a}@example.org",
                        parent_id=parent,
                    ),
                    settings=settings,
                )
                assert done.comment.id is not None
                comments.append(done.comment.id)
            elif kind == "report":
                if not comments:
                    return False
                report_comment(session, comments[a % len(comments)], "spam", reporter=f"r{b}")
            elif kind == "close":
                close_thread(session, thread, actor=MOD, reason="enough")
            elif kind == "reopen":
                reopen_thread(session, thread, actor=MOD, settings=settings)
            else:
                if not comments:
                    return False
                apply_action(
                    session,
                    comments[a % len(comments)],
                    kind,
                    actor=MOD,
                    role=Role.ADMIN,
                    reason="because",
                )
    except ThreadsError:
        return False
    return True


def _last_event_time(engine: Engine) -> datetime:
    with engine.connect() as conn:
        stmt = sa.select(sa.func.max(ModerationEvent.created_at))  # type: ignore[arg-type]
        newest = conn.execute(stmt).scalar_one()
    assert newest is not None
    return newest if newest.tzinfo else newest.replace(tzinfo=UTC)


@hsettings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=ops,
    policy=st.sampled_from([p.value for p in PreModeration]),
)
def test_replaying_the_audit_trail_gives_what_readers_saw_after_each_event(
    engine: Engine, settings: Settings, steps: list[Op], policy: str
) -> None:
    thread = make_thread(engine, published_at=None)
    live = settings.with_(premoderation=policy)
    comments: list[int] = []
    seen: dict[datetime, set[int]] = {}
    before = datetime.now(UTC) - timedelta(seconds=1)
    for op in steps:
        if _apply(engine, live, thread, op, comments):
            seen[_last_event_time(engine)] = _public_ids(engine, thread)
    assert _snap(engine, thread, before).visible_ids == set()
    for when, visible in seen.items():
        assert _snap(engine, thread, when).visible_ids == visible, (when, steps)
    now = _snap(engine, thread, datetime.now(UTC) + timedelta(seconds=1))
    holders = _public_holders(engine, thread)
    assert {c.id: c.parent_id for c in now.comments} == holders


def _thread_with_history(engine: Engine) -> tuple[int, dict[str, int], datetime]:
    """Comments approved at T0; one deleted and one purged later (at T0 + 1 day or so)."""
    thread = make_thread(engine, title="Gold & <b>reserves</b>")
    ids = {
        "kept": make_comment(
            engine, thread, body="<script>alert(1)</script> & fine", status=CommentStatus.APPROVED
        ),
        "deleted": make_comment(
            engine, thread, body="Later deleted, still readable", status=CommentStatus.APPROVED
        ),
        "purged": make_comment(
            engine, thread, body="My phone is 555-0100", status=CommentStatus.APPROVED
        ),
        "pending": make_comment(engine, thread, body="never shown", status=CommentStatus.PENDING),
    }
    ids["reply"] = make_comment(
        engine,
        thread,
        body="a reply under the deleted one",
        status=CommentStatus.APPROVED,
        parent_id=ids["deleted"],
    )
    for name, action in (("deleted", "delete"), ("purged", "purge")):
        with session_scope(engine) as session:
            apply_action(session, ids[name], action, actor=MOD, role=Role.ADMIN)
    return thread, ids, T0 + timedelta(minutes=5)


def test_a_snapshot_shows_deleted_text_as_it_read_and_a_purged_one_as_removed(
    engine: Engine,
) -> None:
    thread, ids, then = _thread_with_history(engine)
    old = _snap(engine, thread, then)
    by_id = {c.id: c for c in old.comments}
    assert set(by_id) == {ids["kept"], ids["deleted"], ids["purged"], ids["reply"]}
    assert by_id[ids["deleted"]].text == "Later deleted, still readable"
    assert by_id[ids["purged"]].text == PURGED_TEXT and by_id[ids["purged"]].author_name is None
    assert by_id[ids["reply"]].parent_id == ids["deleted"] and by_id[ids["reply"]].depth == 1
    new = _snap(engine, thread, datetime.now(UTC) + timedelta(seconds=1))
    assert new.visible_ids == {ids["kept"], ids["reply"]}
    assert {c.id: c.parent_id for c in new.comments}[ids["reply"]] is None  # climbs to the top
    assert _snap(engine, thread, T0 - timedelta(days=1)).visible_ids == set()


def test_the_archival_page_is_self_contained_escaped_and_hashed(engine: Engine) -> None:
    thread, ids, then = _thread_with_history(engine)
    snap = _snap(engine, thread, then)
    page = snapshot_html(snap)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; fine" in page
    assert "Gold &amp; &lt;b&gt;reserves&lt;/b&gt;" in page
    assert not re.search(r"""(src|href)\s*=""", page)  # nothing loaded from elsewhere
    assert "<style>" in page and snap.sha256() in page
    lines = snapshot_jsonl(snap).splitlines(keepends=True)
    manifest = json.loads(lines[0])
    assert manifest["format"] == "threads-snapshot" and manifest["comments"] == 4
    assert manifest["source"]["thread_id"] == thread
    content = "".join(lines[1:]).encode("utf-8")
    assert hashlib.sha256(content).hexdigest() == manifest["sha256"] == snap.sha256()
    assert [json.loads(line)["id"] for line in lines[1:]] == [c.id for c in snap.comments]


def test_the_cli_writes_a_snapshot_whole_and_names_bad_input(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    thread, ids, then = _thread_with_history(engine)
    base = ["--database-url", settings.database_url, "snapshot"]
    out = tmp_path / "thread.html"
    done = runner.invoke(app, [*base, str(thread), "--at", then.isoformat(), "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "4 comments visible" in done.output
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    lines = runner.invoke(
        app, [*base, str(thread), "--at", "2026-01-10T12:05", "--format", "jsonl"]
    )
    assert lines.exit_code == 0, lines.output
    assert json.loads(lines.output.splitlines()[0])["at"] == "2026-01-10T12:05:00Z"
    bad_time = runner.invoke(app, [*base, str(thread), "--at", "yesterday"])
    assert bad_time.exit_code == 1 and "--at must be an ISO date" in bad_time.output
    bad_format = runner.invoke(app, [*base, str(thread), "--at", "2026-01-10", "--format", "pdf"])
    assert bad_format.exit_code == 1 and "--format" in bad_format.output
    missing = runner.invoke(app, [*base, "999999", "--at", "2026-01-10"])
    assert missing.exit_code == 1 and "thread 999999 not found" in missing.output


def test_the_api_snapshot_for_viewers(
    engine: Engine,
    client: TestClient[Any],  # noqa: F811
    keys: Keys,  # noqa: F811
) -> None:
    thread, ids, then = _thread_with_history(engine)
    viewer = Keys.header(keys.viewer)
    url = f"/api/threads/{thread}/snapshot"
    answer = client.get(url, params={"at": "2026-01-10T12:05:00Z"}, headers=viewer)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["manifest"]["comments"] == 4 and len(data["comments"]) == 4
    assert data["times"] == sorted(data["times"])
    assert_problem(client.get(url, params={"at": "2026-01-10"}), 401)
    assert (
        assert_problem(client.get(url, params={"at": "soon"}, headers=viewer), 422)["field"] == "at"
    )
    assert_problem(
        client.get("/api/threads/999999/snapshot", params={"at": "2026-01-10"}, headers=viewer),
        404,
    )


def test_the_console_snapshot_page_has_a_slider_that_works_without_script(
    engine: Engine,
    client: TestClient[Any],  # noqa: F811
    keys: Keys,  # noqa: F811
) -> None:
    thread, ids, then = _thread_with_history(engine)
    sign_in(client, keys.viewer)
    now = client.get(f"/console/threads/{thread}/snapshot")
    assert now.status_code == 200, now.text
    assert 'type="range"' in now.text and 'name="step"' in now.text
    assert '<strong id="visible-count">2</strong>' in now.text
    first = client.get(f"/console/threads/{thread}/snapshot", params={"step": "0"})
    assert first.status_code == 200
    assert '<strong id="visible-count">' in first.text
    old = client.get(f"/console/threads/{thread}/snapshot", params={"at": "2026-01-10T12:05"})
    assert '<strong id="visible-count">4</strong>' in old.text
    assert "&lt;script&gt;" in old.text and "<script>alert" not in old.text
    download = client.get(
        f"/console/threads/{thread}/snapshot.html", params={"at": "2026-01-10T12:05:00+00:00"}
    )
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    assert download.text.startswith("<!doctype html>")
    bad = client.get(f"/console/threads/{thread}/snapshot", params={"at": "later"})
    assert bad.status_code == 400
