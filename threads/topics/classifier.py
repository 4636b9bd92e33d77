"""The topic classifier: codebook scoring (layer 1), learned models (layer 2), their blend.

Layer 1 finds the codebook's terms (single words, matched on stems) and phrases (stem
sequences) in a text, drops matches inside the topic's ``exclude`` phrases, and turns the
weighted matches into a score: each unit of weight leaves 40% of the remaining doubt
(``score = 1 - 0.4 ** evidence``), so one plain match scores 0.6 and passes the default
threshold of 0.5, a weak match (weight 0.5, 0.37) needs company, and repeats add a little.

Layer 2 is a Naive Bayes model per topic learned from labelled comments (``threads.topics.learn``).
With a model the blend happens in log-odds: ``logit(score) = logit(codebook) + (1 - w) * words``
where ``words`` is the model's evidence from the comment's words (its log-likelihood ratios,
without its prior) and ``w = PRIOR_STRENGTH / (PRIOR_STRENGTH + labels)``. The codebook is the
prior; the more labels the model saw, the more its words move the score. A silent codebook
counts as probability 0.02, so the learned words alone assign a topic only when they are strong
and the model has seen many labels; where they do not lift it above that floor the score is 0, as
without a model. Without models the classifier is the codebook alone; by
default the models are those trained on the labelled comments shipped with the package
(``threads.topics.gold``), for the topics whose ids the default codebook shares.
(Measured: a linear blend of the two probabilities let a weak model undo every single-match
label; the log-odds blend kept cross-validated macro F1 within a few points of the codebook's.)

Every score comes with its evidence: each codebook match (term, matched text, character
offsets) and, from layer 2, the words that pushed the score up most.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from threads.topics.learn import LearnedModel
from threads.topics.matcher import Codebook
from threads.topics.normalise import Analysed, Normaliser
from threads.topics.taxonomy import Taxonomy

#: how many labels the codebook is worth when blended with a learned model
PRIOR_STRENGTH = 100.0
#: the codebook's probability floor when it found nothing (the learned words must outweigh it);
#: chosen by 5-fold cross-validation on the shipped training sets (0.02: macro F1 0.82, 0.05:
#: 0.81 with more false alarms, 0.01: 0.81 with fewer finds)
SILENT = 0.02
#: learned words shown as explanation per topic
EXPLAIN_WORDS = 3


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
        #: the languages the codebook has terms in, besides English
        self.languages = frozenset(taxonomy.languages)
        self._pipelines: dict[str, tuple[Normaliser, Codebook]] = {}

    @functools.cached_property
    def fingerprint(self) -> str:
        """The codebook version, plus the learned models' digest when there are any (computed
        once: a submission is classified with it, and the digest serialises every model)."""
        if not self.models:
            return self.taxonomy.version
        digest = "".join(sorted(m.digest for m in self.models.values()))
        if self.languages:
            # the models weigh English texts only (since 2026-12-03): texts in the codebook's
            # other languages are scored again by `threads classify`
            digest += "|english-only"
        return f"{self.taxonomy.version}+{hashlib.sha256(digest.encode()).hexdigest()[:12]}"

    def classify(self, text: str, language: str | None = None) -> Classification:
        """Scores, assigned topics and evidence for one text.

        ``language`` is the text's language (``threads.topics.language.detect_language``): when
        the codebook has terms in it, the text is stemmed with that language's Snowball stemmer
        and matched with those terms only; otherwise (English, undetermined, a language the
        codebook does not cover, or None) with the codebook's English terms. The learned models
        were trained on English stems, so they weigh only texts read with the English terms: on
        a German text they would see unknown words and pull the codebook's score down."""
        if language is not None and language in self.languages:
            normaliser, codebook = self._pipeline(language)
            return self._classify(normaliser.analyse(text), normaliser, codebook, learned=False)
        return self.classify_analysed(self.normaliser.analyse(text))

    def classify_text(self, text: str) -> tuple[Classification, str | None]:
        """``classify`` for a text whose language is not known yet: detected when the codebook
        has terms in languages besides English (and returned), else not (None: the English
        terms apply to every text, so detection would change nothing and cost time)."""
        if not self.languages:
            return self.classify(text), None
        from threads.topics.language import detect_language

        language = detect_language(text)
        return self.classify(text, language), language

    def _pipeline(self, language: str) -> tuple[Normaliser, Codebook]:
        pipeline = self._pipelines.get(language)
        if pipeline is None:
            normaliser = Normaliser(language)
            pipeline = (normaliser, Codebook(self.taxonomy, normaliser, language))
            self._pipelines[language] = pipeline
        return pipeline

    def classify_analysed(self, doc: Analysed) -> Classification:
        """``classify`` for a text already analysed by ``self.normaliser`` (English terms)."""
        return self._classify(doc, self.normaliser, self.codebook)

    def _classify(
        self, doc: Analysed, normaliser: Normaliser, codebook: Codebook, *, learned: bool = True
    ) -> Classification:
        cb_scores, matches = codebook.match(doc)
        features: set[str] | None = None
        out: list[TopicScore] = []
        for t, topic in enumerate(self.taxonomy.topics):
            cb = cb_scores[t]
            evidence = matches[t]
            model = self._models[t] if learned else None
            probability: float | None = None
            score = cb
            if model is not None:
                if features is None:
                    features = normaliser.features(doc.stems)
                logit, contributions = model.logit(features)
                probability = _sigmoid(logit)
                w = PRIOR_STRENGTH / (PRIOR_STRENGTH + model.label_count)
                p = min(0.98, max(SILENT, cb))
                score = _sigmoid(math.log(p / (1 - p)) + (1 - w) * (logit - model.log_prior))
                if cb == 0.0 and score <= SILENT:
                    # the words did not lift a silent codebook off its floor: no sign of the
                    # topic, as without a model (and no label row to store)
                    score = 0.0
                else:
                    evidence = evidence + _learned_evidence(doc, contributions, evidence)
            score = round(min(1.0, max(0.0, score)), 4)
            out.append(
                TopicScore(
                    topic_id=topic.id,
                    score=score,
                    assigned=score >= self._thresholds[t],
                    codebook=round(cb, 4),
                    learned=round(probability, 4) if probability is not None else None,
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
    doc: Analysed, contributions: list[tuple[str, float]], matched: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The learned words that pushed the score up most, located at their first occurrence;
    words the codebook already matched there are not repeated. ``term`` is the word as
    written (lower case), ``stem`` what the model knows."""
    spans = [(e["start"], e["end"]) for e in matched]
    out: list[dict[str, Any]] = []
    for stem, weight in sorted(contributions, key=lambda c: (-c[1], c[0])):
        if weight <= 0 or len(out) >= EXPLAIN_WORDS:
            break
        try:
            i = doc.stems.index(stem)
        except ValueError:
            continue
        start, end = doc.span(i)
        if any(a <= start and end <= b for a, b in spans):
            continue
        out.append(
            {
                "term": doc.surface(i).lower(),
                "stem": stem,
                "text": doc.surface(i),
                "start": start,
                "end": end,
                "weight": round(weight, 3),
                "layer": "learned",
            }
        )
    return out
