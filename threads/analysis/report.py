"""``threads report`` as a library: resolve a request, build the report data, stream the
per-comment table."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection, Engine

from threads.analysis.campaigns import campaign_membership
from threads.analysis.common import (
    Context,
    ReportQuery,
    build_manifest,
    excerpt,
    language_mix,
    plain_text,
)
from threads.analysis.corpus_report import build_corpus_report
from threads.analysis.data import CorpusReport, Manifest, Report
from threads.analysis.manifest import Codebook, load_codebook
from threads.analysis.thread_report import build_thread_report
from threads.db.queries import analysis as q
from threads.errors import InvalidInput, NotFound
from threads.models import DEFAULT_CODEBOOK, CommentStatus
from threads.site_directory import check_threads_in_site, find_site

__all__ = ["CommentRecord", "ReportQuery", "build_report", "comment_table", "resolve"]


def resolve(conn: Connection, request: ReportQuery) -> tuple[Context, list[Any]]:
    """Check the request against the database: threads and site exist, the threads belong to
    the site, topic and statuses are known.

    Raises InvalidInput for contradictory or unknown options, NotFound naming every unknown
    thread id or the unknown site key (with the known ones).
    """
    if request.all_threads and request.thread_ids:
        raise InvalidInput("give thread ids or --all, not both", field="THREAD")
    if not request.all_threads and not request.thread_ids and request.site is None:
        raise InvalidInput(
            "give one or more thread ids, or --all (or --site KEY: a site's threads)",
            field="THREAD",
        )
    known_statuses = {s.value for s in CommentStatus}
    unknown_statuses = sorted(set(request.statuses) - known_statuses)
    if unknown_statuses or not request.statuses:
        raise InvalidInput(
            f"unknown comment status {', '.join(unknown_statuses) or '(none)'} "
            f"(expected some of: {', '.join(s.value for s in CommentStatus)})",
            field="--status",
        )
    if request.since and request.until and request.since >= request.until:
        raise InvalidInput("--since must be before --until", field="--since")

    site = find_site(conn, request.site, field="--site") if request.site is not None else None
    site_id = site.id if site is not None else None
    ids = tuple(dict.fromkeys(request.thread_ids))
    every = request.all_threads or not ids  # --all, or --site alone: every thread (of the site)
    threads = q.thread_rows(conn, None if every else ids, site_id if every else None)
    if not every:
        found = {t.id for t in threads}
        missing = [str(i) for i in ids if i not in found]
        if missing:
            noun = "thread" if len(missing) == 1 else "threads"
            raise NotFound(f"no {noun} with id {', '.join(missing)}", code="thread_not_found")
        if site is not None:
            check_threads_in_site(conn, ids, site, field="--site")
        order = {tid: n for n, tid in enumerate(ids)}
        threads.sort(key=lambda t: order[t.id])

    codebook = _codebook(conn, request)
    name = codebook.name or DEFAULT_CODEBOOK
    topics: list[tuple[str, str]] = list(codebook.topics)
    # Topics the labels use but the codebook lacks are added when the labels are read.
    known = {t for t, _ in topics}
    if (
        request.topic is not None
        and request.topic not in known
        and not q.topic_in_use(conn, name, request.topic)
    ):
        raise InvalidInput(
            f"unknown topic {request.topic!r} (known: {', '.join(t for t, _ in topics) or 'none'})",
            field="--topic",
        )
    selection = q.Selection(
        thread_ids=None if every else ids,
        since=request.since,
        until=request.until,
        statuses=tuple(sorted(set(request.statuses))),
        topic=request.topic,
        codebook=name,
        site_id=site_id,
    )
    ctx = Context(
        request=request,
        selection=selection,
        topics=topics,
        codebook=codebook,
        site=site.key if site is not None else None,
    )
    return ctx, threads


def _codebook(conn: Connection, request: ReportQuery) -> Codebook:
    """The codebook the report reads labels of: the codebook file (``taxonomy_path``, else the
    shipped one), unless ``request.codebook`` names another stored codebook. Topics and their
    names come from the file when it is the codebook asked for and, unless the file was given
    explicitly, when some of the stored labels were made with its version; otherwise from the
    labels themselves (after `threads classify --taxonomy other.toml`, or labels made by an
    older version of the codebook)."""
    given = load_codebook(request.taxonomy_path)
    name = request.codebook or (given.name if given is not None else None) or DEFAULT_CODEBOOK
    if given is not None and given.name == name:
        if request.taxonomy_path is not None or given.version is None:
            return given
        if given.version in q.label_versions_of(conn, name):
            return given
    return Codebook(name=name, version=None, hash=None, topics=())


def build_report(engine: Engine, request: ReportQuery) -> Report:
    """The report data: a ThreadReport for one thread id, a CorpusReport for several or
    ``--all``. Read-only; one connection, one consistent snapshot where the backend offers it."""
    generated_at = request.generated_at or datetime.now(UTC).replace(microsecond=0)
    with engine.connect() as conn:
        q.prepare(conn)
        ctx, threads = resolve(conn, request)
        if len(request.thread_ids) == 1 and not request.all_threads:
            return build_thread_report(conn, ctx, threads[0], generated_at)
        return build_corpus_report(conn, ctx, threads, generated_at)


def build_corpus(engine: Engine, request: ReportQuery) -> CorpusReport:
    """The many-thread summary over the selection, even of one thread (the charts and the HTML
    report are drawn from it)."""
    generated_at = request.generated_at or datetime.now(UTC).replace(microsecond=0)
    with engine.connect() as conn:
        q.prepare(conn)
        ctx, threads = resolve(conn, request)
        return build_corpus_report(conn, ctx, threads, generated_at)


def report_agreement(engine: Engine, request: ReportQuery) -> list[Any] | None:
    """Coder agreement, as ``threads evaluate --agreement`` computes it (Cohen's kappa and
    Krippendorff's alpha per topic and overall, :func:`threads.topics.evaluation.agreement`),
    over the moderator labels of the report's codebook file in the whole database; None when
    fewer than two coders have labelled, or the report is on another stored codebook."""
    try:
        from threads.topics.evaluation import agreement
        from threads.topics.service import moderator_annotations
        from threads.topics.taxonomy import load_taxonomy
    except ImportError:  # the topics package is optional
        return None
    from threads.db import session_scope

    taxonomy = load_taxonomy(request.taxonomy_path)
    if request.codebook is not None and request.codebook != taxonomy.name:
        return None
    with session_scope(engine) as session:
        coded = moderator_annotations(session, taxonomy)
    if len({coder for coder, _, _ in coded}) < 2:
        return None
    return agreement(coded, taxonomy.topic_ids)


@dataclass
class CommentRecord:
    """One row of the per-comment table (CSV)."""

    comment_id: int
    thread_id: int
    parent_id: int | None
    position: int
    kind: str
    author: str | None
    posted_at: datetime | None
    status: str
    topics: list[str]
    scores: list[float]
    sentiment: float | None
    body: str
    #: the campaigns (``threads campaigns`` ids) the comment belongs to
    campaigns: list[str] = field(default_factory=list)
    #: the key of the thread's site and the thread's state (open/closed)
    site: str | None = None
    thread_state: str | None = None


def comment_table(
    engine: Engine, request: ReportQuery, *, full_body: bool = False
) -> tuple[Iterator[CommentRecord], list[str], Manifest]:
    """The selected comments (pingbacks included, marked by ``kind``) as records, streamed in
    batches; the topic ids of the codebook and of its labels in use (the ``score_<topic>``
    columns); and the manifest. The iterator must be consumed before the engine is disposed."""
    generated_at = request.generated_at or datetime.now(UTC).replace(microsecond=0)
    with engine.connect() as conn:
        ctx, threads = resolve(conn, replace(request, terms=False))
        ctx.add_topics(q.topic_ids_in_use(conn, ctx.selection.codebook))
        counted = q.count_comments(conn, ctx.selection)
        manifest = build_manifest(
            ctx,
            comments=counted,
            threads_count=len(threads),
            generated_at=generated_at,
            label_versions=q.label_versions(conn, ctx.selection),
            languages=language_mix(conn, ctx.selection),
        )
        membership = campaign_membership(conn, ctx)
    where = {t.id: (t.site, str(t.state)) for t in threads}

    def records() -> Iterator[CommentRecord]:
        with engine.connect() as conn:
            q.prepare(conn)
            for batch in q.iter_comment_batches(conn, ctx.selection):
                labels: dict[int, list[Any]] = defaultdict(list)
                for label in q.labels_for(conn, ctx.selection.codebook, [r.id for r in batch]):
                    labels[label.comment_id].append(label)
                for row in batch:
                    mine = sorted(labels.get(row.id, []), key=lambda x: x.topic_id)
                    body = "" if row.purged else plain_text(row.body, row.body_format)
                    yield CommentRecord(
                        comment_id=row.id,
                        thread_id=row.thread_id,
                        parent_id=row.parent_id,
                        position=row.position,
                        kind=str(row.kind),
                        author=ctx.author(row.author_key, row.author_name),
                        posted_at=row.posted_at,
                        status=str(row.status),
                        topics=[x.topic_id for x in mine],
                        scores=[round(float(x.score), 4) for x in mine],
                        sentiment=None if row.sentiment is None else round(row.sentiment, 4),
                        body=body if full_body else excerpt(body, 200),
                        campaigns=membership.get(row.id, []),
                        site=where.get(row.thread_id, (None, None))[0],
                        thread_state=where.get(row.thread_id, (None, None))[1],
                    )

    return records(), [t for t, _ in ctx.topics], manifest


def threads_from_files(engine: Engine, paths: Sequence[Path]) -> tuple[int, ...]:
    """The threads imported from these files (matched by content hash, so a moved or renamed
    copy still matches). A file that cannot be read, or that was never imported in this
    version, is an error naming it."""
    found: list[int] = []
    with engine.connect() as conn:
        for path in paths:
            digest = hashlib.sha256()
            try:
                with path.open("rb") as handle:
                    while chunk := handle.read(1 << 20):
                        digest.update(chunk)
            except OSError as exc:
                raise InvalidInput(
                    f"{path}: cannot read: {exc.strerror}", field="--source"
                ) from None
            ids = q.threads_imported_with(conn, digest.hexdigest())
            if ids is None:
                raise NotFound(
                    f"{path} has not been imported (in this version): run `threads ingest {path}`"
                )
            found += ids
    return tuple(dict.fromkeys(found))
