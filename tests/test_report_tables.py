"""Tables researchers load without tricks: the report CSV read by pandas as it comes (stdout,
with the documented '#' header block; a file, with its manifest in a sidecar), columns as the
export's; and the JSON report valid against the JSON Schema shipped in the package."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from cli.app import app
from tests.report_builders import Builder, Built, build_dataset
from threads.analysis.formats import SCHEMA_PATH, report_schema

runner = CliRunner()


@pytest.fixture
def built(engine: Engine) -> Built:
    built = build_dataset(engine)
    with Session(engine) as session:
        b = Builder(session)
        b.built = built
        # a '#' inside a cell must not be cut by a reader that skips '#' comments
        b.comment(
            "hash",
            "talks",
            "#1 reason: gold # and more",
            author="#hashtag",
            posted_at=datetime(2014, 12, 4, 10, tzinfo=UTC),
        )
        session.commit()
    return built


def _env(db_url: str) -> dict[str, str]:
    return {"THREADS_DATABASE_URL": db_url, "THREADS_REPORT_TIME": "2024-01-01T00:00:00Z"}


def _export_columns(db_url: str) -> list[str]:
    result = runner.invoke(app, ["export", "--format", "csv"], env=_env(db_url))
    assert result.exit_code == 0, result.output
    return list(pd.read_csv(io.StringIO(result.stdout)).columns)


def test_report_csv_on_stdout_loads_with_comment_hash(db_url: str, built: Built) -> None:
    result = runner.invoke(app, ["report", "--all", "--format", "csv"], env=_env(db_url))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# software: threads")
    frame = pd.read_csv(io.StringIO(result.stdout), comment="#")
    assert len(frame) == 9  # 8 comments and a pingback, no manifest line among them
    columns = list(frame.columns)
    assert columns[columns.index("topics") + 1 : columns.index("sentiment")] == [
        "score_gold",
        "score_p5",
        "score_russia",
    ]
    # the columns the export has too, in the export's order, named the same
    shared = [c for c in _export_columns(db_url) if c in columns]
    assert shared == [c for c in columns if c in shared]
    assert {"score_gold", "score_p5", "score_russia", "topics", "body"} <= set(shared)
    row = frame[frame["body"].str.startswith("#1")].iloc[0]
    assert row["body"] == "#1 reason: gold # and more" and row["author_name"] == "#hashtag"
    c7 = frame[frame["body"].str.startswith("Russia sits")].iloc[0]
    assert c7["topics"] == "p5;russia" and c7["score_p5"] == 0.5 and c7["score_russia"] == 0.6
    assert pd.isna(c7["score_gold"])
    # each row carries its thread's site and state, as the per-thread table of the other formats
    corpus = runner.invoke(app, ["report", "--all", "--format", "json"], env=_env(db_url))
    per_thread = {
        t["thread_id"]: (t["site"], t["state"]) for t in json.loads(corpus.stdout)["threads"]
    }
    assert set(frame["thread_state"]) == {"open", "closed"}
    for _, r in frame.iterrows():
        assert (r["site"], r["thread_state"]) == per_thread[r["thread_id"]]


def test_report_csv_to_a_file_is_a_plain_table_with_a_manifest_beside_it(
    db_url: str, built: Built, tmp_path: Path
) -> None:
    out = tmp_path / "comments.csv"
    result = runner.invoke(app, ["report", "--all", "-f", "csv", "-o", str(out)], env=_env(db_url))
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)  # no options at all
    assert len(frame) == 9 and frame.columns[0] == "comment_id"
    assert frame["comment_id"].dtype.kind == "i"
    manifest = json.loads((tmp_path / "comments.csv.manifest.json").read_text(encoding="utf-8"))
    assert manifest["software"] == "threads" and manifest["comments"] == 8
    assert manifest["generated_at"] == "2024-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "args",
    [["1"], ["2"], ["3"], ["--all"], ["1", "2"], ["--all", "--anonymize", "--topic", "gold"]],
    ids=["thread", "closed", "empty", "corpus", "two", "anonymized"],
)
def test_json_report_is_valid_against_the_shipped_schema(
    db_url: str, built: Built, args: list[str]
) -> None:
    schema = report_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    result = runner.invoke(app, ["report", *args, "--format", "json"], env=_env(db_url))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    jsonschema.Draft202012Validator(schema).validate(data)
    if data["kind"] == "corpus":
        assert {t["state"] for t in data["threads"]} <= {"open", "closed"}
        assert all(t["site"] == "example.org" for t in data["threads"])


def test_the_schema_catches_a_report_that_drifts(db_url: str, built: Built) -> None:
    result = runner.invoke(app, ["report", "--all", "--format", "json"], env=_env(db_url))
    data = json.loads(result.stdout)
    del data["threads"][0]["state"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, report_schema(), cls=jsonschema.Draft202012Validator)


def test_the_schema_is_shipped_inside_the_package() -> None:
    assert SCHEMA_PATH.parent.name == "data" and SCHEMA_PATH.parent.parent.name == "threads"
    assert SCHEMA_PATH.is_file()
