"""A command line the CLI cannot parse is one line on stderr and exit code 1, like every other
error (README, "Commands"): it names the command and the option or argument and what was
expected, and shows no usage box. ``--help`` and a bare group still show the help."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.app import app

runner = CliRunner()

#: (command line, what the one line must say)
USAGE_ERRORS: list[tuple[list[str], list[str]]] = [
    (["moderate"], ["threads moderate", "Missing argument", "comment_id"]),
    (["moderate", "12"], ["threads moderate", "Missing argument", "action"]),
    (["queue", "--limit", "many"], ["threads queue", "'--limit'", "valid integer"]),
    (["queue", "--bogus"], ["threads queue", "No such option: --bogus"]),
    (["queue", "--status"], ["threads queue", "'--status' requires an argument"]),
    (["history", "abc"], ["threads history", "'comment_id'", "valid integer"]),
    (["export", "--format", "pdf"], ["threads export", "'--format'", "'jsonl'"]),
    (["keys", "list", "--all"], ["threads keys list", "No such option: --all"]),
    (["db", "downgrade"], ["threads db downgrade", "Missing argument", "revision"]),
    (["no-such-command"], ["threads", "No such command 'no-such-command'"]),
    (["--database-url"], ["threads", "'--database-url' requires an argument"]),
]


@pytest.mark.parametrize(("args", "said"), USAGE_ERRORS, ids=lambda v: " ".join(v))
def test_a_usage_error_is_one_line_and_exit_1(
    args: list[str], said: list[str], tmp_path: Path
) -> None:
    result = runner.invoke(app, args, env={"THREADS_DATABASE_URL": f"sqlite:///{tmp_path}/t.db"})
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: threads"), line
    for part in said:
        assert part in line, (part, line)
    assert "Usage:" not in line and "╭" not in line and "--help" in line


def test_a_bad_value_is_shown_as_text_not_as_a_terminal_control(tmp_path: Path) -> None:
    env = {"THREADS_DATABASE_URL": f"sqlite:///{tmp_path}/t.db"}
    result = runner.invoke(app, ["queue", "--sort", "\x1b]0;owned\x07"], env=env)
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\\x1b]0;owned" in result.stderr


def test_help_and_bare_groups_still_show_the_help(tmp_path: Path) -> None:
    env = {"THREADS_DATABASE_URL": f"sqlite:///{tmp_path}/t.db"}
    shown = runner.invoke(app, ["queue", "--help"], env=env)
    assert shown.exit_code == 0 and "Usage:" in shown.output and "--limit" in shown.output
    bare = runner.invoke(app, ["keys"], env=env)
    assert "Usage:" in bare.output and "create" in bare.output


def test_a_real_process_prints_one_line_and_ends_with_1(tmp_path: Path) -> None:
    env = {**os.environ, "THREADS_DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}"}
    done = subprocess.run(
        [sys.executable, "-m", "cli", "moderate", "7", "--expected-version", "new"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("error: threads moderate: "), done.stderr
    assert "'--expected-version'" in done.stderr and "integer" in done.stderr
