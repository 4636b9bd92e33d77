"""An import interrupted: Ctrl-C (SIGINT) and ``kill -9`` of a real ``threads ingest`` process,
and Ctrl-C inside the library, on both backends.

Ctrl-C stops the whole command at once, rolls back the file being read, names the files imported
and the others, and exits 130; the database holds exactly the files named as imported, and the
next import starts at once (no lock left behind). The import runs in one process: no child is
left when it is killed.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from tests.ingest_support import BATCH, COMMENT, batches, write_disqus
from threads.ingest.service import IngestInterrupted, Progress, ingest_paths

THREADS = str(Path(sys.executable).with_name("threads"))
#: how long the test waits for a state the import must reach (not a timing assertion)
PATIENCE = 120.0


@pytest.fixture(scope="module")
def large_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Disqus export large enough that importing it takes a while (about 5 MB)."""
    path = tmp_path_factory.mktemp("large") / "large.xml"
    write_disqus(path, threads=300, posts=15_000)
    return path


@pytest.fixture
def files(tmp_path: Path, corpora: Path, large_export: Path) -> Path:
    """A folder with a small export, the large one, another small one, and a small export of
    the large one's site and threads (its import waits for any lock the large one left)."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(corpora / "disqus" / "isso-disqus.xml", folder / "a.xml")
    shutil.copy(large_export, folder / "big.xml")
    shutil.copy(corpora / "wxr" / "isso-wordpress.xml", folder / "z.xml")
    write_disqus(folder / "same-site.xml", threads=300, posts=50, seed=2)
    return folder


def _start(
    db_url: str, folder: Path, *names: str, new_session: bool = False
) -> subprocess.Popen[str]:
    """``threads ingest NAMES`` in ``folder``. On PostgreSQL a statement that would wait for a
    lock fails after 5 s instead (so that a lock left behind fails the test, not hangs it)."""
    env = {
        **os.environ,
        "THREADS_DATABASE_URL": db_url,
        "NO_COLOR": "1",
        "COLUMNS": "200",
        "PGOPTIONS": "-c lock_timeout=5000",
    }
    return subprocess.Popen(
        [THREADS, "ingest", *names],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=new_session,
    )


def _imported(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        query = sa.select(BATCH.c.source_name).where(BATCH.c.status == "ok")
        return sorted(conn.execute(query.order_by(BATCH.c.id)).scalars())


def _wait_until_imported(engine: Engine, process: subprocess.Popen[str], name: str) -> None:
    """Wait until ``name`` is committed (the next file is then being read)."""
    deadline = time.monotonic() + PATIENCE
    while name not in _imported(engine):
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the import ended before {name} was committed:\n{out}\n{err}")
        assert time.monotonic() < deadline, f"{name} was never committed"
        time.sleep(0.02)


def _assert_holds_exactly(engine: Engine, names: list[str]) -> None:
    """The database holds the files ``names`` and nothing of any other file."""
    assert _imported(engine) == sorted(names)
    with engine.connect() as conn:
        kept = {b["id"]: b for b in batches(engine)}
        assert all(b["status"] == "ok" for b in kept.values())
        by_batch = dict(
            conn.execute(
                sa.select(COMMENT.c.import_batch_id, sa.func.count()).group_by(
                    COMMENT.c.import_batch_id
                )
            ).all()
        )
    assert set(by_batch) <= set(kept)  # no comment of a rolled-back file
    for batch_id, batch in kept.items():
        assert by_batch.get(batch_id, 0) == batch["counts"]["comments_new"]


def _assert_no_lock_left(db_url: str) -> None:
    """SQLite: the write lock can be taken without waiting at all."""
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite":
        return
    conn = sqlite3.connect(str(url.database), timeout=0)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.rollback()
    finally:
        conn.close()


@pytest.fixture
def cleanup() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_ctrl_c_rolls_back_the_file_being_read_names_the_imported_ones_and_exits_130(
    db_url: str,
    engine: Engine,
    files: Path,
    cleanup: list[subprocess.Popen[str]],
) -> None:
    process = _start(db_url, files, "a.xml", "big.xml", "z.xml")
    cleanup.append(process)
    _wait_until_imported(engine, process, "a.xml")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=PATIENCE)

    assert process.returncode == 130, out + err
    assert err.strip().splitlines()[-1] == (
        "interrupted: imported a.xml; not imported big.xml (rolled back), z.xml"
    ), err
    assert "Traceback" not in err and "Rollback" not in err and "locked" not in err
    assert "interrupted" in out and "not started" in out  # the table says it per file
    _assert_holds_exactly(engine, ["a.xml"])
    _assert_no_lock_left(db_url)

    again = _start(db_url, files, "same-site.xml", "z.xml")
    cleanup.append(again)
    out, err = again.communicate(timeout=PATIENCE)
    assert again.returncode == 0, out + err
    _assert_holds_exactly(engine, ["a.xml", "same-site.xml", "z.xml"])


def test_kill_9_leaves_no_process_behind_and_nothing_of_the_file_being_read(
    db_url: str,
    engine: Engine,
    files: Path,
    cleanup: list[subprocess.Popen[str]],
) -> None:
    process = _start(db_url, files, "a.xml", "big.xml", new_session=True)
    cleanup.append(process)
    _wait_until_imported(engine, process, "a.xml")
    assert _children(process.pid) == []  # the import runs in this one process
    process.kill()
    process.wait()
    assert _in_session(process.pid) == []  # nothing it started outlives it
    _assert_holds_exactly(engine, ["a.xml"])
    _assert_no_lock_left(db_url)
    again = _start(db_url, files, "same-site.xml")
    cleanup.append(again)
    out, err = again.communicate(timeout=PATIENCE)
    assert again.returncode == 0, out + err
    _assert_holds_exactly(engine, ["a.xml", "same-site.xml"])


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as handle:
            found += [int(child) for child in handle.read().split()]
    return found


def _in_session(sid: int) -> list[int]:
    """The live processes of session ``sid`` (the killed import was its leader)."""
    found: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:  # gone meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, session = fields[0], int(fields[3])
        if session == sid and state not in ("Z", "X"):
            found.append(int(entry))
    return found


# ---------------------------------------------------------------- in the library


def test_ctrl_c_in_the_library_raises_ingest_interrupted_with_every_file(
    db_url: str, engine: Engine, files: Path
) -> None:
    """KeyboardInterrupt raised while the second file is half written (from the progress
    callback, as a signal would be): that file is rolled back, the first stays."""

    def interrupt(event: Progress) -> None:
        if event.path.name == "big.xml" and event.comments >= 5000:
            raise KeyboardInterrupt

    paths = [files / "a.xml", files / "big.xml", files / "z.xml"]
    with pytest.raises(IngestInterrupted) as caught:
        ingest_paths(engine, paths, progress=interrupt)
    report = caught.value.report
    assert isinstance(caught.value, KeyboardInterrupt)
    assert report.interrupted
    assert [(f.path.name, f.status) for f in report.files] == [
        ("a.xml", "ok"),
        ("big.xml", "interrupted"),
        ("z.xml", "not started"),
    ]
    assert report.files[1].error is not None and "rolled back" in report.files[1].error
    _assert_holds_exactly(engine, ["a.xml"])
    _assert_no_lock_left(db_url)
    again = ingest_paths(engine, [files / "same-site.xml"])  # the engine is usable at once
    assert [f.status for f in again.files] == ["ok"]
