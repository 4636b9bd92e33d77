"""The audit trail: every change to a comment or thread appends one ModerationEvent.

Events are never updated or deleted (the database refuses it, see the first migration).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from threads.models import ActorType, EventTarget, ModerationEvent


@dataclass(frozen=True)
class Actor:
    """Who did something: a person, an API key, a named rule (with its version), the system."""

    name: str
    type: ActorType = ActorType.USER

    @classmethod
    def user(cls, name: str) -> Actor:
        return cls(name, ActorType.USER)

    @classmethod
    def api_key(cls, key_name: str) -> Actor:
        return cls(f"key:{key_name}", ActorType.API_KEY)

    @classmethod
    def rule(cls, rule_name: str, version: str) -> Actor:
        return cls(f"rule:{rule_name}@{version}", ActorType.RULE)

    @classmethod
    def system(cls, what: str = "system") -> Actor:
        return cls(what, ActorType.SYSTEM)


def record_event(
    session: Session,
    *,
    actor: Actor,
    action: str,
    target_type: EventTarget,
    target_id: int,
    thread_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    extra: dict[str, Any] | None = None,
) -> ModerationEvent:
    """Append one event to the audit log in the caller's transaction."""
    event = ModerationEvent(
        target_type=target_type,
        target_id=target_id,
        thread_id=thread_id,
        actor=actor.name,
        actor_type=actor.type,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        extra=extra or {},
    )
    session.add(event)
    return event
