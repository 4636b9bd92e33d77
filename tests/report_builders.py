"""A small deterministic dataset for the report tests, built directly with the models."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.sites import site_id
from threads.models import (
    ActorType,
    Article,
    Comment,
    CommentKind,
    CommentStatus,
    CommentTopic,
    EventTarget,
    LabelSource,
    ModerationEvent,
    Thread,
    ThreadState,
)

TAXONOMY_VERSION = "test-v1"


def at(day: int, hour: int = 12, month: int = 11) -> datetime:
    return datetime(2014, month, day, hour, 0, tzinfo=UTC)


@dataclass
class Built:
    threads: dict[str, int] = field(default_factory=dict)
    comments: dict[str, int] = field(default_factory=dict)


def evidence(body: str, term: str, weight: float = 1.0) -> dict[str, Any]:
    start = body.lower().index(term.lower())
    return {
        "term": term.lower(),
        "text": body[start : start + len(term)],
        "start": start,
        "end": start + len(term),
        "weight": weight,
    }


class Builder:
    """Adds articles, threads, comments and labels in one session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.built = Built()
        self._n = 0

    def thread(self, name: str, title: str, **thread_fields: Any) -> Thread:
        article = Article(
            site_id=site_id(self.session),
            key=f"test:{name}",
            title=title,
            byline=thread_fields.pop("byline", "By A. Writer"),
            source_url=f"https://example.org/{name}",
            published_at=thread_fields.pop("published_at", at(1, 9)),
            source_format="text",
            content_hash="a" * 64,
        )
        self.session.add(article)
        self.session.flush()
        assert article.id is not None
        thread = Thread(article_id=article.id, **thread_fields)
        self.session.add(thread)
        self.session.flush()
        assert thread.id is not None
        self.built.threads[name] = thread.id
        return thread

    def comment(
        self,
        name: str,
        thread: str,
        body: str,
        *,
        author: str | None,
        posted_at: datetime | None,
        parent: str | None = None,
        status: CommentStatus = CommentStatus.APPROVED,
        kind: CommentKind = CommentKind.COMMENT,
        sentiment: float | None = None,
    ) -> Comment:
        self._n += 1
        comment = Comment(
            thread_id=self.built.threads[thread],
            parent_id=self.built.comments[parent] if parent else None,
            position=self._n,
            key=f"k{self._n}",
            kind=kind,
            author_name=author,
            author_key=author.lower() if author else None,
            posted_at=posted_at,
            body=body,
            status=status,
            sentiment=sentiment,
            content_hash=f"{self._n:064d}",
        )
        self.session.add(comment)
        self.session.flush()
        assert comment.id is not None
        self.built.comments[name] = comment.id
        return comment

    def label(
        self,
        comment: str,
        topic: str,
        score: float,
        *,
        terms: tuple[str, ...] = (),
        assigned: bool = True,
        moderator: str | None = None,
    ) -> None:
        row = self.session.get(Comment, self.built.comments[comment])
        assert row is not None
        self.session.add(
            CommentTopic(
                comment_id=row.id,
                topic_id=topic,
                score=score,
                assigned=assigned,
                evidence=[evidence(row.body, t) for t in terms],
                source=LabelSource.MODERATOR if moderator else LabelSource.AUTO,
                labeler=moderator or "",
                taxonomy_version=TAXONOMY_VERSION,
            )
        )
        self.session.flush()

    def event(
        self,
        thread: str,
        comment: str | None,
        actor: str,
        action: str,
        when: datetime,
        *,
        from_state: str | None = None,
        to_state: str | None = None,
        reason: str | None = None,
    ) -> None:
        self.session.add(
            ModerationEvent(
                target_type=EventTarget.COMMENT if comment else EventTarget.THREAD,
                target_id=self.built.comments[comment] if comment else self.built.threads[thread],
                thread_id=self.built.threads[thread],
                actor=actor,
                actor_type=ActorType.USER,
                action=action,
                from_state=from_state,
                to_state=to_state,
                reason=reason,
                created_at=when,
            )
        )
        self.session.flush()


def build_dataset(engine: Engine) -> Built:
    """Three threads: a lively open one, a closed one, an empty one.

    Effective topics (assigned, moderator overrides auto):
      gold:   c1 (0.9), c6 (0.8)              c2's gold is unassigned by a moderator
      russia: c2 (0.7), c3 (1.0, moderator), c7 (0.6)
      p5:     c4 (0.8), c7 (0.5)
    Counted comments (default statuses, no spam/deleted): t1: c1 c2 c3 c4 ; t2: c6 c7 c8
    """
    with Session(engine) as session:
        b = Builder(session)
        b.thread("gold", "Gold reserves and the ruble")
        b.thread(
            "talks",
            "Iran talks: the P5+1 at the table",
            byline="By B. Reporter",
            published_at=at(20, 8),
            state=ThreadState.CLOSED,
            closed_at=at(5, 10, month=12),
            closed_by="editor",
            close_reason="Comments are closed.",
        )
        b.thread("quiet", "A quiet page", published_at=at(25, 8))

        long_tail = " ".join(["The vaults in Moscow keep growing while sanctions bite."] * 14)
        b.comment(
            "c1",
            "gold",
            "Russia keeps buying gold; gold reserves are the central bank's hedge. " + long_tail,
            author="Alice",
            posted_at=at(2, 10),
            sentiment=0.42,
        )
        b.comment(
            "c2",
            "gold",
            "The ruble fell again and Putin blames the West for the sanctions.",
            author="Bob",
            posted_at=at(2, 11),
            parent="c1",
            sentiment=-0.51,
        )
        b.comment(
            "c3",
            "gold",
            "Moscow will not care what the Kremlin critics say.",
            author="Carol",
            posted_at=at(3, 9),
            parent="c2",
            status=CommentStatus.PENDING,
        )
        b.comment(
            "c4",
            "gold",
            "Negotiators from the P5+1 meet in Vienna about enrichment and centrifuges.",
            author="Dave",
            posted_at=at(3, 15),
            status=CommentStatus.FLAGGED,
            sentiment=0.0,
        )
        b.comment(
            "c5",
            "gold",
            "Cheap watches at example dot com, gold plated!",
            author="Spammer",
            posted_at=at(3, 16),
            status=CommentStatus.SPAM,
        )
        b.comment(
            "p1",
            "gold",
            "[...] a pingback from another blog [...]",
            author="Other Blog",
            posted_at=at(4, 8),
            kind=CommentKind.PINGBACK,
        )
        b.comment(
            "c6",
            "talks",
            "Iran wants gold for oil if the sanctions stay.",
            author="Alice",
            posted_at=at(21, 9),
            sentiment=0.1,
        )
        b.comment(
            "c7",
            "talks",
            "Russia sits with the P5+1 but Moscow has its own enrichment deal in mind.",
            author="Erin",
            posted_at=at(3, 9, month=12),
            sentiment=-0.2,
        )
        b.comment(
            "c8",
            "talks",
            "Nice article, thanks.",
            author="Alice",
            posted_at=at(4, 9, month=12),
            sentiment=0.7,
        )

        b.label("c1", "gold", 0.9, terms=("gold reserves", "gold"))
        b.label("c1", "russia", 0.2, terms=("Russia",), assigned=False)
        b.label("c2", "russia", 0.7, terms=("ruble", "Putin"))
        b.label("c2", "gold", 0.4, terms=())
        b.label("c2", "gold", 0.0, assigned=False, moderator="mod-anna")
        b.label("c3", "russia", 1.0, moderator="mod-anna")
        b.label("c4", "p5", 0.8, terms=("P5+1", "enrichment"))
        b.label("c5", "gold", 0.95, terms=("gold",))
        b.label("c6", "gold", 0.8, terms=("gold",))
        b.label("c7", "russia", 0.6, terms=("Russia", "Moscow"))
        b.label("c7", "p5", 0.5, terms=("P5+1",))

        b.event(
            "gold",
            "c5",
            "mod-anna",
            "spam",
            at(3, 17),
            from_state="approved",
            to_state="spam",
            reason="link farm",
        )
        b.event(
            "gold",
            "c4",
            "rules",
            "flag",
            at(3, 15),
            from_state="approved",
            to_state="flagged",
            reason="word list: mild",
        )
        b.event("gold", "c3", "mod-anna", "label", at(3, 18), reason="russia")
        b.event(
            "talks",
            None,
            "editor",
            "close",
            at(5, 10, month=12),
            from_state="open",
            to_state="closed",
            reason="Comments are closed.",
        )
        session.commit()
        return b.built
