"""A moderator's topic labels: add or deny topics on a comment, audited.

A moderator label is kept per (codebook, comment, topic, moderator). An added topic is
``assigned``; a removed one is kept as the moderator's "not this topic" (``assigned`` False).
The newest moderator label of a topic wins over older ones and over the automatic label (the
rule in ``threads.db.queries.labels``); moderator labels are what ``threads train`` learns from.
A moderator's new label replaces their own older one.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from threads.db.queries import topics as q
from threads.db.queries.labels import topics_of
from threads.db.types import utcnow
from threads.errors import InvalidInput, NotFound
from threads.models import Comment, CommentTopic, EventTarget, LabelSource, ModerationEvent
from threads.moderation.audit import Actor, record_event
from threads.topics.taxonomy import Taxonomy

#: the width of moderation_event.from_state/to_state
STATE_CHARS: int = ModerationEvent.__table__.c.to_state.type.length  # type: ignore[attr-defined]


def set_labels(
    session: Session,
    comment_id: int,
    *,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    actor: Actor,
    taxonomy: Taxonomy,
) -> list[str]:
    """Apply a moderator's labels to a comment and record one audit event; returns the
    comment's assigned topics afterwards."""
    adds = list(dict.fromkeys(add))
    removes = list(dict.fromkeys(remove))
    known = set(taxonomy.topic_ids)
    for name, given in (("add", adds), ("remove", removes)):
        unknown = [t for t in given if t not in known]
        if unknown:
            raise InvalidInput(
                f"{name}: unknown topic {', '.join(map(repr, unknown))}; the codebook "
                f"{taxonomy.name!r} has {', '.join(taxonomy.topic_ids)}",
                field=name,
            )
    both = sorted(set(adds) & set(removes))
    if both:
        raise InvalidInput(
            f"topic {', '.join(both)} is both added and removed; give it once", field="remove"
        )
    if not adds and not removes:
        raise InvalidInput("give at least one topic to add or remove", field="add")
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(f"comment {comment_id} does not exist")
    codebook = taxonomy.name
    before = topics_of(session, codebook, [comment_id]).get(comment_id, [])
    now = utcnow()
    for topic_id, assigned in [(t, True) for t in adds] + [(t, False) for t in removes]:
        q.drop_moderator_label(session, codebook, comment_id, topic_id, actor.name)
        session.add(
            CommentTopic(
                comment_id=comment_id,
                codebook=codebook,
                topic_id=topic_id,
                source=LabelSource.MODERATOR,
                labeler=actor.name,
                taxonomy_version=taxonomy.version,
                assigned=assigned,
                score=1.0 if assigned else 0.0,
                evidence=[],
                created_at=now,
            )
        )
        session.flush()
    after = topics_of(session, codebook, [comment_id]).get(comment_id, [])
    record_event(
        session,
        actor=actor,
        action="label",
        target_type=EventTarget.COMMENT,
        target_id=comment_id,
        thread_id=comment.thread_id,
        from_state=_state(before),
        to_state=_state(after),
        extra={
            "added": adds,
            "removed": removes,
            "before": before,
            "after": after,
            "codebook": codebook,
            "taxonomy_version": taxonomy.version,
        },
    )
    return after


def _state(topics: list[str]) -> str:
    """The topics as the event's state column holds them (at most 32 characters): joined by
    commas when they fit, else their number; the lists themselves are in the event's extra."""
    joined = ",".join(topics)
    return joined if len(joined) <= STATE_CHARS else f"{len(topics)} topics"
