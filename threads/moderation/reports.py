"""Readers' reports: a reader reports a comment with a reason code, which flags it for review."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from threads.db.queries import moderation as q
from threads.db.types import utcnow
from threads.errors import Conflict, InvalidInput, NotFound, refuse_nul
from threads.models import ActorType, Comment, CommentReport, CommentStatus, EventTarget
from threads.moderation.audit import Actor, record_event
from threads.moderation.matching import hash_client
from threads.webhooks import events as webhook_events

REASON_CODES: tuple[str, ...] = ("spam", "abuse", "off_topic", "personal_info", "other")
MAX_DETAIL_CHARS = 1000
#: who the audit log names for a reader's report
READER = Actor("reader", ActorType.USER)
#: statuses a reader can see and report (a pending comment can be seen by its author's link)
_REPORTABLE = {CommentStatus.APPROVED, CommentStatus.PENDING, CommentStatus.FLAGGED}
_FLAGGABLE = {CommentStatus.APPROVED, CommentStatus.PENDING}


def report_comment(
    session: Session,
    comment_id: int,
    reason_code: str,
    *,
    reporter: str | None,
    detail: str | None = None,
    secret: str | None = None,
    now: datetime | None = None,
) -> Comment:
    """Store a reader's report, count it, and flag the comment if it is approved or pending.

    ``reporter`` is the reader's client address (or None when unknown); only a salted hash of it
    is stored, scoped to the comment. One report per reporter per comment (Conflict
    ``already_reported``). Unknown reason code -> InvalidInput field ``reason``. A comment readers
    cannot see (rejected, spam, deleted, purged) is NotFound. Audited as actor ``reader``: action
    ``flag`` when the status changes (the version goes up), ``report`` otherwise.
    """
    code = (reason_code or "").strip().lower()
    if code not in REASON_CODES:
        raise InvalidInput(
            f"unknown reason {reason_code!r}; expected one of: {', '.join(REASON_CODES)}",
            field="reason",
        )
    text = detail.strip() if detail else None
    refuse_nul(text, "detail")
    if text and len(text) > MAX_DETAIL_CHARS:
        raise InvalidInput(
            f"detail has {len(text)} characters; at most {MAX_DETAIL_CHARS} are allowed",
            field="detail",
        )
    comment = q.get_comment(session, comment_id)
    if comment is None or comment.purged or CommentStatus(comment.status) not in _REPORTABLE:
        raise NotFound(f"comment {comment_id} not found", comment_id=comment_id)
    hashed = (
        hash_client(reporter, scope=f"comment:{comment_id}", secret=secret) if reporter else None
    )
    if hashed and q.reporter_has_reported(session, comment_id, hashed):
        raise Conflict(f"you have already reported comment {comment_id}", code="already_reported")
    when = now or utcnow()
    session.add(
        CommentReport(
            comment_id=comment_id, reason_code=code, detail=text, reporter=hashed, created_at=when
        )
    )
    before = CommentStatus(comment.status)
    after = CommentStatus.FLAGGED if before in _FLAGGABLE else before
    values: dict[str, object] = {"report_count": comment.report_count + 1, "updated_at": when}
    version = comment.version
    if after is not before:
        values["status"] = after
    # A report that does not change the status keeps the version: a moderator's open screen of
    # the comment stays valid.
    ok = q.update_comment_if_version(session, comment_id, version, values, bump=after is not before)
    if not ok:
        raise Conflict(
            f"comment {comment_id} changed meanwhile; try again", code="version_conflict"
        )
    record_event(
        session,
        actor=READER,
        action="flag" if after is not before else "report",
        target_type=EventTarget.COMMENT,
        target_id=comment_id,
        thread_id=comment.thread_id,
        from_state=before.value,
        to_state=after.value,
        reason=f"reader report: {code}" + (f" ({text})" if text else ""),
        extra={"reason_code": code},
    )
    session.flush()
    session.refresh(comment)
    webhook_events.comment_reported(session, comment, code)
    return comment
