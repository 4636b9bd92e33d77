"""Every query behind ``threads report``: aggregations run in SQL, never over every row in Python.

All functions take a :class:`Selection` (which threads, which period, which statuses, which
topic) and a connection, and return small aggregated rows. They run unchanged on SQLite and
PostgreSQL and lean on the indexes ``comment(status, thread_id)``, ``comment(thread_id,
position)``, ``comment(posted_at)`` and ``comment_topic(topic_id, score)``.

Topic semantics: a comment's topics are those of the selection's codebook, by the one rule of
:mod:`threads.db.queries.labels` (the newest moderator label wins; without one, the automatic
label counts).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from threads.db.queries.labels import assigning, has_topic
from threads.db.queries.sites import site_threads
from threads.models import (
    DEFAULT_CODEBOOK,
    Article,
    Comment,
    CommentKind,
    CommentTopic,
    ModerationEvent,
    Site,
    Thread,
)

comment_t: sa.Table = Comment.__table__  # type: ignore[attr-defined]
topic_t: sa.Table = CommentTopic.__table__  # type: ignore[attr-defined]
thread_t: sa.Table = Thread.__table__  # type: ignore[attr-defined]
article_t: sa.Table = Article.__table__  # type: ignore[attr-defined]
event_t: sa.Table = ModerationEvent.__table__  # type: ignore[attr-defined]
site_t: sa.Table = Site.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Selection:
    """Which comments a report covers.

    ``thread_ids`` None means every thread; ``site_id`` narrows to the threads of that site.
    ``since`` is inclusive, ``until`` exclusive; when
    either is set, comments without a timestamp are left out. ``statuses`` are the comment
    statuses counted in topic shares and listings. ``topic`` narrows listings and topic tables;
    topics are those of ``codebook``.
    """

    thread_ids: tuple[int, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None
    statuses: tuple[str, ...] = ()
    topic: str | None = None
    #: the codebook whose labels give the comments' topics
    codebook: str = DEFAULT_CODEBOOK
    site_id: int | None = None


# --------------------------------------------------------------------------- building blocks


def _where(
    sel: Selection,
    *,
    statuses: bool = True,
    kinds: Sequence[str] | None = (CommentKind.COMMENT.value,),
    topic: bool = True,
) -> list[sa.ColumnElement[bool]]:
    c = comment_t.c
    conds: list[sa.ColumnElement[bool]] = []
    if sel.thread_ids is not None:
        conds.append(c.thread_id.in_(sel.thread_ids))
    if sel.site_id is not None:
        conds.append(c.thread_id.in_(site_threads(sel.site_id)))
    if kinds is not None:
        conds.append(c.kind.in_(kinds))
    if statuses and sel.statuses:
        conds.append(c.status.in_(sel.statuses))
    if sel.since is not None:
        conds.append(c.posted_at >= sel.since)
    if sel.until is not None:
        conds.append(c.posted_at < sel.until)
    if topic and sel.topic is not None:
        conds.append(has_topic(sel.codebook, sel.topic, c.id))
    return conds


def _bucket(conn: Connection, column: Any, unit: str) -> Any:
    """The UTC month ("YYYY-MM") or day ("YYYY-MM-DD") of a timestamp, as text."""
    if conn.dialect.name == "postgresql":
        fmt = "YYYY-MM" if unit == "month" else "YYYY-MM-DD"
        return sa.func.to_char(sa.func.timezone("UTC", column), fmt)
    fmt = "%Y-%m" if unit == "month" else "%Y-%m-%d"
    return sa.func.strftime(fmt, column)


# --------------------------------------------------------------------------- threads


def prepare(conn: Connection) -> None:
    """Session settings for the report's short aggregations: PostgreSQL's JIT compilation
    costs more than it saves on them (seconds per query on large tables)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SET LOCAL jit = off"))


def thread_rows(
    conn: Connection, thread_ids: Sequence[int] | None, site_id: int | None = None
) -> list[Row[Any]]:
    """Threads with their article, by id (None: all threads) and of the site ``site_id`` if
    given, ordered by thread id."""
    t, a = thread_t.c, article_t.c
    stmt = (
        sa.select(
            t.id,
            t.state,
            t.state_note,
            t.closed_at,
            t.closed_by,
            t.close_reason,
            t.external_id,
            a.title,
            a.byline,
            a.authors,
            a.published_at,
            a.published_text,
            a.source_url,
            a.source_format,
            a.key.label("article_key"),
            site_t.c.key.label("site"),
        )
        .join(article_t, article_t.c.id == t.article_id)
        .join(site_t, site_t.c.id == a.site_id)
        .order_by(t.id)
    )
    if thread_ids is not None:
        stmt = stmt.where(t.id.in_(list(thread_ids)))
    if site_id is not None:
        stmt = stmt.where(a.site_id == site_id)
    return list(conn.execute(stmt))


# --------------------------------------------------------------------------- counts


def status_counts(conn: Connection, sel: Selection) -> list[Row[Any]]:
    """(thread_id, kind, status, n) for the selected threads and period, every status."""
    c = comment_t.c
    stmt = (
        sa.select(c.thread_id, c.kind, c.status, sa.func.count().label("n"))
        .where(*_where(sel, statuses=False, kinds=None, topic=False))
        .group_by(c.thread_id, c.kind, c.status)
        .order_by(c.thread_id, c.kind, c.status)
    )
    return list(conn.execute(stmt))


def comment_facts(conn: Connection, sel: Selection) -> list[Row[Any]]:
    """(thread_id, kind, status, day, n) over the selected threads and period, every status
    and kind: one scan gives the status counts, the per-month and the per-day series."""
    c = comment_t.c
    day = _bucket(conn, c.posted_at, "day").label("day")
    stmt = (
        sa.select(c.thread_id, c.kind, c.status, day, sa.func.count().label("n"))
        .where(*_where(sel, statuses=False, kinds=None, topic=False))
        .group_by(c.thread_id, c.kind, c.status, day)
    )
    return list(conn.execute(stmt))


#: separates topic ids in a signature (never part of an id)
SIGNATURE_SEPARATOR = "\x1f"


def topic_combinations(
    conn: Connection, sel: Selection, topic_ids: Sequence[str]
) -> list[Row[Any]]:
    """One pass over the selected comments' topics, grouped per comment first:
    (thread_id, month, signature, v_min, v_max, n, s0, s1, ...) where ``signature`` is the
    comment's topic ids joined by ``SIGNATURE_SEPARATOR`` (any order), ``v_min``/``v_max``
    the codebook versions of its labels, ``n`` the number of such comments and ``s<i>`` the
    sum of their scores for ``topic_ids[i]``."""
    c, lt = comment_t.c, topic_t.c
    if conn.dialect.name == "postgresql":
        joined = sa.func.string_agg(lt.topic_id, sa.literal(SIGNATURE_SEPARATOR))
    else:
        joined = sa.func.group_concat(lt.topic_id, sa.literal(SIGNATURE_SEPARATOR))
    scores = [
        sa.func.sum(sa.case((lt.topic_id == t, lt.score), else_=None)).label(f"s{i}")
        for i, t in enumerate(topic_ids)
    ]
    per_comment = (
        sa.select(
            c.thread_id,
            c.posted_at,
            joined.label("signature"),
            sa.func.min(lt.taxonomy_version).label("v_min"),
            sa.func.max(lt.taxonomy_version).label("v_max"),
            *scores,
        )
        .select_from(topic_t.join(comment_t, comment_t.c.id == lt.comment_id))
        .where(assigning(sel.codebook), *_where(sel, topic=False))
        .group_by(lt.comment_id, c.thread_id, c.posted_at)
        .subquery("per_comment")
    )
    pc = per_comment.c
    month = _bucket(conn, pc.posted_at, "month").label("month")
    stmt = sa.select(
        pc.thread_id,
        month,
        pc.signature,
        pc.v_min,
        pc.v_max,
        sa.func.count().label("n"),
        *[sa.func.sum(pc[f"s{i}"]).label(f"s{i}") for i in range(len(topic_ids))],
    ).group_by(pc.thread_id, month, pc.signature, pc.v_min, pc.v_max)
    return list(conn.execute(stmt))


def topic_sentiment_by_month(conn: Connection, sel: Selection) -> list[Row[Any]]:
    """(month, topic_id, n, mean) per month and topic: the selected dated comments of the topic
    that have a sentiment score, and their mean score (months without any are absent)."""
    c, lt = comment_t.c, topic_t.c
    month = _bucket(conn, c.posted_at, "month").label("month")
    stmt = (
        sa.select(
            month,
            lt.topic_id,
            sa.func.count().label("n"),
            sa.func.avg(c.sentiment).label("mean"),
        )
        .select_from(topic_t.join(comment_t, comment_t.c.id == lt.comment_id))
        .where(
            assigning(sel.codebook),
            *_where(sel, topic=False),
            c.sentiment.is_not(None),
            c.posted_at.is_not(None),
        )
        .group_by(month, lt.topic_id)
        .order_by(month, lt.topic_id)
    )
    return list(conn.execute(stmt))


def top_authors(conn: Connection, sel: Selection, limit: int) -> list[Row[Any]]:
    """The most active authors: (author, name, n, threads, first, last), busiest first.

    ``author`` is the normalised identity (author_key, else the name); unnamed comments are
    left out.
    """
    c = comment_t.c
    who = sa.func.coalesce(c.author_key, c.author_name).label("author")
    stmt = (
        sa.select(
            who,
            sa.func.min(c.author_name).label("name"),
            sa.func.count().label("n"),
            sa.func.count(sa.distinct(c.thread_id)).label("threads"),
            sa.func.min(c.posted_at).label("first"),
            sa.func.max(c.posted_at).label("last"),
        )
        .where(*_where(sel), who.is_not(None))
        .group_by(who)
        .order_by(sa.func.count().desc(), who)
        .limit(limit)
    )
    return list(conn.execute(stmt))


def representative(conn: Connection, sel: Selection, topic_id: str) -> Any:
    """The selected comment with the highest score for ``topic_id`` (ties: lowest id)."""
    c, lt = comment_t.c, topic_t.c
    stmt = (
        sa.select(
            c.id,
            c.thread_id,
            c.author_name,
            c.author_key,
            c.body,
            c.body_format,
            c.purged,
            lt.score,
        )
        .select_from(topic_t.join(comment_t, comment_t.c.id == lt.comment_id))
        .where(lt.topic_id == topic_id, assigning(sel.codebook), *_where(sel, topic=False))
        .order_by(lt.score.desc(), c.id)
        .limit(1)
    )
    return conn.execute(stmt).first()


def label_versions(conn: Connection, sel: Selection) -> list[str]:
    """The codebook versions the selected comments' labels were made with."""
    lt = topic_t.c
    stmt = (
        sa.select(lt.taxonomy_version)
        .select_from(topic_t.join(comment_t, comment_t.c.id == lt.comment_id))
        .where(lt.codebook == sel.codebook, *_where(sel, topic=False))
        .distinct()
        .order_by(lt.taxonomy_version)
    )
    return [r[0] for r in conn.execute(stmt)]


def label_versions_of(conn: Connection, codebook: str) -> list[str]:
    """The versions the stored labels of ``codebook`` were made with (any comment), sorted."""
    lt = topic_t.c
    stmt = (
        sa.select(lt.taxonomy_version)
        .where(lt.codebook == codebook)
        .distinct()
        .order_by(lt.taxonomy_version)
    )
    return [r[0] for r in conn.execute(stmt)]


def topic_in_use(conn: Connection, codebook: str, topic_id: str) -> bool:
    """Whether some label of ``codebook`` names ``topic_id``."""
    lt = topic_t.c
    stmt = sa.select(sa.exists().where(lt.codebook == codebook, lt.topic_id == topic_id))
    return bool(conn.execute(stmt).scalar())


def topic_ids_in_use(conn: Connection, codebook: str) -> list[str]:
    """Every topic id that some label of ``codebook`` names (when its file is not at hand)."""
    lt = topic_t.c
    stmt = sa.select(lt.topic_id).where(lt.codebook == codebook).distinct().order_by(lt.topic_id)
    return [r[0] for r in conn.execute(stmt)]


# --------------------------------------------------------------------------- comments


def comment_rows(conn: Connection, sel: Selection, *, kinds: Sequence[str] | None) -> list[Any]:
    """The selected comments (one thread's worth), in thread and position order."""
    c = comment_t.c
    stmt = (
        sa.select(
            c.id,
            c.thread_id,
            c.parent_id,
            c.position,
            c.kind,
            c.author_name,
            c.author_key,
            c.author_url,
            c.posted_at,
            c.posted_text,
            c.body,
            c.body_format,
            c.status,
            c.purged,
            c.sentiment,
        )
        .where(*_where(sel, kinds=kinds))
        .order_by(c.thread_id, c.position, c.id)
    )
    return list(conn.execute(stmt))


def labels_for(conn: Connection, codebook: str, comment_ids: Sequence[int]) -> list[Row[Any]]:
    """The labels that give the comments their topics in ``codebook``, best score first per
    comment."""
    lt = topic_t.c
    rows: list[Row[Any]] = []
    ids = list(comment_ids)
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        stmt = (
            sa.select(lt.comment_id, lt.topic_id, lt.score, lt.evidence, lt.source, lt.labeler)
            .where(lt.comment_id.in_(chunk), assigning(codebook))
            .order_by(lt.comment_id, lt.score.desc(), lt.topic_id)
        )
        rows.extend(conn.execute(stmt))
    return rows


def iter_comment_batches(
    conn: Connection, sel: Selection, batch_size: int = 2000
) -> Iterator[list[Any]]:
    """The selected comments in batches (keyset pagination on thread, position, id)."""
    c = comment_t.c
    cols = (
        c.id,
        c.thread_id,
        c.parent_id,
        c.position,
        c.kind,
        c.author_name,
        c.author_key,
        c.posted_at,
        c.body,
        c.body_format,
        c.status,
        c.purged,
        c.sentiment,
    )
    last: tuple[int, int, int] | None = None
    while True:
        stmt = sa.select(*cols).where(*_where(sel, kinds=None))
        if last is not None:
            stmt = stmt.where(sa.tuple_(c.thread_id, c.position, c.id) > sa.tuple_(*last))
        stmt = stmt.order_by(c.thread_id, c.position, c.id).limit(batch_size)
        batch = list(conn.execute(stmt))
        if not batch:
            return
        yield batch
        tail = batch[-1]
        last = (tail.thread_id, tail.position, tail.id)


# --------------------------------------------------------------------------- texts (log-odds)


def count_comments(conn: Connection, sel: Selection) -> int:
    """How many comments the selection counts."""
    stmt = sa.select(sa.func.count()).select_from(comment_t).where(*_where(sel))
    return int(conn.execute(stmt).scalar_one())


def language_counts(conn: Connection, sel: Selection) -> list[Row[Any]]:
    """(language, purged, n) of the counted comments (any topic), language None when not
    detected (and for purged comments, which have no text)."""
    c = comment_t.c
    stmt = (
        sa.select(c.language, c.purged, sa.func.count().label("n"))
        .where(*_where(sel, topic=False))
        .group_by(c.language, c.purged)
    )
    return list(conn.execute(stmt))


def sampled_comments(conn: Connection, sel: Selection, every: int = 1) -> list[Row[Any]]:
    """(id, body, body_format, language) of the counted comments (ids divisible by ``every``
    when > 1), by id."""
    c = comment_t.c
    stmt = sa.select(c.id, c.body, c.body_format, c.language).where(
        *_where(sel, topic=False), c.purged == sa.false()
    )
    if every > 1:
        stmt = stmt.where(c.id % every == 0)
    return list(conn.execute(stmt.order_by(c.id)))


def corpus_texts(conn: Connection, sel: Selection, every: int = 1) -> list[Row[Any]]:
    """(body, body_format, language) of every counted comment in the database (all threads,
    all dates), or of the ids divisible by ``every``: the background for distinctive terms."""
    whole = Selection(statuses=sel.statuses)
    c = comment_t.c
    stmt = sa.select(c.body, c.body_format, c.language).where(
        *_where(whole, topic=False), c.purged == sa.false()
    )
    if every > 1:
        stmt = stmt.where(c.id % every == 0)
    return list(conn.execute(stmt.order_by(c.id)))


def corpus_size(conn: Connection, sel: Selection) -> int:
    """Counted comments in the whole database (same statuses as the selection)."""
    return count_comments(conn, Selection(statuses=sel.statuses))


# --------------------------------------------------------------------------- moderation


def actions_by_actor(
    conn: Connection, thread_ids: Sequence[int] | None, site_id: int | None = None
) -> list[Row[Any]]:
    """(actor, action, n) of moderation events on the given threads (None: all), of the site
    ``site_id`` if given."""
    e = event_t.c
    stmt = sa.select(e.actor, e.action, sa.func.count().label("n"))
    if thread_ids is not None:
        stmt = stmt.where(e.thread_id.in_(list(thread_ids)))
    if site_id is not None:
        stmt = stmt.where(e.thread_id.in_(site_threads(site_id)))
    stmt = stmt.group_by(e.actor, e.action).order_by(e.actor, e.action)
    return list(conn.execute(stmt))


def last_events(
    conn: Connection, thread_ids: Sequence[int] | None, limit: int, site_id: int | None = None
) -> list[Row[Any]]:
    """The newest moderation events on the given threads (None: all), of the site ``site_id``
    if given, newest first."""
    e = event_t.c
    stmt = sa.select(
        e.id,
        e.created_at,
        e.actor,
        e.action,
        e.target_type,
        e.target_id,
        e.thread_id,
        e.from_state,
        e.to_state,
        e.reason,
    )
    if thread_ids is not None:
        stmt = stmt.where(e.thread_id.in_(list(thread_ids)))
    if site_id is not None:
        stmt = stmt.where(e.thread_id.in_(site_threads(site_id)))
    return list(conn.execute(stmt.order_by(e.created_at.desc(), e.id.desc()).limit(limit)))


# --------------------------------------------------------------------------- provenance


def threads_imported_with(conn: Connection, sha256: str) -> list[int] | None:
    """Threads written by the successful imports of a file with this content hash (their own
    batch, or their article's); None when no import of that content succeeded."""
    from threads.models import ImportBatch

    batch_t: sa.Table = ImportBatch.__table__  # type: ignore[attr-defined]
    batches = sa.select(batch_t.c.id).where(batch_t.c.sha256 == sha256, batch_t.c.status == "ok")
    if conn.execute(batches.limit(1)).first() is None:
        return None
    stmt = (
        sa.select(thread_t.c.id)
        .select_from(thread_t.join(article_t, article_t.c.id == thread_t.c.article_id))
        .where(
            sa.or_(
                thread_t.c.import_batch_id.in_(batches),
                article_t.c.import_batch_id.in_(batches),
            )
        )
        .order_by(thread_t.c.id)
    )
    return [int(tid) for (tid,) in conn.execute(stmt)]
