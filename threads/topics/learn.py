"""Layer 2: a Naive Bayes model per topic, learned from labelled comments with NLTK.

Each topic is a yes/no problem over the comment's content stems (presence features). The
codebook is the prior in two ways: its terms and phrases enter training as pseudo-examples of
the topic (its exclusions as pseudo-examples against it), and the classifier blends the model's
probability with the codebook score (see ``threads.topics.classifier``).

The probabilities are those NLTK's ``NaiveBayesClassifier.train`` finds (counted directly, see
``presence_probabilities``), kept as JSON-ready log-likelihood ratios (never pickle):
``logit = prior + sum(weight of each present stem)`` is exactly NLTK's ``prob_classify`` for
the same distributions, computed without the per-call dictionaries (``to_nltk`` rebuilds the
NLTK object, and a test holds the two equal).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nltk.classify import NaiveBayesClassifier
from nltk.probability import DictionaryProbDist

from threads.topics.matcher import Codebook
from threads.topics.normalise import Normaliser
from threads.topics.taxonomy import Taxonomy

ALGORITHM = "nltk-naive-bayes"
#: a stem must occur in at least this many training comments to become a feature (1 beat 2 in
#: 5-fold cross-validation on the shipped training sets, macro F1 0.82 against 0.79)
MIN_DOC_COUNT = 1
#: under this many labels for a topic, `threads train` warns that the model is weak
FEW_LABELS = 30
YES, NO = "yes", "no"


@dataclass(frozen=True)
class Example:
    """A labelled text: for each topic it was judged on, whether the topic applies."""

    text: str
    labels: Mapping[str, bool]


@dataclass(frozen=True)
class LearnedModel:
    """One topic's learned model, as stored (JSON) in ``topic_model``."""

    topic_id: str
    taxonomy_version: str
    #: log P(yes) - log P(no), from the real labels (pseudo-examples excluded)
    log_prior: float
    #: stem -> log P(stem present | yes) - log P(stem present | no)
    weights: dict[str, float]
    positives: int
    negatives: int
    algorithm: str = ALGORITHM
    #: P(stem present | label) for every feature, kept so that NLTK's object can be rebuilt
    present: dict[str, tuple[float, float]] = field(default_factory=dict, repr=False)

    @property
    def label_count(self) -> int:
        return self.positives + self.negatives

    def logit(self, features: Iterable[str]) -> tuple[float, list[tuple[str, float]]]:
        """The log-odds of the topic for a set of content stems, and each known stem's part."""
        weights = self.weights
        parts: list[tuple[str, float]] = []
        for f in features:
            w = weights.get(f)
            if w is not None:
                parts.append((f, w))
        # fsum: the same total in any order of the features (a set's order changes from one
        # process to the next), so every process scores a comment alike
        return math.fsum([self.log_prior, *(w for _, w in parts)]), parts

    def to_json(self) -> dict[str, Any]:
        return {
            "format": 1,
            "algorithm": self.algorithm,
            "topic_id": self.topic_id,
            "taxonomy_version": self.taxonomy_version,
            "log_prior": self.log_prior,
            "positives": self.positives,
            "negatives": self.negatives,
            "present": {f: [p, q] for f, (p, q) in sorted(self.present.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LearnedModel:
        present = {str(f): (float(pq[0]), float(pq[1])) for f, pq in data["present"].items()}
        return cls(
            topic_id=str(data["topic_id"]),
            taxonomy_version=str(data["taxonomy_version"]),
            log_prior=float(data["log_prior"]),
            weights={f: math.log(p) - math.log(q) for f, (p, q) in present.items()},
            positives=int(data["positives"]),
            negatives=int(data["negatives"]),
            algorithm=str(data.get("algorithm", ALGORITHM)),
            present=present,
        )

    @functools.cached_property
    def digest(self) -> str:
        canonical = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def to_nltk(self) -> NaiveBayesClassifier:
        """The NLTK classifier with these probabilities (for inspection and cross-checks)."""
        p_yes = 1.0 / (1.0 + math.exp(-self.log_prior))
        label_dist = DictionaryProbDist({YES: p_yes, NO: 1.0 - p_yes})
        feature_dist = {}
        for f, (p, q) in self.present.items():
            feature_dist[YES, f] = DictionaryProbDist({True: p, None: 1.0 - p})
            feature_dist[NO, f] = DictionaryProbDist({True: q, None: 1.0 - q})
        return NaiveBayesClassifier(label_dist, feature_dist)

    def strongest(self, n: int = 10) -> list[tuple[str, float]]:
        """The stems that speak most for the topic."""
        return sorted(self.weights.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


@dataclass(frozen=True)
class TopicLabels:
    """How many labels a topic had for training."""

    topic_id: str
    positives: int
    negatives: int

    @property
    def total(self) -> int:
        return self.positives + self.negatives


def count_labels(examples: Iterable[Example], taxonomy: Taxonomy) -> list[TopicLabels]:
    pos: Counter[str] = Counter()
    neg: Counter[str] = Counter()
    for ex in examples:
        for topic_id, value in ex.labels.items():
            (pos if value else neg)[topic_id] += 1
    return [TopicLabels(t, pos[t], neg[t]) for t in taxonomy.topic_ids]


def presence_probabilities(
    train: Iterable[tuple[Mapping[str, bool], str]],
) -> dict[str, tuple[float, float]]:
    """feature -> (P(present | yes), P(present | no)) for presence features labelled YES/NO:
    the numbers ``NaiveBayesClassifier.train(train)`` puts in its feature distributions
    (expected likelihood estimates, absent features as NLTK's implicit None value), counted
    directly because NLTK's general trainer spends a second on the shipped sets, once per
    process (a test holds the two equal)."""
    samples: Counter[str] = Counter()
    counts: dict[str, Counter[str]] = {YES: Counter(), NO: Counter()}
    for featureset, label in train:
        samples[label] += 1
        counts[label].update(f for f, value in featureset.items() if value)
    out: dict[str, tuple[float, float]] = {}
    for f in counts[YES].keys() | counts[NO].keys():
        c_yes, c_no = counts[YES][f], counts[NO][f]
        # NLTK's bins: the values a feature took, True plus None when some sample lacked it
        bins = 2 if c_yes < samples[YES] or c_no < samples[NO] else 1
        out[f] = (
            (c_yes + 0.5) / (samples[YES] + 0.5 * bins),
            (c_no + 0.5) / (samples[NO] + 0.5 * bins),
        )
    return out


def fit_models(
    examples: Iterable[Example],
    taxonomy: Taxonomy,
    normaliser: Normaliser | None = None,
) -> dict[str, LearnedModel]:
    """Train one model per topic that has at least one label of each kind."""
    norm = normaliser or Normaliser()
    rows = [(norm.features(norm.analyse(ex.text).stems), ex.labels) for ex in examples]
    doc_count: Counter[str] = Counter()
    for feats, _ in rows:
        doc_count.update(feats)
    codebook = Codebook(taxonomy, norm)
    models: dict[str, LearnedModel] = {}
    for t, topic in enumerate(taxonomy.topics):
        labelled = [(f, lab[topic.id]) for f, lab in rows if topic.id in lab]
        positives = sum(1 for _, y in labelled if y)
        negatives = len(labelled) - positives
        if positives == 0 or negatives == 0:
            continue
        pseudo = [(norm.features(stems), YES) for stems in codebook.entry_stems(t)]
        pseudo += [(norm.features(stems), NO) for stems in codebook.exclude_stems(t)]
        vocab = {f for f, n in doc_count.items() if n >= MIN_DOC_COUNT}
        for feats, _ in pseudo:
            vocab |= feats
        train: list[tuple[dict[str, bool], str]] = [
            ({f: True for f in feats if f in vocab}, YES if y else NO) for feats, y in labelled
        ]
        train += [({f: True for f in feats}, label) for feats, label in pseudo if feats]
        present = presence_probabilities(train)
        models[topic.id] = LearnedModel(
            topic_id=topic.id,
            taxonomy_version=taxonomy.version,
            log_prior=math.log((positives + 0.5) / (negatives + 0.5)),
            weights={f: math.log(p) - math.log(q) for f, (p, q) in present.items()},
            positives=positives,
            negatives=negatives,
            present=present,
        )
    return models
