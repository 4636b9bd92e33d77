"""The `threads` command. Each sub-module parses its options, calls the library and renders.

A command's module is imported when that command runs (or when the help lists it), not at
start: each command loads only what it uses, and ``threads ingest`` can start reading a large
export before the database layer is even loaded (see ``cli.ingest_cmd``).
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from typing import TYPE_CHECKING, Any

import typer

# the click that Typer carries (and builds its commands with): its usage errors are what a
# command line can get wrong
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

if TYPE_CHECKING:
    from typer._click import Command, Context

from cli.console import is_output_error, stdout_failed
from cli.context import AppState
from cli.safe_text import visible
from threads.config import Settings
from threads.errors import DatabaseUnavailable, ThreadsError

#: every command, in the order the help lists them: name -> (module, function); a group of
#: commands is its module's Typer ``app``
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("cli.serve_cmd", "serve"),
    "report": ("cli.report_cmd", "report"),
    "chart": ("cli.chart_cmd", "chart"),
    "queue": ("cli.moderation_cmd", "queue"),
    "moderate": ("cli.moderation_cmd", "moderate"),
    "history": ("cli.moderation_cmd", "history"),
    "audit": ("cli.moderation_cmd", "audit"),
    "close": ("cli.moderation_cmd", "close"),
    "reopen": ("cli.moderation_cmd", "reopen"),
    "close-stale": ("cli.moderation_cmd", "close_stale_cmd"),
    "policy": ("cli.policy_cmd", "app"),
    "snapshot": ("cli.snapshot_cmd", "snapshot"),
    "author": ("cli.authors_cmd", "app"),
    "authors": ("cli.authors_cmd", "authors"),
    "campaigns": ("cli.campaigns_cmd", "campaigns"),
    "export": ("cli.export_cmd", "export_cmd"),
    "ingest": ("cli.ingest_cmd", "ingest"),
    "imports": ("cli.imports_cmd", "imports"),
    "sites": ("cli.sites_cmd", "sites"),
    "classify": ("cli.topics_cmd", "classify"),
    "label": ("cli.topics_cmd", "label"),
    "codebooks": ("cli.topics_cmd", "codebooks"),
    "codebook": ("cli.codebook_cmd", "app"),
    "train": ("cli.topics_cmd", "train"),
    "evaluate": ("cli.topics_cmd", "evaluate_cmd"),
    "db": ("cli.db_cmd", "app"),
    "keys": ("cli.keys_cmd", "app"),
    "hooks": ("cli.hooks_cmd", "app"),
}


def fail(error: ThreadsError) -> typer.Exit:
    """Show a domain error as one line on stderr (it may quote names and file content: control
    characters are shown as escapes); the caller raises the returned Exit(1)."""
    typer.echo(f"error: {visible(error.detail, one_line=True)}", err=True)
    return typer.Exit(code=1)


def usage_failure(error: UsageError, command: str) -> typer.Exit:
    """Show a usage error (a missing argument, a bad option value, an unknown option or command)
    as one line on stderr naming the command, like every other error, instead of click's boxed
    usage text; the caller raises the returned Exit(1). ``command`` is the command line's
    command as far as the caller knows it (click leaves some errors without their context)."""
    where = error.ctx.command_path if error.ctx is not None else command
    message = error.format_message().replace("\n", " ").strip()
    typer.echo(
        f"error: {visible(f'{where}: {message}', one_line=True)} (see {where} --help)", err=True
    )
    return typer.Exit(code=1)


class ThreadsGroup(TyperGroup):
    """Maps ThreadsError (and standard output that cannot be written) and usage errors to a
    one-line message and exit code 1, never a traceback or a usage box; loads each command from
    :data:`COMMANDS` when it is first asked for.

    A bare group (``threads``, ``threads keys``) still shows its help.
    """

    def make_context(
        self, info_name: str | None, args: list[str], parent: Context | None = None, **extra: Any
    ) -> Context:
        # the root's own options are parsed here, before invoke
        try:
            return super().make_context(info_name, args, parent, **extra)
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:
            raise usage_failure(exc, info_name or "threads") from None

    def list_commands(self, ctx: Context) -> list[str]:
        return [*self.commands, *(name for name in COMMANDS if name not in self.commands)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in COMMANDS:
            command = self.commands[cmd_name] = _load(cmd_name)
        return command

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ThreadsError as exc:
            raise fail(exc) from None
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:  # a sub-command's arguments, an unknown command
            command = " ".join(filter(None, [ctx.command_path, ctx.invoked_subcommand]))
            raise usage_failure(exc, command) from None
        except OSError as exc:
            if not is_output_error(exc):
                raise
            raise fail(stdout_failed(exc)) from None
        except Exception as exc:
            unreachable = _database_unreachable(exc, ctx.obj)
            if unreachable is None:
                raise
            raise fail(unreachable) from None
        finally:
            if isinstance(ctx.obj, AppState):
                ctx.obj.close()


def _database_unreachable(exc: Exception, obj: object) -> DatabaseUnavailable | None:
    """The one-line error for a database that cannot be reached or used (a server that is
    down, a password refused, a file that cannot be opened), instead of a traceback."""
    errors = sys.modules.get("sqlalchemy.exc")  # loaded if the error can come from it
    if errors is None or not isinstance(exc, errors.OperationalError):
        return None
    where, check = "the database", "THREADS_DATABASE_URL"
    if isinstance(obj, AppState):
        from sqlalchemy.engine import make_url

        with contextlib.suppress(Exception):
            url = make_url(obj.settings.database_url)
            where = f"the database {url.render_as_string(hide_password=True)}"
            if url.get_backend_name() == "sqlite":
                check += " and that the file can be opened for writing"
            else:
                check += " and that the server is running and accepts these credentials"
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return DatabaseUnavailable(
        f"{where} cannot be used: {reason[0] if reason else type(exc).__name__} (check {check})"
    )


app = typer.Typer(
    name="threads",
    cls=ThreadsGroup,
    help="Comment-thread moderation and discussion analyzer.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def _load(name: str) -> Command:
    """The click command of ``name``, built from its module as Typer would have built it."""
    module, attribute = COMMANDS[name]
    found = getattr(importlib.import_module(module), attribute)
    if isinstance(found, typer.Typer):
        command = typer.main.get_command(found)
    else:
        single = typer.Typer(pretty_exceptions_show_locals=False, add_completion=False)
        single.command(name)(found)
        command = typer.main.get_command(single)
    command.name = name
    return command


def _version(value: bool) -> None:
    if value:
        from threads import __version__

        typer.echo(f"threads {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="Database URL (default: THREADS_DATABASE_URL, else the SQLite file ./threads.db).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Comment-thread moderation and discussion analyzer."""
    try:
        settings = Settings.from_env(database_url=database_url)
    except ThreadsError as exc:
        raise fail(exc) from None
    ctx.obj = AppState(settings)


def main() -> None:
    """The ``threads`` command (named so in its messages however it was started, as
    ``python -m cli`` too)."""
    app(prog_name="threads")
