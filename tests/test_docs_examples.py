"""Every shell and Python example of the README and the docs runs, and prints what the page shows.

How blocks are found, skipped and compared: ``tests/docs_examples.py``. Each page runs in a
folder of its own (a copy of ``fixtures/``) against a new SQLite file; the getting-started page
runs on PostgreSQL too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs_examples import ROOT, Page, matches, pages, read_page

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


#: a page's sh blocks share exported variables through this file in the page's folder
SESSION_IN = "if [ -f .docs-session ]; then . ./.docs-session; fi\n"
SESSION_OUT = "\nexport -p > .docs-session\n"


def _run_page(page: Page, folder: Path, database_url: str, seeded: Path | None = None) -> None:
    """Run a page's examples in order in ``folder``; ``seeded`` is a SQLite file that already
    holds the seed pages (copied instead of importing them again)."""
    shutil.copytree(ROOT / "fixtures", folder / "fixtures")
    env = _environment(database_url)
    if not page.fresh:
        if seeded is not None:
            shutil.copyfile(seeded, folder / "threads.db")
        else:
            done = _run([str(BIN / "threads"), "ingest", *SEEDS], folder, env)
            assert done.returncode == 0, done.stdout
    for example in page.examples:
        if example.skip is not None:
            continue
        if example.language == "sh":
            # variables a block exports stay set for the page's later blocks, as in a shell
            code = SESSION_IN + example.code + SESSION_OUT
            command = ["bash", "-e", "-o", "pipefail", "-c", code]
        else:
            command = [sys.executable, "-c", example.code]
        done = _run(command, folder, env)
        where = f"{example.page}:{example.line}"
        assert done.returncode == 0, f"{where} failed (exit {done.returncode}):\n{done.stdout}"
        if example.expected is not None:
            assert matches(example.expected, done.stdout), (
                f"{where} printed:\n{done.stdout}\nbut the page shows:\n{example.expected}"
            )


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
    page: Page, tmp_path: Path, seeded_sqlite: Path
) -> None:
    _run_page(page, tmp_path, f"sqlite:///{tmp_path / 'threads.db'}", seeded_sqlite)


@pytest.mark.parametrize(
    "page", [p for p in RUNNABLE if p.path in ON_POSTGRESQL], ids=lambda p: p.path
)
def test_the_examples_run_on_postgresql(page: Page, tmp_path: Path, pg_databases: object) -> None:
    # a server database is upgraded on purpose (`threads db upgrade`), never on first use
    url = pg_databases.migrated()  # type: ignore[attr-defined]
    try:
        _run_page(page, tmp_path, url)
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


def test_the_comparison_allows_only_the_documented_placeholders() -> None:
    assert matches("a ... c\n", "a b c\n")
    assert matches("first\n...\nlast\n", "first\nx\ny\nlast\n")
    assert matches("first\n...\nlast\n", "first\nlast\n")
    assert not matches("a b c\n", "a b d\n")
    assert not matches("one\n", "one\ntwo\n")
