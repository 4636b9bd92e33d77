"""Rich consoles for the CLI: colour only on a terminal, NO_COLOR respected (Rich does both)."""

from __future__ import annotations

from rich.console import Console


def make_console(*, stderr: bool = False, width: int | None = None) -> Console:
    return Console(stderr=stderr, width=width, highlight=False, soft_wrap=False)
