"""The layer rule of STYLE.md, checked by reading imports.

- ``threads/`` never imports ``cli``;
- only ``threads/api/`` imports Litestar;
- only ``cli/`` imports Rich and Typer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _sources("threads"), ids=lambda p: str(p.relative_to(ROOT)))
def test_library_module_respects_the_layers(path: Path) -> None:
    imported = _imports(path)
    relative = path.relative_to(ROOT).as_posix()
    assert "cli" not in imported, f"{relative} imports the CLI"
    assert not imported & {"rich", "typer", "click"}, f"{relative} renders; only cli/ may"
    if not relative.startswith("threads/api/"):
        assert "litestar" not in imported, f"{relative} imports Litestar; only threads/api/ may"


@pytest.mark.parametrize("path", _sources("cli"), ids=lambda p: str(p.relative_to(ROOT)))
def test_cli_module_does_not_import_the_web_framework(path: Path) -> None:
    assert "litestar" not in _imports(path), "the CLI runs the app through threads.api"
