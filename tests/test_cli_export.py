"""`threads export` end to end through the real CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import defusedxml.ElementTree as DET
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.archive_builders import build, sample_data
from threads.archive import dump_archive

runner = CliRunner()


def _run(db_url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["export", *args], env={"THREADS_DATABASE_URL": db_url})
    return result.exit_code, result.stdout, result.stderr


def test_export_writes_the_archive_to_stdout(db_url: str, engine: Engine) -> None:
    build(engine, sample_data())
    code, out, _ = _run(db_url)
    assert code == 0
    expected = io.StringIO()
    dump_archive(engine, expected)
    assert out == expected.getvalue()
    assert json.loads(out.splitlines()[0])["format"] == "threads-archive"


def test_export_each_format_of_one_thread(db_url: str, engine: Engine) -> None:
    build(engine, sample_data())
    code, out, _ = _run(db_url, "--format", "csv", "--thread", "2")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert [r["comment_id"] for r in rows] == ["6", "7"] and rows[0]["author_name"] == "李"
    for fmt in ("wxr", "disqus"):
        code, out, _ = _run(db_url, "--format", fmt, "-t", "1", "-t", "2")
        assert code == 0
        DET.fromstring(out.encode("utf-8"))
    code, out, _ = _run(db_url, "--format", "jsonl", "--thread", "1")
    assert json.loads(out.splitlines()[0])["scope"] == {"threads": [1]}


def test_export_to_a_file_replaces_it_only_when_complete(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    build(engine, sample_data())
    target = tmp_path / "out" / "archive.jsonl"
    target.parent.mkdir()
    target.write_text("previous archive\n", encoding="utf-8")
    code, out, err = _run(db_url, "--out", str(target))
    assert code == 0 and out == ""
    assert "7 comment" in err and str(target) in err
    text = target.read_text(encoding="utf-8")
    assert text.startswith('{"type":"archive"') and "Zoë" in text

    code, out, err = _run(db_url, "--out", str(target), "--thread", "1", "--thread", "42")
    assert code == 1
    assert "no thread with id 42" in err
    assert target.read_text(encoding="utf-8") == text  # untouched
    assert sorted(p.name for p in target.parent.iterdir()) == ["archive.jsonl"]  # no temp left


def test_export_of_an_unknown_thread_fails_naming_it(db_url: str, engine: Engine) -> None:
    build(engine, sample_data())
    code, out, err = _run(db_url, "--format", "wxr", "--thread", "99")
    assert code == 1
    assert "error: no thread with id 99" in err
    assert "Traceback" not in err


def test_export_refuses_an_unknown_format_and_a_missing_folder(db_url: str, tmp_path: Path) -> None:
    code, _, err = _run(db_url, "--format", "pdf")
    assert code == 1 and "pdf" in err and len(err.strip().splitlines()) == 1
    code, _, err = _run(db_url, "--out", str(tmp_path / "nowhere" / "a.jsonl"))
    assert code == 1 and "does not exist" in err


def test_export_of_an_empty_database(db_url: str) -> None:
    code, out, _ = _run(db_url, "--format", "csv")
    assert code == 0 and out.startswith("comment_id,thread_id,")
    code, out, _ = _run(db_url)
    lines = out.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["as_of"] is None
