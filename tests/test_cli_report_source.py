"""`threads report --source FILE`: the threads imported from a file, found by its content."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cli.app import app

runner = CliRunner()
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED = FIXTURES / "consortiumnews-us-policy-unites-iran-and-china.txt"
BLOGGER = FIXTURES / "blogger-china-iran-relationship.txt"


def _run(db_url: str, *args: str) -> Any:
    return runner.invoke(app, list(args), env={"THREADS_DATABASE_URL": db_url, "COLUMNS": "100"})


def test_report_source_shows_the_thread_of_the_imported_file(db_url: str, tmp_path: Path) -> None:
    assert _run(db_url, "ingest", str(BLOGGER), str(SEED)).exit_code == 0
    copy = tmp_path / "renamed.txt"
    shutil.copyfile(SEED, copy)
    result = _run(db_url, "report", "--source", str(copy), "--width", "100")
    assert result.exit_code == 0, result.output
    text = result.output
    assert "How US Policy Unites Iran and China" in text and "Comments are closed" in text
    assert "Zachary Smith" in text and "Comments (4 shown)" in text
    both = _run(db_url, "report", "--source", str(SEED), "--source", str(BLOGGER), "-f", "json")
    assert both.exit_code == 0
    assert '"threads"' in both.output  # a summary of two threads


def test_report_source_never_imported_is_a_clear_error(db_url: str, tmp_path: Path) -> None:
    other = tmp_path / "other.txt"
    other.write_text("An article.\n\nComments are closed.\n", encoding="utf-8")
    result = _run(db_url, "report", "--source", str(other))
    assert result.exit_code == 1
    assert "has not been imported" in result.output
    missing = _run(db_url, "report", "--source", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 1 and "cannot read" in missing.output
