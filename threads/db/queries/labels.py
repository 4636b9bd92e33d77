"""The one rule for a comment's topics, written once; every view of labels uses it.

Within one codebook, for each (comment, topic):

* when moderators labelled that topic on that comment, the newest moderator label decides
  (by ``created_at``; of labels made at the same instant, the one stored last);
* otherwise the automatic label decides;
* the comment has the topic when the deciding label is ``assigned``.

Labels of other codebooks never take part. :func:`deciding` is the rule as a SQL condition on a
label row; the other functions are the shapes the API, the CLI, reports, the queue and the
exports read it in.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from threads.db.queries.ids import dialect_of, ids_in
from threads.models import CommentClassification, CommentTopic, LabelSource

label_t: sa.Table = CommentTopic.__table__  # type: ignore[attr-defined]
_MODERATOR = LabelSource.MODERATOR.value
_AUTO = LabelSource.AUTO.value
#: how many comment ids go into one IN list
_CHUNK = 1000


def deciding(codebook: str, label: Any = label_t) -> sa.ColumnElement[bool]:
    """True for the label rows (of ``label``, the table or an alias of it) that decide a
    (comment, topic) in ``codebook``."""
    newer = label_t.alias("newer_moderator_label")
    same = sa.and_(
        newer.c.comment_id == label.c.comment_id,
        newer.c.codebook == label.c.codebook,
        newer.c.topic_id == label.c.topic_id,
        newer.c.source == _MODERATOR,
    )
    later = sa.or_(
        newer.c.created_at > label.c.created_at,
        sa.and_(newer.c.created_at == label.c.created_at, newer.c.id > label.c.id),
    )
    return sa.and_(
        label.c.codebook == codebook,
        sa.or_(
            sa.and_(label.c.source == _MODERATOR, ~sa.exists().where(same, later)),
            sa.and_(label.c.source == _AUTO, ~sa.exists().where(same)),
        ),
    )


def assigning(codebook: str, label: Any = label_t) -> sa.ColumnElement[bool]:
    """True for the label rows that give a comment a topic in ``codebook``."""
    return sa.and_(label.c.assigned == sa.true(), deciding(codebook, label))


def has_topic(codebook: str, topic: str, comment_id: Any) -> sa.ColumnElement[bool]:
    """The comment whose id is the column ``comment_id`` has ``topic`` in ``codebook``."""
    label = label_t.alias("topic_filter")
    return sa.exists().where(
        label.c.comment_id == comment_id, label.c.topic_id == topic, assigning(codebook, label)
    )


def topics_of(
    bind: Session | Connection, codebook: str, comment_ids: Sequence[int]
) -> dict[int, list[str]]:
    """The topics of each comment in ``codebook``, sorted (comments without any are absent)."""
    out: dict[int, list[str]] = {}
    ids = sorted(set(comment_ids))
    stmt = _topics_statement(codebook, dialect_of(bind))
    for start in range(0, len(ids), _CHUNK):
        for cid, topic in bind.execute(stmt, {"ids": ids[start : start + _CHUNK]}):
            out.setdefault(int(cid), []).append(str(topic))
    return out


@functools.lru_cache(maxsize=64)
def _topics_statement(codebook: str, dialect: str) -> sa.Select[Any]:
    """The statement of :func:`topics_of`, built once per codebook: building the rule's
    expression took longer than running the query for a page of comments."""
    return (
        sa.select(label_t.c.comment_id, label_t.c.topic_id)
        .where(ids_in(label_t.c.comment_id, dialect), assigning(codebook))
        .order_by(label_t.c.comment_id, label_t.c.topic_id)
    )


def codebook_summaries(bind: Session | Connection) -> list[Any]:
    """Per stored codebook: name, versions (oldest, newest), automatic and moderator label
    counts, comments with a label, newest label time; by name."""
    lt = label_t.c
    stmt = (
        sa.select(
            lt.codebook,
            sa.func.min(lt.taxonomy_version).label("v_min"),
            sa.func.max(lt.taxonomy_version).label("v_max"),
            sa.func.count(sa.distinct(lt.taxonomy_version)).label("versions"),
            sa.func.sum(sa.case((lt.source == _AUTO, 1), else_=0)).label("auto"),
            sa.func.sum(sa.case((lt.source == _MODERATOR, 1), else_=0)).label("moderator"),
            sa.func.count(sa.distinct(lt.comment_id)).label("comments"),
            sa.func.max(lt.created_at).label("newest"),
        )
        .group_by(lt.codebook)
        .order_by(lt.codebook)
    )
    return list(bind.execute(stmt))


def codebook_versions(bind: Session | Connection, codebook: str) -> list[str]:
    """The codebook versions the stored labels of ``codebook`` were made with, sorted."""
    stmt = (
        sa.select(label_t.c.taxonomy_version)
        .where(label_t.c.codebook == codebook)
        .distinct()
        .order_by(label_t.c.taxonomy_version)
    )
    return [str(v) for v in bind.execute(stmt).scalars()]


def stored_codebooks(bind: Session | Connection) -> list[str]:
    """The names of the codebooks that have labels, sorted."""
    stmt = sa.select(label_t.c.codebook).distinct().order_by(label_t.c.codebook)
    return [str(v) for v in bind.execute(stmt).scalars()]


def classified_counts(bind: Session | Connection) -> dict[str, int]:
    """Per codebook: how many comments were classified with it (any version)."""
    mark = CommentClassification.__table__  # type: ignore[attr-defined]
    stmt = sa.select(mark.c.codebook, sa.func.count()).group_by(mark.c.codebook)
    return {str(name): int(n) for name, n in bind.execute(stmt)}
