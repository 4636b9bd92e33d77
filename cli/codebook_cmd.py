"""`threads codebook suggest`: words and phrases to accept into the codebook."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from cli.console import make_console
from cli.context import state
from cli.safe_text import safe_json, safe_text
from cli.topics_cmd import TAXONOMY_HELP, _check_format, _taxonomy
from threads.db import session_scope

app = typer.Typer(
    help="Work on the codebook with this database's labelled comments.", no_args_is_help=True
)


@app.callback()
def codebook() -> None:
    """Work on the codebook with this database's labelled comments."""


@app.command("suggest")
def suggest(
    ctx: typer.Context,
    topic: str = typer.Argument(..., help="The topic id to find new terms and phrases for."),
    limit: int = typer.Option(20, "--limit", help="Suggestions shown."),
    min_count: int = typer.Option(
        2, "--min-count", help="In at least this many of the topic's comments."
    ),
    taxonomy: Path | None = typer.Option(None, "--taxonomy", help=TAXONOMY_HELP),
    format_: str = typer.Option("rich", "--format", help="rich or json."),
) -> None:
    """Propose terms and phrases that set a topic's comments (moderator and automatic labels)
    apart from the rest, with counts and example comments, and a TOML snippet to paste."""
    from threads.topics.suggestions import suggest_terms

    _check_format(format_)
    codebook = _taxonomy(ctx, taxonomy)
    with session_scope(state(ctx).engine()) as session:
        found = suggest_terms(session, codebook, topic, limit=limit, min_count=min_count)
    if format_ == "json":
        typer.echo(safe_json(json.dumps(found.as_dict(), indent=2, ensure_ascii=False)))
        return
    console = make_console()
    console.print(
        safe_text(
            f"{found.topic_id} in {found.codebook} (version {found.version}): "
            f"{found.comments_in_topic} comments with the topic, {found.comments_outside} without"
        )
    )
    if not found.suggestions:
        console.print(
            safe_text(
                "no suggestions: the topic needs labelled comments (threads classify, "
                "threads label) with words its codebook entries lack"
            )
        )
        return
    table = Table(title=safe_text(f"suggested for {found.topic_id}"), title_justify="left")
    table.add_column("kind")
    table.add_column("term or phrase", overflow="fold")
    table.add_column("in topic", justify="right")
    table.add_column("outside", justify="right")
    table.add_column("score", justify="right")
    table.add_column("example comments", overflow="fold")
    for s in found.suggestions:
        examples = Text()
        for i, e in enumerate(s.examples):
            if i:
                examples.append("\n")
            examples.append_text(safe_text(f"#{e['id']} {e['text']}"))
        table.add_row(
            s.kind, safe_text(s.text), str(s.inside), str(s.outside), f"{s.score:.2f}", examples
        )
    console.print(table)
    console.print("paste into the codebook (keep only what you accept):")
    for line in found.toml_snippet().splitlines():
        console.print(safe_text(line), soft_wrap=True)
