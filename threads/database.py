"""The front door: a comment database and its main operations in one object.

>>> import threads
>>> db = threads.Database("threads.db")          # a file path or a SQLAlchemy URL
>>> db.ingest(["page.txt", "export.xml"])         # any supported format, detected by content
>>> db.classify()                                 # topics with the configured codebook
>>> db.report(all_threads=True)                   # report data (dataclasses, JSON-ready)

Each method is one call into the module that does the work (``threads.ingest``,
``threads.topics``, ``threads.analysis``, ``threads.moderation``, ``threads.archive``,
``threads.api``); read the method, then that module. Every method takes keyword options with
the same names and meaning as the CLI command of the same name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from threads.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from threads.analysis.data import Report
    from threads.ingest.service import IngestReport
    from threads.models import Comment
    from threads.moderation.authors import AuthorRecord, RejectPendingResult
    from threads.moderation.queue import QueuePage
    from threads.topics.service import ClassifyStats, CodebookInfo
    from threads.topics.taxonomy import Taxonomy


class Database:
    """A threads database: the embedded SQLite file by default, or any URL THREADS_DATABASE_URL
    accepts (``postgresql+psycopg://...``). The embedded file is created and migrated on first
    use; a server database must be at the current schema (``threads db upgrade``)."""

    def __init__(self, url_or_path: str | Path | None = None, *, settings: Settings | None = None):
        base = settings or Settings.from_env()
        if url_or_path is not None:
            text = str(url_or_path)
            url = text if "://" in text else f"sqlite:///{Path(text).expanduser()}"
            base = base.model_copy(update={"database_url": url})
        self.settings = base
        self._engine: Engine | None = None

    # ------------------------------------------------------------------ plumbing

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (made, and the schema checked, on first use)."""
        if self._engine is None:
            from threads.db import ensure_schema, make_engine

            engine = make_engine(self.settings.database_url)
            ensure_schema(engine, auto_migrate=self.settings.auto_migrate)
            self._engine = engine
        return self._engine

    def close(self) -> None:
        """Give the database connections back."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def codebook(self, path: str | Path | None = None) -> Taxonomy:
        """A codebook file (TOML), by default the configured one (THREADS_TAXONOMY_PATH, else
        the shipped one)."""
        from threads.topics.taxonomy import load_taxonomy

        return load_taxonomy(path if path is not None else self.settings.taxonomy_path)

    # ------------------------------------------------------------------ operations

    def ingest(
        self,
        paths: Sequence[str | Path],
        *,
        format: str = "auto",  # noqa: A002 - the CLI option's name
        site: str | None = None,
        dry_run: bool = False,
        recover: bool = False,
    ) -> IngestReport:
        """Import files (or folders of them), one transaction per file; a file already imported
        is "unchanged". Problems inside a file are in the report, not raised. ``recover``:
        salvage XML that is not well-formed (``threads ingest --recover``)."""
        from threads.ingest.service import ingest_paths

        return ingest_paths(
            self.engine,
            [Path(p) for p in paths],
            fmt=format,
            site=site,
            dry_run=dry_run,
            max_comment_chars=self.settings.max_import_comment_chars,
            recover=recover,
        )

    def classify(
        self,
        *,
        taxonomy: str | Path | None = None,
        thread: int | None = None,
        everything: bool = False,
        jobs: int = 1,
    ) -> ClassifyStats:
        """Label the comments that need it with a codebook's topics (its labels only), with
        ``jobs`` worker processes (the same labels as one)."""
        from threads.topics.service import classify_stored

        return classify_stored(
            self.engine,
            self.codebook(taxonomy),
            thread_id=thread,
            everything=everything,
            jobs=jobs,
        )

    def codebooks(self) -> list[CodebookInfo]:
        """The codebooks whose labels the database holds, and the configured one."""
        from threads.db import session_scope
        from threads.topics.service import list_codebooks

        configured = self.codebook()
        with session_scope(self.engine) as session:
            return list_codebooks(session, configured)

    def report(
        self,
        *threads: int,
        all_threads: bool = False,
        site: str | None = None,
        codebook: str | None = None,
        **options: Any,
    ) -> Report:
        """A thread report (one id) or a corpus report (several, ``all_threads`` or a
        ``site``), as data; ``options`` are those of ``threads.analysis.ReportQuery``."""
        from threads.analysis.common import ReportQuery
        from threads.analysis.report import build_report

        options.setdefault("taxonomy_path", self.settings.taxonomy_path)
        options.setdefault("generated_at", self.settings.generated_at())
        query = ReportQuery(
            thread_ids=tuple(threads),
            all_threads=all_threads,
            site=site,
            codebook=codebook,
            **options,
        )
        return build_report(self.engine, query)

    def queue(self, *, sort: str = "oldest", limit: int = 50, **filters: Any) -> QueuePage:
        """One page of the moderation queue; ``filters`` are those of
        ``threads.moderation.queue.QueueFilter`` (statuses, thread_id, topic, site, ...)."""
        from threads.db import session_scope
        from threads.moderation.queue import QueueFilter, list_queue

        filters.setdefault("codebook", self.codebook().name)
        with session_scope(self.engine) as session:
            return list_queue(session, QueueFilter(**filters), sort=sort, limit=limit)

    def moderate(
        self,
        comment_id: int,
        action: str,
        *,
        by: str,
        reason: str | None = None,
        role: str = "moderator",
        now: datetime | None = None,
    ) -> Comment:
        """Take a moderation action (approve, reject, spam, delete, restore, ...) as the user
        ``by``; audited like any other. Returns the comment as it is afterwards."""
        from threads.db import session_scope
        from threads.enums import Role
        from threads.moderation.audit import Actor
        from threads.moderation.service import apply_action

        with session_scope(self.engine) as session:
            comment = apply_action(
                session,
                comment_id,
                action,
                actor=Actor.user(by),
                role=Role(role),
                reason=reason,
                now=now,
            )
            session.flush()
            session.expunge(comment)
            return comment

    def author(self, site: str, author: str) -> AuthorRecord:
        """An author's standing in a site (``normal`` when never set) and comments per status."""
        from threads.db import session_scope
        from threads.moderation.authors import get_author

        with session_scope(self.engine) as session:
            return get_author(session, site, author)

    def set_standing(
        self,
        site: str,
        author: str,
        standing: str,
        *,
        by: str,
        reason: str | None = None,
        role: str = "moderator",
    ) -> AuthorRecord:
        """Set an author's standing in a site (trusted, normal, premoderated, banned) as the
        user ``by``; audited. A reason is required for premoderated and banned."""
        from threads.db import session_scope
        from threads.enums import Role
        from threads.moderation.audit import Actor
        from threads.moderation.authors import set_standing

        with session_scope(self.engine) as session:
            return set_standing(
                session,
                site,
                author,
                standing,
                actor=Actor.user(by),
                role=Role(role),
                reason=reason,
            )

    def reject_pending(
        self, site: str, author: str, *, by: str, reason: str, role: str = "moderator"
    ) -> RejectPendingResult:
        """Reject every pending comment of an author in a site, in one audited transaction."""
        from threads.db import session_scope
        from threads.enums import Role
        from threads.moderation.audit import Actor
        from threads.moderation.authors import reject_pending

        with session_scope(self.engine) as session:
            return reject_pending(
                session, site, author, actor=Actor.user(by), role=Role(role), reason=reason
            )

    def export(
        self,
        format: str,  # noqa: A002 - the CLI option's name
        out: TextIO | str | Path,
        *,
        thread_ids: Sequence[int] | None = None,
        site: str | None = None,
        codebook: str | None = None,
    ) -> dict[str, int]:
        """Write jsonl (the lossless archive), wxr, disqus or csv to a text stream, or to a
        file path (replaced only once complete). Returns what was written."""
        from threads.archive import export, write_output

        book = codebook or self.codebook().name

        def write(handle: TextIO) -> dict[str, int]:
            return export(
                self.engine,
                format,
                handle,
                thread_ids=thread_ids,
                site=site,
                codebook=book,
                as_of=self.settings.archive_time(),
            )

        if isinstance(out, str | Path):
            return write_output(Path(out), write)
        return write(out)

    def app(self) -> Any:
        """The Litestar app (API and console) over this database, for any ASGI server."""
        from threads.api import create_app

        return create_app(self.settings)
