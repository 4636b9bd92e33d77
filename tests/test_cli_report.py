"""`threads report` through the real CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.report_builders import Built, build_dataset

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def built(engine: Engine) -> Built:
    return build_dataset(engine)


def _env(db_url: str, **extra: str) -> dict[str, str]:
    return {"THREADS_DATABASE_URL": db_url, "THREADS_REPORT_TIME": "2024-01-01T00:00:00Z", **extra}


def test_report_json_for_one_thread(db_url: str, built: Built) -> None:
    result = runner.invoke(app, ["report", "1", "--format", "json"], env=_env(db_url))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["kind"] == "thread"
    assert data["header"]["title"] == "Gold reserves and the ruble"
    assert data["header"]["counts"]["spam"] == 1
    # 4 counted comments: gold 1, russia 2 (c2, c3), p5 1
    shares = {r["topic_id"]: (r["comments"], r["share"]) for r in data["topics"]["rows"]}
    assert shares == {"gold": (1, 0.25), "p5": (1, 0.25), "russia": (2, 0.5)}
    assert data["manifest"]["generated_at"] == "2024-01-01T00:00:00Z"


def test_report_json_for_several_threads_is_a_summary(db_url: str, built: Built) -> None:
    result = runner.invoke(app, ["report", "1", "2", "-f", "json"], env=_env(db_url))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["kind"] == "corpus"
    assert [t["thread_id"] for t in data["threads"]] == [1, 2]
    assert data["topics"]["comments"] == 7


def test_unknown_thread_is_a_clear_error(db_url: str, built: Built) -> None:
    result = runner.invoke(app, ["report", "999"], env=_env(db_url))
    assert result.exit_code == 1
    assert "no thread with id 999" in result.output
    assert "Traceback" not in result.output


def test_bad_options_are_clear_errors(db_url: str, built: Built) -> None:
    result = runner.invoke(app, ["report"], env=_env(db_url))
    assert result.exit_code == 1 and "thread ids, or --all" in result.output
    result = runner.invoke(app, ["report", "--all", "--since", "last week"], env=_env(db_url))
    assert result.exit_code == 1 and "--since 'last week' is not a date" in result.output
    result = runner.invoke(app, ["report", "--all", "--topic", "weather"], env=_env(db_url))
    assert result.exit_code == 1 and "unknown topic 'weather'" in result.output


def test_rich_report_when_piped_has_no_colour_and_fits_80_columns(
    db_url: str, built: Built
) -> None:
    result = runner.invoke(app, ["report", "--all"], env=_env(db_url))
    assert result.exit_code == 0, result.output
    assert "\x1b[" not in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "Topic co-occurrence" in result.stdout and "Run manifest" in result.stdout


def test_width_option(db_url: str, built: Built) -> None:
    result = runner.invoke(app, ["report", "1", "--width", "60"], env=_env(db_url))
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 60


def test_csv_with_status_and_full_body(db_url: str, built: Built) -> None:
    result = runner.invoke(
        app, ["report", "1", "--format", "csv", "--status", "all", "--full-body"], env=_env(db_url)
    )
    assert result.exit_code == 0, result.output
    body = "".join(line for line in io.StringIO(result.stdout) if not line.startswith("# "))
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["status"] for r in rows] == [
        "approved",
        "approved",
        "pending",
        "flagged",
        "spam",
        "approved",
    ]
    assert rows[-1]["kind"] == "pingback"
    assert len(rows[0]["body"]) > 600  # the whole body


def test_markdown_and_anonymize(db_url: str, built: Built) -> None:
    result = runner.invoke(
        app, ["report", "--all", "--format", "markdown", "--anonymize"], env=_env(db_url)
    )
    assert result.exit_code == 0, result.output
    assert "## Most active authors" in result.stdout
    assert "Alice" not in result.stdout and "author-" in result.stdout


def test_report_in_a_real_subprocess_respects_no_color(tmp_path: Path, engine: Engine) -> None:
    build_dataset(engine)
    env = {
        **os.environ,
        "THREADS_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "NO_COLOR": "1",
        "THREADS_REPORT_TIME": "2024-01-01T00:00:00Z",
    }
    done = subprocess.run(
        [sys.executable, "-m", "cli", "report", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Comments are closed" in done.stdout
    assert "\x1b[" not in done.stdout
