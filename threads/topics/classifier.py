"""The topic classifier: codebook scoring (layer 1), learned models (layer 2), their blend.

Layer 1 finds the codebook's terms (single words, matched on stems) and phrases (stem
sequences) in a text, drops matches inside the topic's ``exclude`` phrases, and turns the
weighted matches into a score: each unit of weight halves the remaining doubt
(``score = 1 - 0.5 ** evidence``), so one plain match reaches the default threshold of 0.5,
a weak match (weight 0.5) needs company, and repeats of a term add a little.

Layer 2 is a Naive Bayes model per topic learned from moderator labels (``threads.topics.learn``).
With a model, a topic's score is ``w * codebook + (1 - w) * learned`` with
``w = PRIOR_STRENGTH / (PRIOR_STRENGTH + labels)``: the codebook is the prior, and the more
labels the model saw, the more it counts. Without models the classifier is the codebook alone.

Every score comes with its evidence: each codebook match (term, matched text, character
offsets) and, from layer 2, the words that pushed the score up most.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from threads.topics.learn import LearnedModel
from threads.topics.normalise import Analysed, Normaliser
from threads.topics.taxonomy import Taxonomy

#: how many labels the codebook is worth when blended with a learned model
PRIOR_STRENGTH = 30.0
#: a repeated term adds this much of its weight per repeat, up to REPEAT_CAP repeats
REPEAT_BONUS = 0.25
REPEAT_CAP = 2
#: learned words shown as explanation per topic
EXPLAIN_WORDS = 3


@dataclass(frozen=True, slots=True)
class _Entry:
    topic: int
    entry: str
    stems: tuple[str, ...]
    weight: float
    exclude: bool


@dataclass(frozen=True)
class Match:
    """One codebook match: the entry as written in the codebook and where it was found."""

    topic_id: str
    term: str
    text: str
    start: int
    end: int
    weight: float

    def as_evidence(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "weight": self.weight,
            "layer": "codebook",
        }


@dataclass(frozen=True)
class TopicScore:
    """A topic's score for one text, its parts and its explanation."""

    topic_id: str
    score: float
    assigned: bool
    codebook: float
    learned: float | None
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Classification:
    """The classifier's answer for one text: every topic's score, the assigned ones in
    codebook order."""

    scores: tuple[TopicScore, ...]

    @property
    def topics(self) -> list[str]:
        return [s.topic_id for s in self.scores if s.assigned]

    def score_map(self) -> dict[str, float]:
        return {s.topic_id: s.score for s in self.scores}

    def evidence_map(self) -> dict[str, list[dict[str, Any]]]:
        return {s.topic_id: s.evidence for s in self.scores if s.evidence}


class Codebook:
    """A taxonomy compiled for matching: one index from a first stem to the entries it starts."""

    def __init__(self, taxonomy: Taxonomy, normaliser: Normaliser) -> None:
        self.taxonomy = taxonomy
        self.ids = taxonomy.topic_ids
        self._index: dict[str, list[_Entry]] = {}
        seen: set[tuple[int, tuple[str, ...], bool]] = set()
        for i, topic in enumerate(taxonomy.topics):
            entries = [(t, False, False) for t in topic.terms]
            entries += [(p, True, False) for p in topic.phrases]
            entries += [(x, True, True) for x in topic.exclude]
            for text, phrase, exclude in entries:
                stems = tuple(normaliser.stems_of(text))
                if not stems or (i, stems, exclude) in seen:
                    continue  # "vaults" after "vault": the same stems, the first one counts
                seen.add((i, stems, exclude))
                weight = 0.0 if exclude else topic.weight_of(text, phrase=phrase)
                self._index.setdefault(stems[0], []).append(_Entry(i, text, stems, weight, exclude))
        for entries_of in self._index.values():  # longest first: a phrase wins over its word
            entries_of.sort(key=lambda e: -len(e.stems))

    def entry_stems(self, topic_index: int) -> list[tuple[str, ...]]:
        """The stem sequences of a topic's terms and phrases (not exclusions)."""
        return [
            e.stems
            for entries in self._index.values()
            for e in entries
            if e.topic == topic_index and not e.exclude
        ]

    def exclude_stems(self, topic_index: int) -> list[tuple[str, ...]]:
        return [
            e.stems
            for entries in self._index.values()
            for e in entries
            if e.topic == topic_index and e.exclude
        ]

    def match(self, doc: Analysed) -> tuple[list[float], list[list[Match]]]:
        """Layer 1: per topic (in codebook order) the score and the matches that made it."""
        n_topics = len(self.ids)
        found: list[list[tuple[int, int, _Entry]]] = [[] for _ in range(n_topics)]
        excluded: list[list[tuple[int, int]]] = [[] for _ in range(n_topics)]
        stems = doc.stems
        n = len(stems)
        index = self._index
        for i in range(n):
            entries = index.get(stems[i])
            if entries is None:
                continue
            for e in entries:
                k = len(e.stems)
                if k > 1 and (i + k > n or tuple(stems[i : i + k]) != e.stems):
                    continue
                if e.exclude:
                    excluded[e.topic].append((i, i + k))
                else:
                    found[e.topic].append((i, i + k, e))
        scores: list[float] = []
        matches: list[list[Match]] = []
        for t in range(n_topics):
            kept: list[Match] = []
            evidence = 0.0
            seen: dict[str, int] = {}
            covered_to = -1
            for start, end, e in sorted(found[t], key=lambda x: (x[0], -(x[1] - x[0]))):
                if start < covered_to:
                    continue  # inside a longer match of the same topic
                if any(a < end and start < b for a, b in excluded[t]):
                    continue
                covered_to = end
                repeats = seen.get(e.entry, 0)
                seen[e.entry] = repeats + 1
                if repeats == 0:
                    evidence += e.weight
                elif repeats <= REPEAT_CAP:
                    evidence += e.weight * REPEAT_BONUS
                kept.append(
                    Match(
                        topic_id=self.ids[t],
                        term=e.entry,
                        text=doc.text[doc.starts[start] : doc.ends[end - 1]],
                        start=doc.starts[start],
                        end=doc.ends[end - 1],
                        weight=e.weight,
                    )
                )
            scores.append(1.0 - 0.5**evidence if evidence > 0 else 0.0)
            matches.append(kept)
        return scores, matches


class Classifier:
    """Classifies texts against one codebook, with learned models for some topics or none."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        models: Mapping[str, LearnedModel] | None = None,
        normaliser: Normaliser | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.normaliser = normaliser or Normaliser()
        self.codebook = Codebook(taxonomy, self.normaliser)
        self.models = dict(models or {})
        for topic_id, model in self.models.items():
            if model.taxonomy_version != taxonomy.version:
                raise ValueError(
                    f"model for {topic_id} belongs to codebook {model.taxonomy_version}, "
                    f"not {taxonomy.version}"
                )
        self._thresholds = [t.threshold for t in taxonomy.topics]
        self._models = [self.models.get(t.id) for t in taxonomy.topics]
        self._any_model = any(m is not None for m in self._models)

    @property
    def fingerprint(self) -> str:
        """The codebook version, plus the learned models' digest when there are any."""
        if not self.models:
            return self.taxonomy.version
        digest = "".join(sorted(m.digest for m in self.models.values()))
        return f"{self.taxonomy.version}+{hashlib.sha256(digest.encode()).hexdigest()[:12]}"

    def classify(self, text: str) -> Classification:
        """Scores, assigned topics and evidence for one text."""
        return self.classify_analysed(self.normaliser.analyse(text))

    def classify_analysed(self, doc: Analysed) -> Classification:
        cb_scores, matches = self.codebook.match(doc)
        features: set[str] | None = None
        out: list[TopicScore] = []
        for t, topic in enumerate(self.taxonomy.topics):
            cb = cb_scores[t]
            evidence = [m.as_evidence() for m in matches[t]]
            model = self._models[t]
            learned: float | None = None
            score = cb
            if model is not None:
                if features is None:
                    features = self.normaliser.features(doc.stems)
                logit, contributions = model.logit(features)
                learned = _sigmoid(logit)
                w = PRIOR_STRENGTH / (PRIOR_STRENGTH + model.label_count)
                score = w * cb + (1.0 - w) * learned
                evidence += _learned_evidence(doc, contributions)
            score = round(min(1.0, max(0.0, score)), 4)
            out.append(
                TopicScore(
                    topic_id=topic.id,
                    score=score,
                    assigned=score >= self._thresholds[t],
                    codebook=round(cb, 4),
                    learned=round(learned, 4) if learned is not None else None,
                    evidence=evidence,
                )
            )
        return Classification(tuple(out))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _learned_evidence(
    doc: Analysed, contributions: list[tuple[str, float]]
) -> list[dict[str, Any]]:
    """The learned words that pushed the score up most, located at their first occurrence."""
    top = [c for c in sorted(contributions, key=lambda c: -c[1]) if c[1] > 0][:EXPLAIN_WORDS]
    out: list[dict[str, Any]] = []
    for stem, weight in top:
        try:
            i = doc.stems.index(stem)
        except ValueError:
            continue
        out.append(
            {
                "term": stem,
                "text": doc.surface(i),
                "start": doc.starts[i],
                "end": doc.ends[i],
                "weight": round(weight, 3),
                "layer": "learned",
            }
        )
    return out
