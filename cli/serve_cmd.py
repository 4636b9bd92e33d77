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
    forwarded_allow_ips: str | None = typer.Option(
        None,
        "--forwarded-allow-ips",
        help=(
            "Proxies (addresses, networks or *) whose X-Forwarded-For gives the client "
            "address, comma-separated. Default: THREADS_FORWARDED_ALLOW_IPS, else none."
        ),
    ),
) -> None:
    """Run the moderation HTTP API (OpenAPI at /schema) with uvicorn."""
    app_state = state(ctx)
    if forwarded_allow_ips is not None:
        app_state.settings = app_state.settings.with_(forwarded_allow_ips=forwarded_allow_ips)
    settings = app_state.settings
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
    if settings.store_url is not None:
        _check_store(settings.store_url)
    # Workers build their Settings from the environment: hand them the settings made here.
    settings.export()
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
        # X-Forwarded-For is believed only from the configured proxies: from anyone else it
        # would let a client choose its own address (and so its own rate limit).
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
        # Authorization headers are never logged by uvicorn's access log (path + status only);
        # query values named like credentials are redacted (threads.api.access_log).
    )


def _check_store(url: str) -> None:
    """One line and exit 1 when the shared rate-limit store does not answer."""
    from redis.exceptions import RedisError

    from threads.api.ratelimit import check_store, shown_url

    try:
        check_store(url)
    except (RedisError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        message = f"error: cannot reach the rate-limit store {shown_url(url)}: {reason}"
        typer.echo(visible(message, one_line=True), err=True)
        raise typer.Exit(code=1) from None
