"""Uncertainty sampling: the comments whose automatic labels are least certain, so that a
coder labels where a label teaches the learned layer most.

A comment's margin is the smallest distance between one of its automatic scores and that
topic's threshold (a score of 0.48 against 0.5 is a coin toss; 0.02 or 0.97 is not); comments
come smallest margin first. Its entropy (the sum over topics of the binary entropy of each
score, in bits) is shown beside it: two topics near their thresholds make a comment more
uncertain than one. Comments a moderator already labelled in the codebook are left out: their
labels are decided.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from threads.body_text import plain_text
from threads.db.queries import topics as q
from threads.errors import InvalidInput
from threads.topics.taxonomy import Taxonomy

#: characters of a comment shown
EXCERPT_CHARS = 200
#: evidence entries shown per topic
EVIDENCE = 4


@dataclass(frozen=True)
class UncertainLabel:
    """A comment to label next, with its current scores and their evidence."""

    comment_id: int
    thread_id: int
    text: str
    margin: float
    entropy: float
    #: topic -> score, every topic of the codebook (0 where no automatic label)
    scores: dict[str, float]
    #: topic -> assigned automatically
    assigned: dict[str, bool]
    #: topic -> [{"text", "term", "layer", "weight"}]
    evidence: dict[str, list[dict[str, Any]]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "comment_id": self.comment_id,
            "thread_id": self.thread_id,
            "text": self.text,
            "margin": self.margin,
            "entropy": self.entropy,
            "scores": self.scores,
            "assigned": self.assigned,
            "evidence": self.evidence,
        }


def next_to_label(session: Session, taxonomy: Taxonomy, *, limit: int) -> list[UncertainLabel]:
    """The ``limit`` comments (not labelled by a moderator in ``taxonomy``'s codebook, not
    purged) whose automatic labels lie nearest a topic's threshold."""
    if limit < 1:
        raise InvalidInput("--next: expected a positive number of comments", field="--next")
    thresholds = {t.id: t.threshold for t in taxonomy.topics}
    picked = q.least_certain(session, taxonomy.name, thresholds, limit=limit)
    labels = q.auto_labels_of(session, taxonomy.name, [c.id for c in picked])
    by_comment: dict[int, dict[str, Any]] = {}
    for label in labels:
        by_comment.setdefault(label.comment_id, {})[label.topic_id] = label
    out: list[UncertainLabel] = []
    for c in picked:
        rows = by_comment.get(c.id, {})
        scores = {t: float(rows[t].score) if t in rows else 0.0 for t in taxonomy.topic_ids}
        out.append(
            UncertainLabel(
                comment_id=c.id,
                thread_id=c.thread_id,
                text=_excerpt(plain_text(c.body, c.body_format)),
                margin=round(c.margin, 4),
                entropy=round(sum(_entropy(p) for p in scores.values()), 4),
                scores=scores,
                assigned={t: bool(rows[t].assigned) if t in rows else False for t in scores},
                evidence={
                    t: [_evidence(e) for e in (rows[t].evidence or [])[:EVIDENCE]]
                    for t in taxonomy.topic_ids
                    if t in rows and rows[t].evidence
                },
            )
        )
    return out


def _entropy(p: float) -> float:
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return -(p * math.log2(p) + (1 - p) * math.log2(1 - p))


def _evidence(e: dict[str, Any]) -> dict[str, Any]:
    return {
        "text": e.get("text"),
        "term": e.get("term"),
        "layer": e.get("layer", "codebook"),
        "weight": e.get("weight"),
    }


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"
