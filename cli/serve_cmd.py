"""`threads serve`: run the HTTP API with uvicorn (SQLite file or PostgreSQL)."""

from __future__ import annotations

import typer
import uvicorn
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from cli.context import state
from cli.safe_text import visible
from threads.db import ensure_writable

APP_FACTORY = "threads.api.app:app_from_env"


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64, help="Worker processes (each has its own pool)."
    ),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
    access_log: bool = typer.Option(
        True, "--access-log/--no-access-log", help="Log one line per request."
    ),
) -> None:
    """Run the moderation HTTP API (OpenAPI at /schema) with uvicorn."""
    app_state = state(ctx)
    # Fail here, with one clear line, when the schema is missing or behind or the database
    # cannot be written; workers would otherwise each die with a traceback (or start, and
    # fail every write).
    try:
        ensure_writable(app_state.engine())
    except DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        where = make_url(app_state.settings.database_url).render_as_string(hide_password=True)
        message = f"error: cannot open the database {where}: {reason}"
        typer.echo(visible(message, one_line=True), err=True)
        raise typer.Exit(code=1) from None
    finally:
        app_state.close()
    # Workers build their Settings from the environment: hand them the settings made here.
    app_state.settings.export()
    typer.echo(
        f"threads API on http://{host}:{port} (OpenAPI: http://{host}:{port}/schema), "
        f"{workers} worker{'s' if workers != 1 else ''}",
        err=True,
    )
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=access_log,
        # Authorization headers are never logged by uvicorn's access log (path + status only);
        # query values named like credentials are redacted (threads.api.access_log).
    )
