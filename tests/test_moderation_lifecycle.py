"""The comment lifecycle: the full status x action table, roles, audit events, version conflicts."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.moderation_support import count, events, get_comment, make_comment, make_thread
from threads.db import session_scope
from threads.errors import ActionNotAllowed, Conflict, Forbidden, InvalidInput, NotFound
from threads.models import (
    ActorType,
    Comment,
    CommentReport,
    CommentStatus,
    CommentTopic,
    LabelSource,
    ModerationEvent,
    Role,
)
from threads.moderation.audit import Actor
from threads.moderation.history import comment_history
from threads.moderation.lifecycle import ACTIONS, allowed_actions, transition
from threads.moderation.matching import content_hash_of
from threads.moderation.service import apply_action

P, A, F, R, S, D = (
    CommentStatus.PENDING,
    CommentStatus.APPROVED,
    CommentStatus.FLAGGED,
    CommentStatus.REJECTED,
    CommentStatus.SPAM,
    CommentStatus.DELETED,
)
#: restore goes back to the status before delete
BEFORE = "before"

# The specification: for each status, what each action leads to (None: refused).
#            approve  reject  spam  flag  delete  restore  purge
LIFECYCLE: dict[CommentStatus, tuple[object, ...]] = {
    P: (A, R, S, F, D, None, D),
    A: (None, R, S, F, D, None, D),
    F: (A, R, S, None, D, None, D),
    R: (A, None, S, None, D, None, D),
    S: (A, R, None, None, D, None, D),
    D: (None, None, None, None, None, BEFORE, D),
}
ORDER = ("approve", "reject", "spam", "flag", "delete", "restore", "purge")
CASES = [
    (status, action, LIFECYCLE[status][ORDER.index(action)])
    for status, action in itertools.product(CommentStatus, ORDER)
]
MOD = Actor.user("mia")
ADMIN = Actor.user("root")


def test_the_table_covers_every_action() -> None:
    assert set(ORDER) == set(ACTIONS)
    assert set(LIFECYCLE) == set(CommentStatus)


@pytest.mark.parametrize(("status", "action", "expected"), CASES, ids=lambda v: str(v))
def test_transition_follows_the_lifecycle_table(
    status: CommentStatus, action: str, expected: object
) -> None:
    if expected is None:
        with pytest.raises(ActionNotAllowed) as info:
            transition(status, action, previous=None)
        assert status.value in info.value.detail and action in info.value.detail
        assert action not in allowed_actions(status)
    elif expected == BEFORE:
        assert transition(status, action, previous=F) is F
        assert transition(status, action, previous=None) is P
    else:
        assert transition(status, action, previous=None) is expected
        assert action in allowed_actions(status)


def test_refusal_names_what_is_allowed() -> None:
    with pytest.raises(ActionNotAllowed) as info:
        transition(D, "approve", previous=A)
    assert "restore" in info.value.detail and "purge" in info.value.detail
    assert info.value.extra["allowed"] == ["restore", "purge"]


def test_unknown_action_is_invalid_input_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as info:
        transition(P, "publish", previous=None)
    assert info.value.field == "action"


@given(st.lists(st.sampled_from(ORDER), max_size=12))
def test_any_sequence_of_actions_stays_in_the_table(actions: list[str]) -> None:
    """Law: applying allowed actions one by one always gives the table's result."""
    status, before = P, None
    for action in actions:
        expected = LIFECYCLE[status][ORDER.index(action)]
        if expected is None:
            with pytest.raises(ActionNotAllowed):
                transition(status, action, previous=before)
            continue
        new = transition(status, action, previous=before)
        if action == "delete":
            before = status
        if expected == BEFORE:
            assert new is (before or P)
        status = new


@pytest.mark.parametrize("action", ORDER)
def test_every_status_and_action_in_the_database(engine: Engine, action: str) -> None:
    """The table again, through the service and the database, with its audit trail."""
    thread_id = make_thread(engine)
    for status in CommentStatus:
        extra = {"status_before_delete": F} if status is D else {}
        cid = make_comment(engine, thread_id, status=status, body=f"text {status}", **extra)
        before = get_comment(engine, cid)
        expected = LIFECYCLE[status][ORDER.index(action)]
        reason = "off topic" if action == "reject" else None
        if expected is None:
            with pytest.raises(ActionNotAllowed), session_scope(engine) as session:
                apply_action(session, cid, action, actor=ADMIN, role=Role.ADMIN, reason=reason)
            after = get_comment(engine, cid)
            assert after.model_dump() == before.model_dump()
            assert events(engine, cid) == []
            continue
        with session_scope(engine) as session:
            result = apply_action(session, cid, action, actor=ADMIN, role=Role.ADMIN, reason=reason)
        want = F if expected == BEFORE else expected
        after = get_comment(engine, cid)
        assert result.status is want and after.status is want
        assert after.version == before.version + 1
        assert after.updated_at >= before.updated_at
        [event] = events(engine, cid)
        assert (event.actor, event.actor_type, event.action) == ("root", ActorType.USER, action)
        assert (event.from_state, event.to_state) == (status.value, want.value)
        assert event.reason == reason
        assert event.thread_id == thread_id


def test_reject_without_reason_is_refused(engine: Engine) -> None:
    cid = make_comment(engine, make_thread(engine))
    for reason in (None, "", "   "):
        with pytest.raises(InvalidInput) as info, session_scope(engine) as session:
            apply_action(session, cid, "reject", actor=MOD, role=Role.MODERATOR, reason=reason)
        assert info.value.field == "reason"
    assert get_comment(engine, cid).status is P
    assert events(engine, cid) == []


def test_unknown_action_and_missing_comment(engine: Engine) -> None:
    cid = make_comment(engine, make_thread(engine))
    with pytest.raises(InvalidInput) as info, session_scope(engine) as session:
        apply_action(session, cid, "nuke", actor=MOD, role=Role.MODERATOR)
    assert info.value.field == "action"
    with pytest.raises(NotFound), session_scope(engine) as session:
        apply_action(session, 99999, "approve", actor=MOD, role=Role.MODERATOR)


def test_viewer_may_take_no_action(engine: Engine) -> None:
    cid = make_comment(engine, make_thread(engine))
    for action in ORDER:
        with pytest.raises(Forbidden), session_scope(engine) as session:
            apply_action(session, cid, action, actor=MOD, role=Role.VIEWER, reason="x")
    assert events(engine, cid) == []


def test_purge_by_moderator_is_forbidden(engine: Engine) -> None:
    cid = make_comment(engine, make_thread(engine), status=A)
    with pytest.raises(Forbidden), session_scope(engine) as session:
        apply_action(session, cid, "purge", actor=MOD, role=Role.MODERATOR)
    comment = get_comment(engine, cid)
    assert comment.body and not comment.purged
    assert events(engine, cid) == []


def test_purge_by_admin_blanks_personal_data_and_keeps_the_tombstone(engine: Engine) -> None:
    thread_id = make_thread(engine)
    secret = "My phone number is 555-0100, call me"
    cid = make_comment(
        engine,
        thread_id,
        status=A,
        body=secret,
        author="Bob",
        email="bob@example.org",
        author_url="https://bob.example.org",
    )
    reply = make_comment(engine, thread_id, status=A, parent_id=cid, body="a reply")
    with session_scope(engine) as session:
        session.add(
            CommentTopic(
                comment_id=cid,
                topic_id="gold",
                score=0.7,
                source=LabelSource.AUTO,
                taxonomy_version="v1",
                evidence=[{"term": "phone", "text": secret}],
            )
        )
        session.add(CommentReport(comment_id=cid, reason_code="personal_info", detail=secret))
        session.add(
            CommentTopic(
                comment_id=reply,
                topic_id="gold",
                score=0.7,
                source=LabelSource.AUTO,
                taxonomy_version="v1",
                evidence=[{"term": "reply"}],
            )
        )
    with session_scope(engine) as session:
        apply_action(session, cid, "purge", actor=ADMIN, role=Role.ADMIN, reason="doxxing")
    tomb = get_comment(engine, cid)
    assert tomb.purged and tomb.status is D
    assert tomb.body == "" and tomb.author_name is None and tomb.author_email is None
    assert tomb.author_url is None and tomb.author_key is None
    assert tomb.thread_id == thread_id and tomb.position == 0
    assert get_comment(engine, reply).parent_id == cid
    assert get_comment(engine, reply).body == "a reply"
    assert tomb.content_hash != content_hash_of(secret)
    with Session(engine) as session:
        labels = {t.comment_id: t for t in session.exec(select(CommentTopic))}
        [report] = list(session.exec(select(CommentReport)))
    assert labels[cid].evidence == [] and labels[cid].topic_id == "gold"
    assert labels[reply].evidence == [{"term": "reply"}]  # other comments keep theirs
    assert report.detail is None and report.reason_code == "personal_info"
    [event] = events(engine, cid)
    assert event.action == "purge" and event.reason == "doxxing"
    assert secret not in repr(event.model_dump()) and "bob@" not in repr(event.model_dump())
    # a tombstone accepts nothing more, not even restore
    for action in ("restore", "approve", "purge"):
        with pytest.raises(ActionNotAllowed), session_scope(engine) as session:
            apply_action(session, cid, action, actor=ADMIN, role=Role.ADMIN)


def test_restore_returns_to_the_status_before_delete(engine: Engine) -> None:
    thread_id = make_thread(engine)
    for start in (P, A, F, R, S):
        cid = make_comment(engine, thread_id, status=start, body=f"restore {start}")
        with session_scope(engine) as session:
            apply_action(session, cid, "delete", actor=MOD, role=Role.MODERATOR)
        deleted = get_comment(engine, cid)
        assert deleted.status is D and deleted.status_before_delete is start
        assert deleted.body == f"restore {start}"  # soft: the text stays
        with session_scope(engine) as session:
            apply_action(session, cid, "restore", actor=MOD, role=Role.MODERATOR)
        restored = get_comment(engine, cid)
        assert restored.status is start and restored.status_before_delete is None
        assert [e.action for e in events(engine, cid)] == ["delete", "restore"]


def test_no_op_is_refused_and_changes_nothing(engine: Engine) -> None:
    cid = make_comment(engine, make_thread(engine), status=A)
    with pytest.raises(ActionNotAllowed) as info, session_scope(engine) as session:
        apply_action(session, cid, "approve", actor=MOD, role=Role.MODERATOR)
    assert "approved" in info.value.detail
    assert get_comment(engine, cid).version == 1
    assert count(engine, ModerationEvent) == 0


def test_two_moderators_never_overwrite_each_other(engine: Engine) -> None:
    cid = make_comment(engine, make_thread(engine))
    seen_by_first = get_comment(engine, cid).version
    seen_by_second = get_comment(engine, cid).version
    with session_scope(engine) as session:
        apply_action(
            session,
            cid,
            "approve",
            actor=Actor.user("first"),
            role=Role.MODERATOR,
            expected_version=seen_by_first,
        )
    with pytest.raises(Conflict) as info, session_scope(engine) as session:
        apply_action(
            session,
            cid,
            "reject",
            actor=Actor.user("second"),
            role=Role.MODERATOR,
            reason="rude",
            expected_version=seen_by_second,
        )
    assert info.value.code == "version_conflict"
    assert info.value.extra["current_version"] == seen_by_first + 1
    comment = get_comment(engine, cid)
    assert comment.status is A and comment.version == seen_by_first + 1
    assert [e.actor for e in events(engine, cid)] == ["first"]


def test_compare_and_set_catches_a_change_after_the_read(engine: Engine) -> None:
    """Even without expected_version, a concurrent change between read and write is a conflict."""
    cid = make_comment(engine, make_thread(engine))
    with pytest.raises(Conflict) as info, session_scope(engine) as session:
        stale = session.get(Comment, cid)  # this session has read version 1 (and keeps it)
        assert stale is not None and stale.version == 1
        with session_scope(engine) as other:
            apply_action(other, cid, "approve", actor=Actor.user("fast"), role=Role.MODERATOR)
        apply_action(session, cid, "spam", actor=Actor.user("slow"), role=Role.MODERATOR)
    assert info.value.code == "version_conflict"
    assert get_comment(engine, cid).status is A
    assert [e.actor for e in events(engine, cid)] == ["fast"]


def test_api_key_actor_is_recorded(engine: Engine) -> None:
    cid = make_comment(engine, make_thread(engine))
    with session_scope(engine) as session:
        apply_action(session, cid, "flag", actor=Actor.api_key("bot"), role=Role.MODERATOR)
    [event] = events(engine, cid)
    assert (event.actor, event.actor_type) == ("key:bot", ActorType.API_KEY)


def test_comment_history_lists_every_event_in_order(engine: Engine) -> None:
    cid = make_comment(engine, make_thread(engine))
    steps = [("approve", None), ("flag", None), ("reject", "insults"), ("delete", None)]
    for action, reason in steps:
        with session_scope(engine) as session:
            apply_action(session, cid, action, actor=MOD, role=Role.MODERATOR, reason=reason)
    with session_scope(engine) as session:
        history = comment_history(session, cid).items
    assert [(e.action, e.from_state, e.to_state) for e in history] == [
        ("approve", "pending", "approved"),
        ("flag", "approved", "flagged"),
        ("reject", "flagged", "rejected"),
        ("delete", "rejected", "deleted"),
    ]
    with pytest.raises(NotFound), session_scope(engine) as session:
        comment_history(session, 424242)


def test_concurrent_moderators_exactly_one_wins(engine: Engine) -> None:
    """Many moderators act at once on the same version: one succeeds, the rest get a conflict."""
    import threading

    cid = make_comment(engine, make_thread(engine))
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    lock = threading.Lock()

    def act(n: int) -> None:
        barrier.wait()
        try:
            with session_scope(engine) as session:
                apply_action(
                    session,
                    cid,
                    "approve" if n % 2 else "spam",
                    actor=Actor.user(f"m{n}"),
                    role=Role.MODERATOR,
                    expected_version=1,
                )
            result = "ok"
        except Conflict as exc:
            result = exc.code
        with lock:
            outcomes.append(result)

    workers = [threading.Thread(target=act, args=(n,)) for n in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(outcomes) == ["ok", "version_conflict", "version_conflict", "version_conflict"]
    assert get_comment(engine, cid).version == 2
    assert len(events(engine, cid)) == 1
