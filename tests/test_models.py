"""Constraints hold in the database itself: unique keys, foreign keys, enum values, UTC times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from tests.sites import site_id
from threads.models import Article, Comment, CommentStatus, Thread, ThreadState


def _article(session: Session, key: str = "url:https://example.org/a", site: str = "a") -> Article:
    return Article(
        site_id=site_id(session, site), key=key, title="A", source_format="text", content_hash="h"
    )


def _thread_with_article(session: Session) -> Thread:
    article = _article(session)
    session.add(article)
    session.flush()
    assert article.id is not None
    thread = Thread(article_id=article.id)
    session.add(thread)
    session.flush()
    return thread


def test_article_key_is_unique_within_its_site(engine: sa.Engine) -> None:
    with Session(engine) as session:
        session.add(_article(session))
        session.commit()
        session.add(_article(session, site="b"))  # another site may use the same key
        session.commit()
        session.add(_article(session))
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()


def test_one_thread_per_article(engine: sa.Engine) -> None:
    with Session(engine) as session:
        thread = _thread_with_article(session)
        session.add(Thread(article_id=thread.article_id))
        with pytest.raises(sa.exc.IntegrityError):
            session.flush()


def test_comment_needs_an_existing_thread(engine: sa.Engine) -> None:
    with Session(engine) as session:
        session.add(Comment(thread_id=9999, key="k", content_hash="c" * 64))
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()


def test_comment_parent_must_exist(engine: sa.Engine) -> None:
    with Session(engine) as session:
        thread = _thread_with_article(session)
        assert thread.id is not None
        session.add(Comment(thread_id=thread.id, parent_id=424242, key="k", content_hash="c"))
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()


def test_comment_key_is_unique_within_a_thread(engine: sa.Engine) -> None:
    with Session(engine) as session:
        thread = _thread_with_article(session)
        assert thread.id is not None
        session.add(Comment(thread_id=thread.id, key="same", content_hash="c"))
        session.add(Comment(thread_id=thread.id, key="same", content_hash="d"))
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()


def test_status_outside_the_enum_is_refused_by_the_database(engine: sa.Engine) -> None:
    with Session(engine) as session:
        thread = _thread_with_article(session)
        session.commit()
        thread_id = thread.id
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO comment (thread_id, position, key, kind, body, body_format, status,"
                " purged, version, report_count, content_hash, extra, created_at, updated_at)"
                " VALUES (:t, 0, 'k', 'comment', '', 'text', 'hidden', false, 1, 0, 'c',"
                " '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"t": thread_id},
        )
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("UPDATE thread SET state = 'gone'"))


def test_enums_and_aware_utc_timestamps_round_trip(engine: sa.Engine) -> None:
    paris = timezone(timedelta(hours=1))
    posted = datetime(2014, 11, 4, 3, 32, tzinfo=paris)
    with Session(engine) as session:
        thread = _thread_with_article(session)
        thread.state = ThreadState.CLOSED
        assert thread.id is not None
        session.add(
            Comment(
                thread_id=thread.id,
                key="k",
                content_hash="c",
                status=CommentStatus.APPROVED,
                posted_at=posted,
                posted_text="November 4, 2014 at 03:32",
            )
        )
        session.commit()
    with Session(engine) as session:
        comment = session.exec(select(Comment)).one()
        assert comment.status is CommentStatus.APPROVED
        assert comment.posted_at == posted
        assert comment.posted_at is not None and comment.posted_at.tzinfo is not None
        assert comment.posted_at.utcoffset() == timedelta(0)
        assert comment.posted_at == datetime(2014, 11, 4, 2, 32, tzinfo=UTC)
        assert session.exec(select(Thread)).one().state is ThreadState.CLOSED
