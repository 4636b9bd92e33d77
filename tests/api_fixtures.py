"""Fixtures for the API tests: the real app over the per-test database, keys and seeded data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.sites import site_id
from threads.api import create_app
from threads.config import Settings
from threads.db import session_scope
from threads.keys import create_key, revoke_key
from threads.models import (
    Article,
    Comment,
    CommentStatus,
    CommentTopic,
    LabelSource,
    Role,
    Thread,
    ThreadState,
)
from threads.moderation.audit import Actor

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
SETUP = Actor.user("test-setup")


@dataclass
class Keys:
    viewer: str
    moderator: str
    admin: str
    revoked: str

    def of(self, role: str) -> str:
        return str(getattr(self, role))

    @staticmethod
    def header(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


@dataclass
class Seed:
    thread_id: int
    closed_thread_id: int
    #: comment ids by status in the open thread
    by_status: dict[str, int]
    #: an approved reply to the first approved comment
    reply_id: int
    #: a pending reply under the approved comment, with an approved reply below it
    hidden_parent_id: int
    grandchild_id: int


def make_keys(engine: Engine) -> Keys:
    with session_scope(engine) as session:
        secrets = {
            role.value: create_key(session, f"{role.value}-key", role, actor=SETUP).secret
            for role in Role
        }
        revoked = create_key(session, "old-key", Role.ADMIN, actor=SETUP).secret
        revoke_key(session, "old-key", actor=SETUP)
    return Keys(secrets["viewer"], secrets["moderator"], secrets["admin"], revoked)


def _comment(session: Session, thread_id: int, n: int, status: CommentStatus, **kw: Any) -> int:
    comment = Comment(
        thread_id=thread_id,
        position=n,
        key=f"c{n}",
        author_name=kw.pop("author_name", f"author {n}"),
        author_email=kw.pop("author_email", f"a{n}@example.org"),
        author_key=f"a{n}@example.org",
        posted_at=T0 + timedelta(minutes=n),
        body=kw.pop("body", f"comment number {n} about gold reserves"),
        status=status,
        content_hash=f"h{n}",
        **kw,
    )
    session.add(comment)
    session.flush()
    assert comment.id is not None
    return comment.id


def seed_data(engine: Engine) -> Seed:
    with session_scope(engine) as session:
        article = Article(
            site_id=site_id(session),
            key="url:https://example.org/a",
            title="Gold and the P5+1",
            source_url="https://example.org/a",
            published_at=T0,
            source_format="text",
            content_hash="a" * 64,
        )
        closed_article = Article(
            site_id=site_id(session),
            key="url:https://example.org/b",
            title="Closed one",
            source_format="text",
            content_hash="b" * 64,
        )
        session.add_all([article, closed_article])
        session.flush()
        assert article.id and closed_article.id
        thread = Thread(article_id=article.id)
        closed = Thread(
            article_id=closed_article.id,
            state=ThreadState.CLOSED,
            closed_at=T0,
            close_reason="enough said",
            closed_by="user:editor",
        )
        session.add_all([thread, closed])
        session.flush()
        assert thread.id and closed.id
        by_status = {
            status.value: _comment(session, thread.id, i, status)
            for i, status in enumerate(CommentStatus)
        }
        approved = by_status["approved"]
        reply = _comment(session, thread.id, 10, CommentStatus.APPROVED, parent_id=approved)
        hidden = _comment(session, thread.id, 11, CommentStatus.PENDING, parent_id=approved)
        grandchild = _comment(session, thread.id, 12, CommentStatus.APPROVED, parent_id=hidden)
        _comment(session, closed.id, 0, CommentStatus.APPROVED)
        session.add(
            CommentTopic(
                comment_id=approved,
                topic_id="gold",
                score=0.9,
                source=LabelSource.AUTO,
                taxonomy_version="t1",
            )
        )
    return Seed(thread.id, closed.id, by_status, reply, hidden, grandchild)


def plant_aliases(engine: Engine, thread_id: int, sizes: tuple[int, ...] = (3, 2, 2)) -> None:
    """Alias campaigns on the thread: for each size, one e-mail under that many names."""
    with session_scope(engine) as session:
        for group, size in enumerate(sizes):
            email = f"sock{group}@puppet.example"
            for k in range(size):
                n = 100 + 10 * group + k
                _comment(
                    session,
                    thread_id,
                    n,
                    CommentStatus.PENDING,
                    author_name=f"Sock {group}-{k}",
                    author_email=email,
                    body=f"comment number {n} from sock puppet {group}",
                )


@pytest.fixture
def keys(engine: Engine) -> Keys:
    return make_keys(engine)


@pytest.fixture
def seed(engine: Engine) -> Seed:
    return seed_data(engine)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with our fields; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    for name in ("type", "title", "status", "detail", "code"):
        assert name in body, f"problem without {name}: {body}"
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["type"].endswith(body["code"])
    if code is not None:
        assert body["code"] == code, body
    return body
