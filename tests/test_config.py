from __future__ import annotations

from pathlib import Path

import pytest

from threads.config import Settings
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
