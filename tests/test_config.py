from __future__ import annotations

from pathlib import Path

import pytest

from threads.config import Settings
from threads.enums import AutoCloseFrom, PreModeration
from threads.errors import InvalidInput


def test_default_database_is_a_sqlite_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'threads.db'}"
    assert settings.is_sqlite


def test_environment_variables_are_read_and_typed() -> None:
    settings = Settings.from_env(
        {
            "THREADS_DATABASE_URL": "postgresql+psycopg://u@h/db",
            "THREADS_AUTO_CLOSE_DAYS": "14",
            "THREADS_AUTO_MIGRATE": "no",
            "THREADS_WORDLIST_PATH": "/tmp/words.toml",
        }
    )
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.auto_close_days == 14
    assert settings.auto_migrate is False
    assert settings.wordlist_path == Path("/tmp/words.toml")


def test_explicit_overrides_win_over_the_environment() -> None:
    settings = Settings.from_env({"THREADS_DATABASE_URL": "sqlite:///a.db"}, database_url="x")
    assert settings.database_url == "x"


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(InvalidInput, match="THREADS_AUTO_CLOSE_DAYS='soon'"):
        Settings.from_env({"THREADS_AUTO_CLOSE_DAYS": "soon"})


def test_policies_are_enums_and_a_bad_one_names_its_variable() -> None:
    settings = Settings.from_env(
        {"THREADS_PREMODERATION": "links", "THREADS_AUTO_CLOSE_FROM": "last_comment"}
    )
    assert settings.premoderation is PreModeration.LINKS
    assert settings.auto_close_from is AutoCloseFrom.LAST_COMMENT
    for var, value in (("THREADS_PREMODERATION", "sometimes"), ("THREADS_AUTO_CLOSE_FROM", "x")):
        with pytest.raises(InvalidInput) as info:
            Settings.from_env({var: value})
        assert info.value.field == var and f"{var}={value!r}" in info.value.detail
        assert "\n" not in info.value.detail


def test_every_documented_variable_is_read_with_its_meaning() -> None:
    settings = Settings.from_env(
        {
            "THREADS_TAXONOMY_PATH": "/tmp/codebook.toml",
            "THREADS_MIN_COMMENT_CHARS": "5",
            "THREADS_MAX_COMMENT_CHARS": "500",
            "THREADS_MAX_LINKS": "1",
            "THREADS_RATE_LIMIT_PER_MINUTE": "7",
            "THREADS_MAX_REQUEST_BYTES": "1000",
            "THREADS_REPORT_SALT": "pepper",
            "THREADS_MAX_IMPORT_COMMENT_CHARS": "2000",
            "USER": "mia",
        }
    )
    assert settings.taxonomy_path == Path("/tmp/codebook.toml")
    assert (settings.min_comment_chars, settings.max_comment_chars) == (5, 500)
    assert (settings.max_links, settings.rate_limit_per_minute) == (1, 7)
    assert settings.max_request_bytes == 1000 and settings.report_salt == "pepper"
    assert settings.user == "mia" and settings.max_import_comment_chars == 2000
    assert Settings.from_env({"THREADS_REPORT_TIME": ""}).report_time is None  # empty: unset


def test_settings_built_in_code_ignore_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREADS_PREMODERATION", "all")
    assert Settings().premoderation is PreModeration.FIRST_TIME
    assert Settings.from_env().premoderation is PreModeration.ALL


def test_exported_settings_come_back_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `threads serve --workers` hands its worker processes."""
    settings = Settings.from_env(
        {"THREADS_DATABASE_URL": "sqlite:///w.db", "THREADS_PREMODERATION": "none"},
        auto_close_days=3,
    )
    assert Settings.from_env(settings.environ()) == settings
    for name in settings.environ():
        monkeypatch.setenv(name, "")  # restored (or removed) after the test
    settings.export()
    assert Settings.from_env() == settings


def test_a_bad_variable_stops_a_command_in_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.app import app

    result = CliRunner().invoke(
        app,
        ["queue"],
        env={
            "THREADS_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            "THREADS_AUTO_CLOSE_FROM": "birthday",
        },
    )
    assert result.exit_code == 1
    assert result.output.startswith("error: environment variable THREADS_AUTO_CLOSE_FROM=")
    assert result.output.count("\n") == 1


def test_the_cli_reads_no_environment_itself() -> None:
    """Settings are read in one place (threads/config.py): no command touches os.environ."""
    root = Path(__file__).resolve().parent.parent / "cli"
    for path in sorted(root.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "os.environ" not in text and "getenv" not in text, path.name
        assert "envvar=" not in text, path.name
