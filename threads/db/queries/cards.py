"""What a console card shows beside the comment, for a whole page of comments at once.

One query each, whatever the number of cards: the topic labels with their evidence, the
reports by reason, and each author's record within the comment's site.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from threads.db.queries.ids import dialect_of, ids_in
from threads.db.queries.labels import assigning, label_t
from threads.models import (
    Article,
    Comment,
    CommentReport,
    CommentStatus,
    EventTarget,
    LabelSource,
    ModerationEvent,
    Thread,
)

_comment: sa.Table = Comment.__table__  # type: ignore[attr-defined]
_thread: sa.Table = Thread.__table__  # type: ignore[attr-defined]
_article: sa.Table = Article.__table__  # type: ignore[attr-defined]
_report: sa.Table = CommentReport.__table__  # type: ignore[attr-defined]
#: how many comment ids go into one IN list (a page holds far fewer)
_CHUNK = 1000


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    unique = sorted(set(ids))
    return [unique[i : i + _CHUNK] for i in range(0, len(unique), _CHUNK)]


@dataclass(frozen=True)
class LabelRow:
    comment_id: int
    topic_id: str
    #: this label gives the comment the topic (the rule of threads.db.queries.labels)
    gives: bool
    source: str
    evidence: list[dict[str, Any]]


def label_rows(session: Session, codebook: str, comment_ids: Sequence[int]) -> list[LabelRow]:
    """The labels that give each comment a topic in ``codebook``, and the automatic labels
    (whose evidence explains a topic even where a moderator's label decides it)."""
    out: list[LabelRow] = []
    stmt = _label_rows_statement(codebook, dialect_of(session))
    for ids in _chunks(comment_ids):
        for cid, topic, given, source, evidence in session.execute(stmt, {"ids": ids}):
            out.append(
                LabelRow(
                    int(cid),
                    str(topic),
                    bool(given),
                    str(getattr(source, "value", source)),
                    list(evidence or []),
                )
            )
    return out


@functools.lru_cache(maxsize=64)
def _label_rows_statement(codebook: str, dialect: str) -> sa.Select[Any]:
    """The statement of :func:`label_rows`, built once per codebook (building the label rule's
    expression cost more than running the query for a page of cards)."""
    gives = assigning(codebook)
    return (
        sa.select(
            label_t.c.comment_id,
            label_t.c.topic_id,
            sa.case((gives, 1), else_=0).label("gives"),
            label_t.c.source,
            label_t.c.evidence,
        )
        .where(
            ids_in(label_t.c.comment_id, dialect),
            label_t.c.codebook == codebook,
        )
        .where(sa.or_(gives, label_t.c.source == LabelSource.AUTO.value))
        .order_by(label_t.c.comment_id, label_t.c.topic_id, label_t.c.id)
    )


def report_reasons(
    session: Session, comment_ids: Sequence[int]
) -> dict[int, list[tuple[str, int]]]:
    """Per comment: its readers' report reasons with their counts, most frequent first."""
    out: dict[int, list[tuple[str, int]]] = {}
    for ids in _chunks(comment_ids):
        for cid, reason, count in session.execute(
            _report_reasons_statement(dialect_of(session)), {"ids": ids}
        ):
            out.setdefault(int(cid), []).append((str(reason), int(count)))
    return out


@functools.cache
def _report_reasons_statement(dialect: str) -> sa.Select[Any]:
    """The statement of :func:`report_reasons`, built once."""
    n = sa.func.count().label("n")
    return (
        sa.select(_report.c.comment_id, _report.c.reason_code, n)
        .where(ids_in(_report.c.comment_id, dialect))
        .group_by(_report.c.comment_id, _report.c.reason_code)
        .order_by(_report.c.comment_id, n.desc(), _report.c.reason_code)
    )


@dataclass(frozen=True)
class AuthorRecord:
    """An author's comments within one site, by status."""

    comments: int
    approved: int
    rejected: int
    spam: int


@functools.cache
def _author_records_statement(dialect: str) -> sa.Select[Any]:
    """Per card comment: its author's comments within the comment's site, by status. Built once
    (six aliases and their column collections cost more per page than running the query)."""
    card, other = _comment.alias("card"), _comment.alias("other")
    card_thread, other_thread = _thread.alias("card_thread"), _thread.alias("other_thread")
    card_article, other_article = _article.alias("card_article"), _article.alias("other_article")
    joined = (
        card.join(card_thread, card_thread.c.id == card.c.thread_id)
        .join(card_article, card_article.c.id == card_thread.c.article_id)
        .join(other, other.c.author_key == card.c.author_key)
        .join(other_thread, other_thread.c.id == other.c.thread_id)
        .join(
            other_article,
            sa.and_(
                other_article.c.id == other_thread.c.article_id,
                other_article.c.site_id == card_article.c.site_id,
            ),
        )
    )

    def count(status: CommentStatus) -> Any:
        return sa.func.sum(sa.case((other.c.status == status, 1), else_=0))

    return (
        sa.select(
            card.c.id,
            sa.func.count(),  # not count(other.id): the id is not in the author index
            count(CommentStatus.APPROVED),
            count(CommentStatus.REJECTED),
            count(CommentStatus.SPAM),
        )
        .select_from(joined)
        .where(ids_in(card.c.id, dialect), card.c.author_key.is_not(None))
        .group_by(card.c.id)
    )


def author_records(session: Session, comment_ids: Sequence[int]) -> dict[int, AuthorRecord]:
    """Per comment: the record of its author (same ``author_key``) within the comment's site.
    Comments without an author key are absent."""
    out: dict[int, AuthorRecord] = {}
    for ids in _chunks(comment_ids):
        rows = session.execute(_author_records_statement(dialect_of(session)), {"ids": ids})
        for cid, total, approved, rejected, spam in rows:
            out[int(cid)] = AuthorRecord(
                int(total), int(approved or 0), int(rejected or 0), int(spam or 0)
            )
    return out


def latest_event(session: Session, comment_id: int) -> ModerationEvent | None:
    """The newest audit event about a comment (who changed it last, and how), or None."""
    stmt = (
        sa.select(ModerationEvent)
        .where(
            ModerationEvent.target_type == EventTarget.COMMENT,  # type: ignore[arg-type]
            ModerationEvent.target_id == comment_id,  # type: ignore[arg-type]
        )
        .order_by(ModerationEvent.id.desc())  # type: ignore[union-attr]
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def article_title(session: Session, thread_id: int) -> str | None:
    """The title of the article a thread is about ("" when it has none; None: no such thread)."""
    stmt = (
        sa.select(_article.c.title)
        .select_from(_thread.join(_article, _article.c.id == _thread.c.article_id))
        .where(_thread.c.id == thread_id)
    )
    row = session.execute(stmt).first()
    return None if row is None else str(row[0] or "")
