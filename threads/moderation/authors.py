"""Author standing: how a site treats one author's public submissions, and acting on an author.

An author is identified within a site by the normalised key of :mod:`threads.identity` (the
lower-cased e-mail, else the name with its spaces collapsed), the same key the queue's author
filter and the ``first_time`` pre-moderation policy use. A standing is one of:

- ``trusted``: skips pre-moderation, and only that. The checks against hostile or spammy
  content (length, links, duplicates, the word list) still apply to a trusted author, as
  WordPress's "previously approved" and Discourse's trust levels leave spam checks on: a
  trusted account that is taken over must not publish a blocked word.
- ``normal``: the default (an author with no row is normal).
- ``premoderated``: every submission is held for review, whatever the thread's policy.
- ``banned``: every public submission is refused with
  :class:`~threads.errors.AuthorBanned` (HTTP 403
  ``author_banned``); nothing is stored.

Setting a standing is an audited action (event ``standing`` on the target ``author``, with the
standing before and after and the reason); restricting an author (premoderated, banned) needs a
reason. :func:`reject_pending` rejects every pending comment of an author in one transaction:
each comment gets its own ``reject`` event and the author one ``reject_pending`` event listing
them. Both need the moderator role; reading needs a key of any role.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from threads.cursor import Part, decode_cursor, encode_cursor
from threads.db.queries import authors as q
from threads.db.queries import events as events_q
from threads.db.types import utcnow
from threads.enums import CommentStatus, EventTarget, Role, Standing
from threads.errors import Conflict, Forbidden, InvalidInput, NotFound, refuse_nul
from threads.identity import AUTHOR_KEY_CHARS
from threads.identity import author_key as identity_key
from threads.models import AuthorStanding, ModerationEvent
from threads.moderation import lifecycle
from threads.moderation.audit import Actor, record_event
from threads.moderation.service import MAX_REASON_CHARS, apply_action, check_role
from threads.site_directory import SiteRef, find_site

#: standings that restrict an author: setting one needs a reason
RESTRICTING: frozenset[Standing] = frozenset({Standing.PREMODERATED, Standing.BANNED})
STANDINGS: tuple[str, ...] = tuple(s.value for s in Standing)
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
#: cursor kind of the standing listing
LIST_KIND = "au"
#: the audit actions of this module
SET_STANDING = "standing"
REJECT_PENDING = "reject_pending"


@dataclass(frozen=True)
class AuthorRecord:
    """An author within a site: standing (and who set it, when, why) and comments per status."""

    site: str
    author_key: str
    standing: Standing
    reason: str | None = None
    set_by: str | None = None
    set_at: datetime | None = None
    #: comments of the author in the site, per status (every status present, 0 when none)
    counts: dict[CommentStatus, int] = field(default_factory=dict)
    #: the author's ``author_standing`` row (the target of their audit events); None: no row
    id: int | None = None

    @property
    def comments(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class StandingPage:
    """One page of authors with a recorded standing, oldest record first."""

    items: list[AuthorRecord]
    total: int
    next_cursor: str | None


@dataclass(frozen=True)
class RejectPendingResult:
    site: str
    author_key: str
    #: the comments rejected, oldest first (empty: the author had none pending)
    comment_ids: list[int]


def parse_standing(value: Standing | str, field: str = "standing") -> Standing:
    """``value`` as a Standing; InvalidInput on ``field`` naming the standings otherwise."""
    try:
        return Standing(value)
    except ValueError:
        raise InvalidInput(
            f"{field} must be one of: {', '.join(STANDINGS)}; got {value!r}", field=field
        ) from None


def normalise_author(given: str, field: str = "author") -> str:
    """An author as given (an e-mail, a name, or a key already normalised) in the normalised
    form of :func:`threads.identity.author_key`; InvalidInput on ``field`` when empty."""
    if not isinstance(given, str):
        raise InvalidInput(f"{field} must be text", field=field)
    refuse_nul(given, field)
    key = identity_key(None, given)
    if key is None:
        raise InvalidInput(
            f"{field} must be an author's e-mail or name, got {given!r}", field=field
        )
    if len(given.strip()) > AUTHOR_KEY_CHARS:
        raise InvalidInput(
            f"{field} has {len(given.strip())} characters; at most {AUTHOR_KEY_CHARS}", field=field
        )
    return key


def _clean_reason(reason: str | None, *, required_for: str | None) -> str | None:
    text = reason.strip() if reason else None
    refuse_nul(text, "reason")
    if required_for and not text:
        raise InvalidInput(f"a reason is required to {required_for}", field="reason")
    if text and len(text) > MAX_REASON_CHARS:
        raise InvalidInput(
            f"the reason has {len(text)} characters; at most {MAX_REASON_CHARS} are allowed",
            field="reason",
        )
    return text or None


def _record(
    site: SiteRef, author_key: str, row: AuthorStanding | None, counts: dict[CommentStatus, int]
) -> AuthorRecord:
    every = {status: counts.get(status, 0) for status in CommentStatus}
    if row is None:
        return AuthorRecord(site.key, author_key, Standing.NORMAL, counts=every)
    return AuthorRecord(
        site=site.key,
        author_key=author_key,
        standing=Standing(row.standing),
        reason=row.reason,
        set_by=row.set_by,
        set_at=row.set_at,
        counts=every,
        id=row.id,
    )


def get_author(session: Session, site: str, author: str) -> AuthorRecord:
    """The author's standing and record in the site; NotFound ``site_not_found`` for an unknown
    site, InvalidInput for an empty author. An author never acted on is ``normal``."""
    ref = find_site(session, site)
    key = normalise_author(author)
    row = q.standing_row(session, ref.id, key)
    return _record(ref, key, row, q.author_counts(session, ref.id, key))


def author_events(
    session: Session, record: AuthorRecord, limit: int = 100
) -> list[ModerationEvent]:
    """The latest ``limit`` audit events about an author (standing changes, rejecting all
    their pending comments), newest first."""
    return [] if record.id is None else events_q.author_events(session, record.id, limit=limit)


def author_of_comment(session: Session, comment_id: int) -> tuple[str, str]:
    """(site key, author key) of a comment; NotFound if there is no such comment, InvalidInput
    if it has no author (anonymous or purged)."""
    found = q.comment_site_and_author(session, comment_id)
    if found is None:
        raise NotFound(f"comment {comment_id} not found", comment_id=comment_id)
    site, key = found
    if not key:
        raise InvalidInput(f"comment {comment_id} has no author (anonymous or purged)")
    return site, key


def standing_for_submission(session: Session, thread_id: int, author_key: str | None) -> Standing:
    """The standing of a submitting author in the thread's site (``normal`` without a key)."""
    if not author_key:
        return Standing.NORMAL
    row = q.standing_of_thread_author(session, thread_id, author_key)
    return Standing(row.standing) if row is not None else Standing.NORMAL


def _check_moderator(role: Role | str, what: str) -> None:
    if Role(role) is Role.VIEWER:
        raise Forbidden(f"the viewer role may not {what} (moderator or admin needed)")


def set_standing(
    session: Session,
    site: str,
    author: str,
    standing: Standing | str,
    *,
    actor: Actor,
    role: Role | str,
    reason: str | None = None,
    now: datetime | None = None,
) -> AuthorRecord:
    """Set an author's standing in a site and append one ``standing`` event (from, to, reason).

    Checks, in order: the role (Forbidden for a viewer), the standing (InvalidInput naming the
    four), the reason (required for premoderated and banned), the site (NotFound) and the
    author (InvalidInput); setting the standing the author already has is refused (Conflict
    ``standing_unchanged``), so that the audit log holds only real changes. An author need
    not have commented yet (a known spammer can be banned before their first comment).
    """
    _check_moderator(role, "set an author's standing")
    new = parse_standing(standing)
    text = _clean_reason(
        reason, required_for=f"make an author {new.value}" if new in RESTRICTING else None
    )
    ref = find_site(session, site)
    key = normalise_author(author)
    row = q.lock_standing_row(session, ref.id, key)
    before = Standing(row.standing)
    if before is new:
        raise Conflict(
            f"author {key!r} is already {new.value} on site {ref.key!r}",
            code="standing_unchanged",
        )
    when = now or utcnow()
    row.standing = new
    row.reason = text
    row.set_by = actor.name[:255]
    row.set_at = when
    session.add(row)
    session.flush()
    assert row.id is not None
    record_event(
        session,
        actor=actor,
        action=SET_STANDING,
        target_type=EventTarget.AUTHOR,
        target_id=row.id,
        from_state=before.value,
        to_state=new.value,
        reason=text,
        extra={"site": ref.key, "author_key": key},
    )
    session.flush()
    return _record(ref, key, row, q.author_counts(session, ref.id, key))


def reject_pending(
    session: Session,
    site: str,
    author: str,
    *,
    actor: Actor,
    role: Role | str,
    reason: str,
    now: datetime | None = None,
) -> RejectPendingResult:
    """Reject every pending comment of an author in a site, in the caller's transaction.

    A reason is required. Each comment gets its ``reject`` event (with the bulk action named in
    its extra) and the author one ``reject_pending`` event listing the comment ids; an author
    with nothing pending changes nothing and records nothing.
    """
    _check_moderator(role, "reject an author's pending comments")
    check_role(role, lifecycle.REJECT)
    text = _clean_reason(reason, required_for="reject all pending comments of an author")
    assert text is not None
    ref = find_site(session, site)
    key = normalise_author(author)
    ids = q.pending_ids(session, ref.id, key)
    if not ids:
        return RejectPendingResult(ref.key, key, [])
    row = q.lock_standing_row(session, ref.id, key)
    assert row.id is not None
    when = now or utcnow()
    for comment_id in ids:
        apply_action(
            session,
            comment_id,
            lifecycle.REJECT,
            actor=actor,
            role=Role(role),
            reason=text,
            now=when,
            extra={"bulk": REJECT_PENDING, "author": row.id},
        )
    record_event(
        session,
        actor=actor,
        action=REJECT_PENDING,
        target_type=EventTarget.AUTHOR,
        target_id=row.id,
        from_state=CommentStatus.PENDING.value,
        to_state=CommentStatus.REJECTED.value,
        reason=text,
        extra={"site": ref.key, "author_key": key, "comment_ids": ids},
    )
    session.flush()
    return RejectPendingResult(ref.key, key, ids)


def list_standings(
    session: Session,
    *,
    standings: Sequence[Standing | str] | None = None,
    site: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> StandingPage:
    """Authors with a recorded standing (in ``standings``, of ``site``), oldest record first,
    with their records; InvalidInput for an unknown standing, a bad limit or cursor."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}, got {limit}", field="limit")
    wanted = [parse_standing(s) for s in standings] if standings else None
    after = int(decode_cursor(cursor, LIST_KIND, Part.INT)[0]) if cursor else None
    ref = find_site(session, site) if site else None
    site_id = ref.id if ref else None
    rows = q.standing_rows(
        session, standings=wanted, site_id=site_id, after_id=after, limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    counts = q.author_counts_many(session, [(row.site_id, row.author_key) for row, _ in rows])
    items = [
        _record(
            SiteRef(row.site_id, key, "", None),
            row.author_key,
            row,
            counts[(row.site_id, row.author_key)],
        )
        for row, key in rows
    ]
    next_cursor = encode_cursor(LIST_KIND, rows[-1][0].id) if more and rows else None
    total = q.standing_count(session, standings=wanted, site_id=site_id)
    return StandingPage(items=items, total=total, next_cursor=next_cursor)
