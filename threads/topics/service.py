"""Classifying stored comments, training layer 2 from moderator labels, loading models.

``classify_stored`` works incrementally: a comment is (re)classified when it was never
classified, when its body changed since (content hash), or when it was classified under another
codebook version or other learned models (the classifier's fingerprint). Work is committed in
batches, each batch in one transaction, so an interrupted run leaves every comment either
classified or not, and the next run picks up where it stopped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from threads.body_text import plain_text
from threads.db import session_scope
from threads.db.queries import labels as labels_q
from threads.db.queries import topics as q
from threads.db.types import utcnow
from threads.errors import NotFound
from threads.models import Comment, LabelSource, Thread, TopicModel
from threads.once import BuiltOnce
from threads.topics.classifier import Classification, Classifier
from threads.topics.gold import shipped_examples, shipped_models, shipped_topics
from threads.topics.language import detect_language, has_sentiment
from threads.topics.learn import FEW_LABELS, Example, LearnedModel, TopicLabels, fit_models
from threads.topics.sentiment import sentiment_of
from threads.topics.taxonomy import Taxonomy

BATCH_SIZE = 500

Progress = Callable[[int, int], None]


@dataclass
class ClassifyStats:
    """What a classification run did."""

    taxonomy: str
    version: str
    fingerprint: str
    learned_topics: list[str]
    considered: int = 0
    classified: int = 0
    purged: int = 0
    by_topic: Counter[str] = field(default_factory=Counter)
    unlabelled: int = 0
    #: classified comments per detected language ("und": undetermined)
    languages: Counter[str] = field(default_factory=Counter)
    #: classified comments without sentiment (no lexicon for their language), per language
    sentiment_na: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "taxonomy": self.taxonomy,
            "version": self.version,
            "fingerprint": self.fingerprint,
            "learned_topics": self.learned_topics,
            "considered": self.considered,
            "classified": self.classified,
            "purged_skipped": self.purged,
            "by_topic": dict(self.by_topic),
            "no_topic": self.unlabelled,
            "languages": dict(sorted(self.languages.items())),
            "sentiment_na": dict(sorted(self.sentiment_na.items())),
        }


def load_models(session: Session, taxonomy: Taxonomy) -> dict[str, LearnedModel]:
    """The learned models stored for this codebook version (topics without one are absent)."""
    known = set(taxonomy.topic_ids)
    models = {}
    for row in q.models_for(session, taxonomy.version):
        if row.topic_id in known:
            models[row.topic_id] = LearnedModel.from_json(row.model)
    return models


def build_classifier(session: Session, taxonomy: Taxonomy) -> Classifier:
    """The classifier for stored comments: the codebook plus the learned models stored for it
    (``threads train``), or else those trained on the shipped labelled comments."""
    return Classifier(taxonomy, load_models(session, taxonomy) or shipped_models(taxonomy))


#: classifiers per codebook content and stored models; one thread builds, the others wait
#: (32 submissions arriving together on a fresh server each fitted the shipped models, 0.6 s of
#: CPU, under one GIL)
_CACHE: BuiltOnce[tuple[str, tuple[tuple[str, Any, int], ...]], Classifier] = BuiltOnce(limit=4)


def current_classifier(session: Session, taxonomy: Taxonomy) -> Classifier:
    """``build_classifier``, reused while the codebook and the stored models stay the same (one
    small query per call instead of compiling the codebook for every submitted comment)."""
    key = (taxonomy.content_hash, q.model_stamps(session, taxonomy.version))
    return _CACHE.get(key, lambda: build_classifier(session, taxonomy))


def _label_rows(
    comment_id: int, result: Classification, taxonomy: Taxonomy, now: Any
) -> list[dict[str, Any]]:
    return [
        {
            "comment_id": comment_id,
            "codebook": taxonomy.name,
            "topic_id": s.topic_id,
            "score": s.score,
            "assigned": s.assigned,
            "evidence": s.evidence,
            "source": LabelSource.AUTO,
            "labeler": "",
            "taxonomy_version": taxonomy.version,
            "created_at": now,
        }
        for s in result.scores
        if s.score > 0
    ]


def classify_comments(
    session: Session,
    comments: Sequence[Comment],
    taxonomy: Taxonomy,
    *,
    classifier: Classifier | None = None,
) -> None:
    """Classify comments held in ``session`` (for instance one just submitted) with
    ``taxonomy``: replace that codebook's automatic labels on them, record the classification
    and store their sentiment."""
    if not comments:
        return
    clf = classifier or current_classifier(session, taxonomy)
    session.flush()
    now = utcnow()
    rows: list[dict[str, Any]] = []
    marks: list[dict[str, Any]] = []
    for comment in comments:
        if comment.id is None:
            raise ValueError("classify_comments needs stored comments (flushed, with ids)")
        text = "" if comment.purged else plain_text(comment.body, comment.body_format)
        language = detect_language(text) if text else None
        result = clf.classify(text, language)
        rows += _label_rows(comment.id, result, taxonomy, now) if text else []
        scores = sentiment_of(text) if has_sentiment(language) else None
        comment.sentiment = scores["compound"] if scores else None
        comment.sentiment_scores = scores
        comment.language = language
        marks.append(
            {"cid": comment.id, "fingerprint": clf.fingerprint, "hash": comment.content_hash}
        )
    q.replace_auto_labels(session, taxonomy.name, [m["cid"] for m in marks], rows)
    q.mark_classified(session, taxonomy.name, marks)
    session.flush()


def classify_stored(
    engine: Engine,
    taxonomy: Taxonomy,
    *,
    thread_id: int | None = None,
    everything: bool = False,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
    jobs: int = 1,
) -> ClassifyStats:
    """Classify the stored comments that need it (all of them with ``everything``), of one
    thread or of all; ``progress(done, total)`` is called after each batch. ``jobs`` worker
    processes classify the batches; this process reads them and writes every result, in id
    order, so the labels are the same whatever ``jobs`` is."""
    from threads.topics.parallel import ordered_map, stored_chunk

    with session_scope(engine) as session:
        if thread_id is not None and session.get(Thread, thread_id) is None:
            raise NotFound(f"thread {thread_id} does not exist")
        clf = build_classifier(session, taxonomy)
        total = q.count_to_classify(
            session, taxonomy.name, clf.fingerprint, thread_id=thread_id, everything=everything
        )
    stats = ClassifyStats(
        taxonomy=taxonomy.name,
        version=taxonomy.version,
        fingerprint=clf.fingerprint,
        learned_topics=sorted(clf.models),
    )
    if progress:
        progress(0, total)

    def batches() -> Iterator[tuple[list[q.CommentText], list[tuple[str, str]]]]:
        # read in sessions of their own: batches are read ahead while earlier ones are written
        after = 0
        while True:
            with session_scope(engine) as session:
                batch = q.comments_to_classify(
                    session,
                    taxonomy.name,
                    clf.fingerprint,
                    thread_id=thread_id,
                    everything=everything,
                    after_id=after,
                    limit=batch_size,
                )
            if not batch:
                return
            after = batch[-1].id
            yield batch, [("" if c.purged else c.body, c.body_format) for c in batch]

    for batch, results in ordered_map(
        stored_chunk, batches(), jobs=jobs, taxonomy=taxonomy, models=clf.models
    ):
        now = utcnow()
        labels: list[dict[str, Any]] = []
        marks: list[dict[str, Any]] = []
        for c, (result, scores, detected) in zip(batch, results, strict=True):
            stats.considered += 1
            sentiment: dict[str, float] | None = None
            language: str | None = None
            if c.purged:
                stats.purged += 1
            else:
                labels += _label_rows(c.id, result, taxonomy, now)
                stats.by_topic.update(result.topics)
                stats.unlabelled += not result.topics
                stats.classified += 1
                language = detected
                stats.languages[language] += 1
                if scores is None:
                    stats.sentiment_na[language] += 1
                sentiment = scores
            marks.append(
                {
                    "cid": c.id,
                    "fingerprint": clf.fingerprint,
                    "hash": c.content_hash,
                    "sentiment": sentiment["compound"] if sentiment else None,
                    "scores": sentiment,
                    "language": language,
                }
            )
        with session_scope(engine) as session:
            q.replace_auto_labels(session, taxonomy.name, [c.id for c in batch], labels)
            q.mark_classified(session, taxonomy.name, marks)
            q.store_sentiment(session, marks)  # and the language
        if progress:
            progress(min(stats.considered, total), total)
    return stats


# --------------------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainResult:
    """What ``train_models`` learned: labels per topic, the topics with a model, warnings."""

    taxonomy: str
    version: str
    labels: list[TopicLabels]
    trained: list[str]
    warnings: list[str]
    reviewed_comments: int
    #: shipped labelled comments trained on (0 when the codebook shares no topic id with them)
    shipped_comments: int = 0
    #: the topics the shipped comments are labelled for
    shipped_topics: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "taxonomy": self.taxonomy,
            "version": self.version,
            "reviewed_comments": self.reviewed_comments,
            "shipped_comments": self.shipped_comments,
            "shipped_topics": self.shipped_topics,
            "labels": {
                t.topic_id: {"positive": t.positives, "negative": t.negatives, "total": t.total}
                for t in self.labels
            },
            "trained": self.trained,
            "warnings": self.warnings,
        }


def moderator_examples(session: Session, taxonomy: Taxonomy) -> list[Example]:
    """Training examples from the comments moderators labelled.

    For such a comment and a topic: the newest moderator label decides; without one, the topic
    counts as absent unless the classifier assigned it (then the comment says nothing about it).
    """
    known = set(taxonomy.topic_ids)
    decided: dict[int, dict[str, bool]] = {}
    auto: dict[int, set[str]] = {}
    for row in q.labels_of_reviewed_comments(session, taxonomy.name):
        if row.topic_id not in known or not row.decides:
            continue
        if row.source == LabelSource.MODERATOR:
            decided.setdefault(row.comment_id, {})[row.topic_id] = row.assigned
        elif row.assigned:
            auto.setdefault(row.comment_id, set()).add(row.topic_id)
    bodies = q.comment_bodies(session, list(decided))
    examples: list[Example] = []
    for cid, labels in decided.items():
        if cid not in bodies:
            continue  # purged since
        full = dict(labels)
        for topic_id in taxonomy.topic_ids:
            if topic_id not in full and topic_id not in auto.get(cid, set()):
                full[topic_id] = False
        body, fmt = bodies[cid]
        examples.append(Example(plain_text(body, fmt), full))
    return examples


def train_models(session: Session, taxonomy: Taxonomy, *, shipped: bool = True) -> TrainResult:
    """Fit layer 2 on the labelled comments shipped with the package (for the topics whose ids
    the default codebook shares; not with ``shipped=False``) together with this database's
    moderator labels, and store the models for this codebook version (replacing earlier ones).
    Topics without both kinds of label get no model."""
    from threads.topics.learn import count_labels

    reviewed = moderator_examples(session, taxonomy)
    packaged = shipped_examples(taxonomy) if shipped else []
    examples = packaged + reviewed
    counts = count_labels(examples, taxonomy)
    models = fit_models(examples, taxonomy)
    warnings = []
    for c in counts:
        if c.topic_id not in models:
            warnings.append(
                f"{c.topic_id}: no model ({c.positives} positive, {c.negatives} negative labels;"
                " both kinds are needed): the codebook alone classifies it"
            )
        elif c.total < FEW_LABELS or c.positives < 5:
            warnings.append(
                f"{c.topic_id}: only {c.total} labels ({c.positives} positive); under "
                f"{FEW_LABELS} the learned model is weak and the codebook dominates"
            )
    now = utcnow()
    q.replace_models(
        session,
        taxonomy.version,
        [
            TopicModel(
                taxonomy_version=taxonomy.version,
                topic_id=m.topic_id,
                algorithm=m.algorithm,
                model=m.to_json(),
                label_count=m.label_count,
                trained_at=now,
            )
            for m in models.values()
        ],
    )
    return TrainResult(
        taxonomy=taxonomy.name,
        version=taxonomy.version,
        labels=counts,
        trained=sorted(models),
        warnings=warnings,
        reviewed_comments=len(reviewed),
        shipped_comments=len(packaged),
        shipped_topics=shipped_topics(taxonomy) if packaged else [],
    )


def moderator_annotations(
    session: Session, taxonomy: Taxonomy
) -> list[tuple[str, int, frozenset[str]]]:
    """(moderator, comment, topics the moderator gave it) for every comment a moderator
    labelled: the input of ``threads.topics.evaluation.agreement``."""
    known = set(taxonomy.topic_ids)
    given: dict[tuple[str, int], set[str]] = {}
    for row in q.labels_of_reviewed_comments(session, taxonomy.name):
        if row.source != LabelSource.MODERATOR or row.topic_id not in known:
            continue
        topics = given.setdefault((row.labeler, row.comment_id), set())
        if row.assigned:
            topics.add(row.topic_id)
        else:
            topics.discard(row.topic_id)
    return [(coder, cid, frozenset(ts)) for (coder, cid), ts in sorted(given.items())]


# --------------------------------------------------------------------------- codebooks


@dataclass(frozen=True)
class CodebookInfo:
    """One codebook as the database knows it: its labels, and whether it is the configured one."""

    name: str
    #: the versions its stored labels were made with, sorted
    versions: list[str]
    automatic_labels: int
    moderator_labels: int
    #: comments with at least one label of it
    labelled_comments: int
    #: comments classified with it (any version)
    classified_comments: int
    newest_label_at: Any
    configured: bool
    #: the configured file's version, when this is the configured codebook
    configured_version: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "versions": self.versions,
            "automatic_labels": self.automatic_labels,
            "moderator_labels": self.moderator_labels,
            "labelled_comments": self.labelled_comments,
            "classified_comments": self.classified_comments,
            "newest_label_at": self.newest_label_at.isoformat() if self.newest_label_at else None,
            "configured": self.configured,
            "configured_version": self.configured_version,
        }


def list_codebooks(session: Session, configured: Taxonomy | None = None) -> list[CodebookInfo]:
    """Every codebook with labels or classifications in the database, by name, plus the
    configured one (even before it labelled anything)."""
    classified = labels_q.classified_counts(session)
    found: dict[str, CodebookInfo] = {}
    for row in labels_q.codebook_summaries(session):
        name = str(row.codebook)
        found[name] = CodebookInfo(
            name=name,
            versions=labels_q.codebook_versions(session, name),
            automatic_labels=int(row.auto or 0),
            moderator_labels=int(row.moderator or 0),
            labelled_comments=int(row.comments or 0),
            classified_comments=classified.get(name, 0),
            newest_label_at=row.newest,
            configured=configured is not None and configured.name == name,
            configured_version=configured.version
            if configured is not None and configured.name == name
            else None,
        )
    for name, n in classified.items():
        if name not in found:
            found[name] = CodebookInfo(name, [], 0, 0, 0, n, None, False)
    if configured is not None and configured.name not in found:
        found[configured.name] = CodebookInfo(
            configured.name, [], 0, 0, 0, 0, None, True, configured.version
        )
    if configured is not None:
        info = found[configured.name]
        found[configured.name] = CodebookInfo(
            **{**info.__dict__, "configured": True, "configured_version": configured.version}
        )
    return [found[name] for name in sorted(found)]
