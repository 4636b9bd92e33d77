"""Cheap meta-tests: every CLI command has help text and is documented in a guide of the docs
site (the generated reference does not count: a person explains each command somewhere)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from cli.app import app

ROOT = Path(__file__).resolve().parent.parent
GUIDES = "\n".join(
    path.read_text(encoding="utf-8")
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    if "reference" not in path.relative_to(ROOT).parts
)
runner = CliRunner()


def _subcommand(command: Any, name: str) -> Any:
    # through the group's interface: commands are loaded when first asked for
    return command.get_command(typer.Context(command), name)


def _command_paths() -> list[tuple[str, ...]]:
    root = get_command(app)
    paths: list[tuple[str, ...]] = []

    def walk(command: Any, prefix: tuple[str, ...]) -> None:
        if not hasattr(command, "list_commands"):
            paths.append(prefix)
            return
        for name in sorted(command.list_commands(typer.Context(command))):
            walk(_subcommand(command, name), (*prefix, name))

    walk(root, ())
    return paths


COMMANDS = _command_paths()


def test_the_cli_has_commands() -> None:
    assert ("db", "upgrade") in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p))
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    command: Any = get_command(app)
    for name in path:
        command = _subcommand(command, name)
    assert (command.help or "").strip(), f"`threads {' '.join(path)}` has no help text"


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p))
def test_every_command_appears_in_the_guides(path: tuple[str, ...]) -> None:
    assert f"threads {' '.join(path)}" in GUIDES, f"`threads {' '.join(path)}` is not documented"
