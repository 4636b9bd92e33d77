"""Queries for topic classification: comments to classify, automatic and moderator labels,
learned models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlmodel import Session, col

from threads.models import Comment, CommentTopic, LabelSource, TopicModel


@dataclass(frozen=True)
class CommentText:
    id: int
    thread_id: int
    body: str
    body_format: str
    content_hash: str
    purged: bool


def _stale(fingerprint: str, thread_id: int | None, everything: bool) -> list[Any]:
    where: list[Any] = []
    if not everything:
        where.append(
            or_(
                col(Comment.classified_version).is_(None),
                col(Comment.classified_version) != fingerprint,
                col(Comment.classified_hash).is_(None),
                col(Comment.classified_hash) != col(Comment.content_hash),
            )
        )
    if thread_id is not None:
        where.append(col(Comment.thread_id) == thread_id)
    return where


def count_to_classify(
    session: Session, fingerprint: str, *, thread_id: int | None, everything: bool
) -> int:
    stmt = (
        select(func.count()).select_from(Comment).where(*_stale(fingerprint, thread_id, everything))
    )
    return int(session.execute(stmt).scalar_one())


def comments_to_classify(
    session: Session,
    fingerprint: str,
    *,
    thread_id: int | None,
    everything: bool,
    after_id: int,
    limit: int,
) -> list[CommentText]:
    """The next ``limit`` comments (by id, after ``after_id``) that need classifying: never
    classified, classified under another codebook/model, or changed since (keyset pages)."""
    stmt = (
        select(
            col(Comment.id),
            col(Comment.thread_id),
            col(Comment.body),
            col(Comment.body_format),
            col(Comment.content_hash),
            col(Comment.purged),
        )
        .where(col(Comment.id) > after_id, *_stale(fingerprint, thread_id, everything))
        .order_by(col(Comment.id))
        .limit(limit)
    )
    return [CommentText(*row) for row in session.execute(stmt)]


def replace_auto_labels(
    session: Session, comment_ids: Sequence[int], rows: Sequence[dict[str, Any]]
) -> None:
    """Drop the automatic labels of these comments and insert ``rows`` in their place."""
    if comment_ids:
        session.execute(
            delete(CommentTopic).where(
                col(CommentTopic.comment_id).in_(list(comment_ids)),
                col(CommentTopic.source) == LabelSource.AUTO,
            )
        )
    if rows:
        session.execute(insert(CommentTopic), list(rows))


def mark_classified(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Store per comment the classification fingerprint, content hash and sentiment.

    ``rows`` hold ``cid``, ``fingerprint``, ``hash``, ``sentiment`` and ``scores``.
    """
    if not rows:
        return
    table = Comment.__table__  # type: ignore[attr-defined]
    stmt = (
        update(table)
        .where(table.c.id == bindparam("cid"))
        .values(
            classified_version=bindparam("fingerprint"),
            classified_hash=bindparam("hash"),
            sentiment=bindparam("sentiment"),
            sentiment_scores=bindparam("scores"),
        )
    )
    session.connection().execute(stmt, list(rows))


def moderator_label(
    session: Session, comment_id: int, topic_id: str, labeler: str
) -> CommentTopic | None:
    stmt = select(CommentTopic).where(
        col(CommentTopic.comment_id) == comment_id,
        col(CommentTopic.topic_id) == topic_id,
        col(CommentTopic.source) == LabelSource.MODERATOR,
        col(CommentTopic.labeler) == labeler,
    )
    return session.scalars(stmt).first()


@dataclass(frozen=True)
class LabelRow:
    comment_id: int
    topic_id: str
    assigned: bool
    source: LabelSource
    labeler: str
    created_at: Any


def labels_of_reviewed_comments(session: Session) -> list[LabelRow]:
    """Every label (automatic and moderator) of the comments a moderator has labelled."""
    reviewed = (
        select(col(CommentTopic.comment_id))
        .where(col(CommentTopic.source) == LabelSource.MODERATOR)
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
        )
        .where(col(CommentTopic.comment_id).in_(reviewed))
        .order_by(col(CommentTopic.comment_id), col(CommentTopic.created_at))
    )
    return [
        LabelRow(cid, topic, bool(assigned), LabelSource(source), labeler, created)
        for cid, topic, assigned, source, labeler, created in session.execute(stmt)
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
