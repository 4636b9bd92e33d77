"""``ingest_paths``: import files and folders, one transaction and one ImportBatch per file.

Each file is read in its own transaction: on any error its rows are rolled back, the error
(naming the file and the problem) goes into the report and the other files still import. A file
whose sha256 was already imported successfully is reported as unchanged and not read again.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from threads.db import session_scope
from threads.db.queries.ingest import successful_batch
from threads.db.types import utcnow
from threads.errors import InvalidInput, ThreadsError
from threads.ingest.ahead import ReadAhead
from threads.ingest.detect import FORMATS, XML_FORMATS, file_format
from threads.ingest.files import expand_paths, file_sha256
from threads.ingest.loader import LoadStats, load_prepared
from threads.ingest.pipeline import (
    FEW_COLLECTIONS,
    PreparedStream,
    open_stream,
    use_reader_process,
    xml_readers,
)
from threads.ingest.prepare import Prepared, Preparer
from threads.ingest.sniff import decode_with_warnings, sniff_file
from threads.ingest.stream import Item, UndeclaredPrefix
from threads.models import ImportBatch

#: how many undeclared namespace prefixes one file may need before we give up
MAX_DECLARED_PREFIXES = 8
#: SQLite page cache during an import, in KiB (the default is 2 MiB)
SQLITE_CACHE_KIB = 65536


@dataclass
class Progress:
    """Where an import stands, given to the ``progress`` callback."""

    path: Path
    bytes_done: int
    bytes_total: int
    comments: int
    files_done: int
    files_total: int


@dataclass
class FileReport:
    """The outcome of one file: plain data."""

    path: Path
    status: str  # "ok", "unchanged" or "failed"
    format: str | None = None
    encoding: str | None = None
    sha256: str | None = None
    batch_id: int | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    #: whether the file was read and prepared in a reader process beside the writing one
    reader_process: bool = False


@dataclass
class IngestReport:
    """Every file's outcome, plus totals over the files that imported."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def totals(self) -> dict[str, Any]:
        keys = ("articles", "threads", "comments", "threads_closed", "replies", "orphans")
        totals: dict[str, Any] = dict.fromkeys(keys, 0)
        by_status: dict[str, int] = {}
        warnings = 0
        for report in self.files:
            if report.status != "ok":
                continue
            for key in keys:
                totals[key] += int(report.counts.get(key, 0))
            for status, count in report.counts.get("comments_by_status", {}).items():
                by_status[status] = by_status.get(status, 0) + int(count)
            warnings += len(report.warnings)
        totals["comments_by_status"] = dict(sorted(by_status.items()))
        totals["warnings"] = warnings
        totals["files"] = len(self.files)
        totals["files_ok"] = sum(1 for f in self.files if f.status == "ok")
        totals["files_unchanged"] = sum(1 for f in self.files if f.status == "unchanged")
        totals["files_failed"] = len(self.failed)
        return totals


ProgressCallback = Callable[[Progress], None]


def ingest_paths(
    engine: Engine,
    paths: Sequence[Path],
    *,
    fmt: str = "auto",
    progress: ProgressCallback | None = None,
    parallel: bool | None = None,
    ahead: ReadAhead | None = None,
) -> IngestReport:
    """Import every file under ``paths``; one transaction and ImportBatch per file.

    ``fmt`` forces a format (one of :data:`threads.ingest.detect.FORMATS`) or ``"auto"`` detects
    it from each file's content. ``parallel``: read WXR, Disqus and Blogger files in a reader
    process beside the writing one (True: whenever it is safe to; False: never; None: for large
    files, see :mod:`threads.ingest.pipeline`); the result is the same either way. ``ahead``:
    a reader process already started for one of the files (:mod:`threads.ingest.ahead`), taken
    when that file comes, stopped at the end if it was not. Raises
    InvalidInput for a missing path or an unknown format (before anything is written); a problem
    inside a file is reported, not raised.
    """
    if fmt != "auto" and fmt not in FORMATS:
        raise InvalidInput(
            f"unknown format {fmt!r} (expected auto or one of {', '.join(FORMATS)})",
            field="format",
        )
    try:
        files = expand_paths(paths)
        report = IngestReport()
        for index, path in enumerate(files):
            report.files.append(
                _ingest_file(engine, path, fmt, progress, (index, len(files)), parallel, ahead)
            )
    finally:
        if ahead is not None:
            ahead.close()
    return report


def _ingest_file(
    engine: Engine,
    path: Path,
    fmt: str,
    progress: ProgressCallback | None,
    place: tuple[int, int],
    parallel: bool | None,
    ahead: ReadAhead | None,
) -> FileReport:
    result = FileReport(path=path, status="failed")
    declared: set[str] = set()
    try:
        result.sha256 = digest = file_sha256(path)
        result.format = file_format(path, fmt)
        with Session(engine) as session:
            earlier = successful_batch(session, digest)
        if earlier is not None:
            result.status = "unchanged"
            result.batch_id = earlier
            return result
        while True:
            try:
                with _few_collections(), session_scope(engine) as session:
                    _run(
                        session,
                        path,
                        result,
                        frozenset(declared),
                        progress,
                        place,
                        parallel,
                        ahead,
                    )
                break
            except UndeclaredPrefix as exc:
                if exc.prefix in declared or len(declared) >= MAX_DECLARED_PREFIXES:
                    raise
                declared.add(exc.prefix)
        if declared:
            result.warnings.insert(
                0,
                f"{path.name}: namespace prefix(es) {', '.join(sorted(declared))} used without "
                "a declaration; declared as urn:x-threads:undeclared:<prefix> and read again",
            )
        result.status = "ok"
    except ThreadsError as exc:
        result.error = exc.detail if path.name in exc.detail else f"{path}: {exc.detail}"
        result.batch_id = None
    except (SQLAlchemyError, OSError, UnicodeError, ValueError) as exc:
        result.error = f"{path}: {type(exc).__name__}: {exc}".splitlines()[0]
        result.batch_id = None
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
        result.error = f"{path}: unexpected {type(exc).__name__} while importing: {exc}"
        result.error = result.error.splitlines()[0]
        result.batch_id = None
    if result.status == "failed":
        result.counts = {}
    return result


@contextmanager
def _few_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often during an import.

    An import allocates millions of short-lived objects without cycles (elements, parsed
    comments, rows), freed by reference counting; the collector's default scan of the youngest
    objects every 700 net allocations was 7-10 % of an import's time (measured, 50,000
    comments). Every 50,000 allocations during the import; the thresholds come back after.
    """
    old = gc.get_threshold()
    gc.set_threshold(*(max(now, few) for now, few in zip(old, FEW_COLLECTIONS, strict=True)))
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _run(
    session: Session,
    path: Path,
    result: FileReport,
    declared: frozenset[str],
    progress: ProgressCallback | None,
    place: tuple[int, int],
    parallel: bool | None,
    ahead: ReadAhead | None,
) -> None:
    index, total = place
    fmt = result.format
    assert fmt is not None and result.sha256 is not None
    size = path.stat().st_size
    batch = ImportBatch(
        source_name=path.name[:512],
        source_path=str(path.resolve()),
        sha256=result.sha256,
        format=fmt,
        status="running",
        started_at=utcnow(),
    )
    warnings: list[str] = []
    if session.get_bind().dialect.name == "sqlite":
        # a larger page cache for this connection: the comment table's indexes stay in memory
        session.connection().exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    if fmt == "jsonl":
        _run_jsonl(session, path, batch, result, warnings)
    else:
        session.add(batch)
        session.flush()
        assert batch.id is not None
        result.batch_id = batch.id
        done = 0
        backend = session.get_bind().dialect.name
        stream: PreparedStream | None = None
        if fmt in XML_FORMATS:
            taken = ahead.take(path, fmt, declared) if ahead is not None else None
            if taken is not None:
                sniffed, stream = taken
            else:
                sniffed = sniff_file(path, xml=True)
                stream = open_stream(
                    xml_readers(path, fmt, sniffed, declared),
                    in_child=use_reader_process(size, parallel),
                )
            warnings.extend(sniffed.warnings)
            batch.encoding = sniffed.encoding
            result.reader_process = stream.in_child
            items: Iterable[Prepared] = stream.prepared(backend)
        else:
            text, encoding, decode_warnings = decode_with_warnings(
                path.read_bytes(), name=path.name
            )
            warnings.extend(decode_warnings)
            batch.encoding = encoding
            items = Preparer(backend).items(_page_threads(fmt, text, path.name))

        def on_comments(count: int) -> None:
            nonlocal done
            done += count
            if progress is not None:
                read = stream.bytes_read if stream is not None else size
                progress(Progress(path, min(read, size), size, done, index, total))

        try:
            stats: LoadStats = load_prepared(
                session,
                items,
                batch_id=batch.id,
                source_format=fmt,
                source_name=path.name,
                on_comments=on_comments,
            )
        finally:
            if stream is not None:
                stream.close()
        if stream is not None:
            warnings.extend(stream.warnings)
        warnings.extend(stats.warnings)
        counts = stats.as_dict()
        counts["warnings"] = len(warnings)
        if stream is not None and stream.skipped:
            counts["skipped"] = dict(sorted(stream.skipped.items()))
        result.counts = counts
        batch.counts = counts
    batch.warnings = warnings
    batch.status = "ok"
    batch.finished_at = utcnow()
    session.add(batch)
    session.flush()
    result.warnings = warnings
    result.encoding = batch.encoding
    if progress is not None:
        done_comments = int(result.counts.get("comments", 0))
        progress(Progress(path, size, size, done_comments, index + 1, total))


def _page_threads(fmt: str, text: str, name: str) -> Iterator[Item]:
    if fmt == "text":
        from threads.ingest.plaintext import parse_text

        yield from parse_text(text, source_name=name)
    else:
        from threads.ingest.html import parse_html

        yield from parse_html(text, source_name=name)


def _run_jsonl(
    session: Session, path: Path, batch: ImportBatch, result: FileReport, warnings: list[str]
) -> None:
    from threads.archive.jsonl import load_archive

    batch.encoding = "utf-8"
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        counts = load_archive(session, handle, batch=batch)
    session.add(batch)
    session.flush()
    result.batch_id = batch.id
    result.counts = dict(counts)
    batch.counts = dict(counts)
