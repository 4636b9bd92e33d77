"""Research mode without a database: `threads classify --input` and `threads evaluate`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.app import app
from threads.topics.classifier import Classifier
from threads.topics.evaluation import Item, agreement, evaluate, read_items
from threads.topics.taxonomy import load_taxonomy

runner = CliRunner()
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _run(tmp_path: Path, *args: str, input: str | None = None) -> Any:
    # a database URL that must never be created: research mode does not touch it
    db = tmp_path / "never.db"
    result = runner.invoke(
        app, list(args), input=input, env={"THREADS_DATABASE_URL": f"sqlite:///{db}"}
    )
    assert not db.exists()
    return result


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_classify_input_writes_one_line_per_input(tmp_path: Path) -> None:
    source = _write(
        tmp_path / "in.jsonl",
        [
            {"id": 1, "body": "Putin and the Kremlin again."},
            {"id": "b", "body": "Central banks keep buying gold bullion."},
            {"id": 3, "body": "Nice photos."},
        ],
    )
    result = _run(tmp_path, "classify", "--input", str(source))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == [1, "b", 3]
    assert [line["topics"] for line in lines] == [["russia"], ["gold_reserves"], []]
    first = lines[0]
    assert set(first) == {"id", "topics", "scores", "evidence"}
    assert set(first["scores"]) == {"gold_reserves", "p5plus1_unity", "russia"}
    body = "Putin and the Kremlin again."
    for e in first["evidence"]["russia"]:
        assert body[e["start"] : e["end"]] == e["text"] and e["term"]


def test_classify_input_reads_stdin_and_another_codebook(tmp_path: Path) -> None:
    codebook = tmp_path / "c.toml"
    codebook.write_text(
        'name = "weather"\n[[topic]]\nid = "rain"\nterms = ["rain", "drizzle"]\n'
        'phrases = ["wet weather"]\n',
        encoding="utf-8",
    )
    text = json.dumps({"id": 7, "body": "Drizzle and more wet weather."}) + "\n\n"
    result = _run(tmp_path, "classify", "--input", "-", "--taxonomy", str(codebook), input=text)
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(x) for x in result.stdout.splitlines()]
    assert line["topics"] == ["rain"] and line["scores"]["rain"] == 0.84


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": 1, "body": "ok"}\n{"id": 2}\n', "in.jsonl:2: body: expected a string"),
        ('{"body": "x"}\n', "in.jsonl:1: id: expected a string or an integer"),
        ("not json\n", "in.jsonl:1: not a JSON object"),
        ("[1, 2]\n", "in.jsonl:1: expected a JSON object per line"),
    ],
)
def test_bad_input_line_is_named(tmp_path: Path, content: str, message: str) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(content, encoding="utf-8")
    result = _run(tmp_path, "classify", "--input", str(source))
    assert result.exit_code == 1
    assert message in result.output


def test_input_mode_refuses_database_options(tmp_path: Path) -> None:
    result = _run(tmp_path, "classify", "--input", "-", "--all", input="")
    assert result.exit_code == 1 and "--input classifies a file" in result.output


def test_evaluate_json_has_per_topic_micro_and_macro(tmp_path: Path) -> None:
    result = _run(
        tmp_path, "evaluate", "--gold", str(FIXTURES / "seed_labels.jsonl"), "--format", "json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data["per_topic"]) == {"gold_reserves", "p5plus1_unity", "russia"}
    for metrics in [*data["per_topic"].values(), data["micro"], data["macro"]]:
        assert {"precision", "recall", "f1", "support"} <= set(metrics)
        assert all(0 <= metrics[k] <= 1 for k in ("precision", "recall", "f1"))
    assert data["per_topic"]["russia"]["support"] == 3
    assert data["items"] == 4


def test_evaluate_counts_are_right_and_disagreements_carry_evidence(tmp_path: Path) -> None:
    gold = _write(
        tmp_path / "gold.jsonl",
        [
            {"id": "a", "body": "Putin again.", "topics": ["russia"]},  # tp
            {"id": "b", "body": "Russian dressing on my salad.", "topics": []},  # tn
            {"id": "c", "body": "Moscow is cold.", "topics": []},  # fp russia
            {"id": "d", "body": "The bear is restless.", "topics": ["russia"]},  # fn russia
            {"id": "e", "body": "Gold bullion in vaults.", "topics": ["gold_reserves"]},  # tp
        ],
    )
    data = json.loads(_run(tmp_path, "evaluate", "--gold", str(gold), "--format", "json").stdout)
    russia = data["per_topic"]["russia"]
    assert (russia["tp"], russia["fp"], russia["fn"]) == (1, 1, 1)
    assert russia["precision"] == 0.5 and russia["recall"] == 0.5 and russia["support"] == 2
    assert data["per_topic"]["gold_reserves"]["f1"] == 1.0
    assert data["micro"]["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert data["macro"]["f1"] == pytest.approx((0.5 + 1.0 + 0.0) / 3, abs=1e-4)
    by_id = {d["id"]: d for d in data["disagreements"]}
    assert set(by_id) == {"c", "d"}
    assert (
        by_id["c"]["extra"] == ["russia"]
        and by_id["c"]["evidence"]["russia"][0]["text"] == "Moscow"
    )
    assert by_id["d"]["missed"] == ["russia"]
    rich = _run(tmp_path, "evaluate", "--gold", str(gold))
    assert rich.exit_code == 0 and "macro" in rich.output and "missed: russia" in rich.output
    assert "'Moscow'" in rich.output


def test_evaluate_cross_validation_and_unknown_gold_topic(tmp_path: Path) -> None:
    rows = [
        {"id": i, "body": f"The hoard of bars number {i}.", "topics": ["gold_reserves"]}
        for i in range(100)
    ] + [{"id": 1000 + i, "body": f"Lovely day number {i}.", "topics": []} for i in range(100)]
    gold = _write(tmp_path / "gold.jsonl", rows)
    result = _run(tmp_path, "evaluate", "--gold", str(gold), "--folds", "3", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert "3-fold" in data["method"]
    assert data["per_topic"]["gold_reserves"]["recall"] > 0.5  # learned from the other folds
    alone = _run(tmp_path, "evaluate", "--gold", str(gold), "--codebook-only", "--format", "json")
    plain = json.loads(alone.stdout)
    assert plain["per_topic"]["gold_reserves"]["recall"] == 0.0  # the codebook has no "hoard"
    # the learned layer trained on the shipped comments knows hoards of bars
    shipped = json.loads(_run(tmp_path, "evaluate", "--gold", str(gold), "--format", "json").stdout)
    assert shipped["per_topic"]["gold_reserves"]["recall"] == 1.0
    bad = _write(tmp_path / "bad.jsonl", [{"id": 1, "body": "x", "topics": ["weather"]}])
    refused = _run(tmp_path, "evaluate", "--gold", str(bad))
    assert refused.exit_code == 1 and "bad.jsonl:1: topics: 'weather' not in the codebook" in (
        refused.output
    )


def test_evaluate_agreement_from_an_annotation_file(tmp_path: Path) -> None:
    rows = []
    for i in range(10):
        ann = ["russia"] if i < 5 else []
        bob = ["russia"] if i < 4 or i == 9 else []
        rows.append({"id": i, "coder": "ann", "body": "", "topics": ann})
        rows.append({"id": i, "coder": "bob", "body": "", "topics": bob})
    path = _write(tmp_path / "ann.jsonl", rows)
    result = _run(tmp_path, "evaluate", "--annotations", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    rows_out = {a["topic_id"]: a for a in json.loads(result.stdout)["agreement"]}
    # 8 of 10 agree, each coder says yes 5 times: kappa = (0.8 - 0.5) / 0.5
    assert rows_out["russia"]["kappa"] == pytest.approx(0.6)
    assert rows_out["russia"]["alpha"] is not None and rows_out["russia"]["alpha"] < 0.65
    assert rows_out["gold_reserves"]["kappa"] == 1.0  # both always "no": perfect agreement


def test_seed_labels_are_read_and_mostly_right() -> None:
    taxonomy = load_taxonomy(None)
    items = list(read_items(FIXTURES / "seed_labels.jsonl", gold=True, taxonomy=taxonomy))
    assert len(items) == 4 and all(isinstance(i, Item) for i in items)
    result = evaluate(items, Classifier(taxonomy))
    assert result.micro.f1 >= 0.8


def test_agreement_needs_shared_items() -> None:
    rows = agreement([("ann", 1, frozenset()), ("bob", 2, frozenset({"x"}))], ["x"])
    assert rows[0].items == 0 and rows[0].kappa is None and rows[0].note


@pytest.mark.parametrize(
    ("name", "floor"), [("labelled.jsonl", 0.95), ("labelled_holdout.jsonl", 0.85)]
)
def test_default_codebook_keeps_its_measured_quality(name: str, floor: float) -> None:
    """A guard on the figures in the README: a codebook or classifier change that costs
    quality on the labelled sets fails here (the hold-out set is never used for tuning)."""
    taxonomy = load_taxonomy(None)
    items = list(read_items(FIXTURES / name, gold=True, taxonomy=taxonomy))
    assert len(items) >= 40
    result = evaluate(items, Classifier(taxonomy))
    assert result.macro["f1"] >= floor, result.macro
