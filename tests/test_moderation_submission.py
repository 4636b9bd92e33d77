"""Submissions: each automatic rule, how they combine, the audit trail, and readers' reports."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.moderation_support import T0, count, events, get_comment, make_comment, make_thread
from threads.config import Settings
from threads.db import session_scope
from threads.errors import Blocked, Conflict, InvalidInput, NotFound
from threads.models import (
    ActorType,
    Comment,
    CommentReport,
    CommentStatus,
    ModerationEvent,
    PreModeration,
)
from threads.moderation import rules
from threads.moderation.matching import links_in
from threads.moderation.reports import report_comment
from threads.moderation.submission import Submission, SubmissionResult, submit_comment

NOW = T0 + timedelta(hours=1)
WORDS = """
version = "t1"
[block]
words = ["kill yourself"]
[hold]
words = ["casino bonus", "straße"]
[flag]
words = ["ass", "idiot*", "škoda"]
"""


@pytest.fixture
def wordlist_file(tmp_path: Path) -> Path:
    path = tmp_path / "words.toml"
    path.write_text(WORDS, encoding="utf-8")
    return path


def _open(settings: Settings, **changes: object) -> Settings:
    return settings.with_(premoderation="none", **changes)


def _submit(
    engine: Engine,
    settings: Settings,
    thread_id: int,
    body: str,
    *,
    author: str = "Zoe",
    email: str | None = None,
    parent_id: int | None = None,
    now=NOW,  # type: ignore[no-untyped-def]
) -> SubmissionResult:
    with session_scope(engine) as session:
        return submit_comment(
            session,
            thread_id,
            Submission(author_name=author, body=body, author_email=email, parent_id=parent_id),
            settings=settings,
            now=now,
            client="203.0.113.9",
        )


# --------------------------------------------------------------------------- pure rules


def test_word_list_respects_word_boundaries() -> None:
    wl = rules.parse_wordlist(WORDS, "test")
    assert rules.check_words("This class is classy", wl).outcome is rules.Outcome.ACCEPT
    assert rules.check_words("What an ass.", wl).outcome is rules.Outcome.FLAG
    assert rules.check_words("passing assessment", wl).outcome is rules.Outcome.ACCEPT


def test_word_list_is_case_and_unicode_aware() -> None:
    wl = rules.parse_wordlist(WORDS, "test")
    assert rules.check_words("Ich wohne in der STRASSE", wl).outcome is rules.Outcome.HOLD
    assert rules.check_words("Straße", wl).outcome is rules.Outcome.HOLD
    assert rules.check_words("I drive a ŠKODA", wl).outcome is rules.Outcome.FLAG
    assert rules.check_words("ｉｄｉｏｔｓ everywhere", wl).outcome is rules.Outcome.FLAG  # NFKC
    assert rules.check_words("Skoda", wl).outcome is rules.Outcome.ACCEPT  # accents matter


def test_word_list_phrases_prefixes_and_the_strongest_tier() -> None:
    wl = rules.parse_wordlist(WORDS, "test")
    assert rules.check_words("Kill   Yourself!", wl).outcome is rules.Outcome.BLOCK
    assert rules.check_words("kill the yourself", wl).outcome is rules.Outcome.ACCEPT
    assert rules.check_words("IDIOTIC idea", wl).outcome is rules.Outcome.FLAG
    assert rules.check_words("idiom", wl).outcome is rules.Outcome.ACCEPT
    named = rules.check_words("a fine remark", wl, author_name="Casino Bonus King")
    assert named.outcome is rules.Outcome.HOLD and "author name" in named.reasons[0]
    both = rules.check_words("idiot", wl, author_name="idiot")
    assert both.outcome is rules.Outcome.FLAG and len(both.reasons) == 2
    mixed = rules.check_words("idiot, casino bonus", wl)
    assert mixed.outcome is rules.Outcome.HOLD and "casino bonus" in mixed.reasons[0]
    assert mixed.version == "t1"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[block\nwords=", "not valid TOML"),
        ("[block]\nwords = [1]", "non-empty string"),
        ('[ban]\nwords = ["x"]', "unknown section"),
        ('[hold]\nwords = "x"', "words ="),
    ],
)
def test_bad_word_list_file_names_the_file(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        rules.load_wordlist(path)
    assert str(path) in info.value.detail and problem in info.value.detail
    with pytest.raises(InvalidInput) as missing:
        rules.load_wordlist(tmp_path / "nope.toml")
    assert "nope.toml" in missing.value.detail


def test_packaged_word_list_loads() -> None:
    wl = rules.load_wordlist(None)
    assert all(wl.tiers[t] for t in rules.TIERS)
    assert rules.check_words("a perfectly classy remark", wl).outcome is rules.Outcome.ACCEPT


def test_length_and_link_rules() -> None:
    assert rules.check_length(" a ", min_chars=2, max_chars=10).outcome is rules.Outcome.BLOCK
    assert rules.check_length("x" * 11, min_chars=2, max_chars=10).outcome is rules.Outcome.BLOCK
    assert rules.check_length("fine", min_chars=2, max_chars=10).outcome is rules.Outcome.ACCEPT
    body = "see https://a.example/x and www.b.example and spam.com and <a href='c'>c</a>"
    assert len(links_in(body)) == 4
    assert rules.check_links(body, max_links=3).outcome is rules.Outcome.HOLD
    assert rules.check_links(body, max_links=4).outcome is rules.Outcome.ACCEPT
    assert links_in("e.g. the U.S. economy, node.js") == []


@given(st.text(max_size=200))
def test_rules_never_raise_on_any_text(text: str) -> None:
    wl = rules.load_wordlist(None)
    for decision in (
        rules.check_words(text, wl),
        rules.check_links(text, max_links=2),
        rules.check_length(text, min_chars=2, max_chars=100),
    ):
        assert decision.outcome in rules.Outcome


@pytest.mark.parametrize(
    ("policy", "links", "approved_before", "held"),
    [
        (PreModeration.ALL, False, True, True),
        (PreModeration.FIRST_TIME, False, False, True),
        (PreModeration.FIRST_TIME, True, True, False),
        (PreModeration.LINKS, True, True, True),
        (PreModeration.LINKS, False, False, False),
        (PreModeration.NONE, True, False, False),
    ],
)
def test_premoderation_policies(
    policy: PreModeration, links: bool, approved_before: bool, held: bool
) -> None:
    decision = rules.check_premoderation(
        policy, has_links=links, author_approved_before=approved_before
    )
    assert (decision.outcome is rules.Outcome.HOLD) is held


# --------------------------------------------------------------------------- through the database


def test_clean_comment_is_approved_and_audited(engine: Engine, settings: Settings) -> None:
    tid = make_thread(engine)
    result = _submit(engine, _open(settings), tid, "Gold reserves rose again this year.")
    assert result.status is CommentStatus.APPROVED
    comment = get_comment(engine, result.comment.id or 0)
    assert comment.status is CommentStatus.APPROVED and comment.posted_at == NOW
    assert comment.author_key == "zoe" and comment.extra["client_hash"] != "203.0.113.9"
    assert "203.0.113.9" not in repr(comment.model_dump())
    [event] = events(engine, comment.id)
    assert (event.actor, event.actor_type, event.action) == (
        "rule:submission@1",
        ActorType.RULE,
        "approve",
    )
    assert (event.from_state, event.to_state) == (None, "approved")


def test_too_short_is_blocked_and_nothing_is_stored(engine: Engine, settings: Settings) -> None:
    tid = make_thread(engine)
    for body in ("", "x", "y" * 10_001):
        with pytest.raises(Blocked) as info:
            _submit(engine, _open(settings), tid, body)
        assert info.value.code == "comment_blocked" and info.value.field == "body"
        assert info.value.reasons and "characters" in info.value.reasons[0]
    assert count(engine, Comment) == 0 and count(engine, ModerationEvent) == 0


def test_too_many_links_are_held(engine: Engine, settings: Settings) -> None:
    tid = make_thread(engine)
    body = "Read https://a.example/1 https://b.example/2 https://c.example/3"
    result = _submit(engine, _open(settings), tid, body)
    assert result.status is CommentStatus.PENDING
    [event] = events(engine, result.comment.id)
    assert (event.actor, event.action, event.to_state) == ("rule:links@1", "hold", "pending")
    assert "3 links" in (event.reason or "")


def test_word_list_tiers_through_submission(
    engine: Engine, settings: Settings, wordlist_file: Path
) -> None:
    tid = make_thread(engine)
    s = _open(settings, wordlist_path=wordlist_file)
    assert _submit(engine, s, tid, "you are an idiot").status is CommentStatus.FLAGGED
    assert _submit(engine, s, tid, "get your casino bonus").status is CommentStatus.PENDING
    assert _submit(engine, s, tid, "a classy passage").status is CommentStatus.APPROVED
    with pytest.raises(Blocked) as info:
        _submit(engine, s, tid, "just KILL yourself")
    assert "kill yourself" in info.value.reasons[0]
    assert count(engine, Comment) == 3
    flagged = [e for e in events(engine) if e.action == "flag"]
    assert [e.actor for e in flagged] == ["rule:wordlist@t1"]
    bad = _open(settings, wordlist_path=wordlist_file.with_name("missing.toml"))
    with pytest.raises(InvalidInput) as missing:
        _submit(engine, bad, tid, "hello there")
    assert "missing.toml" in missing.value.detail


def test_duplicate_by_same_author_is_blocked(engine: Engine, settings: Settings) -> None:
    tid = make_thread(engine)
    s = _open(settings)
    _submit(engine, s, tid, "Gold is a barbarous relic.", author="Ann", email="ann@x.org")
    with pytest.raises(Blocked) as info:
        _submit(engine, s, tid, "  gold is a BARBAROUS relic. ", author="A.", email="ANN@x.org")
    assert "duplicate" in info.value.reasons[0]
    # the same words by someone else elsewhere: held as a possible campaign
    other = make_thread(engine, title="Other")
    held = _submit(engine, s, other, "Gold is a barbarous relic.", author="Bea")
    assert held.status is CommentStatus.PENDING
    # after the window it is a new comment again
    later = _submit(
        engine,
        s,
        tid,
        "Gold is a barbarous relic.",
        author="Ann",
        email="ann@x.org",
        now=NOW + timedelta(days=2),
    )
    assert later.status is CommentStatus.APPROVED


def test_short_common_replies_are_not_duplicates(engine: Engine, settings: Settings) -> None:
    tid = make_thread(engine)
    assert _submit(engine, _open(settings), tid, "Thanks!", author="A").status.value == "approved"
    assert _submit(engine, _open(settings), tid, "Thanks!", author="B").status.value == "approved"


def test_first_time_authors_wait_until_approved_once(engine: Engine, settings: Settings) -> None:
    tid = make_thread(engine)
    s = settings.with_(premoderation="first_time")
    first = _submit(engine, s, tid, "My very first comment", author="Newbie", email="n@x.org")
    assert first.status is CommentStatus.PENDING
    again = _submit(engine, s, tid, "Second try, still waiting", author="Newbie", email="n@x.org")
    assert again.status is CommentStatus.PENDING
    make_comment(engine, tid, status=CommentStatus.APPROVED, author="Old", email="OLD@x.org")
    known = _submit(engine, s, tid, "A regular speaks again", author="Old", email="old@x.org")
    assert known.status is CommentStatus.APPROVED
    [event] = events(engine, first.comment.id)
    assert event.actor == "rule:premoderation@1" and "first_time" in (event.reason or "")


def test_thread_policy_overrides_the_default(engine: Engine, settings: Settings) -> None:
    held_all = make_thread(engine, premoderation=PreModeration.ALL)
    links = make_thread(engine, title="links", premoderation=PreModeration.LINKS)
    s = _open(settings)
    assert _submit(engine, s, held_all, "Plain words here").status is CommentStatus.PENDING
    assert _submit(engine, s, links, "Plain words here too").status is CommentStatus.APPROVED
    assert _submit(engine, s, links, "see www.gold.example").status is CommentStatus.PENDING


def test_replies_need_a_parent_in_the_same_thread(engine: Engine, settings: Settings) -> None:
    tid = make_thread(engine)
    other = make_thread(engine, title="other")
    parent = make_comment(engine, tid, status=CommentStatus.APPROVED)
    foreign = make_comment(engine, other, status=CommentStatus.APPROVED)
    gone = make_comment(engine, tid, status=CommentStatus.SPAM, body="spam spam")
    reply = _submit(engine, _open(settings), tid, "I agree with you", parent_id=parent)
    assert reply.comment.parent_id == parent
    for bad in (foreign, gone, 987654):
        with pytest.raises(InvalidInput) as info:
            _submit(engine, _open(settings), tid, "replying again", parent_id=bad)
        assert info.value.field == "parent_id"
    with pytest.raises(NotFound):
        _submit(engine, _open(settings), 424242, "no such thread")


@pytest.mark.parametrize(
    ("field", "submission"),
    [
        ("author_name", Submission(author_name="  ", body="hello there")),
        ("author_email", Submission(author_name="A", body="hello", author_email="not-mail")),
        ("author_url", Submission(author_name="A", body="hello", author_url="javascript:x")),
    ],
)
def test_malformed_fields_name_the_field(
    engine: Engine, settings: Settings, field: str, submission: Submission
) -> None:
    tid = make_thread(engine)
    with pytest.raises(InvalidInput) as info, session_scope(engine) as session:
        submit_comment(session, tid, submission, settings=settings, now=NOW)
    assert info.value.field == field
    assert count(engine, Comment) == 0


def test_classify_hook_runs_on_the_stored_comment(engine: Engine, settings: Settings) -> None:
    tid = make_thread(engine)
    seen: list[int] = []

    def classify(session: Session, comment: Comment) -> None:
        assert comment.id is not None
        seen.append(comment.id)
        comment.sentiment = 0.5

    with session_scope(engine) as session:
        result = submit_comment(
            session,
            tid,
            Submission("A", "Lovely gold"),
            settings=_open(settings),
            now=NOW,
            classify=classify,
        )
    assert seen == [result.comment.id]
    assert get_comment(engine, seen[0]).sentiment == 0.5


# --------------------------------------------------------------------------- reports


def test_reports_flag_count_and_deduplicate(engine: Engine) -> None:
    tid = make_thread(engine)
    cid = make_comment(engine, tid, status=CommentStatus.APPROVED)
    with session_scope(engine) as session:
        report_comment(session, cid, "abuse", reporter="198.51.100.7", detail="insults me")
    comment = get_comment(engine, cid)
    assert (comment.status, comment.report_count, comment.version) == ("flagged", 1, 2)
    with pytest.raises(Conflict) as info, session_scope(engine) as session:
        report_comment(session, cid, "spam", reporter="198.51.100.7")
    assert info.value.code == "already_reported"
    with session_scope(engine) as session:
        report_comment(session, cid, "spam", reporter="198.51.100.8")
    comment = get_comment(engine, cid)
    assert (comment.status, comment.report_count, comment.version) == ("flagged", 2, 2)
    with Session(engine) as session:
        stored = list(session.exec(select(CommentReport)))
    assert len(stored) == 2 and all(r.reporter and "198.51" not in r.reporter for r in stored)
    assert [(e.actor, e.action, e.from_state, e.to_state) for e in events(engine, cid)] == [
        ("reader", "flag", "approved", "flagged"),
        ("reader", "report", "flagged", "flagged"),
    ]


def test_report_errors(engine: Engine) -> None:
    tid = make_thread(engine)
    cid = make_comment(engine, tid, status=CommentStatus.PENDING)
    hidden = make_comment(engine, tid, status=CommentStatus.REJECTED, body="gone")
    with pytest.raises(InvalidInput) as info, session_scope(engine) as session:
        report_comment(session, cid, "boring", reporter=None)
    assert info.value.field == "reason"
    for missing in (hidden, 31337):
        with pytest.raises(NotFound), session_scope(engine) as session:
            report_comment(session, missing, "spam", reporter=None)
    with session_scope(engine) as session:
        report_comment(session, cid, "off_topic", reporter=None)
    assert get_comment(engine, cid).status is CommentStatus.FLAGGED
    assert count(engine, CommentReport) == 1


VOCAB = ["gold", "idiot", "idiots", "kill", "yourself", "ass", "class", "straße", "x"]


@given(
    tokens=st.lists(st.sampled_from(VOCAB), max_size=12),
    entries=st.lists(
        st.lists(st.sampled_from([*VOCAB, "idi*", "yours*"]), min_size=1, max_size=3),
        min_size=1,
        max_size=6,
    ),
)
def test_word_list_index_agrees_with_a_plain_scan(
    tokens: list[str], entries: list[list[str]]
) -> None:
    """Law: the indexed matcher finds exactly the entries a plain scan finds."""
    cleaned = [[w for w in e[:-1] if not w.endswith("*")] + [e[-1]] for e in entries]
    text = "version='p'\n[flag]\nwords = [" + ", ".join(repr(" ".join(e)) for e in cleaned) + "]"
    wl = rules.parse_wordlist(text, "law")
    text_tokens = rules.words(" ".join(tokens))
    expected = [
        " ".join(e) for e in wl.tiers[rules.Outcome.FLAG] if rules._contains(text_tokens, e)
    ]
    assert wl.matches(" ".join(tokens)).get(rules.Outcome.FLAG, []) == expected
