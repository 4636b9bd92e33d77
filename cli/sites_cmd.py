"""`threads sites`: the sites in the database, whose keys the `--site` filters take."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from cli.console import make_console, plain
from cli.context import state
from threads.site_directory import list_sites


def sites(ctx: typer.Context) -> None:
    """List the sites: key, name, base URL, articles and comments (every status).

    The key is what `threads report`, `queue` and `export` take as `--site KEY`.
    """
    found = list_sites(state(ctx).engine())
    console = make_console()
    if not found:
        console.print("no sites yet: import a file with `threads ingest PATH`")
        return
    table = Table(title=f"sites ({len(found)})", title_justify="left")
    table.add_column("key", overflow="fold")
    table.add_column("name", overflow="fold")
    table.add_column("base URL", overflow="fold")
    table.add_column("articles", justify="right")
    table.add_column("comments", justify="right")
    for site in found:
        table.add_row(
            plain(site.key),
            plain(site.name),
            plain(site.base_url),
            Text(str(site.articles)),
            Text(str(site.comments)),
        )
    console.print(table)
