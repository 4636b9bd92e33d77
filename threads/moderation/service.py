"""Moderation actions on comments: checked against the lifecycle and the role, versioned, audited.

Every function takes an open Session in the caller's transaction (the caller commits), except
:func:`bulk_action`, which runs one transaction per comment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from threads.db import session_scope
from threads.db.queries import moderation as q
from threads.db.types import utcnow
from threads.errors import Conflict, Forbidden, InvalidInput, NotFound, ThreadsError, refuse_nul
from threads.identity import author_key
from threads.models import Comment, CommentStatus, EventTarget, Role
from threads.moderation import lifecycle
from threads.moderation.audit import Actor, record_event
from threads.moderation.matching import content_hash_of
from threads.moderation.queue import QueueFilter, check_site

#: how many comments one bulk action on a queue filter touches at most
BULK_FILTER_LIMIT = 1000
#: longest accepted reason
MAX_REASON_CHARS = 2000


def check_role(role: Role | str, action: str) -> None:
    """Forbidden unless ``role`` may take ``action``: viewers nothing, moderators all but purge."""
    role = Role(role)
    if role is Role.VIEWER:
        raise Forbidden(f"the viewer role may not {action} comments (moderator or admin needed)")
    if action in lifecycle.ADMIN_ONLY and role is not Role.ADMIN:
        raise Forbidden(f"only an admin may {action} comments (you act as {role.value})")


def _clean_reason(action: str, reason: str | None) -> str | None:
    text = reason.strip() if reason else None
    refuse_nul(text, "reason")
    if action in lifecycle.REASON_REQUIRED and not text:
        raise InvalidInput(f"a reason is required to {action} a comment", field="reason")
    if text and len(text) > MAX_REASON_CHARS:
        raise InvalidInput(
            f"the reason has {len(text)} characters; at most {MAX_REASON_CHARS} are allowed",
            field="reason",
        )
    return text or None


def get_comment_or_404(session: Session, comment_id: int) -> Comment:
    comment = q.get_comment(session, comment_id)
    if comment is None:
        raise NotFound(f"comment {comment_id} not found", comment_id=comment_id)
    return comment


def version_conflict(comment_id: int, expected: int, current: int) -> Conflict:
    return Conflict(
        f"comment {comment_id} changed since you read it (you had version {expected}, it is now "
        f"version {current}); reload it and try again",
        code="version_conflict",
        current_version=current,
    )


def apply_action(
    session: Session,
    comment_id: int,
    action: str,
    *,
    actor: Actor,
    role: Role,
    reason: str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> Comment:
    """Take a moderation ``action`` on a comment and append one audit event (``extra`` is
    added to the event's: e.g. the bulk action it was part of).

    Checks, in order: the action is known (InvalidInput ``action``), the role may take it
    (Forbidden), a reason is given where required (InvalidInput ``reason``), the comment exists
    (NotFound), ``expected_version`` is current (Conflict ``version_conflict`` with
    ``current_version``), the lifecycle allows it (ActionNotAllowed; a no-op such as approving an
    approved comment is refused too). On success the version goes up by one. A refused action
    changes nothing and records nothing.
    """
    lifecycle.check_action(action)
    check_role(role, action)
    text = _clean_reason(action, reason)
    comment = get_comment_or_404(session, comment_id)
    if expected_version is not None and expected_version != comment.version:
        raise version_conflict(comment_id, expected_version, comment.version)
    before = CommentStatus(comment.status)
    after = lifecycle.transition(
        before, action, previous=comment.status_before_delete, purged=comment.purged
    )
    when = now or utcnow()
    values: dict[str, Any] = {"status": after, "updated_at": when}
    event_extra: dict[str, Any] = {**(extra or {}), "version": comment.version + 1}
    if action == lifecycle.DELETE:
        values["status_before_delete"] = before
    elif action == lifecycle.RESTORE:
        values["status_before_delete"] = None
    elif action == lifecycle.PURGE:
        if before is not CommentStatus.DELETED:
            values["status_before_delete"] = before
        values.update(
            body="",
            author_name=None,
            author_email=None,
            author_url=None,
            author_key=None,
            posted_text=None,
            sentiment=None,
            sentiment_scores=None,
            extra={},
            purged=True,
        )
        values["content_hash"] = content_hash_of("")  # a hash of the text would confirm a guess
        # The event records what was removed, never the removed text itself.
        event_extra["purged_fields"] = [
            "body",
            "author_name",
            "author_email",
            "author_url",
            "label_evidence",
            "report_detail",
        ]
    if not q.update_comment_if_version(session, comment_id, comment.version, values):
        current = q.comment_version(session, comment_id)
        if current is None:
            raise NotFound(f"comment {comment_id} not found", comment_id=comment_id)
        raise version_conflict(comment_id, comment.version, current)
    if action == lifecycle.PURGE:
        q.scrub_comment_satellites(session, comment_id)
    record_event(
        session,
        actor=actor,
        action=action,
        target_type=EventTarget.COMMENT,
        target_id=comment_id,
        thread_id=comment.thread_id,
        from_state=before.value,
        to_state=after.value,
        reason=text,
        extra=event_extra,
    )
    # The compare-and-set UPDATE brought the session's comment up to date (RETURNING): no
    # second read of the row.
    session.flush()
    return comment


@dataclass(frozen=True)
class BulkResult:
    """The outcome of a bulk action on one comment: on failure, ``status`` and ``version`` are the
    comment's current ones (None if it does not exist)."""

    comment_id: int
    ok: bool
    status: CommentStatus | None = None
    version: int | None = None
    error_code: str | None = None
    error_detail: str | None = None


def bulk_action(
    engine: Engine,
    ids: Sequence[int] | None,
    action: str,
    *,
    actor: Actor,
    role: Role,
    reason: str | None = None,
    filter: QueueFilter | None = None,  # noqa: A002 - the contract's name
    limit: int = BULK_FILTER_LIMIT,
    versions: Mapping[int, int] | None = None,
    extra: dict[str, Any] | None = None,
) -> list[BulkResult]:
    """Apply ``action`` to each comment of ``ids`` (or of a queue ``filter``), one transaction each.

    One comment's failure (not found, not allowed, conflict) does not undo the others; each gets a
    BulkResult. Errors that concern the whole request (unknown action, role, missing reason, both
    or neither of ``ids`` and ``filter``) are raised before anything changes. A filter selects at
    most ``limit`` comments, oldest first, at the time of the call. ``versions`` (comment id ->
    the version the caller saw) makes each of those a compare-and-set, as in
    :func:`apply_action`: a comment changed since fails with ``version_conflict``. ``extra``
    goes into every audit event (e.g. the campaign the comments belong to).
    """
    lifecycle.check_action(action)
    check_role(role, action)
    _clean_reason(action, reason)
    if (ids is None) == (filter is None):
        raise InvalidInput("give either a list of comment ids or a queue filter", field="ids")
    if ids is not None:
        targets = list(dict.fromkeys(int(i) for i in ids))
        if not targets:
            raise InvalidInput("the list of comment ids is empty", field="ids")
        if len(targets) > limit:
            raise InvalidInput(
                f"{len(targets)} comments given; at most {limit} per bulk action", field="ids"
            )
    else:
        assert filter is not None
        with session_scope(engine) as session:
            check_site(session, filter)
            key = author_key(None, filter.author) if filter.author else None
            targets = q.queue_ids(session, filter, limit=limit, author_key=key)
    results: list[BulkResult] = []
    for comment_id in targets:
        try:
            with session_scope(engine) as session:
                comment = apply_action(
                    session,
                    comment_id,
                    action,
                    actor=actor,
                    role=role,
                    reason=reason,
                    expected_version=(versions or {}).get(comment_id),
                    extra=extra,
                )
                results.append(
                    BulkResult(comment_id, True, CommentStatus(comment.status), comment.version)
                )
        except ThreadsError as exc:
            with session_scope(engine) as session:  # what the comment is now, for the caller
                current = q.get_comment(session, comment_id)
                status = CommentStatus(current.status) if current else None
                version = current.version if current else None
            results.append(
                BulkResult(
                    comment_id,
                    False,
                    status=status,
                    version=version,
                    error_code=exc.code,
                    error_detail=exc.detail,
                )
            )
    return results
