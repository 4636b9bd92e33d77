"""A moderator's topic labels: add or deny topics on a comment, audited.

A moderator label is kept per (comment, topic, moderator). An added topic is ``assigned``; a
removed one is kept as the moderator's "not this topic" (``assigned`` False), which wins over
automatic labels in every read and is what ``threads train`` learns from.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from threads.db.queries import topics as q
from threads.db.queries.reads import comment_topic_ids
from threads.db.types import utcnow
from threads.errors import InvalidInput, NotFound
from threads.models import Comment, CommentTopic, EventTarget, LabelSource
from threads.moderation.audit import Actor, record_event
from threads.topics.taxonomy import Taxonomy


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
    before = comment_topic_ids(session, [comment_id]).get(comment_id, [])
    now = utcnow()
    for topic_id, assigned in [(t, True) for t in adds] + [(t, False) for t in removes]:
        row = q.moderator_label(session, comment_id, topic_id, actor.name)
        if row is None:
            row = CommentTopic(
                comment_id=comment_id,
                topic_id=topic_id,
                source=LabelSource.MODERATOR,
                labeler=actor.name,
                taxonomy_version=taxonomy.version,
            )
        row.assigned = assigned
        row.score = 1.0 if assigned else 0.0
        row.evidence = []
        row.taxonomy_version = taxonomy.version
        row.created_at = now
        session.add(row)
    session.flush()
    after = comment_topic_ids(session, [comment_id]).get(comment_id, [])
    record_event(
        session,
        actor=actor,
        action="label",
        target_type=EventTarget.COMMENT,
        target_id=comment_id,
        thread_id=comment.thread_id,
        from_state=",".join(before),
        to_state=",".join(after),
        extra={"added": adds, "removed": removes, "taxonomy_version": taxonomy.version},
    )
    return after
