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


def _threads_imports(path: Path) -> set[str]:
    """The ``threads.*`` modules ``path`` imports, under ``TYPE_CHECKING`` too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("threads."))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("threads."):
            names.add(str(node.module))
    return names


#: the service packages; the database layer below them imports none (no import circle such as
#: db/queries/moderation.py <-> moderation/queue.py)
SERVICES = ("moderation", "analysis", "topics", "archive", "ingest", "api")


@pytest.mark.parametrize("path", _sources("threads/db"), ids=lambda p: str(p.relative_to(ROOT)))
def test_database_layer_imports_no_service(path: Path) -> None:
    above = {m for m in _threads_imports(path) if m.split(".")[1] in SERVICES}
    assert not above, f"{path.relative_to(ROOT)} imports {sorted(above)}"


def test_module_names_say_what_they_hold() -> None:
    """No two library modules share a vague name such as ``text.py`` (three unrelated ones
    once did), and the HTML reader is split by concern, no module of it over 300 lines."""
    names = [p.name for p in _sources("threads") if p.name != "__init__.py"]
    assert "text.py" not in names
    big = {
        str(p.relative_to(ROOT)): n
        for p in _sources("threads/ingest/html")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300
    }
    assert not big


def test_a_report_class_name_means_one_thing() -> None:
    """ "Report" is the analysis report or a reader's report of a comment: a class name that
    mentions it is defined once in the library (``ReportRequest`` once meant both)."""
    defined: dict[str, list[str]] = {}
    for path in _sources("threads"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and "Report" in node.name:
                defined.setdefault(node.name, []).append(str(path.relative_to(ROOT)))
    assert {name: where for name, where in defined.items() if len(where) > 1} == {}


def test_cli_renderers_keep_to_rich_and_markdown() -> None:
    """The report's CSV and JSON shapes are the library's (threads.analysis.formats, written by
    the one CSV writer of threads.archive.csv); cli/render.py only draws."""
    assert not _imports(ROOT / "cli" / "render.py") & {"csv", "json", "io"}


def test_training_and_the_classifier_do_not_import_each_other() -> None:
    """The classifier uses learned models, training uses the codebook matcher: both sit on
    threads.topics.matcher, so neither imports the other (not even inside a function)."""
    learn = _threads_imports(ROOT / "threads/topics/learn.py")
    matcher = _threads_imports(ROOT / "threads/topics/matcher.py")
    assert "threads.topics.classifier" not in learn | matcher
