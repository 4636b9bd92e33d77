"""The `threads` command: a thin Typer + Rich adapter over the `threads` library."""
