"""Threads: close and reopen (audited), auto-close by policy, close-stale, closed threads refuse."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from tests.moderation_support import (
    T0,
    count,
    events,
    get_thread,
    make_comment,
    make_thread,
)
from threads.config import Settings
from threads.db import session_scope
from threads.errors import Conflict, InvalidInput, NotFound, ThreadClosed
from threads.models import (
    ActorType,
    AutoCloseFrom,
    Comment,
    CommentReport,
    EventTarget,
    ModerationEvent,
    PreModeration,
    ThreadState,
)
from threads.moderation.audit import Actor
from threads.moderation.submission import Submission, submit_comment
from threads.moderation.threads import (
    close_stale,
    close_thread,
    effective_state,
    get_thread_or_404,
    reopen_thread,
    set_policy,
    state_at,
)

MOD = Actor.user("mia")
NOW = T0 + timedelta(days=30)
RULE = "rule:auto-close@1"


def _submit(
    engine: Engine, settings: Settings, thread_id: int, body: str = "Fine words here"
) -> None:
    with session_scope(engine) as session:
        submit_comment(
            session,
            thread_id,
            Submission(author_name="Zoe", body=body),
            settings=settings,
            now=NOW,
        )


def _state(engine: Engine, settings: Settings, thread_id: int, now=NOW):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return effective_state(session, get_thread_or_404(session, thread_id), settings, now)


def test_close_and_reopen_are_audited(engine: Engine, settings: Settings) -> None:
    tid = make_thread(engine)
    with session_scope(engine) as session:
        thread = close_thread(session, tid, actor=MOD, reason="flame war", now=NOW)
    assert thread.state is ThreadState.CLOSED and thread.version == 2
    stored = get_thread(engine, tid)
    assert (stored.closed_at, stored.closed_by, stored.close_reason) == (NOW, "mia", "flame war")
    with session_scope(engine) as session:
        reopen_thread(session, tid, actor=Actor.user("max"), reason="calmer now", now=NOW)
    stored = get_thread(engine, tid)
    assert stored.state is ThreadState.OPEN and stored.closed_at is None
    assert (stored.reopened_at, stored.reopened_by) == (NOW, "max")
    got = [
        (e.action, e.actor, e.from_state, e.to_state, e.reason)
        for e in events(engine, tid, EventTarget.THREAD)
    ]
    assert got == [
        ("close", "mia", "open", "closed", "flame war"),
        ("reopen", "max", "closed", "open", "calmer now"),
    ]


def test_close_needs_a_reason_and_refuses_twice(engine: Engine) -> None:
    tid = make_thread(engine)
    with pytest.raises(InvalidInput) as info, session_scope(engine) as session:
        close_thread(session, tid, actor=MOD, reason="  ")
    assert info.value.field == "reason"
    with session_scope(engine) as session:
        close_thread(session, tid, actor=MOD, reason="done")
    with pytest.raises(Conflict) as conflict, session_scope(engine) as session:
        close_thread(session, tid, actor=MOD, reason="again")
    assert conflict.value.code == "thread_already_closed"
    with pytest.raises(NotFound), session_scope(engine) as session:
        close_thread(session, 9999, actor=MOD, reason="x")
    assert len(events(engine, tid, EventTarget.THREAD)) == 1


def test_reopen_an_open_thread_is_refused(engine: Engine, settings: Settings) -> None:
    tid = make_thread(engine)
    with pytest.raises(Conflict) as info, session_scope(engine) as session:
        reopen_thread(session, tid, actor=MOD, settings=settings, now=NOW)
    assert info.value.code == "thread_already_open"


def test_closed_thread_refuses_a_comment_and_stores_nothing(
    engine: Engine, settings: Settings
) -> None:
    tid = make_thread(engine)
    parent = make_comment(engine, tid, status="approved")
    with session_scope(engine) as session:
        close_thread(session, tid, actor=MOD, reason="off topic spiral", now=NOW)
    before = (count(engine, Comment), count(engine, ModerationEvent), count(engine, CommentReport))
    for parent_id in (None, parent):
        with pytest.raises(ThreadClosed) as info, session_scope(engine) as session:
            submit_comment(
                session,
                tid,
                Submission(author_name="Zoe", body="Let me in", parent_id=parent_id),
                settings=settings,
                now=NOW,
            )
        assert info.value.code == "thread_closed"
        assert info.value.extra["closed_at"] == NOW
        assert info.value.extra["reason"] == "off topic spiral"
    after = (count(engine, Comment), count(engine, ModerationEvent), count(engine, CommentReport))
    assert after == before
    with session_scope(engine) as session:
        reopen_thread(session, tid, actor=MOD, now=NOW)
    _submit(engine, settings, tid)
    assert count(engine, Comment) == before[0] + 1


def test_auto_close_days_after_publication(engine: Engine, settings: Settings) -> None:
    tid = make_thread(engine, published_at=T0, auto_close_days=7)
    assert _state(engine, settings, tid, T0 + timedelta(days=6)).state is ThreadState.OPEN
    state = _state(engine, settings, tid, T0 + timedelta(days=7))
    assert state.state is ThreadState.CLOSED and state.auto
    assert state.closed_at == T0 + timedelta(days=7)
    assert "7 days after publication" in (state.reason or "")
    # the API and submissions treat it as closed before close-stale ran
    with pytest.raises(ThreadClosed), session_scope(engine) as session:
        submit_comment(session, tid, Submission("Zoe", "too late now"), settings=settings, now=NOW)
    assert count(engine, Comment) == 0


def test_auto_close_days_after_the_last_comment(engine: Engine, settings: Settings) -> None:
    tid = make_thread(
        engine, published_at=T0, auto_close_days=3, auto_close_from=AutoCloseFrom.LAST_COMMENT
    )
    make_comment(engine, tid, posted_at=T0 + timedelta(days=10))
    assert _state(engine, settings, tid, T0 + timedelta(days=12)).state is ThreadState.OPEN
    state = _state(engine, settings, tid, T0 + timedelta(days=13))
    assert state.state is ThreadState.CLOSED and state.closed_at == T0 + timedelta(days=13)
    assert "after the last comment" in (state.reason or "")
    # the query-free variant agrees when given the same facts
    thread = get_thread(engine, tid)
    for days in (12, 13):
        when = T0 + timedelta(days=days)
        assert state_at(
            thread, settings, when, published_at=T0, last_comment_at=T0 + timedelta(days=10)
        ) == _state(engine, settings, tid, when)


def test_settings_default_applies_and_thread_zero_disables_it(engine: Engine) -> None:
    settings = Settings(database_url=str(engine.url), auto_close_days=5)
    default = make_thread(engine, published_at=T0)
    never = make_thread(engine, published_at=T0, auto_close_days=0)
    undated = make_thread(engine, published_at=None)
    assert _state(engine, settings, default).state is ThreadState.CLOSED
    assert _state(engine, settings, never).state is ThreadState.OPEN
    assert _state(engine, settings, undated).state is ThreadState.OPEN


def test_manual_reopen_overrides_auto_close_until_the_policy_is_set_again(
    engine: Engine, settings: Settings
) -> None:
    tid = make_thread(engine, published_at=T0, auto_close_days=2)
    assert _state(engine, settings, tid).state is ThreadState.CLOSED
    with session_scope(engine) as session:  # reopen a thread only past its time
        reopen_thread(session, tid, actor=MOD, settings=settings, now=NOW)
    assert _state(engine, settings, tid).state is ThreadState.OPEN
    _submit(engine, settings, tid)
    with session_scope(engine) as session:
        assert close_stale(session, settings, NOW + timedelta(days=100), actor=MOD) == []
    with session_scope(engine) as session:
        set_policy(session, tid, actor=MOD, auto_close_days=40)
    assert _state(engine, settings, tid).state is ThreadState.OPEN
    assert _state(engine, settings, tid, T0 + timedelta(days=40)).state is ThreadState.CLOSED


def test_close_stale_closes_exactly_the_stale_ones_and_audits_them(engine: Engine) -> None:
    settings = Settings(database_url=str(engine.url), auto_close_days=20)
    stale_default = make_thread(engine, published_at=T0)
    fresh_default = make_thread(engine, published_at=NOW - timedelta(days=1))
    stale_own = make_thread(engine, published_at=NOW - timedelta(days=3), auto_close_days=2)
    lively = make_thread(engine, published_at=T0, auto_close_from=AutoCloseFrom.LAST_COMMENT)
    make_comment(engine, lively, posted_at=NOW - timedelta(days=1))
    quiet = make_thread(engine, published_at=T0, auto_close_from=AutoCloseFrom.LAST_COMMENT)
    make_comment(engine, quiet, posted_at=NOW - timedelta(days=25))
    never = make_thread(engine, published_at=T0, auto_close_days=0)
    already = make_thread(engine, published_at=T0)
    with session_scope(engine) as session:
        close_thread(session, already, actor=MOD, reason="manual", now=T0)
    reopened = make_thread(engine, published_at=T0)
    with session_scope(engine) as session:
        reopen_thread(session, reopened, actor=MOD, settings=settings, now=NOW)

    with session_scope(engine) as session:
        dry = close_stale(session, settings, NOW, actor=MOD, dry_run=True)
    expected = sorted([stale_default, stale_own, quiet])
    assert sorted(dry) == expected
    assert get_thread(engine, stale_default).state is ThreadState.OPEN  # dry run wrote nothing

    with session_scope(engine) as session:
        closed = close_stale(session, settings, NOW, actor=MOD)
    assert sorted(closed) == expected
    for tid in expected:
        thread = get_thread(engine, tid)
        assert thread.state is ThreadState.CLOSED and thread.closed_by == RULE
        [event] = [e for e in events(engine, tid, EventTarget.THREAD) if e.action == "close"]
        assert (event.actor, event.actor_type) == (RULE, ActorType.RULE)
        assert event.extra == {"run_by": "mia"}
    assert get_thread(engine, stale_default).closed_at == T0 + timedelta(days=20)
    for tid in (fresh_default, lively, never, reopened):
        assert get_thread(engine, tid).state is ThreadState.OPEN
    state = _state(engine, settings, stale_own)
    assert state.auto and state.state is ThreadState.CLOSED
    with session_scope(engine) as session:  # running again closes nothing more
        assert close_stale(session, settings, NOW, actor=MOD) == []


def test_set_policy_is_validated_and_audited(engine: Engine) -> None:
    tid = make_thread(engine)
    with session_scope(engine) as session:
        thread = set_policy(
            session,
            tid,
            actor=MOD,
            premoderation="links",
            auto_close_days=14,
            auto_close_from=AutoCloseFrom.LAST_COMMENT,
        )
    assert thread.premoderation is PreModeration.LINKS
    assert (thread.auto_close_days, thread.auto_close_from) == (14, AutoCloseFrom.LAST_COMMENT)
    with session_scope(engine) as session:
        set_policy(session, tid, actor=MOD, premoderation=None)
    assert get_thread(engine, tid).premoderation is None
    assert get_thread(engine, tid).auto_close_days == 14  # left out: unchanged
    for kwargs, field in [
        ({"premoderation": "sometimes"}, "premoderation"),
        ({"auto_close_days": -1}, "auto_close_days"),
        ({"auto_close_from": "birthday"}, "auto_close_from"),
        ({}, "policy"),
    ]:
        with pytest.raises(InvalidInput) as info, session_scope(engine) as session:
            set_policy(session, tid, actor=MOD, **kwargs)  # type: ignore[arg-type]
        assert info.value.field == field
    policy_events = events(engine, tid, EventTarget.THREAD)
    assert [e.action for e in policy_events] == ["policy", "policy"]
    assert policy_events[0].extra["changes"]["premoderation"] == {"from": None, "to": "links"}
    assert policy_events[1].extra["changes"] == {"premoderation": {"from": "links", "to": None}}
