"""Every shell and Python example of the README and the docs runs, and prints what the page shows.

How blocks are found, skipped and compared: ``tests/docs_examples.py``. Each page runs in a
folder of its own (a copy of ``fixtures/``) against a new SQLite file; the getting-started page
runs on PostgreSQL too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests import redis_server
from tests.conftest import IN_CI
from tests.docs_examples import (
    REDIS_PORT,
    ROOT,
    Page,
    _blocks,
    _follows,
    matches,
    pages,
    parse_page,
    read_page,
)
from tests.docs_examples import RUNNABLE as RUNNABLE_LANGUAGES

PAGES = [read_page(path) for path in pages()]
RUNNABLE = [page for page in PAGES if any(e.skip is None for e in page.examples)]
SEEDS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "fixtures").glob("*.txt"))
ON_POSTGRESQL = {"docs/getting-started.md"}
BIN = Path(sys.executable).parent


def _environment(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADS_")}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        THREADS_DATABASE_URL=database_url,
        THREADS_REPORT_TIME="2024-01-01T00:00:00Z",
        COLUMNS="80",
        LINES="50",
        NO_COLOR="1",
        TERM="dumb",
        USER="docs",
        PYTHONIOENCODING="utf-8",
    )
    env.pop("FORCE_COLOR", None)
    return env


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        timeout=600,
    )


def _run_block(
    command: list[str], cwd: Path, env: dict[str, str], groups: list[int]
) -> tuple[int, str]:
    """Run one example in a process group of its own (noted in ``groups``): what it leaves
    running in the background (a server) lives on until the page ends. Its output goes to a
    file, not a pipe, since a background job would hold a pipe open."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            start_new_session=True,
        )
        groups.append(process.pid)
        try:
            code = process.wait(timeout=600)
        except subprocess.TimeoutExpired:
            out.seek(0)
            raise AssertionError(f"{command} ran for 10 minutes:\n{out.read()}") from None
        out.seek(0)
        return code, out.read()


def _alive(group: int) -> bool:
    """Whether a process of ``group`` still runs (zombies, which nobody may reap here, do not)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            return True
    return False


def _stop(groups: list[int]) -> None:
    """Stop what the page's blocks left running: SIGTERM, then SIGKILL after 30 s."""
    for group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + 30
    for group in groups:
        while _alive(group) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(group):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)


@contextlib.contextmanager
def _alone(page: Page) -> Iterator[None]:
    """A page that starts servers on fixed ports runs while no other such page does (an
    exclusive lock shared by the test processes)."""
    if not page.serves:
        yield
        return
    with open(Path(tempfile.gettempdir()) / "threads-docs-examples-ports.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            # a server of someone else's on a port the page shows would answer its examples
            for port in (*FIXED_PORTS, *((REDIS_PORT,) if page.redis else ())):
                with socket.socket() as probe:
                    # as uvicorn binds: a closed connection's TIME_WAIT does not count
                    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    try:
                        probe.bind(("127.0.0.1", port))
                    except OSError:
                        pytest.fail(f"port {port} is in use: {page.path} serves on it")
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


#: the ports the pages' servers listen on (threads serve, a Dask scheduler)
FIXED_PORTS = (8000, 8786)

#: a page's sh blocks share exported variables through this file in the page's folder
SESSION_IN = "if [ -f .docs-session ]; then . ./.docs-session; fi\n"
SESSION_OUT = "\nexport -p > .docs-session\n"


def _libpq(url: str) -> dict[str, str]:
    """libpq's variables for a database URL."""
    parts = make_url(url)
    return {
        "PGHOST": parts.host or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": parts.username or "",
        "PGPASSWORD": parts.password or "",
        "PGDATABASE": parts.database or "",
    }


def _copy_checkout(folder: Path) -> None:
    """The repository's files in ``folder`` (modification times kept, so that make sees the
    installed environment as up to date) and ``.venv`` linked to the environment running the
    tests: `make demo` then runs its commands, never an install into that environment."""
    venv = Path(sys.prefix)
    stamp = venv / ".installed-stamp"
    if not stamp.exists() or stamp.stat().st_mtime < (ROOT / "pyproject.toml").stat().st_mtime:
        message = f"{stamp} is missing or older than pyproject.toml: run `make install` first"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted in the working tree is not copied
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    (folder / ".venv").symlink_to(venv, target_is_directory=True)


def _scratch_environment(folder: Path) -> dict[str, str]:
    """A virtual environment of the page's own in ``folder/.scratch``, first on the ``PATH``:
    it sees the packages installed for the tests (a ``.pth`` line naming their folder), and its
    ``pip`` uses no package index and no build isolation (the build backend is installed too),
    so that ``pip install -e .`` installs the copy of the checkout there without a network."""
    scratch = folder / ".scratch"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(scratch)], check=True)
    python = scratch / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "tests-environment.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    pip = scratch / "bin" / "pip"  # pip's own console script, with this environment's python
    pip.write_text(
        f"#!{python}\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n",
        encoding="utf-8",
    )
    pip.chmod(0o755)
    # pip reads PIP_NO_BUILD_ISOLATION as the value of build isolation: 0 turns it off
    return {"PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0", "PIP_NO_INPUT": "1"}


def _run_page(
    page: Page,
    folder: Path,
    database_url: str,
    seeded: Path | None = None,
    services: dict[str, str] | None = None,
) -> None:
    """Run a page's examples in order in ``folder``; ``seeded`` is a SQLite file that already
    holds the seed pages (copied instead of importing them again); ``services`` are variables
    naming what the page needs besides its database."""
    if page.checkout:
        _copy_checkout(folder)
    else:
        shutil.copytree(ROOT / "fixtures", folder / "fixtures")
    env = {**_environment(database_url), **(services or {}), **dict(page.env)}
    if page.scratch:
        env.update(_scratch_environment(folder))
        env["PATH"] = f"{folder / '.scratch' / 'bin'}{os.pathsep}{env['PATH']}"
    if not page.fresh:
        if seeded is not None:
            shutil.copyfile(seeded, folder / "threads.db")
        else:
            done = _run([str(BIN / "threads"), "ingest", *SEEDS], folder, env)
            assert done.returncode == 0, done.stdout
    groups: list[int] = []
    try:
        for example in page.examples:
            if example.skip is not None:
                continue
            if example.language == "sh":
                # variables a block exports stay set for the page's later blocks, as in a shell
                code = SESSION_IN + example.code + SESSION_OUT
                command = ["bash", "-e", "-o", "pipefail", "-c", code]
            else:
                command = [sys.executable, "-c", example.code]
            returncode, output = _run_block(command, folder, env, groups)
            where = f"{example.page}:{example.line}"
            assert returncode == 0, f"{where} failed (exit {returncode}):\n{output}"
            if example.expected is not None:
                assert matches(example.expected, output), (
                    f"{where} printed:\n{output}\nbut the page shows:\n{example.expected}"
                )
    finally:
        _stop(groups)


@contextlib.contextmanager
def _services(page: Page, request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """What the page says it needs besides its database, started for it."""
    variables: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        if page.postgresql:
            databases = request.getfixturevalue("pg_databases")
            url = databases.empty()
            stack.callback(databases.drop, url)
            variables.update(_libpq(url))
        if page.redis:
            binary = redis_server.find_server()
            if binary is None:
                if IN_CI:
                    pytest.fail(redis_server.INSTALL_HINT + " (CI is set: this must not skip)")
                pytest.skip(redis_server.INSTALL_HINT)
            stack.callback(redis_server.start_server(binary, REDIS_PORT).stop)
        yield variables


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the seed pages, as `threads ingest fixtures/*.txt` leaves it."""
    folder = tmp_path_factory.mktemp("docs-seeded")
    path = folder / "seeded.db"
    done = _run([str(BIN / "threads"), "ingest", *SEEDS], ROOT, _environment(f"sqlite:///{path}"))
    assert done.returncode == 0, done.stdout
    for suffix in ("-wal", "-shm"):  # the copy must be one self-contained file
        assert not Path(f"{path}{suffix}").exists() or Path(f"{path}{suffix}").stat().st_size == 0
    return path


@pytest.mark.parametrize("page", RUNNABLE, ids=lambda p: p.path)
def test_the_examples_of_a_page_run_as_shown(
    page: Page, tmp_path: Path, seeded_sqlite: Path, request: pytest.FixtureRequest
) -> None:
    with _alone(page), _services(page, request) as services:
        url = f"sqlite:///{tmp_path / 'threads.db'}"
        _run_page(page, tmp_path, url, seeded_sqlite, services)


@pytest.mark.parametrize(
    "page", [p for p in RUNNABLE if p.path in ON_POSTGRESQL], ids=lambda p: p.path
)
def test_the_examples_run_on_postgresql(
    page: Page, tmp_path: Path, pg_databases: object, request: pytest.FixtureRequest
) -> None:
    # a server database is upgraded on purpose (`threads db upgrade`), never on first use
    url = pg_databases.migrated()  # type: ignore[attr-defined]
    try:
        with _alone(page), _services(page, request) as services:
            _run_page(page, tmp_path, url, services=services)
    finally:
        pg_databases.drop(url)  # type: ignore[attr-defined]


def test_every_example_runs_or_says_why_not() -> None:
    examples = [e for page in PAGES for e in page.examples]
    skipped = [e for e in examples if e.skip is not None]
    assert examples, "no example found in the README and docs/"
    assert all(e.skip for e in skipped), "a skipped example must say why"
    # most examples run: a page that skips everything is a page nothing checks
    assert len(skipped) * 3 <= len(examples), [f"{e.page}:{e.line}" for e in skipped]


def test_an_output_block_follows_a_runnable_block() -> None:
    """An ```output block that does not follow an example is compared with nothing."""
    for page in PAGES:
        text = (ROOT / page.path).read_text(encoding="utf-8")
        shown = text.count("\n```output")
        compared = sum(1 for e in page.examples if e.expected is not None)
        assert shown == compared, f"{page.path}: an ```output block follows no example"


def test_what_an_example_prints_is_shown_in_an_output_block() -> None:
    """A ```text (or bare) block right after an example reads as its output but would be
    compared with nothing: it must be an ```output block."""
    for page in PAGES:
        text = (ROOT / page.path).read_text(encoding="utf-8")
        blocks = _blocks(text)
        for (line, language, _, _), (next_line, next_language, _, _) in zip(
            blocks, blocks[1:], strict=False
        ):
            if language in RUNNABLE_LANGUAGES and next_language in {"", "text", "console"}:
                assert not _follows(text, line, next_line), (
                    f"{page.path}:{next_line}: shown after the example at line {line}: "
                    "fence it ```output so that it is compared"
                )


def test_the_comparison_allows_only_the_documented_placeholders() -> None:
    assert matches("a ... c\n", "a b c\n")
    assert matches("first\n...\nlast\n", "first\nx\ny\nlast\n")
    assert matches("first\n...\nlast\n", "first\nlast\n")
    assert not matches("a b c\n", "a b d\n")
    assert not matches("one\n", "one\ntwo\n")


def test_a_page_says_what_it_needs_in_markers() -> None:
    page = parse_page(
        "page.md",
        "<!-- docs-test: in a scratch environment -->\n"
        "<!-- docs-test: env PYTEST_ARGS=-q -k one test -->\n"
        "<!-- docs-test: env EMPTY= -->\n"
        "```sh\nmake test\n```\n",
    )
    assert page.scratch and page.checkout  # a scratch environment is made in a checkout copy
    assert page.env == (("PYTEST_ARGS", "-q -k one test"), ("EMPTY", ""))
    assert [e.code for e in page.examples] == ["make test\n"] and not page.examples[0].skip
    plain = parse_page("plain.md", "text `<!-- docs-test: env A=b -->` in a sentence\n")
    assert plain.env == () and not plain.scratch
