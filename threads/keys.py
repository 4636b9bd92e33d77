"""API keys: create (the secret is returned once), list, revoke, verify.

A key is ``thr_`` followed by 43 URL-safe characters (256 random bits). Only its SHA-256 digest
is stored: for a secret of that entropy a fast hash is as safe as a slow one (there is no
dictionary to try), and it keeps verification at a few microseconds per request. The first
characters (``prefix``) are kept in clear so that people can tell their keys apart. Keys are
never logged; error messages name keys by their name or prefix only.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel import Session

from threads.db.queries import keys as q
from threads.db.types import utcnow
from threads.errors import Conflict, InvalidInput, NotFound, Unauthorized
from threads.models import ApiKey, EventTarget, Role
from threads.moderation.audit import Actor, record_event

KEY_PREFIX = "thr_"
#: characters of the key kept in clear for recognition ("thr_" + 8)
PREFIX_CHARS = 12
#: ``last_used_at`` is refreshed at most this often per key
TOUCH_EVERY = timedelta(seconds=60)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_KEY_SHAPE = re.compile(r"^thr_[A-Za-z0-9_-]{20,100}$")

ROLE_RANK: dict[Role, int] = {Role.VIEWER: 1, Role.MODERATOR: 2, Role.ADMIN: 3}


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown about a key: never the secret nor its hash."""

    id: int
    name: str
    role: Role
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @classmethod
    def of(cls, row: ApiKey) -> KeyInfo:
        assert row.id is not None
        return cls(
            id=row.id,
            name=row.name,
            role=Role(row.role),
            prefix=row.prefix,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )


@dataclass(frozen=True)
class CreatedKey:
    """A new key: ``secret`` is the only copy of the key that will ever exist."""

    info: KeyInfo
    secret: str


@dataclass(frozen=True)
class Principal:
    """The holder of a verified key."""

    key_id: int
    name: str
    role: Role

    @property
    def actor(self) -> Actor:
        return Actor.api_key(self.name)

    def has_role(self, minimum: Role) -> bool:
        """True when this key's role is ``minimum`` or above (viewer < moderator < admin)."""
        return ROLE_RANK[self.role] >= ROLE_RANK[minimum]


def generate_key() -> str:
    """A fresh random key (``thr_`` + 256 bits, URL-safe)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The stored form of a key: hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InvalidInput(
            f"unknown role {value!r}; expected one of: {roles}", field="role"
        ) from None


def create_key(session: Session, name: str, role: Role | str, *, actor: Actor) -> CreatedKey:
    """Create a key called ``name`` with ``role``; the returned secret is not stored anywhere.

    Raises InvalidInput for a bad name or role and Conflict (``key_exists``) for a taken name.
    """
    name = name.strip()
    if not _NAME.match(name):
        raise InvalidInput(
            f"key name {name!r} is not valid: use 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit",
            field="name",
        )
    role = parse_role(role) if isinstance(role, str) else role
    if q.key_by_name(session, name) is not None:
        raise Conflict(f"an API key named {name!r} already exists", code="key_exists", name=name)
    secret = generate_key()
    row = ApiKey(name=name, role=role, prefix=secret[:PREFIX_CHARS], key_hash=hash_key(secret))
    session.add(row)
    session.flush()
    assert row.id is not None
    record_event(
        session,
        actor=actor,
        action="create_key",
        target_type=EventTarget.API_KEY,
        target_id=row.id,
        to_state=role.value,
        extra={"name": name, "prefix": row.prefix},
    )
    return CreatedKey(KeyInfo.of(row), secret)


def list_keys(session: Session) -> list[KeyInfo]:
    """Every key, oldest first, revoked ones included."""
    return [KeyInfo.of(row) for row in q.all_keys(session)]


def revoke_key(
    session: Session, name: str, *, actor: Actor, now: datetime | None = None
) -> KeyInfo:
    """Revoke the key called ``name``: it is refused from then on, and kept for the record.

    Raises NotFound for an unknown name and Conflict (``already_revoked``) when revoked before.
    """
    row = q.key_by_name(session, name.strip())
    if row is None:
        raise NotFound(f"no API key named {name!r}", name=name)
    if row.revoked_at is not None:
        raise Conflict(
            f"the API key {name!r} was already revoked", code="already_revoked", name=name
        )
    row.revoked_at = now or utcnow()
    session.add(row)
    session.flush()
    assert row.id is not None
    record_event(
        session,
        actor=actor,
        action="revoke_key",
        target_type=EventTarget.API_KEY,
        target_id=row.id,
        from_state=Role(row.role).value,
        to_state="revoked",
        extra={"name": row.name, "prefix": row.prefix},
    )
    return KeyInfo.of(row)


class StoredKey(Protocol):
    """What verification reads of a stored key: an ``ApiKey`` row or a probe's record."""

    @property
    def key_hash(self) -> str: ...
    @property
    def id(self) -> int | None: ...
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def revoked_at(self) -> datetime | None: ...
    @property
    def last_used_at(self) -> datetime | None: ...


def check_shape(key: str) -> None:
    """Unauthorized (``invalid_key``) unless ``key`` looks like one of ours."""
    if not _KEY_SHAPE.match(key):
        raise Unauthorized("the API key is malformed", code="invalid_key")


def check_key(key: str, row: StoredKey | None, *, now: datetime) -> tuple[Principal, bool]:
    """The principal of ``key`` given its stored row (None: unknown), and whether its
    ``last_used_at`` is due for a refresh; Unauthorized for a malformed, unknown or revoked key.
    """
    check_shape(key)
    # The lookup is by digest; comparing again in constant time costs nothing and keeps the
    # check honest should the lookup ever become a prefix search.
    if row is None or not secrets.compare_digest(row.key_hash, hash_key(key)):
        raise Unauthorized("the API key is not valid", code="invalid_key")
    if row.revoked_at is not None:
        raise Unauthorized(f"the API key {row.name!r} has been revoked", code="revoked_key")
    assert row.id is not None
    last = row.last_used_at
    stale = last is None or last < now - TOUCH_EVERY
    return Principal(key_id=row.id, name=row.name, role=Role(row.role)), stale


def touch_key(session: Session, key_id: int, *, now: datetime) -> None:
    """Record that the key was used at ``now`` (skipped if another request just did)."""
    q.touch_key(session, key_id, now, now - TOUCH_EVERY)


def verify_key(session: Session, key: str, *, now: datetime | None = None) -> Principal:
    """The principal holding ``key``; Unauthorized for an unknown, malformed or revoked key.

    Refreshes ``last_used_at`` (at most once per :data:`TOUCH_EVERY`).
    """
    check_shape(key)
    moment = now or utcnow()
    principal, stale = check_key(key, q.key_by_hash(session, hash_key(key)), now=moment)
    if stale:
        touch_key(session, principal.key_id, now=moment)
    return principal


def principal_by_id(session: Session, key_id: int) -> Principal | None:
    """The principal of the key ``key_id`` as it stands now (role included); None when the key
    is gone or revoked. A console session keeps only the key's id and asks this each request,
    so revoking a key ends its sessions."""
    row = q.key_by_id(session, key_id)
    if row is None or row.revoked_at is not None:
        return None
    assert row.id is not None
    return Principal(key_id=row.id, name=row.name, role=Role(row.role))
