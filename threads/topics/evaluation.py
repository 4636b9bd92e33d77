"""Honest evaluation: per-topic precision/recall/F1 against a gold file, where the classifier
and the gold set disagree (with the evidence), k-fold cross-validation of the learned layer,
and agreement between moderators (Cohen's kappa, Krippendorff's alpha via NLTK).
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import IO, Any

from nltk.metrics.agreement import AnnotationTask

from threads.errors import InvalidInput
from threads.topics.classifier import Classification, Classifier
from threads.topics.gold import is_builtin, open_builtin, trained_on
from threads.topics.learn import Example, fit_models
from threads.topics.normalise import Normaliser
from threads.topics.taxonomy import Taxonomy

# --------------------------------------------------------------------------- input files


@dataclass(frozen=True)
class Item:
    """One line of an input or gold file: ``topics`` is None in an unlabelled input."""

    id: Any
    body: str
    topics: frozenset[str] | None = None
    coder: str | None = None
    line: int = 0


def read_items(
    source: str | Path,
    *,
    gold: bool,
    taxonomy: Taxonomy | None = None,
    stdin: IO[str] | None = None,
) -> Iterator[Item]:
    """Lines ``{"id": ..., "body": ...}`` (and ``"topics": [...]`` when ``gold``) of a JSONL
    file, ``-`` for standard input, ``builtin:NAME`` for a gold set shipped in the package.
    Blank lines are skipped; any other bad line is an ``InvalidInput`` naming the file, the
    line and the field."""
    name = "<stdin>" if str(source) == "-" else str(source)
    if str(source) == "-":
        yield from _parse_lines(stdin or sys.stdin, name, gold, taxonomy)
        return
    if is_builtin(source):
        with open_builtin(source) as shipped:
            yield from _parse_lines(shipped, name, gold, taxonomy)
        return
    try:
        handle = open(source, encoding="utf-8")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise InvalidInput(f"{name}: cannot read: {exc.strerror}", field="file") from None
    with handle:
        yield from _parse_lines(handle, name, gold, taxonomy)


def _parse_lines(
    lines: Iterable[str], name: str, gold: bool, taxonomy: Taxonomy | None
) -> Iterator[Item]:
    known = set(taxonomy.topic_ids) if taxonomy else None
    n = 0
    try:
        for n, line in enumerate(lines, start=1):  # noqa: B007 (n is used in the error)
            if not line.strip():
                continue
            yield _parse_line(line, f"{name}:{n}", gold, known, n)
    except UnicodeDecodeError:
        raise InvalidInput(f"{name}:{n + 1}: not UTF-8 text", field="file") from None


def parse_item(line: str, at: str, n: int) -> Item:
    """One unlabelled input line ``{"id": ..., "body": ...}``; ``at`` names it in errors."""
    return _parse_line(line, at, False, None, n)


def _parse_line(line: str, at: str, gold: bool, known: set[str] | None, n: int) -> Item:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{at}: not a JSON object: {exc.msg}", field="line") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{at}: expected a JSON object per line", field="line")
    if "id" not in data or not isinstance(data["id"], str | int) or isinstance(data["id"], bool):
        raise InvalidInput(f"{at}: id: expected a string or an integer", field="id")
    body = data.get("body")
    if not isinstance(body, str):
        raise InvalidInput(f"{at}: body: expected a string", field="body")
    topics = None
    if gold:
        raw = data.get("topics")
        if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
            raise InvalidInput(f"{at}: topics: expected a list of topic ids", field="topics")
        if known is not None:
            unknown = [t for t in raw if t not in known]
            if unknown:
                raise InvalidInput(
                    f"{at}: topics: {', '.join(map(repr, unknown))} not in the codebook "
                    f"(it has {', '.join(sorted(known))})",
                    field="topics",
                )
        topics = frozenset(raw)
    coder = data.get("coder")
    if coder is not None and not isinstance(coder, str):
        raise InvalidInput(f"{at}: coder: expected a string", field="coder")
    return Item(id=data["id"], body=body, topics=topics, coder=coder, line=n)


def classification_line(
    item_id: Any, result: Classification, language: str | None = None
) -> dict[str, Any]:
    """The research-mode output line for one input line; ``language`` (the detected one, when
    the codebook has terms in other languages) is added when given."""
    line: dict[str, Any] = {
        "id": item_id,
        "topics": result.topics,
        "scores": result.score_map(),
        "evidence": result.evidence_map(),
    }
    if language is not None:
        line["language"] = language
    return line


# --------------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class Metrics:
    precision: float
    recall: float
    f1: float
    support: int
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @classmethod
    def of(cls, tp: int, fp: int, fn: int) -> Metrics:
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return cls(round(p, 4), round(r, 4), round(f, 4), tp + fn, tp, fp, fn)

    def as_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "support": self.support,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass(frozen=True)
class Disagreement:
    id: Any
    body: str
    gold: list[str]
    predicted: list[str]
    scores: dict[str, float]
    evidence: dict[str, list[dict[str, Any]]]

    @property
    def missed(self) -> list[str]:
        return [t for t in self.gold if t not in self.predicted]

    @property
    def extra(self) -> list[str]:
        return [t for t in self.predicted if t not in self.gold]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "body": self.body,
            "gold": self.gold,
            "predicted": self.predicted,
            "missed": self.missed,
            "extra": self.extra,
            "scores": self.scores,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Evaluation:
    """Scores of a classifier on a gold set."""

    taxonomy: str
    version: str
    method: str
    items: int
    per_topic: dict[str, Metrics]
    micro: Metrics
    macro: dict[str, float]
    exact_match: float
    disagreements: list[Disagreement] = field(default_factory=list)
    #: caveats a reader must see beside the figures
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "notes": self.notes,
            "taxonomy": self.taxonomy,
            "version": self.version,
            "method": self.method,
            "items": self.items,
            "per_topic": {t: m.as_dict() for t, m in self.per_topic.items()},
            "micro": self.micro.as_dict(),
            "macro": self.macro,
            "exact_match": self.exact_match,
            "disagreements": [d.as_dict() for d in self.disagreements],
        }


def score(
    pairs: Sequence[tuple[Item, Classification]], taxonomy: Taxonomy, method: str
) -> Evaluation:
    """Metrics of predictions against gold topics (items must be gold items)."""
    counts = {t: [0, 0, 0] for t in taxonomy.topic_ids}  # tp, fp, fn
    disagreements: list[Disagreement] = []
    exact = 0
    for item, result in pairs:
        gold = item.topics or frozenset()
        predicted = set(result.topics)
        for t in taxonomy.topic_ids:
            if t in predicted and t in gold:
                counts[t][0] += 1
            elif t in predicted:
                counts[t][1] += 1
            elif t in gold:
                counts[t][2] += 1
        if predicted == gold:
            exact += 1
        else:
            order = taxonomy.topic_ids
            disagreements.append(
                Disagreement(
                    id=item.id,
                    body=item.body,
                    gold=[t for t in order if t in gold],
                    predicted=[t for t in order if t in predicted],
                    scores=result.score_map(),
                    evidence=result.evidence_map(),
                )
            )
    per_topic = {t: Metrics.of(*c) for t, c in counts.items()}
    micro = Metrics.of(*(sum(c[i] for c in counts.values()) for i in range(3)))
    n = len(per_topic)
    macro = {
        "precision": round(sum(m.precision for m in per_topic.values()) / n, 4),
        "recall": round(sum(m.recall for m in per_topic.values()) / n, 4),
        "f1": round(sum(m.f1 for m in per_topic.values()) / n, 4),
        "support": sum(m.support for m in per_topic.values()),
    }
    return Evaluation(
        taxonomy=taxonomy.name,
        version=taxonomy.version,
        method=method,
        items=len(pairs),
        per_topic=per_topic,
        micro=micro,
        macro=macro,
        exact_match=round(exact / len(pairs), 4) if pairs else 0.0,
        disagreements=disagreements,
    )


def evaluate(items: Sequence[Item], classifier: Classifier, *, method: str = "") -> Evaluation:
    """Classify every gold item and score the result."""
    pairs = [(item, classifier.classify_text(item.body)[0]) for item in items]
    learned = sorted(classifier.models)
    label = method or (f"codebook + learned ({', '.join(learned)})" if learned else "codebook")
    return score(pairs, classifier.taxonomy, label)


def evaluate_gold(source: str | Path, classifier: Classifier, *, method: str = "") -> Evaluation:
    """``evaluate`` on a gold file or a shipped set (``builtin:NAME``), with a note when the
    classifier's learned layer was trained on that very set."""
    items = list(read_items(source, gold=True, taxonomy=classifier.taxonomy))
    if not items:
        raise InvalidInput(f"{source}: no gold lines", field="--gold")
    result = evaluate(items, classifier, method=method)
    if classifier.models and trained_on(source):
        result.notes.append(
            f"the learned layer was trained on {source}: these figures are not a test of it "
            "(builtin:paraphrase_holdout and builtin:holdout are)"
        )
    return result


def cross_validate(
    items: Sequence[Item], taxonomy: Taxonomy, *, folds: int, seed: int = 0
) -> Evaluation:
    """k-fold cross-validation of the learned layer: each fold is classified by the codebook
    plus models trained on the other folds; predictions are pooled and scored once."""
    if folds < 2:
        raise InvalidInput("--folds: expected at least 2", field="--folds")
    if len(items) < folds:
        raise InvalidInput(
            f"--folds: {folds} folds need at least {folds} gold lines (got {len(items)})",
            field="--folds",
        )
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    norm = Normaliser()
    pairs: list[tuple[Item, Classification]] = []
    for k in range(folds):
        test = [items[i] for j, i in enumerate(order) if j % folds == k]
        train = [items[i] for j, i in enumerate(order) if j % folds != k]
        examples = [
            Example(it.body, {t: t in (it.topics or ()) for t in taxonomy.topic_ids})
            for it in train
        ]
        clf = Classifier(taxonomy, fit_models(examples, taxonomy, norm), norm)
        pairs += [(it, clf.classify_text(it.body)[0]) for it in test]
    pairs.sort(key=lambda p: p[0].line)
    return score(pairs, taxonomy, f"codebook + learned, {folds}-fold cross-validation")


# --------------------------------------------------------------------------- agreement


@dataclass(frozen=True)
class Agreement:
    """Agreement on one topic (or on all, ``topic_id`` "*"); None where undefined."""

    topic_id: str
    items: int
    coders: int
    pairs: int
    kappa: float | None
    alpha: float | None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "topic_id": self.topic_id,
            "items": self.items,
            "coders": self.coders,
            "coder_pairs": self.pairs,
            "kappa": self.kappa,
            "alpha": self.alpha,
            "note": self.note,
        }


def agreement(
    annotations: Iterable[tuple[str, Any, frozenset[str]]], topic_ids: Sequence[str]
) -> list[Agreement]:
    """Per topic and over all topics: Cohen's kappa (mean over coder pairs, each pair on the
    items both coded) and Krippendorff's alpha, on the items coded by at least two coders.

    ``annotations`` are (coder, item, topics the coder gave the item); a coder who coded an item
    judged every topic (absent means "not this topic")."""
    by_item: dict[Any, dict[str, frozenset[str]]] = defaultdict(dict)
    for coder, item, topics in annotations:
        by_item[item][coder] = topics
    shared = {i: c for i, c in by_item.items() if len(c) >= 2}
    out = [_agreement_on(t, shared, lambda ts, t=t: int(t in ts)) for t in topic_ids]
    out.append(_agreement_on("*", shared, None, topic_ids))
    return out


def _agreement_on(
    topic_id: str,
    shared: dict[Any, dict[str, frozenset[str]]],
    value: Any,
    all_topics: Sequence[str] = (),
) -> Agreement:
    data: list[tuple[str, str, int]] = []
    for item, coded in shared.items():
        for coder, topics in coded.items():
            if value is not None:
                data.append((coder, str(item), value(topics)))
            else:  # every (item, topic) pair is a unit
                data += [(coder, f"{item}\x1f{t}", int(t in topics)) for t in all_topics]
    coders = sorted({c for c, _, _ in data})
    if not shared:
        return Agreement(topic_id, 0, len(coders), 0, None, None, "no item coded by two coders")
    kappas: list[float] = []
    pairs = 0
    note = ""
    for a, b in combinations(coders, 2):
        units_a = {i: v for c, i, v in data if c == a}
        units_b = {i: v for c, i, v in data if c == b}
        both = sorted(set(units_a) & set(units_b))
        if not both:
            continue
        pairs += 1
        task = AnnotationTask(
            [(a, i, units_a[i]) for i in both] + [(b, i, units_b[i]) for i in both]
        )
        try:
            kappas.append(task.kappa())
        except (ValueError, ZeroDivisionError):
            note = "kappa undefined for a pair that used one label only"
    try:
        alpha: float | None = float(AnnotationTask(data).alpha())
    except (ValueError, ZeroDivisionError):
        alpha = None
    kappa = round(sum(kappas) / len(kappas), 4) if kappas else None
    return Agreement(
        topic_id,
        len(shared),
        len(coders),
        pairs,
        kappa,
        round(alpha, 4) if alpha is not None else None,
        note,
    )
