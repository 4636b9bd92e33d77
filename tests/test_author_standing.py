"""Author standing in the library: each standing's effect on a public submission, setting it
(audited, role and input checked), rejecting all pending comments of an author, the listing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.moderation_support import T0, count, events, get_comment, make_comment, make_thread
from tests.sites import site_id
from threads.config import Settings
from threads.db import session_scope
from threads.errors import AuthorBanned, Conflict, Forbidden, InvalidInput, NotFound
from threads.models import (
    Article,
    Comment,
    CommentStatus,
    EventTarget,
    PreModeration,
    Role,
    Standing,
    Thread,
)
from threads.moderation.audit import Actor
from threads.moderation.authors import (
    get_author,
    list_standings,
    reject_pending,
    set_standing,
)
from threads.moderation.history import comment_history, thread_history
from threads.moderation.submission import Submission, SubmissionResult, submit_comment

NOW = T0 + timedelta(hours=1)
SITE = "example.org"
MOD = Actor.user("maria")
BODY = "A considered view on the gold reserves question."


def _thread_in(engine: Engine, site: str, **fields: object) -> int:
    with session_scope(engine) as session:
        article = Article(
            site_id=site_id(session, site),
            key=f"test:{site}",
            title=f"On {site}",
            source_format="test",
            content_hash="h" * 64,
            published_at=T0,
        )
        session.add(article)
        session.flush()
        assert article.id is not None
        thread = Thread(article_id=article.id, **fields)
        session.add(thread)
        session.flush()
        assert thread.id is not None
        return thread.id


def _submit(
    engine: Engine,
    settings: Settings,
    thread_id: int,
    *,
    author: str = "Zoe",
    email: str | None = "zoe@example.net",
    body: str = BODY,
) -> SubmissionResult:
    with session_scope(engine) as session:
        return submit_comment(
            session,
            thread_id,
            Submission(author_name=author, body=body, author_email=email),
            settings=settings,
            now=NOW,
        )


def _set(engine: Engine, author: str, standing: str, reason: str | None = "spam run") -> None:
    with session_scope(engine) as session:
        set_standing(session, SITE, author, standing, actor=MOD, role=Role.MODERATOR, reason=reason)


# --------------------------------------------------------------------------- submissions


def test_normal_author_follows_the_thread_policy(engine: Engine, settings: Settings) -> None:
    held = make_thread(engine, premoderation=PreModeration.ALL)
    open_ = make_thread(engine, premoderation=PreModeration.NONE)
    assert _submit(engine, settings, held).status is CommentStatus.PENDING
    assert _submit(engine, settings, open_, body=BODY + " Again.").status is CommentStatus.APPROVED


def test_trusted_author_skips_premoderation_but_not_the_word_list(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    words = tmp_path / "words.toml"
    words.write_text('version = "t"\n[hold]\nwords = ["casino bonus"]\n', encoding="utf-8")
    thread = make_thread(engine, premoderation=PreModeration.ALL)
    _set(engine, "Zoe@Example.net", "trusted", reason=None)
    result = _submit(engine, settings, thread)
    assert result.status is CommentStatus.APPROVED
    [approve] = events(engine, result.comment.id)
    assert approve.actor == "rule:submission@1" and "trusted author" in (approve.reason or "")
    spammy = _submit(
        engine, settings.with_(wordlist_path=words), thread, body="Try the casino bonus today!"
    )
    assert spammy.status is CommentStatus.PENDING
    assert [e.actor for e in events(engine, spammy.comment.id)] == ["rule:wordlist@t"]


def test_premoderated_author_is_held_whatever_the_policy(
    engine: Engine, settings: Settings
) -> None:
    thread = make_thread(engine, premoderation=PreModeration.NONE)
    _set(engine, "zoe@example.net", "premoderated")
    result = _submit(engine, settings, thread)
    assert result.status is CommentStatus.PENDING
    [held] = events(engine, result.comment.id)
    assert held.actor == "rule:standing@1" and held.action == "hold"
    assert "premoderated" in (held.reason or "")
    # the standing's event shows in the comment's history
    with Session(engine) as session:
        page = comment_history(session, result.comment.id or 0)
    assert [e.actor for e in page.items] == ["rule:standing@1"]


def test_banned_author_is_refused_and_nothing_is_stored(engine: Engine, settings: Settings) -> None:
    thread = make_thread(engine, premoderation=PreModeration.NONE)
    _set(engine, "zoe@example.net", "banned")
    before = count(engine, Comment)
    with pytest.raises(AuthorBanned, match="does not accept comments from this author") as err:
        _submit(engine, settings, thread, author="Another Name")  # same e-mail: same author
    assert err.value.code == "author_banned"
    assert count(engine, Comment) == before
    # the e-mail decides, not the name; without an e-mail the name is the key
    assert _submit(engine, settings, thread, email=None).status is CommentStatus.APPROVED


def test_a_standing_holds_in_its_own_site_only(engine: Engine, settings: Settings) -> None:
    make_thread(engine)  # makes the site example.org
    elsewhere = _thread_in(engine, "other.example", premoderation=PreModeration.NONE)
    _set(engine, "zoe@example.net", "banned")
    assert _submit(engine, settings, elsewhere).status is CommentStatus.APPROVED


# --------------------------------------------------------------------------- setting it


def test_setting_a_standing_is_audited_and_kept_with_who_when_why(engine: Engine) -> None:
    thread = make_thread(engine)
    make_comment(engine, thread, author="Zoe", email="zoe@example.net", status=CommentStatus.SPAM)
    with session_scope(engine) as session:
        record = set_standing(
            session,
            SITE.upper(),
            " ZOE@example.net ",
            "banned",
            actor=MOD,
            role=Role.MODERATOR,
            reason=" sells pills ",
            now=NOW,
        )
    assert (record.site, record.author_key, record.standing) == (SITE, "zoe@example.net", "banned")
    assert (record.set_by, record.set_at, record.reason) == ("maria", NOW, "sells pills")
    assert record.counts[CommentStatus.SPAM] == 1 and record.comments == 1
    [event] = events(engine, target=EventTarget.AUTHOR)
    assert (event.actor, event.action, event.from_state, event.to_state) == (
        "maria",
        "standing",
        "normal",
        "banned",
    )
    assert event.reason == "sells pills" and event.extra["author_key"] == "zoe@example.net"
    _set(engine, "zoe@example.net", "normal", reason=None)
    with Session(engine) as session:
        again = get_author(session, SITE, "zoe@example.net")
    assert again.standing is Standing.NORMAL and again.reason is None
    assert [e.to_state for e in events(engine, target=EventTarget.AUTHOR)] == ["banned", "normal"]


def test_an_author_never_acted_on_is_normal(engine: Engine) -> None:
    make_thread(engine)
    with Session(engine) as session:
        record = get_author(session, SITE, "nobody@example.net")
    assert record.standing is Standing.NORMAL and record.set_by is None and record.comments == 0


@pytest.mark.parametrize(
    ("standing", "reason", "role", "error", "message"),
    [
        ("exiled", "x", Role.MODERATOR, InvalidInput, "trusted, normal, premoderated, banned"),
        ("banned", None, Role.MODERATOR, InvalidInput, "a reason is required"),
        ("premoderated", "  ", Role.MODERATOR, InvalidInput, "a reason is required"),
        ("banned", "x", Role.VIEWER, Forbidden, "viewer role may not"),
    ],
)
def test_bad_standing_changes_are_refused_and_change_nothing(
    engine: Engine,
    standing: str,
    reason: str | None,
    role: Role,
    error: type[Exception],
    message: str,
) -> None:
    make_thread(engine)
    with pytest.raises(error, match=message), session_scope(engine) as session:
        set_standing(session, SITE, "zoe", standing, actor=MOD, role=role, reason=reason)
    assert events(engine, target=EventTarget.AUTHOR) == []


def test_unknown_site_empty_author_and_unchanged_standing_are_refused(engine: Engine) -> None:
    make_thread(engine)
    with pytest.raises(NotFound, match="no site with key 'nowhere'"), session_scope(engine) as s:
        set_standing(s, "nowhere", "zoe", "trusted", actor=MOD, role=Role.MODERATOR)
    with pytest.raises(InvalidInput, match="author must be"), session_scope(engine) as s:
        set_standing(s, SITE, "   ", "trusted", actor=MOD, role=Role.MODERATOR)
    _set(engine, "zoe", "trusted", reason=None)
    with pytest.raises(Conflict, match="already trusted") as err, session_scope(engine) as s:
        set_standing(s, SITE, "ZOE", "trusted", actor=MOD, role=Role.MODERATOR)
    assert err.value.code == "standing_unchanged"


def test_listing_filters_by_standing_and_site_and_pages(engine: Engine) -> None:
    make_thread(engine)
    for name, standing in [("a", "banned"), ("b", "trusted"), ("c", "banned"), ("d", "banned")]:
        _set(engine, name, standing)
    with Session(engine) as session:
        first = list_standings(session, standings=["banned"], limit=2)
        second = list_standings(session, standings=["banned"], limit=2, cursor=first.next_cursor)
        everyone = list_standings(session, site=SITE)
        with pytest.raises(InvalidInput, match="standing must be one of"):
            list_standings(session, standings=["nice"])
    assert [r.author_key for r in first.items] == ["a", "c"] and first.total == 3
    assert [r.author_key for r in second.items] == ["d"] and second.next_cursor is None
    assert everyone.total == 4


# --------------------------------------------------------------------------- reject all pending


def test_reject_all_pending_of_an_author_is_one_audited_action(engine: Engine) -> None:
    thread = make_thread(engine)
    other_thread = make_thread(engine, title="Another")
    mine = [
        make_comment(engine, thread, author="Zoe", email="zoe@example.net"),
        make_comment(engine, other_thread, author="Zoe", email="ZOE@example.net"),
    ]
    kept = make_comment(
        engine, thread, author="Zoe", email="zoe@example.net", status=CommentStatus.APPROVED
    )
    someone_else = make_comment(engine, thread, author="Yan", email="yan@example.net")
    elsewhere = make_comment(
        engine, _thread_in(engine, "other.example"), author="Zoe", email="zoe@example.net"
    )
    with session_scope(engine) as session:
        result = reject_pending(
            session, SITE, "zoe@example.net", actor=MOD, role=Role.MODERATOR, reason="flood"
        )
    assert result.comment_ids == mine
    assert [get_comment(engine, i).status for i in mine] == [CommentStatus.REJECTED] * 2
    for untouched, status in [
        (kept, CommentStatus.APPROVED),
        (someone_else, CommentStatus.PENDING),
        (elsewhere, CommentStatus.PENDING),
    ]:
        assert get_comment(engine, untouched).status is status
    [bulk] = events(engine, target=EventTarget.AUTHOR)
    assert (bulk.action, bulk.reason, bulk.extra["comment_ids"]) == (
        "reject_pending",
        "flood",
        mine,
    )
    with Session(engine) as session:
        trail = comment_history(session, mine[0]).items
        thread_trail = thread_history(session, other_thread).items
    assert [(e.action, e.reason, e.extra["bulk"]) for e in trail] == [
        ("reject", "flood", "reject_pending")
    ]
    assert [(e.target_id, e.action) for e in thread_trail] == [(mine[1], "reject")]


def test_reject_all_pending_needs_a_reason_and_a_moderator(engine: Engine) -> None:
    thread = make_thread(engine)
    pending = make_comment(engine, thread, author="Zoe")
    with pytest.raises(InvalidInput, match="a reason is required"), session_scope(engine) as s:
        reject_pending(s, SITE, "zoe", actor=MOD, role=Role.MODERATOR, reason=" ")
    with pytest.raises(Forbidden), session_scope(engine) as s:
        reject_pending(s, SITE, "zoe", actor=MOD, role=Role.VIEWER, reason="x")
    assert get_comment(engine, pending).status is CommentStatus.PENDING
    with session_scope(engine) as s:
        nothing = reject_pending(s, SITE, "yan", actor=MOD, role=Role.MODERATOR, reason="x")
    assert nothing.comment_ids == [] and events(engine, target=EventTarget.AUTHOR) == []


def test_the_front_door_sets_standing_and_rejects_pending(engine: Engine, db_url: str) -> None:
    import threads

    thread = make_thread(engine)
    pending = make_comment(engine, thread, author="Zoe")
    with threads.Database(db_url) as db:
        record = db.set_standing(SITE, "Zoe", "premoderated", by="ann", reason="watch her")
        assert record.standing is Standing.PREMODERATED and record.set_by == "ann"
        assert db.author(SITE, "zoe").counts[CommentStatus.PENDING] == 1
        assert db.reject_pending(SITE, "zoe", by="ann", reason="flood").comment_ids == [pending]
    assert get_comment(engine, pending).status is CommentStatus.REJECTED
