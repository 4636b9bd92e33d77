"""Queries for API keys (the ``api_key`` table). Only hashes are ever read or written here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, or_, select, update
from sqlmodel import Session, col

from threads.models import ApiKey

#: what verifying a key reads of its row, as a plain Core row: every request checks a key,
#: and an ORM object (identity map, instance state) cost more than the query
_VERIFIED = select(
    col(ApiKey.id),
    col(ApiKey.name),
    col(ApiKey.role),
    col(ApiKey.key_hash),
    col(ApiKey.revoked_at),
    col(ApiKey.last_used_at),
)


def key_by_hash(session: Session, key_hash: str) -> Row[Any] | None:
    """The stored key with this digest (its id, name, role, hash, revocation and last use)."""
    return session.execute(_VERIFIED.where(col(ApiKey.key_hash) == key_hash)).first()


def key_by_id(session: Session, key_id: int) -> Row[Any] | None:
    """The stored key ``key_id`` (the same columns as :func:`key_by_hash`)."""
    return session.execute(_VERIFIED.where(col(ApiKey.id) == key_id)).first()


def key_by_name(session: Session, name: str) -> ApiKey | None:
    return session.execute(select(ApiKey).where(col(ApiKey.name) == name)).scalar_one_or_none()


def all_keys(session: Session) -> list[ApiKey]:
    """Every key, oldest first (revoked ones included)."""
    return list(session.scalars(select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.id))))


def touch_key(session: Session, key_id: int, now: datetime, stale_before: datetime) -> None:
    """Set ``last_used_at`` to ``now`` unless it was already set after ``stale_before``.

    The condition keeps a busy key from turning every request into a write on one row.
    """
    session.execute(
        update(ApiKey)
        .where(
            col(ApiKey.id) == key_id,
            or_(col(ApiKey.last_used_at).is_(None), col(ApiKey.last_used_at) < stale_before),
        )
        .values(last_used_at=now)
    )
