"""One rule for a comment's topics, and every view of labels agrees with it.

Random sequences of automatic classifications and moderator labels (several moderators, adds and
removes, in two codebooks) are applied through the library; then the library, the API (comment
lists, the queue, thread counts), the CLI (`threads queue --json`, `threads label`), the report
(per-comment table and topic counts), the CSV export and a JSONL archive round trip must all
show the topics a plain model of the rule predicts: per (comment, topic) the last moderator label
wins, else the automatic label, and the other codebook never counts.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from sqlalchemy import delete as sa_delete
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli.app import app as cli_app
from tests.moderation_support import make_comment, make_thread
from threads.analysis.common import ReportQuery
from threads.analysis.report import comment_table
from threads.api import create_app
from threads.archive import export
from threads.archive.jsonl import load_archive
from threads.config import Settings
from threads.db import session_scope
from threads.db.queries import topics as tq
from threads.db.queries.labels import topics_of
from threads.db.types import utcnow
from threads.keys import create_key
from threads.models import CommentStatus, CommentTopic, LabelSource, ModerationEvent, Role
from threads.moderation.audit import Actor
from threads.topics.labels import set_labels
from threads.topics.taxonomy import load_taxonomy, parse_taxonomy

DEFAULT = load_taxonomy(None)
OTHER = parse_taxonomy(
    {"name": "other", "topic": [{"id": t, "terms": ["x"]} for t in DEFAULT.topic_ids]},
    source="other.toml",
)
TOPICS = list(DEFAULT.topic_ids)
MODERATORS = ["alice", "bob", "carol"]
N_COMMENTS = 3

comment_index = st.integers(0, N_COMMENTS - 1)
topic = st.sampled_from(TOPICS)
auto_op = st.tuples(
    st.just("auto"),
    st.sampled_from(["default", "other"]),
    comment_index,
    st.dictionaries(topic, st.booleans(), max_size=3),
)
moderator_op = st.tuples(
    st.just("mod"),
    st.sampled_from(["default", "other"]),
    comment_index,
    st.sampled_from(MODERATORS),
    st.dictionaries(topic, st.booleans(), min_size=1, max_size=3),
)
operations = st.lists(st.one_of(auto_op, moderator_op), min_size=1, max_size=12)


def _expected(ops: list[Any]) -> dict[int, list[str]]:
    """The rule, modelled without the database: comment index -> sorted topics (default)."""
    auto: dict[tuple[int, str], bool] = {}
    moderator: dict[tuple[int, str], bool] = {}
    for op in ops:
        if op[1] != "default":
            continue
        if op[0] == "auto":
            _, _, c, labels = op
            for key in [k for k in auto if k[0] == c]:
                del auto[key]
            auto.update({(c, t): yes for t, yes in labels.items()})
        else:
            _, _, c, _, labels = op
            moderator.update({(c, t): yes for t, yes in labels.items()})
    decided = {**auto, **moderator}
    out: dict[int, list[str]] = {}
    for (c, t), yes in sorted(decided.items()):
        if yes:
            out.setdefault(c, []).append(t)
    return out


def _apply(engine: Engine, comment_ids: list[int], ops: list[Any]) -> None:
    for op in ops:
        book = DEFAULT if op[1] == "default" else OTHER
        with session_scope(engine) as session:
            if op[0] == "auto":
                _, _, c, labels = op
                rows = [
                    {
                        "comment_id": comment_ids[c],
                        "codebook": book.name,
                        "topic_id": t,
                        "score": 0.9 if yes else 0.1,
                        "assigned": yes,
                        "evidence": [],
                        "source": LabelSource.AUTO,
                        "labeler": "",
                        "taxonomy_version": book.version,
                        "created_at": utcnow(),
                    }
                    for t, yes in labels.items()
                ]
                tq.replace_auto_labels(session, book.name, [comment_ids[c]], rows)
            else:
                _, _, c, who, labels = op
                set_labels(
                    session,
                    comment_ids[c],
                    add=[t for t, yes in labels.items() if yes],
                    remove=[t for t, yes in labels.items() if not yes],
                    actor=Actor.user(who),
                    taxonomy=book,
                )


def _by_id(expected: dict[int, list[str]], comment_ids: list[int]) -> dict[int, list[str]]:
    return {comment_ids[c]: topics for c, topics in expected.items()}


def _views(
    engine: Engine, client: TestClient[Any], db_url: str, key: str, thread_id: int
) -> dict[str, dict[int, list[str]]]:
    """Every view's comment -> topics (comments without topics left out)."""
    seen: dict[str, dict[int, list[str]]] = {}

    def keep(name: str, pairs: Any) -> None:
        seen[name] = {int(cid): sorted(ts) for cid, ts in pairs if ts}

    with Session(engine) as session:
        keep("library", topics_of(session, DEFAULT.name, _ids(engine, thread_id)).items())
    auth = {"Authorization": f"Bearer {key}"}
    flat = client.get(f"/api/threads/{thread_id}/comments?view=flat", headers=auth).json()
    keep("api comments", ((c["id"], c["topics"]) for c in flat["items"]))
    queue = client.get("/api/queue?status=approved&limit=500", headers=auth).json()
    keep("api queue", ((c["comment"]["id"], c["comment"]["topics"]) for c in queue["items"]))
    env = {"THREADS_DATABASE_URL": db_url, "COLUMNS": "200"}
    result = CliRunner().invoke(cli_app, ["queue", "--status", "approved", "--json"], env=env)
    assert result.exit_code == 0, result.output
    keep(
        "cli queue",
        ((c["comment"]["id"], c["comment"]["topics"]) for c in json.loads(result.stdout)["items"]),
    )
    records, _, _ = comment_table(engine, ReportQuery(all_threads=True, statuses=("approved",)))
    keep("report table", ((r.comment_id, r.topics) for r in records))
    out = io.StringIO()
    export(engine, "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    keep(
        "csv export",
        ((r["comment_id"], r["topics"].split(";") if r["topics"] else []) for r in rows),
    )
    counts = client.get(f"/api/threads/{thread_id}").json()["counts_by_topic"]
    seen["api counts"] = {-1: sorted(f"{t}={n}" for t, n in counts.items())}
    return seen


def _ids(engine: Engine, thread_id: int) -> list[int]:
    from threads.db.queries.reads import thread_comments

    with Session(engine) as session:
        return [c.id for c in thread_comments(session, thread_id, None) if c.id is not None]


def test_every_view_of_labels_follows_the_one_rule(
    engine: Engine, db_url: str, new_db: Callable[[], Engine]
) -> None:
    thread_id = make_thread(engine)
    comment_ids = [
        make_comment(engine, thread_id, body=f"comment {i}", status=CommentStatus.APPROVED)
        for i in range(N_COMMENTS)
    ]
    with session_scope(engine) as session:
        key = create_key(session, "viewer", Role.VIEWER, actor=Actor.user("setup")).secret
    client = TestClient(app=create_app(Settings(database_url=db_url)))

    @settings(
        max_examples=10,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        derandomize=True,
    )
    @given(ops=operations)
    def check(ops: list[Any]) -> None:
        with session_scope(engine) as session:
            session.execute(sa_delete(CommentTopic))
        _apply(engine, comment_ids, ops)
        expected = _by_id(_expected(ops), comment_ids)
        views = _views(engine, client, db_url, key, thread_id)
        counts: dict[str, int] = {}
        for topics in expected.values():
            for t in topics:
                counts[t] = counts.get(t, 0) + 1
        assert views.pop("api counts") == {-1: sorted(f"{t}={n}" for t, n in counts.items())}
        for name, shown in views.items():
            assert shown == expected, f"{name} disagrees with the rule after {ops}"

    with client:
        check()


def test_an_archive_round_trip_keeps_what_every_label_decides(
    engine: Engine, new_db: Callable[[], Engine]
) -> None:
    thread_id = make_thread(engine)
    ids = [
        make_comment(engine, thread_id, body=f"comment {i}", status=CommentStatus.APPROVED)
        for i in range(N_COMMENTS)
    ]
    ops: list[Any] = [
        ("auto", "default", 0, {"russia": True, "gold_reserves": False}),
        ("auto", "other", 0, {"russia": False, "gold_reserves": True}),
        ("mod", "default", 0, "alice", {"russia": False, "gold_reserves": True}),
        ("mod", "default", 0, "bob", {"russia": True}),
        ("mod", "other", 1, "bob", {"p5plus1_unity": True}),
        ("auto", "default", 2, {"p5plus1_unity": True, "russia": True}),
        ("mod", "default", 2, "carol", {"p5plus1_unity": False}),
    ]
    _apply(engine, ids, ops)
    expected = _by_id(_expected(ops), ids)
    assert expected == {ids[0]: ["gold_reserves", "russia"], ids[2]: ["russia"]}
    text = io.StringIO()
    export(engine, "jsonl", text)
    target = new_db()
    with session_scope(target) as session:
        load_archive(session, io.StringIO(text.getvalue()), batch=None)
    with Session(target) as session:
        assert topics_of(session, DEFAULT.name, ids) == expected
        assert topics_of(session, OTHER.name, ids) == {
            ids[0]: ["gold_reserves"],
            ids[1]: ["p5plus1_unity"],
        }


def test_labelling_every_topic_is_audited_within_the_state_column(engine: Engine) -> None:
    thread_id = make_thread(engine)
    cid = make_comment(engine, thread_id, body="x", status=CommentStatus.APPROVED)
    with session_scope(engine) as session:
        after = set_labels(session, cid, add=TOPICS, actor=Actor.user("alice"), taxonomy=DEFAULT)
    assert after == sorted(TOPICS)
    with Session(engine) as session:
        event = session.query(ModerationEvent).filter_by(action="label").one()
    assert event.extra["after"] == sorted(TOPICS) and event.extra["before"] == []
    assert event.to_state == ",".join(sorted(TOPICS)) or event.to_state == "3 topics"


def test_a_moderators_label_after_anothers_decides(engine: Engine, db_url: str) -> None:
    """Alice removes `russia`, Bob adds it: Bob's (the newer) label decides, in every view;
    then Alice removes it again and hers decides."""
    thread_id = make_thread(engine)
    cid = make_comment(
        engine, thread_id, body="Putin and the Kremlin", status=CommentStatus.APPROVED
    )
    env = {"THREADS_DATABASE_URL": db_url, "COLUMNS": "200"}
    runner = CliRunner()

    def label(*args: str) -> Any:
        return runner.invoke(cli_app, ["label", str(cid), *args], env=env)

    first = label("--remove", "russia", "--by", "alice")
    assert first.exit_code == 0 and "topics (none)" in first.output, first.output
    second = label("--add", "russia", "--by", "bob")
    assert second.exit_code == 0 and "topics russia" in second.output, second.output
    with Session(engine) as session:
        assert topics_of(session, DEFAULT.name, [cid]) == {cid: ["russia"]}
    records, _, _ = comment_table(engine, ReportQuery(all_threads=True, statuses=("approved",)))
    assert [r.topics for r in records] == [["russia"]]
    third = runner.invoke(
        cli_app, ["label", str(cid), "--remove", "russia", "--by", "alice"], env=env
    )
    assert third.exit_code == 0 and "topics (none)" in third.output, third.output
    records, _, _ = comment_table(engine, ReportQuery(all_threads=True, statuses=("approved",)))
    assert [r.topics for r in records] == [[]]
