"""Topics through the HTTP API: a submitted comment is classified at once; the classifier
follows newly trained models."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.api_fixtures import Keys, Seed, client, keys, seed  # noqa: F401
from threads.db import session_scope
from threads.models import Comment, CommentClassification, CommentTopic, LabelSource, TopicModel
from threads.topics.classifier import Classifier
from threads.topics.gold import shipped_models
from threads.topics.service import current_classifier
from threads.topics.taxonomy import load_taxonomy


def test_submitted_comment_is_classified_with_evidence_and_sentiment(
    client: TestClient[Any], engine: Engine, seed: Seed
) -> None:
    body = "Putin will never let the Kremlin give up its gold reserves. Wonderful!"
    response = client.post(
        f"/api/threads/{seed.thread_id}/comments", json={"author_name": "Vera", "body": body}
    )
    assert response.status_code == 201, response.text
    comment_id = response.json()["comment"]["id"]
    with Session(engine) as session:
        labels = session.exec(
            select(CommentTopic).where(CommentTopic.comment_id == comment_id)
        ).all()
        comment = session.get(Comment, comment_id)
    assigned = {label.topic_id for label in labels if label.assigned}
    assert assigned == {"gold_reserves", "russia"}
    assert all(label.source == LabelSource.AUTO for label in labels)
    for label in labels:
        for e in label.evidence:
            assert body[e["start"] : e["end"]] == e["text"]
    assert comment is not None and comment.sentiment is not None and comment.sentiment > 0
    with Session(engine) as session:
        marks = session.exec(
            select(CommentClassification).where(CommentClassification.comment_id == comment_id)
        ).all()
    taxonomy = load_taxonomy(None)
    fingerprint = Classifier(taxonomy, shipped_models(taxonomy)).fingerprint
    assert [(m.codebook, m.fingerprint) for m in marks] == [(taxonomy.name, fingerprint)]


def test_the_cached_classifier_follows_new_models(engine: Engine) -> None:
    taxonomy = load_taxonomy(None)
    with Session(engine) as session:
        first = current_classifier(session, taxonomy)
        assert current_classifier(session, taxonomy) is first
    # without stored models: the models trained on the shipped labelled comments
    assert first.fingerprint == Classifier(taxonomy, shipped_models(taxonomy)).fingerprint
    from threads.topics.learn import Example, fit_models

    model = fit_models(
        [Example("hoard of bars", {"russia": True}), Example("nice day", {"russia": False})],
        taxonomy,
    )["russia"]
    with session_scope(engine) as session:
        session.add(
            TopicModel(
                taxonomy_version=taxonomy.version,
                topic_id="russia",
                algorithm=model.algorithm,
                model=model.to_json(),
                label_count=model.label_count,
            )
        )
    with Session(engine) as session:
        again = current_classifier(session, taxonomy)
    assert again is not first and set(again.models) == {"russia"}
