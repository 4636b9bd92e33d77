"""Public submissions: a new comment or reply runs the automatic checks, then is stored or refused.

Order: the thread must exist (NotFound) and be open, auto-close included (ThreadClosed, nothing
stored), checked under the thread's lock so that no comment is accepted once a close has
committed (:func:`~threads.moderation.threads.lock_thread_or_404`); the fields must be
well-formed (InvalidInput naming the field); the parent must be a comment of this thread that can
be replied to (InvalidInput ``parent_id``). Then every rule of :mod:`threads.moderation.rules`
decides, and the strongest outcome wins:

- ``block``: nothing is stored and :class:`~threads.errors.Blocked` (code ``comment_blocked``,
  field ``body``, with the reasons) is raised. A blocked text is an answer to the submitter, not
  content to moderate: storing it would let a spammer fill the database with rejected rows.
- ``hold`` -> ``pending``, ``flag`` -> ``flagged``, ``accept`` -> ``approved``.

Before the rules, the author's standing in the thread's site (:mod:`threads.moderation.authors`)
is looked up: a banned author is refused (:class:`~threads.errors.AuthorBanned`,
nothing stored); a premoderated author's comment is held by the rule ``standing``; a trusted
author skips the pre-moderation rule (and only it).

Each non-accepting decision appends a ModerationEvent whose actor is the rule
(``rule:<name>@<version>``); an approved comment gets one ``approve`` event by the rule
``submission``, so every comment's history starts with why it has its first status.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from threads.config import Settings
from threads.db.queries import moderation as q
from threads.db.types import utcnow
from threads.errors import AuthorBanned, Blocked, InvalidInput, ThreadClosed, refuse_nul
from threads.identity import author_key as identity_key
from threads.models import (
    Comment,
    CommentKind,
    CommentStatus,
    EventTarget,
    PreModeration,
    Standing,
    ThreadState,
)
from threads.moderation import rules
from threads.moderation.audit import Actor, record_event
from threads.moderation.authors import standing_for_submission
from threads.moderation.matching import content_hash_of, hash_client
from threads.moderation.threads import effective_state, lock_thread_or_404
from threads.webhooks import events as webhook_events

SUBMISSION_RULE = "submission"
SUBMISSION_VERSION = "1"
#: how far back the duplicate check looks
DUPLICATE_WINDOW = timedelta(hours=24)
MAX_NAME_CHARS = 200
MAX_EMAIL_CHARS = 254
MAX_URL_CHARS = 2000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
#: statuses a reply may hang under (a reply to a removed comment would be orphaned in public)
_REPLYABLE = {CommentStatus.APPROVED, CommentStatus.PENDING, CommentStatus.FLAGGED}


@dataclass(frozen=True)
class Submission:
    """What a reader sends: who they are, what they say, and what they reply to."""

    author_name: str
    body: str
    author_email: str | None = None
    author_url: str | None = None
    parent_id: int | None = None


@dataclass(frozen=True)
class SubmissionResult:
    comment: Comment
    status: CommentStatus
    decisions: list[rules.Decision] = field(default_factory=list)


def _clean(sub: Submission) -> Submission:
    name = (sub.author_name or "").strip()
    if not name:
        raise InvalidInput("author_name is required", field="author_name")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInput(
            f"author_name has {len(name)} characters; at most {MAX_NAME_CHARS} are allowed",
            field="author_name",
        )
    email = (sub.author_email or "").strip() or None
    if email and (len(email) > MAX_EMAIL_CHARS or not _EMAIL.match(email)):
        raise InvalidInput(
            f"author_email {email[:80]!r} is not an e-mail address", field="author_email"
        )
    url = (sub.author_url or "").strip() or None
    if url and (len(url) > MAX_URL_CHARS or not _URL.match(url)):
        raise InvalidInput(f"author_url {url[:80]!r} is not an http(s) URL", field="author_url")
    if not isinstance(sub.body, str):
        raise InvalidInput("body must be text", field="body")
    for name_, value in (
        ("author_name", name),
        ("author_email", email),
        ("author_url", url),
        ("body", sub.body),
    ):
        refuse_nul(value, name_)
    return Submission(name, sub.body, email, url, sub.parent_id)


def premoderation_policy(thread_policy: PreModeration | None, settings: Settings) -> PreModeration:
    """The thread's pre-moderation policy, else the Settings default."""
    return PreModeration(thread_policy) if thread_policy is not None else settings.premoderation


def ruleset_of(settings: Settings) -> rules.RuleSet:
    """The rules the settings configure (length, links, the word list file)."""
    return rules.RuleSet(
        min_chars=settings.min_comment_chars,
        max_chars=settings.max_comment_chars,
        max_links=settings.max_links,
        wordlist=rules.load_wordlist(settings.wordlist_path),
    )


def submit_comment(
    session: Session,
    thread_id: int,
    submission: Submission,
    *,
    settings: Settings,
    now: datetime | None = None,
    client: str | None = None,
    classify: Callable[[Session, Comment], None] | None = None,
    client_secret: str | None = None,
) -> SubmissionResult:
    """Check a submission and store it with the status the checks decide (see the module doc).

    ``now`` defaults to the time the thread's lock is granted (a submission that waited for a
    close is judged when it gets its turn). ``client`` (the submitter's address) is stored only
    as a salted hash. ``classify`` is called with the stored comment (topic classification and
    sentiment) before returning. The caller's commit releases the thread's lock.
    """
    thread = lock_thread_or_404(session, thread_id)
    now = now or utcnow()
    state = effective_state(session, thread, settings, now)
    if state.state is ThreadState.CLOSED:
        since = f" since {state.closed_at.isoformat()}" if state.closed_at else ""
        why = f": {state.reason}" if state.reason else ""
        raise ThreadClosed(
            f"thread {thread_id} is closed{since}{why}; it accepts no new comments",
            closed_at=state.closed_at,
            reason=state.reason,
            thread_id=thread_id,
        )
    sub = _clean(submission)
    if sub.parent_id is not None:
        parent = q.get_comment(session, sub.parent_id)
        if parent is None or parent.thread_id != thread_id:
            raise InvalidInput(
                f"parent_id {sub.parent_id} is not a comment of thread {thread_id}",
                field="parent_id",
            )
        if parent.purged or CommentStatus(parent.status) not in _REPLYABLE:
            raise InvalidInput(
                f"comment {sub.parent_id} cannot be replied to (it is "
                f"{'purged' if parent.purged else CommentStatus(parent.status).value})",
                field="parent_id",
            )

    author_key = identity_key(sub.author_email, sub.author_name)
    standing = standing_for_submission(session, thread_id, author_key)
    if standing is Standing.BANNED:
        raise AuthorBanned(
            "this site does not accept comments from this author; the comment was not stored",
            thread_id=thread_id,
        )
    trusted = standing is Standing.TRUSTED
    digest = content_hash_of(sub.body)
    recent = [
        rules.PriorComment(r.id, r.thread_id, r.author_key)
        for r in q.recent_with_hash(session, digest, now - DUPLICATE_WINDOW)
    ]
    policy = premoderation_policy(thread.premoderation, settings)
    approved_before = (
        bool(author_key) and q.author_has_approved(session, author_key or "")
        if policy is PreModeration.FIRST_TIME and not trusted
        else False
    )
    facts = rules.Facts(
        body=sub.body,
        author_name=sub.author_name,
        thread_id=thread_id,
        author_key=author_key,
        recent=recent,
        standing=standing,
        policy=policy,
        approved_before=approved_before,
    )
    decisions = rules.decide(facts, ruleset_of(settings))
    outcome = rules.combine(decisions)
    status = rules.status_for(outcome)
    if status is None:
        reasons = [r for d in decisions if d.outcome is rules.Outcome.BLOCK for r in d.reasons]
        raise Blocked("the comment was refused: " + "; ".join(reasons), reasons=reasons)

    extra: dict[str, object] = {"source": "web"}
    if client:
        extra["client_hash"] = hash_client(client, scope="submission", secret=client_secret)
    comment = Comment(
        thread_id=thread_id,
        parent_id=sub.parent_id,
        position=q.next_position(session, thread_id),
        key=f"web:{uuid.uuid4().hex}",
        kind=CommentKind.COMMENT,
        author_name=sub.author_name,
        author_email=sub.author_email,
        author_url=sub.author_url,
        author_key=author_key,
        posted_at=now,
        body=sub.body,
        body_format="text",
        status=status,
        content_hash=digest,
        extra=extra,
        created_at=now,
        updated_at=now,
    )
    session.add(comment)
    session.flush()
    assert comment.id is not None
    for d in decisions:
        if d.outcome is rules.Outcome.ACCEPT:
            continue
        record_event(
            session,
            actor=Actor.rule(d.rule, d.version),
            action=d.outcome.value,
            target_type=EventTarget.COMMENT,
            target_id=comment.id,
            thread_id=thread_id,
            from_state=None,
            to_state=status.value,
            reason="; ".join(d.reasons),
        )
    if status is CommentStatus.APPROVED:
        record_event(
            session,
            actor=Actor.rule(SUBMISSION_RULE, SUBMISSION_VERSION),
            action="approve",
            target_type=EventTarget.COMMENT,
            target_id=comment.id,
            thread_id=thread_id,
            from_state=None,
            to_state=status.value,
            reason=f"all checks passed (pre-moderation: {policy.value}"
            + ("; skipped: trusted author)" if trusted else ")"),
        )
    session.flush()
    if status is not CommentStatus.APPROVED:
        held = [(d.rule, d.outcome.value, list(d.reasons)) for d in decisions]
        webhook_events.comment_held(
            session, comment, [h for h in held if h[1] != rules.Outcome.ACCEPT.value]
        )
    if classify is not None:
        classify(session, comment)
    return SubmissionResult(comment=comment, status=status, decisions=decisions)
