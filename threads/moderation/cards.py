"""What a moderator's card says about a comment beyond the comment itself: why it has its
topics (the evidence, marked in the body), what readers reported, and the author's record.

Built for a whole page of comments with one query per kind (:mod:`threads.db.queries.cards`),
never one per card.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlmodel import Session

from threads.body_text import highlighted_html, plain_text
from threads.db.queries import cards as q
from threads.db.queries.cards import AuthorRecord
from threads.models import ModerationEvent

#: at most this many evidence terms are named on a topic chip
CHIP_TERMS = 5


@dataclass(frozen=True)
class TopicChip:
    """A topic the comment has, and the words that gave it (as the codebook writes them)."""

    topic: str
    terms: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CardExtras:
    #: the body as safe HTML with the topics' evidence in ``<mark data-topic=...>``
    body_html: str
    chips: list[TopicChip]
    #: (reason code, how many readers gave it), most frequent first
    reports: list[tuple[str, int]]
    #: None when the comment has no author identity (or was purged)
    record: AuthorRecord | None


class CardComment(Protocol):
    """What the extras read of a comment: a :class:`~threads.models.Comment` or a queue row."""

    @property
    def id(self) -> int | None: ...
    @property
    def body(self) -> str: ...
    @property
    def body_format(self) -> Any: ...
    @property
    def purged(self) -> bool: ...


def card_extras(
    session: Session, comments: Sequence[CardComment], codebook: str
) -> dict[int, CardExtras]:
    """The extras of each comment (by id), with three queries for all of them."""
    ids = [c.id for c in comments if c.id is not None]
    if not ids:
        return {}
    labels = q.label_rows(session, codebook, ids)
    reports = q.report_reasons(session, ids)
    records = q.author_records(session, ids)
    by_comment: dict[int, list[q.LabelRow]] = {}
    for row in labels:
        by_comment.setdefault(row.comment_id, []).append(row)
    out: dict[int, CardExtras] = {}
    for c in comments:
        if c.id is None:
            continue
        rows = by_comment.get(c.id, [])
        topics = sorted({r.topic_id for r in rows if r.gives})
        text = plain_text(c.body, c.body_format)
        spans: list[tuple[int, int, str]] = []
        chips: list[TopicChip] = []
        for topic in topics:
            terms: list[str] = []
            for row in rows:
                if row.topic_id != topic:
                    continue
                for item in row.evidence:
                    span = _span(text, item)
                    if span is None:
                        continue
                    spans.append((*span, topic))
                    term = _term(item)
                    if term and term not in terms:
                        terms.append(term)
            chips.append(TopicChip(topic, terms[:CHIP_TERMS]))
        out[c.id] = CardExtras(
            body_html=highlighted_html(c.body, c.body_format, spans),
            chips=chips,
            reports=reports.get(c.id, []),
            record=None if c.purged else records.get(c.id),
        )
    return out


def latest_event(session: Session, comment_id: int) -> ModerationEvent | None:
    """Who changed a comment last and how (for a conflict card), or None."""
    return q.latest_event(session, comment_id)


def article_title(session: Session, thread_id: int) -> str:
    """The title of the article a comment's thread is about ("" when it has none)."""
    return q.article_title(session, thread_id) or ""


def _term(item: dict[str, Any]) -> str:
    """How a chip names one piece of evidence: the codebook's entry, or for a learned word
    (whose ``term`` is a stem) the word as written."""
    if item.get("layer") == "learned":
        return str(item.get("text") or "").strip().lower()
    return str(item.get("term") or item.get("text") or "").strip()


def _span(text: str, item: Any) -> tuple[int, int] | None:
    """Where one piece of evidence lies in ``text``: its offsets when they still hold the
    matched words, else the first occurrence of those words, else nowhere."""
    if not isinstance(item, dict):
        return None
    words = str(item.get("text") or "")
    start, end = item.get("start"), item.get("end")
    if (
        isinstance(start, int)
        and isinstance(end, int)
        and 0 <= start < end <= len(text)
        and (not words or text[start:end].lower() == words.lower())
    ):
        return start, end
    if words:
        found = text.lower().find(words.lower())
        if found >= 0:
            return found, found + len(words)
    return None


__all__ = [
    "AuthorRecord",
    "CardExtras",
    "TopicChip",
    "article_title",
    "card_extras",
    "latest_event",
]
