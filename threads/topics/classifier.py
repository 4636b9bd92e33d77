"""The topic classifier: codebook scoring (layer 1), learned models (layer 2), their blend.

Layer 1 finds the codebook's terms (single words, matched on stems) and phrases (stem
sequences) in a text, drops matches inside the topic's ``exclude`` phrases, and turns the
weighted matches into a score: each unit of weight leaves 40% of the remaining doubt
(``score = 1 - 0.4 ** evidence``), so one plain match scores 0.6 and passes the default
threshold of 0.5, a weak match (weight 0.5, 0.37) needs company, and repeats add a little.

Layer 2 is a Naive Bayes model per topic learned from moderator labels (``threads.topics.learn``).
With a model the blend happens in log-odds: ``logit(score) = logit(codebook) + (1 - w) * words``
where ``words`` is the model's evidence from the comment's words (its log-likelihood ratios,
without its prior) and ``w = PRIOR_STRENGTH / (PRIOR_STRENGTH + labels)``. The codebook is the
prior; the more labels the model saw, the more its words move the score. A silent codebook
counts as probability 0.05, so the learned words alone assign a topic only when they are strong
and the model has seen many labels. Without models the classifier is the codebook alone.
(Measured: a linear blend of the two probabilities let a weak model undo every single-match
label; the log-odds blend kept cross-validated macro F1 within a few points of the codebook's.)

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
PRIOR_STRENGTH = 100.0
#: the doubt left by one unit of codebook evidence: one plain match scores 1 - 0.4 = 0.6
DOUBT = 0.4
#: the codebook's probability floor when it found nothing (the learned words must outweigh it)
SILENT = 0.05
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


@dataclass(slots=True)
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

    def match(self, doc: Analysed) -> tuple[list[float], list[list[dict[str, Any]]]]:
        """Layer 1: per topic (in codebook order) the score and the matches that made it, as
        evidence: the entry as written in the codebook, the matched text and its offsets."""
        n_topics = len(self.ids)
        stems = doc.stems
        index = self._index
        if index.keys().isdisjoint(stems):  # most texts: no codebook word at all (C speed)
            return [0.0] * n_topics, [[] for _ in range(n_topics)]
        found: list[tuple[int, int, int, _Entry]] = []  # topic, start, -length, entry
        excluded: list[list[tuple[int, int]]] = [[] for _ in range(n_topics)]
        n = len(stems)
        for i in [i for i, s in enumerate(stems) if s in index]:
            for e in index[stems[i]]:
                k = len(e.stems)
                if k > 1 and (i + k > n or tuple(stems[i : i + k]) != e.stems):
                    continue
                if e.exclude:
                    excluded[e.topic].append((i, i + k))
                else:
                    found.append((e.topic, i, -k, e))
        # overlapping matches of one topic: the heavier (then longer, then earlier) one counts
        found.sort(key=lambda x: (x[0], -x[3].weight, x[2], x[1]))
        spans = doc.spans([i for _, i, _, _ in found] + [i - k - 1 for _, i, k, _ in found])
        evidence = [0.0] * n_topics
        matches: list[list[dict[str, Any]]] = [[] for _ in range(n_topics)]
        seen: dict[tuple[int, str], int] = {}
        taken: list[list[tuple[int, int]]] = [[] for _ in range(n_topics)]
        text = doc.text
        for t, start, minus_k, e in found:
            end = start - minus_k
            if any(a < end and start < b for a, b in taken[t]):
                continue  # overlaps a stronger match of the same topic
            if excluded[t] and any(a < end and start < b for a, b in excluded[t]):
                continue
            taken[t].append((start, end))
            repeats = seen.get((t, e.entry), 0)
            seen[t, e.entry] = repeats + 1
            if repeats == 0:
                evidence[t] += e.weight
            elif repeats <= REPEAT_CAP:
                evidence[t] += e.weight * REPEAT_BONUS
            first, last = spans[start][0], spans[end - 1][1]
            matches[t].append(
                {
                    "term": e.entry,
                    "text": text[first:last],
                    "start": first,
                    "end": last,
                    "weight": e.weight,
                    "layer": "codebook",
                }
            )
        for kept in matches:
            kept.sort(key=lambda m: m["start"])
        return [1.0 - DOUBT**x if x > 0 else 0.0 for x in evidence], matches


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
            evidence = matches[t]
            model = self._models[t]
            learned: float | None = None
            score = cb
            if model is not None:
                if features is None:
                    features = self.normaliser.features(doc.stems)
                logit, contributions = model.logit(features)
                learned = _sigmoid(logit)
                w = PRIOR_STRENGTH / (PRIOR_STRENGTH + model.label_count)
                p = min(0.98, max(SILENT, cb))
                score = _sigmoid(math.log(p / (1 - p)) + (1 - w) * (logit - model.log_prior))
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
                "start": doc.span(i)[0],
                "end": doc.span(i)[1],
                "weight": round(weight, 3),
                "layer": "learned",
            }
        )
    return out
