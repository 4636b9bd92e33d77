"""The report data (threads.analysis) on SQLite and PostgreSQL, checked against numbers computed
independently here from the raw rows."""

from __future__ import annotations

import math
import shutil
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.report_builders import Built, build_dataset
from threads.analysis.common import ReportQuery
from threads.analysis.data import CorpusReport, ThreadReport, to_jsonable
from threads.analysis.logodds import log_odds, tokens
from threads.analysis.manifest import parse_bound, pseudonym
from threads.analysis.report import build_report, comment_table
from threads.config import Settings
from threads.db import make_engine
from threads.errors import InvalidInput, NotFound
from threads.models import Comment, CommentKind, CommentTopic, LabelSource

FIXED = datetime(2024, 1, 1, tzinfo=UTC)
COUNTED = {"approved", "pending", "flagged", "rejected"}


@pytest.fixture
def built(engine: Engine) -> Built:
    return build_dataset(engine)


def _request(**kw: Any) -> ReportQuery:
    return ReportQuery(generated_at=FIXED, **kw)


# --------------------------------------------------------------------------- independent truth


def _truth(engine: Engine) -> dict[str, Any]:
    """Every figure of the corpus report, from the raw rows, without the code under test."""
    with Session(engine) as s:
        comments = list(s.exec(select(Comment)))
        labels = list(s.exec(select(CommentTopic)))
    counted = {c.id: c for c in comments if c.kind == CommentKind.COMMENT and c.status in COUNTED}
    decided: dict[tuple[int, str], CommentTopic] = {}
    for label in sorted(labels, key=lambda x: (x.created_at, x.id or 0)):
        key = (label.comment_id, label.topic_id)
        if label.source == LabelSource.MODERATOR:
            decided[key] = label  # the newest moderator label wins
        elif key not in decided:
            decided[key] = label
    topics_of: dict[int, dict[str, float]] = defaultdict(dict)
    for (cid, topic), label in decided.items():
        if label.assigned and cid in counted:
            topics_of[cid][topic] = label.score
    per_thread: dict[int, Counter[str]] = defaultdict(Counter)
    per_month: dict[str, Counter[str]] = defaultdict(Counter)
    month_total: Counter[str] = Counter()
    scores: dict[str, list[float]] = defaultdict(list)
    pairs: Counter[tuple[str, str]] = Counter()
    for cid, c in counted.items():
        month = c.posted_at.strftime("%Y-%m") if c.posted_at else None
        if month:
            month_total[month] += 1
        for topic, score in topics_of[cid].items():
            per_thread[c.thread_id][topic] += 1
            if month:
                per_month[month][topic] += 1
            scores[topic].append(score)
        for a in topics_of[cid]:
            for b in topics_of[cid]:
                pairs[(a, b)] += 1
    authors = Counter(c.author_key for c in counted.values() if c.author_key)
    return {
        "counted": len(counted),
        "per_thread": per_thread,
        "per_month": per_month,
        "month_total": month_total,
        "mean": {t: sum(v) / len(v) for t, v in scores.items()},
        "pairs": pairs,
        "unlabelled": sum(1 for cid in counted if not topics_of[cid]),
        "authors": authors,
        "days": Counter(c.posted_at.strftime("%Y-%m-%d") for c in counted.values() if c.posted_at),
    }


def test_corpus_figures_match_an_independent_count(engine: Engine, built: Built) -> None:
    report = build_report(engine, _request(all_threads=True))
    assert isinstance(report, CorpusReport)
    truth = _truth(engine)
    data = to_jsonable(report)

    assert data["topics"]["comments"] == truth["counted"] == 7
    assert data["topics"]["unlabelled"] == truth["unlabelled"]
    for row in data["topics"]["rows"]:
        n = sum(truth["per_thread"][t][row["topic_id"]] for t in truth["per_thread"])
        assert row["comments"] == n
        assert row["share"] == pytest.approx(n / truth["counted"], abs=1e-4)
        assert row["mean_score"] == pytest.approx(truth["mean"][row["topic_id"]], abs=1e-4)
    for thread in data["threads"]:
        for topic, n in thread["topics"].items():
            assert n == truth["per_thread"][thread["thread_id"]][topic]
    for month in data["months"]:
        assert month["comments"] == truth["month_total"][month["month"]]
        for topic, n in month["topics"].items():
            assert n == truth["per_month"][month["month"]][topic]
    co = data["cooccurrence"]
    for i, a in enumerate(co["topics"]):
        for j, b in enumerate(co["topics"]):
            assert co["matrix"][i][j] == truth["pairs"][(a, b)]
    assert {a["author"]: a["comments"] for a in data["authors"]} == {
        name.title(): n for name, n in truth["authors"].items()
    }
    days = {d["day"]: d["comments"] for d in data["timeline"]}
    assert {d: n for d, n in days.items() if n} == dict(truth["days"])
    assert sum(days.values()) == truth["counted"]


def test_moderator_label_overrides_the_automatic_one(engine: Engine, built: Built) -> None:
    report = build_report(engine, _request(thread_ids=(built.threads["gold"],)))
    assert isinstance(report, ThreadReport)
    c1 = report.comments[0]
    c2 = c1.children[0]
    c3 = c2.children[0]
    # c2: automatic gold 0.4, unassigned by a moderator -> only russia
    assert [t.topic_id for t in c2.topics] == ["russia"]
    # c3: no automatic label, the moderator's russia counts
    assert [(t.topic_id, t.source) for t in c3.topics] == [("russia", "moderator")]
    # c1: russia 0.2 is below the threshold (not assigned) -> not a topic
    assert [t.topic_id for t in c1.topics] == ["gold"]


def test_thread_report_header_tree_and_moderation(engine: Engine, built: Built) -> None:
    report = build_report(engine, _request(thread_ids=(built.threads["gold"],)))
    assert isinstance(report, ThreadReport)
    h = report.header
    assert h.counts == {
        "pending": 1,
        "approved": 2,
        "flagged": 1,
        "rejected": 0,
        "spam": 1,
        "deleted": 0,
    }
    assert h.total == 5 and h.pingbacks == 1
    # spam is not listed by default; the pingback is apart
    assert [n.id for n in report.comments] == [built.comments["c1"], built.comments["c4"]]
    assert [p.kind for p in report.pingbacks] == ["pingback"]
    assert report.comments[0].children[0].children[0].depth == 2
    # long bodies are excerpted, evidence spans point at the evidence text
    c1 = report.comments[0]
    assert c1.truncated and len(c1.body) <= 602
    assert {c1.body[x.start : x.end].lower() for x in c1.highlights} == {"gold", "gold reserves"}
    assert report.topics.comments == 4 and report.topics.unlabelled == 0
    assert report.moderation.queue == {"pending": 1, "flagged": 1}
    assert [(a.actor, a.total) for a in report.moderation.actions_by_actor] == [
        ("mod-anna", 2),
        ("rules", 1),
    ]
    assert [e.action for e in report.moderation.last_actions] == ["label", "spam", "flag"]


def test_closed_thread_keeps_its_state_and_reason(engine: Engine, built: Built) -> None:
    report = build_report(engine, _request(thread_ids=(built.threads["talks"],)))
    assert isinstance(report, ThreadReport)
    assert report.header.state == "closed"
    assert report.header.close_reason == "Comments are closed."
    assert report.header.closed_at == datetime(2014, 12, 5, 10, tzinfo=UTC)


def test_empty_thread_has_an_empty_tree_and_topics_with_no_comments(
    engine: Engine, built: Built
) -> None:
    report = build_report(engine, _request(thread_ids=(built.threads["quiet"],)))
    assert isinstance(report, ThreadReport)
    assert report.comments == [] and report.header.total == 0
    assert all(r.comments == 0 and r.representative is None for r in report.topics.rows)


def test_unknown_thread_ids_are_named(engine: Engine, built: Built) -> None:
    with pytest.raises(NotFound, match="no threads with id 404, 405"):
        build_report(engine, _request(thread_ids=(404, built.threads["gold"], 405)))


def test_options_are_checked(engine: Engine, built: Built) -> None:
    with pytest.raises(InvalidInput, match="thread ids, or --all"):
        build_report(engine, _request())
    with pytest.raises(InvalidInput, match="unknown topic 'nope'"):
        build_report(engine, _request(all_threads=True, topic="nope"))
    with pytest.raises(InvalidInput, match="unknown comment status"):
        build_report(engine, _request(all_threads=True, statuses=("nice",)))


def test_topic_and_period_filters(engine: Engine, built: Built) -> None:
    report = build_report(
        engine,
        _request(
            all_threads=True,
            topic="russia",
            since=parse_bound("2014-11-03", "--since", end=False),
            until=parse_bound("2014-12-03", "--until", end=True),
        ),
    )
    assert isinstance(report, CorpusReport)
    assert [r.topic_id for r in report.topics.rows] == ["russia"]
    # russia in the period: c3 (Nov 3) and c7 (Dec 3, the until day is included)
    assert report.topics.rows[0].comments == 2
    assert report.manifest.filters["topic"] == "russia"
    assert report.manifest.filters["until"] == "2014-12-04T00:00:00Z"


def test_anonymize_gives_stable_pseudonyms_and_no_names(engine: Engine, built: Built) -> None:
    one = to_jsonable(build_report(engine, _request(all_threads=True, anonymize=True)))
    two = to_jsonable(build_report(engine, _request(all_threads=True, anonymize=True)))
    assert one == two
    text = repr(one)
    for name in ("Alice", "Bob", "Carol", "Dave", "Erin"):
        assert name not in text
    assert one["authors"][0]["author"] == pseudonym("alice", "threads-report")
    salted = to_jsonable(
        build_report(engine, _request(all_threads=True, anonymize=True, salt="s3cret"))
    )
    assert salted["authors"][0]["author"] != one["authors"][0]["author"]
    assert "salt" in one["manifest"]["pseudonyms"] and "s3cret" not in repr(salted)


def test_same_inputs_give_the_same_report(engine: Engine, built: Built) -> None:
    a = to_jsonable(build_report(engine, _request(thread_ids=(1,))))
    b = to_jsonable(build_report(engine, _request(thread_ids=(1,))))
    assert a == b
    assert a["manifest"]["generated_at"] == "2024-01-01T00:00:00Z"


def test_comment_table_streams_every_selected_comment(engine: Engine, built: Built) -> None:
    records, topic_ids, manifest = comment_table(engine, _request(all_threads=True))
    rows = list(records)
    # counted comments + the pingback; spam left out
    assert len(rows) == 8
    assert manifest.comments == 7
    assert topic_ids == ["gold", "p5", "russia"]
    c7 = next(r for r in rows if r.comment_id == built.comments["c7"])
    assert c7.topics == ["p5", "russia"] and c7.scores == [0.5, 0.6]


def test_distinctive_terms_favour_the_topic_words(engine: Engine, built: Built) -> None:
    report = build_report(engine, _request(all_threads=True))
    assert isinstance(report, CorpusReport)
    p5 = next(r for r in report.topics.rows if r.topic_id == "p5")
    assert p5.terms[0].term == "enrichment"
    assert all(t.z > 0 for t in p5.terms)
    assert report.manifest.terms["background_sample"] == "all comments"


# --------------------------------------------------------------------------- pure functions


def test_report_time_comes_from_the_environment() -> None:
    assert Settings.from_env({"THREADS_REPORT_TIME": "2020-02-02T02:02:02Z"}).generated_at() == (
        datetime(2020, 2, 2, 2, 2, 2, tzinfo=UTC)
    )
    assert Settings.from_env({"SOURCE_DATE_EPOCH": "0"}).generated_at() == datetime(
        1970, 1, 1, tzinfo=UTC
    )
    with pytest.raises(InvalidInput, match="THREADS_REPORT_TIME"):
        Settings.from_env({"THREADS_REPORT_TIME": "yesterday"})


def test_tokens_drop_stop_words_and_numbers() -> None:
    assert tokens("The Kremlin's 2014 gold, and IT'S gold!") == ["kremlin's", "gold", "gold"]


words = st.sampled_from(["gold", "ruble", "iran", "talks", "oil", "vault", "deal"])
counters = st.lists(words, min_size=1, max_size=40).map(Counter)


@given(counters, counters)
def test_log_odds_is_antisymmetric(group: Counter[str], rest: Counter[str]) -> None:
    prior = group + rest
    forward = dict(log_odds(group, rest, prior))
    backward = dict(log_odds(rest, group, prior))
    shared = set(group) & set(rest)
    assert shared & set(forward) == shared & set(backward)
    for word in shared & set(forward):
        assert math.isclose(forward[word], -backward[word], abs_tol=1e-9)


@given(counters, counters)
def test_a_word_only_in_the_group_is_never_below_a_shared_word_at_equal_counts(
    group: Counter[str], rest: Counter[str]
) -> None:
    group = group.copy()
    group["zebra"] = 3  # in the group only
    rest = rest.copy()
    rest["zebra"] = 0
    prior = group + rest
    scores = dict(log_odds(group, +rest, prior))
    assert scores["zebra"] > 0


def test_topic_filter_keeps_matching_comments_in_the_tree(engine: Engine, built: Built) -> None:
    report = build_report(engine, _request(thread_ids=(built.threads["gold"],), topic="russia"))
    assert isinstance(report, ThreadReport)
    # c2 and c3 carry russia; c3 is c2's reply; c1 (c2's parent) is not listed
    assert [n.id for n in report.comments] == [built.comments["c2"]]
    assert report.comments[0].detached
    assert [n.id for n in report.comments[0].children] == [built.comments["c3"]]
    assert [r.topic_id for r in report.topics.rows] == ["russia"]
    assert report.topics.rows[0].share == 0.5  # of the thread's 4 counted comments


def test_html_bodies_are_shown_as_text_with_evidence_found(engine: Engine, built: Built) -> None:
    with Session(engine) as s:
        c = Comment(
            thread_id=built.threads["quiet"],
            key="html-1",
            body="<p>The <b>gold</b> price &amp; the ruble.</p><p>Second paragraph.</p>",
            body_format="html",
            author_name="Hana",
            status="approved",
            content_hash="x" * 64,
        )
        s.add(c)
        s.flush()
        assert c.id is not None
        s.add(
            CommentTopic(
                comment_id=c.id,
                topic_id="gold",
                score=0.7,
                evidence=[{"term": "gold", "text": "gold", "start": 4, "end": 8}],
                source=LabelSource.AUTO,
                taxonomy_version="test-v1",
            )
        )
        s.commit()
    report = build_report(engine, _request(thread_ids=(built.threads["quiet"],)))
    assert isinstance(report, ThreadReport)
    node = report.comments[0]
    assert node.body == "The gold price & the ruble.\n\nSecond paragraph."
    assert [node.body[h.start : h.end] for h in node.highlights] == ["gold"]
    rep = report.topics.rows[0].representative
    assert rep is not None and rep.excerpt == "The gold price & the ruble. Second paragraph."


# --------------------------------------------------------------------------- random corpora

STATUS_CHOICES = ["approved", "approved", "pending", "flagged", "rejected", "spam", "deleted"]


@st.composite
def corpora(draw: st.DrawFn) -> list[dict[str, Any]]:
    comments = []
    for i in range(draw(st.integers(0, 14))):
        labels = []
        for topic in draw(st.sets(st.sampled_from(["gold", "p5", "russia"]))):
            labels.append(
                (topic, draw(st.floats(0, 1).map(lambda x: round(x, 3))), draw(st.booleans()))
            )
        overrides = draw(
            st.lists(st.tuples(st.sampled_from(["gold", "p5"]), st.booleans()), max_size=2)
        )
        comments.append(
            {
                "thread": draw(st.integers(0, 2)),
                "parent": draw(st.one_of(st.none(), st.integers(0, max(0, i - 1)))) if i else None,
                "status": draw(st.sampled_from(STATUS_CHOICES)),
                "kind": draw(st.sampled_from(["comment"] * 5 + ["pingback"])),
                "day": draw(st.one_of(st.none(), st.integers(0, 80))),
                "author": draw(st.sampled_from(["Ann", "Ben", "Cy", None])),
                "labels": labels,
                "overrides": overrides,
            }
        )
    return comments


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=corpora())
def test_random_corpora_match_an_independent_count(
    data: list[dict[str, Any]], sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / f"{uuid.uuid4().hex}.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        _load_random(engine, data)
        report = build_report(engine, _request(all_threads=True))
        assert isinstance(report, CorpusReport)
        truth = _truth(engine)
        got = to_jsonable(report)
        assert got["topics"]["comments"] == truth["counted"]
        assert got["topics"]["unlabelled"] == truth["unlabelled"]
        for row in got["topics"]["rows"]:
            n = sum(truth["per_thread"][t][row["topic_id"]] for t in truth["per_thread"])
            assert row["comments"] == n
            if n:
                assert row["mean_score"] == pytest.approx(truth["mean"][row["topic_id"]], abs=1e-4)
        for thread in got["threads"]:
            for topic, n in thread["topics"].items():
                assert n == truth["per_thread"][thread["thread_id"]][topic]
        for month in got["months"]:
            assert month["comments"] == truth["month_total"][month["month"]]
        co = got["cooccurrence"]
        for i, a in enumerate(co["topics"]):
            for j, b in enumerate(co["topics"]):
                assert co["matrix"][i][j] == truth["pairs"][(a, b)]
        days = {d["day"]: d["comments"] for d in got["timeline"] if d["comments"]}
        assert days == dict(truth["days"])
    finally:
        engine.dispose()


def _load_random(engine: Engine, data: list[dict[str, Any]]) -> None:
    from tests.report_builders import Builder

    with Session(engine) as session:
        b = Builder(session)
        for t in range(3):
            b.thread(f"t{t}", f"Thread {t}")
        for i, c in enumerate(data):
            parent = f"c{c['parent']}" if c["parent"] is not None else None
            if parent is not None and data[c["parent"]]["thread"] != c["thread"]:
                parent = None
            b.comment(
                f"c{i}",
                f"t{c['thread']}",
                f"comment {i} about gold and oil",
                author=c["author"],
                posted_at=None
                if c["day"] is None
                else datetime(2014, 10, 1, tzinfo=UTC) + timedelta(days=c["day"], hours=i % 24),
                parent=parent,
                status=c["status"],
                kind=c["kind"],
            )
            for topic, score, assigned in c["labels"]:
                b.label(f"c{i}", topic, score, assigned=assigned)
            for n, (topic, assigned) in enumerate(c["overrides"]):
                b.label(f"c{i}", topic, 1.0, assigned=assigned, moderator=f"mod{n}")
        session.commit()
