"""Queries for topic classification: comments to classify, automatic and moderator labels,
learned models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlmodel import Session, col

from threads.db.queries.labels import deciding, has_topic
from threads.models import Comment, CommentClassification, CommentTopic, LabelSource, TopicModel


@dataclass(frozen=True)
class CommentText:
    id: int
    thread_id: int
    body: str
    body_format: str
    content_hash: str
    purged: bool


def _stale(codebook: str, fingerprint: str, thread_id: int | None, everything: bool) -> list[Any]:
    where: list[Any] = []
    if not everything:
        mark = CommentClassification.__table__.alias("mark")  # type: ignore[attr-defined]
        current = (
            select(mark.c.id)
            .where(
                mark.c.comment_id == col(Comment.id),
                mark.c.codebook == codebook,
                mark.c.fingerprint == fingerprint,
                mark.c.content_hash == col(Comment.content_hash),
            )
            .exists()
        )
        where.append(~current)
    if thread_id is not None:
        where.append(col(Comment.thread_id) == thread_id)
    return where


def count_to_classify(
    session: Session, codebook: str, fingerprint: str, *, thread_id: int | None, everything: bool
) -> int:
    stmt = (
        select(func.count())
        .select_from(Comment)
        .where(*_stale(codebook, fingerprint, thread_id, everything))
    )
    return int(session.execute(stmt).scalar_one())


def comments_to_classify(
    session: Session,
    codebook: str,
    fingerprint: str,
    *,
    thread_id: int | None,
    everything: bool,
    after_id: int,
    limit: int,
) -> list[CommentText]:
    """The next ``limit`` comments (by id, after ``after_id``) that need classifying with
    ``codebook``: never classified with it, classified under another version of it or other
    learned models, or changed since (keyset pages)."""
    stmt = (
        select(
            col(Comment.id),
            col(Comment.thread_id),
            col(Comment.body),
            col(Comment.body_format),
            col(Comment.content_hash),
            col(Comment.purged),
        )
        .where(col(Comment.id) > after_id, *_stale(codebook, fingerprint, thread_id, everything))
        .order_by(col(Comment.id))
        .limit(limit)
    )
    return [CommentText(*row) for row in session.execute(stmt)]


def replace_auto_labels(
    session: Session, codebook: str, comment_ids: Sequence[int], rows: Sequence[dict[str, Any]]
) -> None:
    """Drop the automatic labels of ``codebook`` on these comments and insert ``rows`` (labels
    of that codebook) in their place. Other codebooks' labels are not touched."""
    if any(r["codebook"] != codebook for r in rows):
        raise ValueError(f"replace_auto_labels: every row must belong to {codebook!r}")
    if comment_ids:
        session.execute(
            delete(CommentTopic).where(
                col(CommentTopic.comment_id).in_(list(comment_ids)),
                col(CommentTopic.codebook) == codebook,
                col(CommentTopic.source) == LabelSource.AUTO,
            )
        )
    if rows:
        session.execute(insert(CommentTopic), list(rows))


def mark_classified(session: Session, codebook: str, rows: Sequence[dict[str, Any]]) -> None:
    """Record that these comments were classified with ``codebook``: ``rows`` hold ``cid``,
    ``fingerprint`` (the classifier's) and ``hash`` (the comment's content hash)."""
    if not rows:
        return
    ids = [r["cid"] for r in rows]
    session.execute(
        delete(CommentClassification).where(
            col(CommentClassification.comment_id).in_(ids),
            col(CommentClassification.codebook) == codebook,
        )
    )
    session.execute(
        insert(CommentClassification),
        [
            {
                "comment_id": r["cid"],
                "codebook": codebook,
                "fingerprint": r["fingerprint"],
                "content_hash": r["hash"],
            }
            for r in rows
        ],
    )


def store_sentiment(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Store the sentiment and detected language of comments: ``rows`` hold ``cid``,
    ``sentiment``, ``scores`` and ``language``."""
    if not rows:
        return
    table = Comment.__table__  # type: ignore[attr-defined]
    stmt = (
        update(table)
        .where(table.c.id == bindparam("cid"))
        .values(
            sentiment=bindparam("sentiment"),
            sentiment_scores=bindparam("scores"),
            language=bindparam("lang"),
        )
    )
    session.connection().execute(
        stmt,
        [
            {
                "cid": r["cid"],
                "sentiment": r["sentiment"],
                "scores": r["scores"],
                "lang": r.get("language"),
            }
            for r in rows
        ],
    )


def drop_moderator_label(
    session: Session, codebook: str, comment_id: int, topic_id: str, labeler: str
) -> None:
    """Remove one moderator's label of a topic on a comment (before their newer one is stored)."""
    session.execute(
        delete(CommentTopic).where(
            col(CommentTopic.comment_id) == comment_id,
            col(CommentTopic.codebook) == codebook,
            col(CommentTopic.topic_id) == topic_id,
            col(CommentTopic.source) == LabelSource.MODERATOR,
            col(CommentTopic.labeler) == labeler,
        )
    )


@dataclass(frozen=True)
class LabelRow:
    comment_id: int
    topic_id: str
    assigned: bool
    source: LabelSource
    labeler: str
    created_at: Any
    #: whether this label decides its topic (the rule of threads.db.queries.labels)
    decides: bool


def labels_of_reviewed_comments(session: Session, codebook: str) -> list[LabelRow]:
    """Every label of ``codebook`` (automatic and moderator) of the comments a moderator has
    labelled in it, oldest first per comment."""
    reviewed = (
        select(col(CommentTopic.comment_id))
        .where(
            col(CommentTopic.source) == LabelSource.MODERATOR,
            col(CommentTopic.codebook) == codebook,
        )
        .distinct()
        .scalar_subquery()
    )
    stmt = (
        select(
            col(CommentTopic.comment_id),
            col(CommentTopic.topic_id),
            col(CommentTopic.assigned),
            col(CommentTopic.source),
            col(CommentTopic.labeler),
            col(CommentTopic.created_at),
            deciding(codebook),
        )
        .where(col(CommentTopic.comment_id).in_(reviewed), col(CommentTopic.codebook) == codebook)
        .order_by(col(CommentTopic.comment_id), col(CommentTopic.created_at), col(CommentTopic.id))
    )
    return [
        LabelRow(cid, topic, bool(assigned), LabelSource(source), labeler, created, bool(decides))
        for cid, topic, assigned, source, labeler, created, decides in session.execute(stmt)
    ]


def comment_bodies(session: Session, comment_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """id -> (body, body_format) of non-purged comments, in chunks."""
    out: dict[int, tuple[str, str]] = {}
    ids = list(comment_ids)
    for i in range(0, len(ids), 1000):
        stmt = select(col(Comment.id), col(Comment.body), col(Comment.body_format)).where(
            col(Comment.id).in_(ids[i : i + 1000]), col(Comment.purged).is_(False)
        )
        for cid, body, fmt in session.execute(stmt):
            out[int(cid)] = (body, fmt)
    return out


def models_for(session: Session, taxonomy_version: str) -> list[TopicModel]:
    stmt = select(TopicModel).where(col(TopicModel.taxonomy_version) == taxonomy_version)
    return list(session.scalars(stmt))


def model_stamps(session: Session, taxonomy_version: str) -> tuple[tuple[str, Any, int], ...]:
    """(topic, trained at, label count) of each stored model: changes whenever a model does."""
    stmt = (
        select(col(TopicModel.topic_id), col(TopicModel.trained_at), col(TopicModel.label_count))
        .where(col(TopicModel.taxonomy_version) == taxonomy_version)
        .order_by(col(TopicModel.topic_id))
    )
    return tuple((t, at, n) for t, at, n in session.execute(stmt))


def replace_models(session: Session, taxonomy_version: str, rows: Sequence[TopicModel]) -> None:
    """The learned models of a codebook version become ``rows`` (older ones are dropped)."""
    session.execute(delete(TopicModel).where(col(TopicModel.taxonomy_version) == taxonomy_version))
    session.add_all(list(rows))


def comments_with_topic_flag(
    session: Session, codebook: str, topic_id: str, *, after_id: int, limit: int
) -> list[tuple[int, str, str, bool]]:
    """The next ``limit`` comments (by id, after ``after_id``) that ``codebook`` classified or
    labelled, not purged: (id, body, body_format, whether the comment has ``topic_id`` by the
    one rule of ``threads.db.queries.labels``)."""
    known = sa.or_(
        select(col(CommentClassification.id))
        .where(
            col(CommentClassification.comment_id) == col(Comment.id),
            col(CommentClassification.codebook) == codebook,
        )
        .exists(),
        select(col(CommentTopic.id))
        .where(
            col(CommentTopic.comment_id) == col(Comment.id),
            col(CommentTopic.codebook) == codebook,
        )
        .exists(),
    )
    flag = has_topic(codebook, topic_id, col(Comment.id))
    stmt = (
        select(col(Comment.id), col(Comment.body), col(Comment.body_format), flag)
        .where(col(Comment.id) > after_id, col(Comment.purged).is_(False), known)
        .order_by(col(Comment.id))
        .limit(limit)
    )
    return [(int(i), str(b), str(f), bool(t)) for i, b, f, t in session.execute(stmt)]


@dataclass(frozen=True)
class UncertainComment:
    id: int
    thread_id: int
    body: str
    body_format: str
    #: the smallest distance between one of its automatic scores and the topic's threshold
    margin: float


def least_certain(
    session: Session, codebook: str, thresholds: dict[str, float], *, limit: int
) -> list[UncertainComment]:
    """The ``limit`` comments whose automatic labels of ``codebook`` lie nearest a threshold
    (smallest margin first, then by id), among those no moderator labelled in it and not purged.
    A topic without an automatic label scores 0, so its margin is the threshold itself."""
    label = CommentTopic.__table__.alias("auto_label")  # type: ignore[attr-defined]
    default = min(thresholds.values())
    threshold = sa.case(
        *((label.c.topic_id == t, sa.literal(v)) for t, v in thresholds.items()),
        else_=sa.literal(default),
    )
    distance = sa.func.abs(label.c.score - threshold)
    reviewed = (
        select(col(CommentTopic.comment_id))
        .where(
            col(CommentTopic.codebook) == codebook,
            col(CommentTopic.source) == LabelSource.MODERATOR,
        )
        .distinct()
    )
    margin = sa.func.min(distance).label("margin")
    inner = (
        select(label.c.comment_id, margin)
        .where(
            label.c.codebook == codebook,
            label.c.source == LabelSource.AUTO,
            label.c.topic_id.in_(list(thresholds)),
            label.c.comment_id.not_in(reviewed),
        )
        .group_by(label.c.comment_id)
        .subquery()
    )
    stmt = (
        select(
            col(Comment.id),
            col(Comment.thread_id),
            col(Comment.body),
            col(Comment.body_format),
            inner.c.margin,
        )
        .join(inner, inner.c.comment_id == col(Comment.id))
        .where(col(Comment.purged).is_(False))
        .order_by(inner.c.margin, col(Comment.id))
        .limit(limit)
    )
    return [
        UncertainComment(int(i), int(t), str(b), str(f), min(float(m), default))
        for i, t, b, f, m in session.execute(stmt)
    ]


def auto_labels_of(
    session: Session, codebook: str, comment_ids: Sequence[int]
) -> list[CommentTopic]:
    """The automatic labels of ``codebook`` on these comments."""
    if not comment_ids:
        return []
    stmt = select(CommentTopic).where(
        col(CommentTopic.codebook) == codebook,
        col(CommentTopic.source) == LabelSource.AUTO,
        col(CommentTopic.comment_id).in_(list(comment_ids)),
    )
    return list(session.scalars(stmt))
