"""Write the references of the docs site from the code itself.

    python scripts/gen_docs.py           # (re)write docs/reference/{cli.md,api.md,openapi.json}
                                         # and the terminal pictures (scripts/screenshots.py)
    python scripts/gen_docs.py --check   # exit 1, naming them, when a written file is stale

The CLI reference walks the Typer app's command tree (every command, argument and option, with
its help); the HTTP reference renders the OpenAPI document of ``create_app`` (built over a
throwaway SQLite file). ``tests/test_docs_reference.py`` fails when a committed page differs from
what this script makes, so a change to a command or a route comes with its page (``make docs-gen``).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

GENERATED = "<!-- generated from the code by scripts/gen_docs.py (`make docs-gen`): do not edit -->"


def _cell(text: object) -> str:
    """Text for one Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


# --------------------------------------------------------------------------- CLI


def _click_commands() -> list[tuple[tuple[str, ...], Any]]:
    """(path, click command) of every command of ``threads``, groups included, in help order."""
    import typer
    from typer.main import get_command

    from cli.app import app

    found: list[tuple[tuple[str, ...], Any]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        found.append((path, command))
        if hasattr(command, "list_commands"):
            context = typer.Context(command)
            for name in command.list_commands(context):
                walk(command.get_command(context, name), (*path, name))

    walk(get_command(app), ())
    return found


def _param_type(param: Any) -> str:
    """What a parameter takes, from its annotation: a flag, a number, one of some values..."""
    import enum
    import pathlib
    import typing

    kind: Any = param.type_descriptor.annotation
    if typing.get_origin(kind) in (list, tuple):
        kind = typing.get_args(kind)[0]
    if getattr(param, "is_flag", False) or kind is bool:
        return "flag"
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return " \\| ".join(f"`{member.value}`" for member in kind)
    if isinstance(kind, type) and issubclass(kind, pathlib.PurePath):
        return "path"
    names = {int: "integer", float: "number", str: "text"}
    return names.get(kind, getattr(kind, "__name__", str(kind)))


def _argument_name(param: Any) -> str:
    return "".join(c for c in (param.metavar or param.name) if c not in "[].").upper()


def _param_default(param: Any) -> str:
    default = param.default
    if callable(default) or default is None:
        return ""
    if getattr(param, "is_flag", False):
        return "on" if default else ""
    if isinstance(default, list | tuple):
        return ", ".join(f"`{getattr(d, 'value', d)}`" for d in default)
    value = getattr(default, "value", default)
    return f"`{value}`" if value != "" else ""


def cli_reference() -> str:
    """The Markdown reference of every ``threads`` command."""
    lines = [
        GENERATED,
        "",
        "# Command-line reference",
        "",
        "Every command of `threads`, as `threads COMMAND --help` describes it. Options of the",
        "`threads` command itself (`--database-url`) come before the command name.",
        "",
    ]
    for path, command in _click_commands():
        title = " ".join(("threads", *path))
        lines += [f"## `{title}`", ""]
        help_text = (command.help or "").strip()
        if help_text:
            # click's \b (keep the paragraph as written) is for terminals only
            lines += [help_text.replace("\b\n", "").replace("\b", ""), ""]
        pieces = [title]
        if hasattr(command, "list_commands"):
            pieces.append("[OPTIONS] COMMAND [ARGS]..." if path else "[OPTIONS] COMMAND")
        else:
            for param in command.params:
                if param.param_type_name == "argument":
                    name = _argument_name(param)
                    if param.nargs == -1:
                        name += "..."
                    pieces.append(name if param.required else f"[{name}]")
            if any(p.param_type_name == "option" for p in command.params):
                pieces.append("[OPTIONS]")
        lines += ["```text", " ".join(pieces), "```", ""]
        rows = []
        for param in command.params:
            if getattr(param, "hidden", False):
                continue
            if param.param_type_name == "argument":
                name = f"`{_argument_name(param)}`"
            else:
                names = [*param.opts, *param.secondary_opts]
                name = ", ".join(f"`{n}`" for n in names)
            required = "yes" if param.required else ""
            if getattr(param, "multiple", False) or param.nargs == -1:
                required = (required + " (repeatable)").strip()
            rows.append(
                f"| {name} | {_param_type(param)} | {_param_default(param)} | {required} "
                f"| {_cell(getattr(param, 'help', '') or '')} |"
            )
        if hasattr(command, "list_commands"):
            subcommands = command.list_commands(None)  # type: ignore[arg-type]
            links = ", ".join(
                f"[`{name}`](#{'-'.join(('threads', *path, name))})" for name in subcommands
            )
            lines += [f"Commands: {links}.", ""]
        if rows:
            lines += [
                "| argument / option | type | default | required | meaning |",
                "|---|---|---|---|---|",
                *rows,
                "",
            ]
    return "\n".join(lines).rstrip("\n") + "\n"


# --------------------------------------------------------------------------- HTTP


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document the server publishes at /schema/openapi.json."""
    from litestar.serialization import encode_json

    from threads.api import create_app
    from threads.config import Settings

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings(database_url=f"sqlite:///{Path(folder) / 'openapi.db'}"))
        document = json.loads(encode_json(app.openapi_schema.to_schema()))
        app.state.engine.dispose()
    return document


def _schema_type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{_anchor(name)})"
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return " or ".join(_schema_type(s) for s in schema[key])
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        return f"array of {_schema_type(schema.get('items', {}))}"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return str(kind)


def _anchor(name: str) -> str:
    return "schema-" + "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


def _body_schema(holder: dict[str, Any]) -> str:
    content = holder.get("content", {})
    return "; ".join(f"{_schema_type(v.get('schema', {}))} (`{k}`)" for k, v in content.items())


def api_reference(document: dict[str, Any] | None = None) -> str:
    """The Markdown reference of every route of the OpenAPI document."""
    document = document if document is not None else openapi_document()
    info = document["info"]
    lines = [
        GENERATED,
        "",
        "# HTTP API reference",
        "",
        f"{info['title']} {info['version']}. {info.get('description', '')}",
        "",
        "A running server publishes the same document at `/schema/openapi.json` (Redoc at",
        "`/schema`, Swagger UI at `/schema/swagger`, both served offline); it is also",
        "[here as a file](openapi.json). How keys, pages and errors work: [the HTTP API",
        "guide](../operations/http-api.md).",
        "",
    ]
    for path in sorted(document["paths"]):
        for method, operation in sorted(document["paths"][path].items()):
            lines += [f"## `{method.upper()} {path}`", ""]
            summary = operation.get("description") or operation.get("summary", "")
            if summary:
                lines += [summary.strip(), ""]
            params = operation.get("parameters", [])
            if params:
                lines += [
                    "| parameter | in | type | required | meaning |",
                    "|---|---|---|---|---|",
                ]
                for param in params:
                    schema = param.get("schema", {})
                    default = f" (default `{schema['default']}`)" if "default" in schema else ""
                    lines.append(
                        f"| `{param['name']}` | {param['in']} | {_schema_type(schema)} | "
                        f"{'yes' if param.get('required') else ''} | "
                        f"{_cell(param.get('description', ''))}{default} |"
                    )
                lines.append("")
            if "requestBody" in operation:
                lines += [f"Body: {_body_schema(operation['requestBody'])}.", ""]
            lines += ["| status | meaning | body |", "|---|---|---|"]
            for status, response in sorted(operation.get("responses", {}).items()):
                lines.append(
                    f"| {status} | {_cell(response.get('description', ''))} | "
                    f"{_body_schema(response)} |"
                )
            lines.append("")
    lines += ["## Schemas", ""]
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        lines += [f"### {name} {{: #{_anchor(name)} }}", ""]
        properties = schema.get("properties", {})
        if not properties:
            lines += [f"{_schema_type(schema)}", ""]
            continue
        required = set(schema.get("required", []))
        lines += ["| field | type | required | meaning |", "|---|---|---|---|"]
        for field, spec in properties.items():
            lines.append(
                f"| `{field}` | {_schema_type(spec)} | {'yes' if field in required else ''} | "
                f"{_cell(spec.get('description', ''))} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# --------------------------------------------------------------------------- main


def _screenshots() -> Any:
    """scripts/screenshots.py (the terminal pictures), loaded from beside this file."""
    import importlib.util

    path = ROOT / "scripts" / "screenshots.py"
    spec = importlib.util.spec_from_file_location("screenshots", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def outputs() -> dict[str, Callable[[], str]]:
    """Each generated file (relative to the repository) and how to make its text."""
    document: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not document:
            document.update(openapi_document())
        return document

    return {
        **_screenshots().OUTPUTS,
        "docs/reference/cli.md": cli_reference,
        "docs/reference/api.md": lambda: api_reference(openapi()),
        "docs/reference/openapi.json": lambda: (
            json.dumps(openapi(), indent=2, sort_keys=True) + "\n"
        ),
    }


def stale() -> list[str]:
    """The generated files whose committed text differs from what the code gives now."""
    return [
        name
        for name, make in outputs().items()
        if not (ROOT / name).is_file() or (ROOT / name).read_text(encoding="utf-8") != make()
    ]


def main(argv: list[str]) -> int:
    if argv[1:] == ["--check"]:
        names = stale()
        for name in names:
            print(f"stale: {name} (run `make docs-gen`)", file=sys.stderr)
        return 1 if names else 0
    for name, make in outputs().items():
        target = ROOT / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(make(), encoding="utf-8")
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
