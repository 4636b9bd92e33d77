"""Reading in a reader process: the same database as reading in one, errors intact, no leftovers."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tests.ingest_support import batches, counts, snapshot, write_disqus
from threads.db import make_engine
from threads.errors import InvalidInput
from threads.ingest.ahead import ReadAhead
from threads.ingest.pipeline import (
    PARALLEL_MIN_BYTES,
    SEND_COMMENTS,
    InProcess,
    ReaderProcess,
    can_fork,
    use_reader_process,
)
from threads.ingest.service import FileReport, ingest_paths
from threads.ingest.sniff import sniff_file
from threads.ingest.stream import UndeclaredPrefix, XmlSource

#: set by the import, not by the source
IMPORT_TIMES = {"created_at", "updated_at", "started_at", "finished_at"}


@pytest.fixture
def other_engine(new_db: Callable[[], Engine]) -> Engine:
    """A second fresh database on the same backend, to import the same file into."""
    return new_db()


def one(engine: Engine, path: Path, *, parallel: bool) -> FileReport:
    report = ingest_paths(engine, [path], parallel=parallel)
    assert len(report.files) == 1
    return report.files[0]


REPO = Path(__file__).resolve().parent.parent


def in_fresh_process(code: str, *args: str) -> str:
    """Run ``code`` in a new interpreter; its stdout.

    A reader process is only forked while no other thread runs, and a test worker keeps
    threads other tests leave behind (AnyIO workers, a schema fuzzer's portal): what must
    use a reader process runs where nothing else has run.
    """
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def one_in_fresh_process(
    engine: Engine, path: Path, *, ahead: bool = False, change: bool = False
) -> SimpleNamespace:
    """Import ``path`` into ``engine``'s database with ``parallel=True``, in a new interpreter;
    ``ahead``: with its reader started ahead, before the database layer is loaded (as the CLI
    does); ``change``: the file is changed after that start."""
    url = engine.url.render_as_string(hide_password=False)
    out = in_fresh_process(
        "import sys\n"
        "from tests.test_ingest_pipeline import report_import\n"
        "report_import(*sys.argv[1:])",
        url,
        str(path),
        "ahead" if ahead else "",
        "change" if change else "",
    )
    return SimpleNamespace(**json.loads(out))


def report_import(url: str, path: str, ahead: str = "", change: str = "") -> None:
    """(In the fresh process) import with a reader process allowed; print the file's report."""
    import multiprocessing

    started = None
    if ahead:
        read_ahead = ReadAhead.start([Path(path)], parallel=True)
        started = read_ahead.path is not None
    if change:  # another export in its place, as a re-download would leave it
        write_disqus(Path(path), threads=4, posts=500, seed=2)
    engine = make_engine(url)
    try:
        (result,) = ingest_paths(
            engine, [Path(path)], parallel=True, ahead=read_ahead if ahead else None
        ).files
    finally:
        engine.dispose()
    fields = ("status", "counts", "warnings", "error", "reader_process")
    report = {name: getattr(result, name) for name in fields}
    report["started_ahead"] = started
    report["children_left"] = len(multiprocessing.active_children())
    print(json.dumps(report))


def content(engine: Engine) -> dict[str, Any]:
    """Every row the import wrote, without the times of the import itself."""
    db = snapshot(engine)

    def strip(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in row.items() if k not in IMPORT_TIMES} for row in rows]

    return {
        "articles": strip(db.articles),
        "threads": strip(db.threads),
        "comments": strip(db.comments),
        "batches": [
            {k: v for k, v in row.items() if k not in IMPORT_TIMES | {"source_path"}}
            for row in batches(engine)
        ],
    }


def same_as_one_process(
    engine: Engine, other_engine: Engine, path: Path, *, ahead: bool = False
) -> tuple[FileReport, SimpleNamespace]:
    """Import ``path`` in one process into ``engine``, and in a fresh interpreter with a reader
    process (started ahead if ``ahead``) into ``other_engine``: the same report, the same rows."""
    serial = one(engine, path, parallel=False)
    other = one_in_fresh_process(other_engine, path, ahead=ahead)
    assert other.reader_process or other.status != "ok"
    assert (other.status, other.counts, other.warnings, other.error) == (
        serial.status,
        serial.counts,
        serial.warnings,
        serial.error,
    )
    assert content(other_engine) == content(engine)
    return serial, other


def add_undeclared_prefix(path: Path) -> None:
    """An ``app:`` element whose prefix the file never declares (as in Blogger exports)."""
    text = path.read_text(encoding="utf-8")
    text = text.replace("<forum>f</forum>", "<forum>f</forum><app:draft>no</app:draft>", 1)
    path.write_text(text, encoding="utf-8")


def test_a_reader_process_writes_what_one_process_writes(
    engine: Engine, other_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "export.xml"
    # several messages across the pipe and several loader flushes
    write_disqus(path, threads=60, posts=9000)
    serial, parallel = same_as_one_process(engine, other_engine, path)
    assert serial.status == "ok" and not serial.reader_process and parallel.reader_process
    assert serial.counts["comments"] == 9000
    assert serial.counts["orphans"] > 0 and serial.counts["replies"] > 0
    assert any("missing" in w for w in serial.warnings)


@pytest.mark.parametrize(
    "name",
    [
        "wxr/isso-wordpress.xml",
        "wxr/wpimporter-serialized-comment-meta.xml",
        "blogger/gbc-blogger-sample.xml",
        "blogger/pelican-bloggerexport.xml",
        "disqus/isso-disqus.xml",
    ],
)
def test_every_xml_format_reads_the_same_in_a_reader_process(
    engine: Engine, other_engine: Engine, corpora: Path, name: str
) -> None:
    serial, parallel = same_as_one_process(engine, other_engine, corpora / name)
    assert serial.status == "ok" and parallel.reader_process


def test_errors_in_the_reader_process_are_those_of_one_process(
    engine: Engine, other_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "broken.xml"
    write_disqus(path, threads=5, posts=3000)
    data = path.read_bytes()
    cut = data.index(b"<post", len(data) * 2 // 3)
    path.write_bytes(data[:cut] + b"<post <<" + data[cut:])  # after the first batches
    before = counts(other_engine)
    serial, parallel = same_as_one_process(engine, other_engine, path)
    assert parallel.reader_process
    assert parallel.status == "failed"
    assert parallel.error is not None and "broken.xml" in parallel.error
    assert "not well-formed" in parallel.error
    # nothing half-written: the batches the reader had sent are rolled back with the rest
    assert counts(other_engine) == before


def test_an_undeclared_prefix_is_declared_and_read_again_in_a_reader_process(
    engine: Engine, other_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "prefix.xml"
    write_disqus(path, threads=3, posts=300)
    add_undeclared_prefix(path)
    _serial, parallel = same_as_one_process(engine, other_engine, path)
    assert parallel.reader_process and parallel.status == "ok"
    assert "app" in parallel.warnings[0]


def test_a_reader_started_ahead_writes_what_one_process_writes(
    engine: Engine, other_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "export.xml"
    write_disqus(path, threads=30, posts=5000)
    serial, ahead = same_as_one_process(engine, other_engine, path, ahead=True)
    assert serial.status == "ok" and serial.counts["comments"] == 5000
    assert ahead.started_ahead and ahead.reader_process and ahead.children_left == 0


def test_a_file_read_ahead_with_an_undeclared_prefix_is_read_again(
    engine: Engine, other_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "prefix.xml"
    write_disqus(path, threads=3, posts=300)
    add_undeclared_prefix(path)
    _serial, ahead = same_as_one_process(engine, other_engine, path, ahead=True)
    assert ahead.started_ahead and ahead.children_left == 0
    assert ahead.status == "ok" and "app" in ahead.warnings[0]


def test_a_file_changed_after_its_reader_started_is_read_again(
    engine: Engine, other_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "export.xml"
    write_disqus(path, threads=3, posts=400)
    changed = one_in_fresh_process(other_engine, path, ahead=True, change=True)
    assert changed.started_ahead and changed.children_left == 0
    serial = one(engine, path, parallel=False)  # the file as it is now
    assert changed.status == serial.status == "ok"
    assert changed.counts == serial.counts and serial.counts["comments"] == 500
    assert content(other_engine) == content(engine)


def test_a_file_read_ahead_as_utf_8_that_is_not_is_read_again_as_it_is(
    engine: Engine, other_engine: Engine, tmp_path: Path
) -> None:
    # the reader started ahead takes the encoding from the file's first 64 KiB; a byte
    # further on that is not UTF-8 changes it (to cp1252, with a warning) for the whole file
    path = tmp_path / "export.xml"
    write_disqus(path, threads=4, posts=1200)
    data = path.read_bytes()
    assert len(data) > 2 * 65536
    cut = data.index(b"<message>", len(data) // 2) + len(b"<message>")
    data = data[:cut] + b"caf\xe9 " + data[cut:]
    # undeclared, so that the bytes are taken for cp1252 (declared UTF-8 would be an error)
    path.write_bytes(data.replace(b' encoding="utf-8"', b"", 1))
    serial, ahead = same_as_one_process(engine, other_engine, path, ahead=True)
    assert ahead.started_ahead and ahead.children_left == 0
    assert serial.status == "ok" and any("cp1252" in w for w in serial.warnings)


def test_a_reader_started_ahead_for_a_file_imported_before_is_stopped(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "export.xml"
    write_disqus(path, threads=3, posts=400)
    assert one(engine, path, parallel=False).status == "ok"
    before = counts(engine)
    again = one_in_fresh_process(engine, path, ahead=True)
    assert again.started_ahead and again.status == "unchanged"
    assert again.children_left == 0
    assert counts(engine) == before


def test_which_file_is_read_ahead(tmp_path: Path, corpora: Path) -> None:
    in_fresh_process(
        "import sys\n"
        "from tests.test_ingest_pipeline import check_which_file_is_read_ahead as check\n"
        "check(*sys.argv[1:])",
        str(tmp_path),
        str(corpora),
    )


def check_which_file_is_read_ahead(folder: str, corpora: str) -> None:
    """(In a fresh process.) The first file the import would read in a reader process."""
    import shutil

    tmp = Path(folder)
    pages = tmp / "pages"
    pages.mkdir()
    shutil.copy(REPO / "fixtures" / "consortiumnews-us-policy-unites-iran-and-china.txt", pages)
    disqus = tmp / "pages" / "z-export.xml"
    write_disqus(disqus, threads=2, posts=50)

    def started(*args: Any, **kwargs: Any) -> Path | None:
        ahead = ReadAhead.start(*args, **kwargs)
        try:
            return ahead.path
        finally:
            ahead.close()

    # a folder: the text page is read in process, the export is the first file to read ahead
    assert started([pages], parallel=True) == disqus.resolve()
    assert started([pages], fmt="disqus", parallel=True) is not None
    assert started([pages], fmt="text", parallel=True) is None
    # the import's own rules: never with --serial, small files only when asked
    assert started([disqus], parallel=False) is None
    assert started([disqus]) is None  # under PARALLEL_MIN_BYTES
    assert started([Path(corpora) / "wxr" / "isso-wordpress.xml"], parallel=True) is not None
    # what the import will report is left to it
    assert started([tmp / "missing.xml"], parallel=True) is None
    broken = tmp / "broken.xml"
    broken.write_bytes(b"\x00\x01 not xml")
    assert started([broken], parallel=True) is None
    import multiprocessing

    assert multiprocessing.active_children() == []


def test_the_readers_load_without_the_database_layer() -> None:
    out = in_fresh_process(
        "import sys\n"
        "import cli.app, cli.ingest_cmd, threads.ingest.ahead, threads.ingest.prepare\n"
        "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'rich') "
        "if m in sys.modules))"
    )
    assert out.strip() == "[]"


def test_the_cli_reads_a_large_export_ahead_and_writes_what_one_process_writes(
    engine: Engine, other_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "export.xml"
    write_disqus(path, threads=20, posts=3000)
    url = other_engine.url.render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, "-m", "cli", "ingest", "--parallel", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "THREADS_DATABASE_URL": url, "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stderr
    serial = one(engine, path, parallel=False)
    assert serial.status == "ok" and str(serial.counts["comments"]) in done.stdout
    assert content(other_engine) == content(engine)


def test_errors_cross_the_pipe_whole() -> None:
    error = UndeclaredPrefix("x.xml: prefix 'app' never declared", prefix="app")
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is UndeclaredPrefix
    assert (back.detail, back.prefix, back.code, back.extra) == (
        error.detail,
        "app",
        "undeclared_prefix",
        {"prefix": "app"},
    )
    invalid = pickle.loads(pickle.dumps(InvalidInput("bad", field="file", line=3)))
    assert (str(invalid), invalid.field, invalid.extra) == (
        "bad",
        "file",
        {"field": "file", "line": 3},
    )


def disqus_reader(path: Path) -> Callable[[], tuple[Any, XmlSource]]:
    from threads.ingest.disqus import DisqusReader

    sniffed = sniff_file(path, xml=True)

    def make_reader() -> tuple[DisqusReader, XmlSource]:
        source = XmlSource(path, sniffed)
        return DisqusReader(source), source

    return make_reader


def reader_process(path: Path, **options: Any) -> ReaderProcess:
    return ReaderProcess(disqus_reader(path), **options)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_comments_finished_in_the_reader_process_are_those_finished_here(
    tmp_path: Path, backend: str
) -> None:
    path = tmp_path / "export.xml"
    write_disqus(path, threads=30, posts=9000)  # at least five batches across the pipe
    here = InProcess(disqus_reader(path))
    expected = list(here.prepared(backend))
    here.close()
    # finishing in the reader process whenever it can, from the first batch
    always = reader_process(path, backend=backend, finish_when_waiting=0)
    try:
        got = list(always.prepared(backend))
    finally:
        always.close()
    assert always.finished_batches >= 9000 // SEND_COMMENTS + 1
    assert got == expected
    assert (always.warnings, always.skipped) == (here.warnings, here.skipped)
    # never: every batch finished here, the same
    never = reader_process(path, backend=backend, finish_when_waiting=None)
    try:
        assert list(never.prepared(backend)) == expected
    finally:
        never.close()
    assert never.finished_batches == 0
    # the backend known only when the items are asked for (a reader started ahead): the
    # child learns it through the byte they share, in time for the later batches at least
    later = reader_process(path, finish_when_waiting=0)
    try:
        assert list(later.prepared(backend)) == expected
    finally:
        later.close()
    assert later.finished_batches > 0


def test_closing_early_stops_the_reader_process(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    write_disqus(path, threads=10, posts=20000)
    stream = reader_process(path)
    first = next(stream.prepared("sqlite"))
    assert first.thread is not None
    pid = stream.pid
    stream.close()  # as the service does when the writing side fails
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # gone, and reaped


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="F_SETPIPE_SZ is Linux's")
def test_the_reader_process_pipe_holds_a_whole_batch(tmp_path: Path) -> None:
    import fcntl

    from threads.ingest.pipeline import PIPE_BYTES

    path = tmp_path / "small.xml"
    write_disqus(path, threads=2, posts=10)
    stream = reader_process(path)
    try:
        limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
        size = fcntl.fcntl(stream._conn.fileno(), fcntl.F_GETPIPE_SZ)  # type: ignore[attr-defined]
        assert size >= min(PIPE_BYTES, limit) > 64 * 1024
        assert sum(len(p.comments) for p in stream.prepared("sqlite")) == 10
    finally:
        stream.close()


def test_a_reader_process_that_dies_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    write_disqus(path, threads=10, posts=20000)
    stream = reader_process(path)
    items = stream.prepared("sqlite")
    next(items)
    os.kill(stream.pid, signal.SIGKILL)
    with pytest.raises(ChildProcessError, match="reader process ended without finishing"):
        for _ in items:
            pass
    stream.close()


def test_when_a_reader_process_is_used() -> None:
    in_fresh_process(
        "from tests.test_ingest_pipeline import check_when_a_reader_process_is_used as check; "
        "check()"
    )


def check_when_a_reader_process_is_used() -> None:
    """(In a fresh process, where no other thread runs.)"""
    assert can_fork()
    assert use_reader_process(10, True)
    assert not use_reader_process(PARALLEL_MIN_BYTES * 10, False)
    assert not use_reader_process(PARALLEL_MIN_BYTES - 1, None)
    assert use_reader_process(PARALLEL_MIN_BYTES, None) == (len(os.sched_getaffinity(0)) > 1)
    # never while another thread runs: a fork copies its locks held
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not can_fork()
        assert not use_reader_process(PARALLEL_MIN_BYTES * 10, True)
    finally:
        stop.set()
        other.join()


def test_with_another_thread_running_the_file_is_read_in_process(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "export.xml"
    write_disqus(path, threads=4, posts=500)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        result = one(engine, path, parallel=True)
    finally:
        stop.set()
        other.join()
    assert result.status == "ok" and not result.reader_process
    assert result.counts["comments"] == 500


def test_what_marshal_cannot_write_crosses_with_pickle(tmp_path: Path) -> None:
    from threads.ingest.parsed import ParsedArticle, ParsedComment, ParsedThread
    from threads.models import CommentStatus

    path = tmp_path / "any.xml"
    path.write_text("<disqus/>", encoding="utf-8")
    sniffed = sniff_file(path, xml=True)
    # a str subclass: JSON writes it, marshal refuses it
    extra = {"was": CommentStatus.SPAM, "n": 1}
    comments = [ParsedComment(body=f"c{n}", external_id=str(n), extra=extra) for n in range(3)]

    class Reader:
        warnings = ["noticed"]
        skipped: dict[str, int] = {}

        def __iter__(self) -> Iterator[ParsedThread]:
            yield ParsedThread(article=ParsedArticle(title="T"), comments=comments)

    def make_reader() -> tuple[Reader, XmlSource]:
        return Reader(), XmlSource(path, sniffed)

    stream = ReaderProcess(make_reader)
    try:
        (item,) = list(stream.prepared("sqlite"))
    finally:
        stream.close()
    assert item.thread is not None and item.thread.article.title == "T"
    assert [c[0] for c in item.comments] == ["id:0", "id:1", "id:2"]
    assert item.comments[0][3][-1] == '{"was": "spam", "n": 1}'
    assert stream.warnings == ["noticed"]
