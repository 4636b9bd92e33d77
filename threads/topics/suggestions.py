"""Codebook suggestions: the words and two-word phrases that set a topic's comments apart from
the rest of this database's comments, for a person to accept into the codebook.

A comment belongs to the topic by the one rule for a comment's topics (moderator labels first,
then automatic labels; ``threads.db.queries.labels``). Each candidate is counted once per
comment (document frequency) inside and outside the topic and ranked by the z-score of its
smoothed log-odds ratio (Monroe, Colaresi and Quinn's "fightin' words" with a flat prior):
frequent and lopsided beats rare and lopsided. Single words are matched on Snowball stems, as
the codebook does, and shown in their most frequent spelling; phrases are two adjacent content
words. Entries the topic already has are left out.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from threads.body_text import plain_text
from threads.db.queries import topics as q
from threads.errors import InvalidInput
from threads.topics.matcher import Codebook
from threads.topics.normalise import Normaliser
from threads.topics.taxonomy import Taxonomy

#: comments read per query
BATCH = 1000
#: characters of an example comment shown
EXAMPLE_CHARS = 160
#: example comments kept per candidate
EXAMPLES = 2


@dataclass(frozen=True)
class Suggestion:
    """A candidate term or phrase with its counts and example comments."""

    kind: str  # "term" or "phrase"
    text: str
    stems: tuple[str, ...]
    inside: int
    outside: int
    score: float
    examples: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "stems": list(self.stems),
            "in_topic": self.inside,
            "outside": self.outside,
            "score": self.score,
            "examples": self.examples,
        }


@dataclass(frozen=True)
class Suggestions:
    codebook: str
    version: str
    topic_id: str
    comments_in_topic: int
    comments_outside: int
    suggestions: list[Suggestion] = field(default_factory=list)
    #: the topic's current terms and phrases, for the snippet
    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()

    def toml_snippet(self) -> str:
        """The topic's ``terms`` and ``phrases`` with the suggestions added, to paste into the
        ``[[topic]]`` table whose id is the topic's."""
        new_terms = [s.text for s in self.suggestions if s.kind == "term"]
        new_phrases = [s.text for s in self.suggestions if s.kind == "phrase"]
        lines = [f"# [[topic]] id = {json.dumps(self.topic_id)}: suggested by threads"]
        lines.append(f"terms = {_toml_list([*self.terms, *new_terms])}")
        lines.append(f"phrases = {_toml_list([*self.phrases, *new_phrases])}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "codebook": self.codebook,
            "version": self.version,
            "topic_id": self.topic_id,
            "comments_in_topic": self.comments_in_topic,
            "comments_outside": self.comments_outside,
            "suggestions": [s.as_dict() for s in self.suggestions],
            "toml": self.toml_snippet(),
        }


def _toml_list(items: list[str]) -> str:
    # a JSON string is a TOML basic string for the characters words are made of
    return "[" + ", ".join(json.dumps(i, ensure_ascii=False) for i in items) + "]"


def suggest_terms(
    session: Session,
    taxonomy: Taxonomy,
    topic_id: str,
    *,
    limit: int = 20,
    min_count: int = 2,
) -> Suggestions:
    """Up to ``limit`` words and phrases that distinguish the comments with ``topic_id`` from
    the other comments the codebook classified or labelled, each in at least ``min_count`` of
    the topic's comments."""
    if topic_id not in taxonomy.topic_ids:
        raise InvalidInput(
            f"topic: {topic_id!r} is not in the codebook {taxonomy.name!r} (it has "
            f"{', '.join(taxonomy.topic_ids)})",
            field="topic",
        )
    if limit < 1:
        raise InvalidInput("--limit: expected a positive number", field="--limit")
    if min_count < 1:
        raise InvalidInput("--min-count: expected a positive number", field="--min-count")
    norm = Normaliser()
    index = taxonomy.topic_ids.index(topic_id)
    codebook = Codebook(taxonomy, norm)
    known = {tuple(s) for s in codebook.entry_stems(index)}
    inside: Counter[tuple[str, ...]] = Counter()
    outside: Counter[tuple[str, ...]] = Counter()
    spelling: dict[tuple[str, ...], Counter[str]] = {}
    examples: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    n_in = n_out = 0
    after = 0
    while True:
        rows = q.comments_with_topic_flag(
            session, taxonomy.name, topic_id, after_id=after, limit=BATCH
        )
        if not rows:
            break
        after = rows[-1][0]
        for cid, body, fmt, has in rows:
            text = plain_text(body, fmt)
            found = _candidates(norm, text)
            if has:
                n_in += 1
                inside.update(found.keys())
                for key, surface in found.items():
                    spelling.setdefault(key, Counter())[surface] += 1
                    kept = examples.setdefault(key, [])
                    if len(kept) < EXAMPLES:
                        kept.append({"id": cid, "text": _excerpt(text)})
            else:
                n_out += 1
                outside.update(found.keys())
    scored = []
    for key, a in inside.items():
        # a phrase holding one of the topic's terms adds nothing the term does not find
        if a < min_count or key in known or any((s,) in known for s in key):
            continue
        b = outside[key]
        scored.append((_z(a, n_in, b, n_out), key, a, b))
    scored.sort(key=lambda s: (-s[0], s[1]))
    out = [
        Suggestion(
            kind="term" if len(key) == 1 else "phrase",
            text=spelling[key].most_common(1)[0][0],
            stems=key,
            inside=a,
            outside=b,
            score=round(z, 3),
            examples=examples[key],
        )
        for z, key, a, b in scored[:limit]
        if z > 0
    ]
    topic = taxonomy.topics[index]
    return Suggestions(
        codebook=taxonomy.name,
        version=taxonomy.version,
        topic_id=topic_id,
        comments_in_topic=n_in,
        comments_outside=n_out,
        suggestions=out,
        terms=topic.terms,
        phrases=topic.phrases,
    )


def _candidates(norm: Normaliser, text: str) -> dict[tuple[str, ...], str]:
    """The content stems and adjacent pairs of content stems of a text, each with its first
    spelling (lower case)."""
    doc = norm.analyse(text)
    content = norm.features(doc.stems)
    found: dict[tuple[str, ...], str] = {}
    for i, stem in enumerate(doc.stems):
        if stem not in content:
            continue
        found.setdefault((stem,), doc.tokens[i].lower())
        if i + 1 < len(doc.stems) and doc.stems[i + 1] in content:
            words = f"{doc.tokens[i]} {doc.tokens[i + 1]}".lower()
            found.setdefault((stem, doc.stems[i + 1]), words)
    return found


def _z(a: int, n_a: int, b: int, n_b: int) -> float:
    """z-score of the log-odds ratio of a candidate's rate inside and outside the topic, each
    count smoothed by a half (so that a candidate never seen outside gets a finite score)."""
    a0, a1 = a + 0.5, max(n_a - a, 0) + 0.5
    b0, b1 = b + 0.5, max(n_b - b, 0) + 0.5
    delta = math.log(a0 / a1) - math.log(b0 / b1)
    return delta / math.sqrt(1 / a0 + 1 / a1 + 1 / b0 + 1 / b1)


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXAMPLE_CHARS else flat[: EXAMPLE_CHARS - 1] + "…"
