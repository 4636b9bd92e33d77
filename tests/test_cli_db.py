"""`threads db ...` and the CLI's error handling, through Typer's runner and a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from cli.app import app
from threads.db import head_revision, make_engine

runner = CliRunner()


def test_db_upgrade_current_downgrade_on_both_backends(empty_db_url: str) -> None:
    env = {"THREADS_DATABASE_URL": empty_db_url}
    result = runner.invoke(app, ["db", "current"], env=env)
    assert result.exit_code == 0, result.output
    assert "current: none" in result.output and "behind" in result.output

    result = runner.invoke(app, ["db", "upgrade"], env=env)
    assert result.exit_code == 0, result.output
    assert f"empty -> {head_revision()}" in result.output

    result = runner.invoke(app, ["db", "current"], env=env)
    assert "up to date" in result.output

    result = runner.invoke(app, ["db", "downgrade", "base"], env=env)
    assert result.exit_code == 0, result.output
    engine = make_engine(empty_db_url)
    try:
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_db_info_migrates_the_embedded_sqlite_file_on_first_use(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = runner.invoke(app, ["db", "info"], env={"THREADS_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert "comment" in result.output and "moderation_event" in result.output
    assert (tmp_path / "fresh.db").exists()


def test_db_info_says_which_database_the_server_is(db_url: str, backend: str) -> None:
    result = runner.invoke(app, ["db", "info"], env={"THREADS_DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    url = sa.engine.make_url(db_url)
    if backend == "postgresql":  # the server's own answer, also when libpq's variables chose it
        assert first.endswith(
            f"(database {url.database} on {url.host}:{url.port} as {url.username})"
        )
    else:
        assert first == url.render_as_string(hide_password=True)


def test_bad_database_url_is_a_clear_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["db", "info"], env={"THREADS_DATABASE_URL": "mysql://x/y"})
    assert result.exit_code == 1
    assert "unsupported database backend 'mysql'" in result.output
    assert "Traceback" not in result.output


def test_postgres_database_must_be_upgraded_on_purpose(empty_db_url: str, backend: str) -> None:
    result = runner.invoke(app, ["db", "info"], env={"THREADS_DATABASE_URL": empty_db_url})
    if backend == "postgresql":
        assert result.exit_code == 1
        assert "run `threads db upgrade`" in result.output
    else:
        assert result.exit_code == 0, result.output


def test_threads_command_runs_as_a_real_process_with_the_default_database(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "THREADS_DATABASE_URL"}
    exe = Path(sys.executable).with_name("threads")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "cli"]
    done = subprocess.run(
        [*command, "db", "upgrade"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "threads.db").exists()
    version = subprocess.run([*command, "--version"], capture_output=True, text=True, env=env)
    assert version.stdout.startswith("threads ")


def test_a_real_process_ends_with_the_command_s_exit_code_and_all_its_output(
    tmp_path: Path,
) -> None:
    # the command ends without tearing the interpreter down: what it printed must all be
    # there, and the exit code must be the command's
    env = {**os.environ, "THREADS_DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}"}
    command = [sys.executable, "-m", "cli"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )

    listing = run("--help")
    assert listing.returncode == 0 and "ingest" in listing.stdout and "keys" in listing.stdout
    assert run("no-such-command").returncode == 1
    missing = run("ingest", str(tmp_path / "missing.xml"))
    assert missing.returncode == 1
    assert "missing.xml: no such file or directory" in missing.stderr
    # a longer output through a pipe arrives whole, down to its last table row
    fixtures = Path(__file__).resolve().parent.parent / "fixtures"
    done = run("ingest", *map(str, sorted(fixtures.glob("*.txt"))))
    assert done.returncode == 0, done.stderr
    assert "files failed" in done.stdout.rstrip().splitlines()[-2]


def test_a_database_that_cannot_be_used_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    down = "postgresql+psycopg://someone:s3cret@127.0.0.1:1/threads"  # nothing listens on port 1
    result = runner.invoke(app, ["queue"], env={"THREADS_DATABASE_URL": down})
    assert result.exit_code == 1
    assert "cannot be used" in result.output and "Connection refused" in result.output
    assert "the server is running" in result.output
    assert "s3cret" not in result.output and "Traceback" not in result.output
    # a SQLite path that is a folder, and one whose folder cannot be made
    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    result = runner.invoke(app, ["queue"], env={"THREADS_DATABASE_URL": f"sqlite:///{folder}"})
    assert result.exit_code == 1
    assert "unable to open database file" in result.output
    assert "the file can be opened" in result.output
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    url = f"sqlite:///{blocked}/threads.db"
    result = runner.invoke(app, ["ingest", str(tmp_path)], env={"THREADS_DATABASE_URL": url})
    assert result.exit_code == 1
    assert "cannot create the folder" in result.output and "THREADS_DATABASE_URL" in result.output
