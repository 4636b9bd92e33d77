"""Topic commands end to end: the real CLI on a SQLite file and a PostgreSQL server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli.app import app
from tests.moderation_support import events, make_comment, make_thread
from threads.db import session_scope
from threads.models import Comment, CommentClassification, CommentTopic, LabelSource, TopicModel
from threads.topics.classifier import Classifier
from threads.topics.gold import shipped_models
from threads.topics.taxonomy import load_taxonomy

runner = CliRunner()
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

GOLD_TEXT = "Germany wants its gold reserves back from the vaults in New York."
RUSSIA_TEXT = "Putin and the Kremlin will not bow to sanctions."
BOTH_TEXT = "The P5+1 is split: Russia and China will not back new sanctions on Iran."
NONE_TEXT = "Thank you for the article, very well written."


def _run(db_url: str, *args: str, user: str = "mia", input: str | None = None) -> Any:
    return runner.invoke(
        app,
        list(args),
        input=input,
        env={"THREADS_DATABASE_URL": db_url, "USER": user, "COLUMNS": "200"},
    )


def _labels(engine: Engine, source: LabelSource | None = None) -> list[CommentTopic]:
    with Session(engine) as session:
        stmt = select(CommentTopic).order_by(CommentTopic.comment_id, CommentTopic.topic_id)
        if source is not None:
            stmt = stmt.where(CommentTopic.source == source)
        return list(session.exec(stmt))


def _assigned(engine: Engine) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for label in _labels(engine, LabelSource.AUTO):
        if label.assigned:
            out.setdefault(label.comment_id, []).append(label.topic_id)
    return out


def _comments(engine: Engine) -> tuple[int, dict[str, int]]:
    tid = make_thread(engine, title="How US Policy Unites Iran and China")
    ids = {
        "gold": make_comment(engine, tid, body=GOLD_TEXT),
        "russia": make_comment(engine, tid, body=RUSSIA_TEXT),
        "both": make_comment(engine, tid, body=BOTH_TEXT),
        "none": make_comment(engine, tid, body=NONE_TEXT),
    }
    return tid, ids


def test_classify_stores_auto_labels_with_evidence_version_and_sentiment(
    engine: Engine, db_url: str
) -> None:
    _, ids = _comments(engine)
    result = _run(db_url, "classify")
    assert result.exit_code == 0, result.output
    assert "classified 4 comments" in result.output
    assert _assigned(engine) == {
        ids["gold"]: ["gold_reserves"],
        ids["russia"]: ["russia"],
        ids["both"]: ["p5plus1_unity", "russia"],
    }
    version = load_taxonomy(None).version
    for label in _labels(engine):
        assert label.taxonomy_version == version and label.source == LabelSource.AUTO
        assert all(GOLD_TEXT[e["start"] : e["end"]] == e["text"] for e in label.evidence) or (
            label.comment_id != ids["gold"]
        )
    with Session(engine) as session:
        thanks = session.get(Comment, ids["none"])
        assert thanks is not None and thanks.sentiment is not None and thanks.sentiment > 0
        marks = session.exec(
            select(CommentClassification).where(CommentClassification.comment_id == ids["none"])
        ).all()
        # by default the learned layer trained on the shipped labelled comments takes part
        shipped = Classifier(load_taxonomy(None), shipped_models(load_taxonomy(None)))
        assert shipped.fingerprint.startswith(version + "+")
        assert [(m.codebook, m.fingerprint) for m in marks] == [
            ("iran-china-2014", shipped.fingerprint)
        ]


def test_classify_is_incremental(engine: Engine, db_url: str) -> None:
    tid, ids = _comments(engine)
    assert _run(db_url, "classify").exit_code == 0
    again = _run(db_url, "classify")
    assert "classified 0 comments" in again.output and "nothing to do" in again.output
    with session_scope(engine) as session:  # the source changed this comment's text
        comment = session.get(Comment, ids["none"])
        assert comment is not None
        comment.body = "Russia again."
        comment.content_hash = "changed"
    changed = _run(db_url, "classify")
    assert "classified 1 comment " in changed.output, changed.output
    assert _assigned(engine)[ids["none"]] == ["russia"]
    everything = _run(db_url, "classify", "--all", "--thread", str(tid))
    assert "classified 4 comments" in everything.output


def _report(db_url: str, *args: str) -> str:
    """`threads report --all` at a fixed report time (the manifest names the time)."""
    result = runner.invoke(
        app,
        ["report", "--all", *args],
        env={"THREADS_DATABASE_URL": db_url, "THREADS_REPORT_TIME": "2024-01-01T00:00:00Z"},
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def _assigned_in(engine: Engine, codebook: str) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for label in _labels(engine, LabelSource.AUTO):
        if label.assigned and label.codebook == codebook:
            out.setdefault(label.comment_id, []).append(label.topic_id)
    return out


def test_a_second_codebook_leaves_the_first_ones_labels_and_report(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    _, ids = _comments(engine)
    assert _run(db_url, "classify").exit_code == 0
    first = _assigned_in(engine, "iran-china-2014")
    first_rows = [(x.id, x.comment_id, x.topic_id, x.score, x.assigned) for x in _labels(engine)]
    fixed = ("--format", "json")
    report_before = _report(db_url, *fixed)
    codebook = tmp_path / "c.toml"
    codebook.write_text(
        'name = "c"\n[[topic]]\nid = "sanctions"\nterms = ["sanction"]\n', encoding="utf-8"
    )
    result = _run(db_url, "classify", "--taxonomy", str(codebook))
    assert "classified 4 comments" in result.output, result.output
    assert _assigned_in(engine, "c") == {ids["russia"]: ["sanctions"], ids["both"]: ["sanctions"]}
    assert _assigned_in(engine, "iran-china-2014") == first
    assert [
        (x.id, x.comment_id, x.topic_id, x.score, x.assigned)
        for x in _labels(engine)
        if x.codebook == "iran-china-2014"
    ] == first_rows
    assert {x.taxonomy_version for x in _labels(engine) if x.codebook == "c"} == {
        load_taxonomy(codebook).version
    }
    assert _report(db_url, *fixed) == report_before
    # the first codebook's comments are still classified: nothing to do for it
    again = _run(db_url, "classify")
    assert "classified 0 comments" in again.output, again.output
    # the second codebook is listed beside the first
    listed = json.loads(_run(db_url, "codebooks", "--format", "json").stdout)
    by_name = {b["name"]: b for b in listed}
    assert set(by_name) == {"c", "iran-china-2014"}
    assert by_name["c"]["automatic_labels"] == 2 and by_name["c"]["classified_comments"] == 4
    assert by_name["iran-china-2014"]["configured"] is True
    assert by_name["c"]["configured"] is False


def test_classify_unknown_thread_fails_cleanly(db_url: str, engine: Engine) -> None:
    result = _run(db_url, "classify", "--thread", "999")
    assert result.exit_code == 1 and "thread 999 does not exist" in result.output


def test_moderator_label_is_audited_and_wins_over_auto(engine: Engine, db_url: str) -> None:
    _, ids = _comments(engine)
    assert _run(db_url, "classify").exit_code == 0
    target = ids["both"]
    result = _run(
        db_url, "label", str(target), "--remove", "russia", "--add", "gold_reserves", "--by", "ann"
    )
    assert result.exit_code == 0, result.output
    assert "topics gold_reserves, p5plus1_unity" in result.output
    mods = _labels(engine, LabelSource.MODERATOR)
    assert {(m.topic_id, m.assigned, m.labeler) for m in mods} == {
        ("russia", False, "ann"),
        ("gold_reserves", True, "ann"),
    }
    (event,) = [e for e in events(engine, target) if e.action == "label"]
    assert event.actor == "ann" and event.from_state == "p5plus1_unity,russia"
    assert event.to_state == "gold_reserves,p5plus1_unity"
    assert event.extra["removed"] == ["russia"]
    # a later automatic run does not undo the moderator
    assert _run(db_url, "classify", "--all").exit_code == 0
    assert {(m.topic_id, m.assigned) for m in _labels(engine, LabelSource.MODERATOR)} == {
        ("russia", False),
        ("gold_reserves", True),
    }


def test_label_errors_leave_nothing_written(engine: Engine, db_url: str) -> None:
    _, ids = _comments(engine)
    unknown = _run(db_url, "label", str(ids["gold"]), "--add", "gold_reserves", "--add", "nope")
    assert unknown.exit_code == 1 and "unknown topic 'nope'" in unknown.output
    missing = _run(db_url, "label", "9999", "--add", "russia")
    assert missing.exit_code == 1 and "comment 9999 does not exist" in missing.output
    nothing = _run(db_url, "label", str(ids["gold"]))
    assert nothing.exit_code == 1 and "at least one topic" in nothing.output
    assert _labels(engine) == [] and [e for e in events(engine) if e.action == "label"] == []


def test_train_learns_from_moderator_labels_and_warns_under_30(engine: Engine, db_url: str) -> None:
    tid = make_thread(engine)
    hoard = [
        make_comment(engine, tid, body=f"The national hoard of bars, year {i}.") for i in range(4)
    ]
    chatter = [make_comment(engine, tid, body=f"Lovely weather on day {i}.") for i in range(4)]
    for cid in hoard:
        assert _run(db_url, "label", str(cid), "--add", "gold_reserves").exit_code == 0
    for cid in chatter:
        assert _run(db_url, "label", str(cid), "--remove", "gold_reserves").exit_code == 0
    result = _run(db_url, "train", "--no-shipped")
    assert result.exit_code == 0, result.output
    assert "warning: gold_reserves: only 8 labels" in result.output
    assert "russia: no model" in result.output
    with Session(engine) as session:
        (model,) = session.exec(select(TopicModel)).all()
    assert model.topic_id == "gold_reserves" and model.label_count == 8
    assert model.taxonomy_version == load_taxonomy(None).version
    assert model.model["algorithm"] == "nltk-naive-bayes" and "hoard" in model.model["present"]
    json.dumps(model.model)  # stored as plain JSON
    new = make_comment(engine, tid, body="Another year, another national hoard of bars.")
    classified = _run(db_url, "classify")
    assert "learned models (gold_reserves)" in classified.output
    assert "classified 9 comments" in classified.output  # new models: everything again
    (gold,) = [
        label
        for label in _labels(engine, LabelSource.AUTO)
        if label.comment_id == new and label.topic_id == "gold_reserves"
    ]
    assert gold.score > 0 and any(e["layer"] == "learned" for e in gold.evidence)
    as_json = json.loads(
        _run(db_url, "train", "--no-shipped", "--format", "json").stdout.split("\nwarning")[0]
    )
    assert as_json["labels"]["gold_reserves"] == {"positive": 4, "negative": 4, "total": 8}


def test_evaluate_agreement_between_moderators(engine: Engine, db_url: str) -> None:
    _, ids = _comments(engine)
    for who in ("ann", "bob"):
        for args in (("gold", "--add", "gold_reserves"), ("none", "--remove", "russia")):
            cid = str(ids[args[0]])
            assert _run(db_url, "label", cid, *args[1:], "--by", who).exit_code == 0
    assert (
        _run(db_url, "label", str(ids["russia"]), "--add", "russia", "--by", "ann").exit_code == 0
    )
    bob = _run(db_url, "label", str(ids["russia"]), "--remove", "russia", "--by", "bob")
    assert bob.exit_code == 0
    result = _run(db_url, "evaluate", "--agreement", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {a["topic_id"]: a for a in json.loads(result.output)["agreement"]}
    assert rows["gold_reserves"]["items"] == 3 and rows["gold_reserves"]["coders"] == 2
    assert rows["gold_reserves"]["kappa"] == 1.0
    assert rows["russia"]["kappa"] is not None and rows["russia"]["kappa"] < 1.0
    rich = _run(db_url, "evaluate", "--agreement")
    assert "Cohen's kappa" in rich.output and "Krippendorff" in rich.output


def test_session_rolls_back_a_failed_label(engine: Engine, db_url: str) -> None:
    _, ids = _comments(engine)
    with engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(CommentTopic)).scalar_one()
    result = _run(db_url, "label", str(ids["gold"]), "--add", "russia", "--remove", "russia")
    assert result.exit_code == 1 and "both added and removed" in result.output
    with engine.connect() as conn:
        after = conn.execute(sa.select(sa.func.count()).select_from(CommentTopic)).scalar_one()
    assert before == after


def test_reports_choose_a_codebook_by_name_or_by_file(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    _comments(engine)
    codebook = tmp_path / "c.toml"
    codebook.write_text(
        'name = "c"\n[[topic]]\nid = "sanctions"\nlabel = "Sanctions"\nterms = ["sanction"]\n',
        encoding="utf-8",
    )
    assert _run(db_url, "classify", "--taxonomy", str(codebook)).exit_code == 0
    by_name = _run(db_url, "report", "--all", "--codebook", "c", "--format", "json")
    assert [r["topic_id"] for r in json.loads(by_name.stdout)["topics"]["rows"]] == ["sanctions"]
    named = _run(db_url, "report", "--all", "--taxonomy", str(codebook), "--format", "json")
    rows = json.loads(named.stdout)["topics"]["rows"]
    assert [(r["topic_id"], r["label"]) for r in rows] == [("sanctions", "Sanctions")]
    # the configured codebook has labelled nothing yet: no topics (the other's are not shown)
    default = json.loads(_run(db_url, "report", "--all", "--format", "json").stdout)
    assert default["topics"]["rows"] == []
    assert _run(db_url, "classify").exit_code == 0
    default = json.loads(_run(db_url, "report", "--all", "--format", "json").stdout)
    assert [r["topic_id"] for r in default["topics"]["rows"]] == [
        "gold_reserves",
        "p5plus1_unity",
        "russia",
    ]
