"""``ingest_paths``: import files and folders, one transaction and one ImportBatch per file.

Each file is read in its own transaction: on any error its rows are rolled back, the error
(naming the file and the problem) goes into the report and the other files still import. A file
whose sha256 was already imported successfully is reported as unchanged and not read again. A
dry run reads and matches every file exactly as an import would, reports what it would write,
and rolls everything back.

Ctrl-C (KeyboardInterrupt) stops the whole import at once: the file being read is rolled back
and :class:`IngestInterrupted` carries the report of the files before it (imported, unchanged
or failed), of the one interrupted and of those never started.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from threads.db import session_scope
from threads.db.queries.ingest import archive_loaded, successful_batch
from threads.db.types import utcnow
from threads.errors import InvalidInput, ThreadsError
from threads.ingest.files import expand_paths, file_sha256
from threads.ingest.loader import MAX_COMMENT_CHARS, load_items
from threads.ingest.registry import Format, file_format, get_format
from threads.ingest.sites import check_key
from threads.ingest.source import SourceFile
from threads.ingest.stream import UndeclaredPrefix
from threads.models import ImportBatch

#: how many undeclared namespace prefixes one file may need before we give up
MAX_DECLARED_PREFIXES = 8


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
    #: "ok", "unchanged" or "failed"; after Ctrl-C, "interrupted" (rolled back) or "not started"
    status: str
    format: str | None = None
    encoding: str | None = None
    sha256: str | None = None
    batch_id: int | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


#: the per-file counts that add up over files
SUMMED = (
    "articles",
    "threads",
    "comments",
    "threads_closed",
    "replies",
    "orphans",
    "sites_new",
    "articles_new",
    "articles_updated",
    "articles_unchanged",
    "comments_new",
    "comments_updated",
    "comments_unchanged",
    "comments_text_changed",
    "comments_status_changed",
)


@dataclass
class IngestReport:
    """Every file's outcome, plus totals over the files that imported."""

    files: list[FileReport] = field(default_factory=list)
    #: nothing was written: the counts say what an import would have done
    dry_run: bool = False
    #: Ctrl-C stopped the import (see :class:`IngestInterrupted`)
    interrupted: bool = False

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def totals(self) -> dict[str, Any]:
        totals: dict[str, Any] = dict.fromkeys(SUMMED, 0)
        by_status: dict[str, int] = {}
        sites: set[str] = set()
        warnings = 0
        for report in self.files:
            if report.status != "ok":
                continue
            for key in SUMMED:
                totals[key] += int(report.counts.get(key, 0))
            for status, count in report.counts.get("comments_by_status", {}).items():
                by_status[status] = by_status.get(status, 0) + int(count)
            sites.update(report.counts.get("site_keys", []))
            warnings += len(report.warnings)
        totals["comments_by_status"] = dict(sorted(by_status.items()))
        totals["sites"] = sorted(sites)
        totals["warnings"] = warnings
        totals["files"] = len(self.files)
        totals["files_ok"] = sum(1 for f in self.files if f.status == "ok")
        totals["files_unchanged"] = sum(1 for f in self.files if f.status == "unchanged")
        totals["files_failed"] = len(self.failed)
        return totals


ProgressCallback = Callable[[Progress], None]


class IngestInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped an import. The file being read was rolled back; ``report`` has every
    file: those done before (status as usual), that one ("interrupted") and the rest ("not
    started"). A KeyboardInterrupt still, for callers that only know that."""

    def __init__(self, report: IngestReport) -> None:
        super().__init__("import interrupted")
        self.report = report


def ingest_paths(
    engine: Engine,
    paths: Sequence[Path],
    *,
    fmt: str = "auto",
    site: str | None = None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    max_comment_chars: int = MAX_COMMENT_CHARS,
    recover: bool = False,
) -> IngestReport:
    """Import every file under ``paths``; one transaction and ImportBatch per file.

    ``fmt`` names a format (see ``threads.ingest.registry``) or ``"auto"`` detects it from
    each file's content. ``site``: the key of the site every thread goes to, instead of the site
    each file names. ``dry_run``: do everything but commit. ``max_comment_chars``: longer
    comment bodies are cut, with a warning. ``recover``: XML that is not well-formed is
    repaired as far as lxml's recovery mode can (each repair a warning with its line) and the
    batch is marked ``recovered`` in its counts. Raises InvalidInput for a missing path, an unknown
    format or a bad site key (before anything is written); a problem inside a file is reported,
    not raised. Ctrl-C raises :class:`IngestInterrupted`.
    """
    if fmt != "auto":
        get_format(fmt)
    if site is not None:
        site = check_key(site)
    files = expand_paths(paths)
    report = IngestReport(dry_run=dry_run)
    one: _File | None = None
    try:
        for index, path in enumerate(files):
            place = (index, len(files))
            one = _File(
                engine, path, fmt, site, dry_run, progress, place, max_comment_chars, recover
            )
            report.files.append(one.run())
    except KeyboardInterrupt:
        done = len(report.files)  # the interrupt may come between two files as well
        if one is not None and one.place[0] == done:
            report.files.append(one.after_interrupt())
        rest = files[len(report.files) :]
        report.files.extend(FileReport(path=p, status="not started") for p in rest)
        report.interrupted = True
        raise IngestInterrupted(report) from None
    return report


def _describe(path: Path, exc: Exception) -> str:
    """The one-line error of a file whose import raised ``exc``, naming the file."""
    if isinstance(exc, ThreadsError):
        return exc.detail if path.name in exc.detail else f"{path}: {exc.detail}"
    if isinstance(exc, SQLAlchemyError | OSError | UnicodeError | ValueError):
        return f"{path}: {type(exc).__name__}: {exc}".splitlines()[0]
    return f"{path}: unexpected {type(exc).__name__} while importing: {exc}".splitlines()[0]


def _interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while a KeyboardInterrupt was being handled (a rollback or a
    close that failed because Ctrl-C came in the middle of a database call)."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


class _File:
    """The import of one file."""

    def __init__(
        self,
        engine: Engine,
        path: Path,
        fmt: str,
        site: str | None,
        dry_run: bool,
        progress: ProgressCallback | None,
        place: tuple[int, int],
        max_comment_chars: int = MAX_COMMENT_CHARS,
        recover: bool = False,
    ) -> None:
        self.engine = engine
        self.recover = recover
        self.path = path
        self.fmt = fmt
        self.site = site
        self.dry_run = dry_run
        self.progress = progress
        self.place = place
        self.max_comment_chars = max_comment_chars
        self.result = FileReport(path=path, status="failed")

    def run(self) -> FileReport:
        result = self.result
        try:
            result.sha256 = digest = file_sha256(self.path)
            fmt = file_format(self.path, self.fmt)
            result.format = fmt.name
            with Session(self.engine) as session:
                if fmt.load is None:
                    earlier = successful_batch(session, digest)
                else:
                    earlier = archive_loaded(session, digest)
            if earlier is not None:
                result.status = "unchanged"
                result.batch_id = earlier if fmt.load is None else None
                return result
            self._import(fmt)
            result.status = "ok"
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # one bad file must not stop the others
            if _interrupted(exc):  # a rollback that failed under Ctrl-C: still Ctrl-C
                raise KeyboardInterrupt from exc
            result.error = _describe(self.path, exc)
        if result.status == "failed":
            result.counts = {}
            result.batch_id = None
        return result

    def after_interrupt(self) -> FileReport:
        """The file's report after Ctrl-C stopped its import: "interrupted" when its
        transaction did not commit, else what it did (asked of the database: the interrupt may
        have come after the commit)."""
        result = self.result
        if result.status in ("ok", "unchanged"):
            return result
        committed = False
        if result.batch_id is not None and result.sha256 is not None:
            with Session(self.engine) as session:
                committed = successful_batch(session, result.sha256) == result.batch_id
        elif "archive_load" in result.counts and result.sha256 is not None:
            with Session(self.engine) as session:
                committed = archive_loaded(session, result.sha256) == result.counts["archive_load"]
        if committed:
            result.status = "ok"
            return result
        return FileReport(
            path=self.path,
            status="interrupted",
            format=result.format,
            sha256=result.sha256,
            error=f"{self.path}: interrupted; its import was rolled back",
        )

    def _import(self, fmt: Format) -> None:
        """Read the file in one transaction (again, with the prefixes declared, when an XML
        file uses a namespace prefix it never declares)."""
        declared: set[str] = set()
        while True:
            try:
                with session_scope(self.engine, write=True) as session:
                    self._read(session, fmt, frozenset(declared))
                    if self.dry_run:
                        session.rollback()
                break
            except UndeclaredPrefix as exc:
                if not fmt.xml or exc.prefix in declared:
                    raise
                if len(declared) >= MAX_DECLARED_PREFIXES:
                    raise
                declared.add(exc.prefix)

    def _read(self, session: Session, fmt: Format, declared: frozenset[str]) -> None:
        result = self.result
        assert result.sha256 is not None
        if fmt.load is not None:
            self._load(session, fmt, result.sha256)
            return
        batch = ImportBatch(
            source_name=self.path.name[:512],
            source_path=str(self.path.resolve()),
            sha256=result.sha256,
            format=fmt.name,
            status="running",
            started_at=utcnow(),
        )
        recover = self.recover and fmt.xml
        source = SourceFile(self.path, declared, recover=recover)
        assert fmt.open is not None
        session.add(batch)
        session.flush()
        assert batch.id is not None
        done = 0
        index, total = self.place

        def on_comments(count: int) -> None:
            nonlocal done
            done += count
            if self.progress is not None:
                self.progress(
                    Progress(self.path, source.bytes_read, source.size, done, index, total)
                )

        reader = fmt.open(source)
        try:
            stats = load_items(
                session,
                reader,
                batch_id=batch.id,
                source_format=fmt.name,
                source_name=self.path.name,
                site=self.site,
                on_comments=on_comments,
                max_comment_chars=self.max_comment_chars,
            )
        finally:
            source.close()
        if stats.threads == 0 and stats.comments == 0:
            # a page always gives its thread (with or without comments): nothing at all
            # means the file is not what it was read as
            raise InvalidInput(
                f"{self.path.name}: read as {fmt.description} but no thread or comment "
                "was found in it; nothing imported",
                field="file",
            )
        batch.encoding = source.encoding
        warnings = [*source.warnings, *reader.warnings, *stats.warnings]
        if declared:
            warnings.insert(
                0,
                f"{self.path.name}: namespace prefix(es) {', '.join(sorted(declared))} "
                "used without a declaration; declared as urn:x-threads:undeclared:<prefix> "
                "and read again",
            )
        counts = stats.as_dict()
        counts["warnings"] = len(warnings)
        if recover:
            counts["recovered"] = True
            counts["repairs"] = source.repairs
        if reader.skipped:
            counts["skipped"] = dict(sorted(reader.skipped.items()))
        batch.counts = counts
        batch.warnings = warnings
        batch.status = "ok"
        batch.finished_at = utcnow()
        session.add(batch)
        session.flush()
        result.batch_id = None if self.dry_run else batch.id
        result.counts = dict(counts)
        result.warnings = warnings
        result.encoding = batch.encoding
        if self.progress is not None:
            index, total = self.place
            comments = int(counts.get("comments", 0))
            self.progress(Progress(self.path, source.size, source.size, comments, index + 1, total))

    def _load(self, session: Session, fmt: Format, sha256: str) -> None:
        """A format that loads itself (our archive) and records its own load: no ImportBatch."""
        assert fmt.load is not None
        if self.site is not None:
            raise InvalidInput(
                f"{self.path.name}: --site cannot be used with a {fmt.name} file (it "
                "carries its own sites)",
                field="site",
            )
        counts = fmt.load(session, self.path, sha256)
        self.result.counts = dict(counts)
        self.result.encoding = "utf-8"
        if self.progress is not None:
            index, total = self.place
            size = self.path.stat().st_size
            comments = int(counts.get("comment", 0))
            self.progress(Progress(self.path, size, size, comments, index + 1, total))
