"""Helpers shared by the moderation tests: build articles, threads and comments directly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.sites import site_id
from threads.db import session_scope
from threads.identity import author_key
from threads.models import (
    Article,
    Comment,
    CommentStatus,
    EventTarget,
    ModerationEvent,
    Thread,
)
from threads.moderation.matching import content_hash_of

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def make_thread(
    engine: Engine,
    *,
    title: str = "Gold reserves",
    published_at: datetime | None = T0,
    key: str | None = None,
    **thread_fields: Any,
) -> int:
    with session_scope(engine) as session:
        n = session.execute(sa.select(sa.func.count()).select_from(Article)).scalar_one()
        article = Article(
            site_id=site_id(session),
            key=key or f"test:{n}:{title}",
            title=title,
            source_format="test",
            content_hash="h" * 64,
            published_at=published_at,
        )
        session.add(article)
        session.flush()
        assert article.id is not None
        thread = Thread(article_id=article.id, **thread_fields)
        session.add(thread)
        session.flush()
        assert thread.id is not None
        return thread.id


def make_thread_before_sites(engine: Engine) -> int:
    """A thread in a database at a revision before sites (0001-0003), written with plain SQL."""
    now = datetime.now(UTC)
    article = sa.table(
        "article",
        *(sa.column(n) for n in ("id", "key", "title", "source_format", "content_hash")),
        *(sa.column(n) for n in ("authors", "body", "extra", "created_at", "updated_at")),
    )
    thread = sa.table(
        "thread",
        *(sa.column(n) for n in ("id", "article_id", "state", "version", "extra")),
        *(sa.column(n) for n in ("created_at", "updated_at")),
    )
    with engine.begin() as conn:
        article_id = conn.execute(
            sa.insert(article)
            .values(key="test:old", title="Old", source_format="test", content_hash="h" * 64)
            .values(authors="[]", body="", extra="{}", created_at=now, updated_at=now)
            .returning(article.c.id)
        ).scalar_one()
        return int(
            conn.execute(
                sa.insert(thread)
                .values(article_id=article_id, state="open", version=1, extra="{}")
                .values(created_at=now, updated_at=now)
                .returning(thread.c.id)
            ).scalar_one()
        )


def make_comment(
    engine: Engine,
    thread_id: int,
    *,
    body: str = "A thoughtful comment about gold.",
    status: CommentStatus = CommentStatus.PENDING,
    author: str = "Alice",
    email: str | None = None,
    posted_at: datetime | None = T0,
    parent_id: int | None = None,
    report_count: int = 0,
    **fields: Any,
) -> int:
    with session_scope(engine) as session:
        n = session.execute(
            sa.select(sa.func.count()).select_from(Comment).where(Comment.thread_id == thread_id)
        ).scalar_one()
        comment = Comment(
            thread_id=thread_id,
            parent_id=parent_id,
            position=n,
            key=f"c{n}",
            author_name=author,
            author_email=email,
            author_key=author_key(email, author),
            posted_at=posted_at,
            body=body,
            status=status,
            content_hash=content_hash_of(body),
            report_count=report_count,
            **fields,
        )
        session.add(comment)
        session.flush()
        assert comment.id is not None
        return comment.id


def make_comment_before(engine: Engine, thread_id: int, *, status: CommentStatus) -> int:
    """A comment in a database at an older revision: the columns of today's model that the
    table has there, written with plain SQL (the model has columns later migrations add)."""
    table = sa.Table("comment", sa.MetaData(), autoload_with=engine)
    body = "A thoughtful comment about gold."
    with engine.begin() as conn:
        n = conn.execute(
            sa.select(sa.func.count()).select_from(table).where(table.c.thread_id == thread_id)
        ).scalar_one()
        now = datetime.now(UTC)
        values = {
            "thread_id": thread_id,
            "position": n,
            "key": f"c{n}",
            "kind": "comment",
            "author_name": "Alice",
            "author_key": author_key(None, "Alice"),
            "posted_at": T0,
            "body": body,
            "body_format": "text",
            "status": status.value,
            "purged": False,
            "version": 1,
            "report_count": 0,
            "content_hash": content_hash_of(body),
            "extra": "{}",
            "created_at": now,
            "updated_at": now,
        }
        values = {k: v for k, v in values.items() if k in table.c}
        return int(conn.execute(sa.insert(table).values(values).returning(table.c.id)).scalar_one())


def get_comment(engine: Engine, comment_id: int) -> Comment:
    with Session(engine) as session:
        comment = session.get(Comment, comment_id)
        assert comment is not None
        session.expunge(comment)
        return comment


def get_thread(engine: Engine, thread_id: int) -> Thread:
    with Session(engine) as session:
        thread = session.get(Thread, thread_id)
        assert thread is not None
        session.expunge(thread)
        return thread


def events(
    engine: Engine, target_id: int | None = None, target: EventTarget = EventTarget.COMMENT
) -> list[ModerationEvent]:
    with Session(engine) as session:
        stmt = select(ModerationEvent).where(ModerationEvent.target_type == target)
        if target_id is not None:
            stmt = stmt.where(ModerationEvent.target_id == target_id)
        return list(session.exec(stmt.order_by(ModerationEvent.id)))


def count(engine: Engine, model: type[Any]) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())
