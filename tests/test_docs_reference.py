"""The generated references of the docs site match the program: a command, option or route
changed without `make docs-gen` fails here, naming the page to regenerate."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from tests.docs_examples import ROOT


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_docs", module)
    spec.loader.exec_module(module)
    return module


GENERATOR = _generator()
OUTPUTS = GENERATOR.outputs()


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_a_generated_page_is_current(name: str) -> None:
    committed = (ROOT / name).read_text(encoding="utf-8")
    assert committed == OUTPUTS[name](), f"{name} is stale: run `make docs-gen` and commit it"


def test_the_cli_reference_names_every_command() -> None:
    text = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    for path, _ in GENERATOR._click_commands():
        assert f"## `{' '.join(('threads', *path))}`" in text


def test_the_api_reference_names_every_route() -> None:
    document = GENERATOR.openapi_document()
    text = (ROOT / "docs" / "reference" / "api.md").read_text(encoding="utf-8")
    routes = [(m, p) for p, item in document["paths"].items() for m in item]
    assert len(routes) > 20
    for method, path in routes:
        assert f"## `{method.upper()} {path}`" in text
