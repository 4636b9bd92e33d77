"""Thread state: close and reopen (audited), policies, auto-close and the effective state.

Auto-close: a thread closes ``auto_close_days`` after its article's publication or after its last
comment (the thread's own policy, else the Settings default). ``auto_close_days = 0`` on a thread
means "never auto-close", overriding the default. A thread past its time counts as closed at once
(:func:`effective_state`), before ``close-stale`` writes it down. A manual reopen overrides
auto-close until the auto-close policy is set again (:func:`set_policy` clears ``reopened_at``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Final, cast

from sqlalchemy import Row
from sqlmodel import Session

from threads.config import Settings
from threads.db.queries import moderation as q
from threads.db.types import utcnow
from threads.errors import Conflict, InvalidInput, NotFound, refuse_nul
from threads.models import AutoCloseFrom, EventTarget, PreModeration, Thread, ThreadState
from threads.moderation.audit import Actor, record_event
from threads.webhooks import events as webhook_events

#: ``effective_state``: the article's publication time is read from the database
_READ: Final = object()

AUTO_CLOSE_RULE = "auto-close"
AUTO_CLOSE_VERSION = "1"
MAX_REASON_CHARS = 2000
MAX_AUTO_CLOSE_DAYS = 36500


class _Unset(Enum):
    UNSET = "unset"


#: "leave this policy as it is" (None means "clear it: use the Settings default")
UNSET: Final = _Unset.UNSET


@dataclass(frozen=True)
class ThreadStatus:
    """The state a reader or submitter sees now, auto-close included."""

    state: ThreadState
    closed_at: datetime | None = None
    reason: str | None = None
    #: True when the thread is closed by the auto-close policy (stored or not yet)
    auto: bool = False
    #: for an open thread, when auto-close will close it (None: not by time)
    closes_at: datetime | None = None


@dataclass(frozen=True)
class AutoClosePolicy:
    """A thread's auto-close fields on their own: a policy proposed for a dry-run
    (:mod:`threads.moderation.dryrun`) is judged by the same :func:`auto_close_time`."""

    auto_close_days: int | None
    auto_close_from: AutoCloseFrom | None
    reopened_at: datetime | None = None


def auto_close_actor() -> Actor:
    return Actor.rule(AUTO_CLOSE_RULE, AUTO_CLOSE_VERSION)


def get_thread_or_404(session: Session, thread_id: int) -> Thread:
    thread = q.get_thread(session, thread_id)
    if thread is None:
        raise NotFound(f"thread {thread_id} not found", thread_id=thread_id)
    return thread


def lock_thread_or_404(session: Session, thread_id: int) -> Thread:
    """The thread, locked until the transaction ends (:func:`~threads.db.queries.moderation.
    lock_thread`): submissions, closes and reopens of one thread happen one after the other."""
    thread = q.lock_thread(session, thread_id)
    if thread is None:
        raise NotFound(f"thread {thread_id} not found", thread_id=thread_id)
    return thread


def auto_close_policy(
    thread: Thread | Row[Any] | AutoClosePolicy, settings: Settings
) -> tuple[int | None, AutoCloseFrom]:
    """(days, counted from) that apply to ``thread``: its own policy, else the Settings default."""
    days = (
        thread.auto_close_days if thread.auto_close_days is not None else settings.auto_close_days
    )
    if not days:
        return None, AutoCloseFrom(thread.auto_close_from or AutoCloseFrom.PUBLISHED)
    return days, AutoCloseFrom(thread.auto_close_from or settings.auto_close_from)


def auto_close_time(
    thread: Thread | Row[Any] | AutoClosePolicy,
    settings: Settings,
    *,
    published_at: datetime | None,
    last_comment_at: datetime | None,
) -> tuple[datetime, str] | None:
    """When auto-close closes ``thread`` and why, or None if it never does.

    Counting from the last comment falls back to the publication time for a thread without
    comments; a thread whose article has no publication time is not auto-closed from it.
    """
    if thread.reopened_at is not None:
        return None
    days, start = auto_close_policy(thread, settings)
    if days is None:
        return None
    if start is AutoCloseFrom.LAST_COMMENT and last_comment_at is not None:
        base, what = last_comment_at, "the last comment"
    elif published_at is not None:
        base, what = published_at, "publication"
    else:
        return None
    unit = "day" if days == 1 else "days"
    return base + timedelta(days=days), f"auto-closed {days} {unit} after {what}"


def effective_state(
    session: Session,
    thread: Thread | Row[Any],
    settings: Settings,
    now: datetime | None = None,
    *,
    published_at: datetime | None | object = _READ,
) -> ThreadStatus:
    """The thread's state at ``now``: closed if stored so, or if past its auto-close time.
    ``published_at``: the article's publication time, when the caller read it already."""
    if ThreadState(thread.state) is ThreadState.CLOSED or thread.reopened_at is not None:
        return state_at(thread, settings, now, published_at=None, last_comment_at=None)
    days, start = auto_close_policy(thread, settings)
    if days is None:
        return ThreadStatus(ThreadState.OPEN)
    last = None
    if start is AutoCloseFrom.LAST_COMMENT:
        last = q.last_comment_at(session, thread.id or 0)
    published = (
        q.article_published_at(session, thread.article_id)
        if published_at is _READ
        else cast(datetime | None, published_at)
    )
    return state_at(thread, settings, now, published_at=published, last_comment_at=last)


def state_at(
    thread: Thread | Row[Any],
    settings: Settings,
    now: datetime | None = None,
    *,
    published_at: datetime | None,
    last_comment_at: datetime | None,
) -> ThreadStatus:
    """:func:`effective_state` without queries, for listings that already read the article's
    publication time and the thread's last comment time (e.g. in one grouped query)."""
    if thread.state is ThreadState.CLOSED:
        auto = bool(thread.closed_by and thread.closed_by == auto_close_actor().name)
        return ThreadStatus(ThreadState.CLOSED, thread.closed_at, thread.close_reason, auto)
    when = auto_close_time(
        thread, settings, published_at=published_at, last_comment_at=last_comment_at
    )
    if when is None:
        return ThreadStatus(ThreadState.OPEN)
    if (now or utcnow()) >= when[0]:
        return ThreadStatus(ThreadState.CLOSED, when[0], when[1], auto=True)
    return ThreadStatus(ThreadState.OPEN, closes_at=when[0])


def _clean_reason(reason: str | None, *, required: bool) -> str | None:
    text = reason.strip() if reason else None
    refuse_nul(text, "reason")
    if required and not text:
        raise InvalidInput("a reason is required to close a thread", field="reason")
    if text and len(text) > MAX_REASON_CHARS:
        raise InvalidInput(
            f"the reason has {len(text)} characters; at most {MAX_REASON_CHARS} are allowed",
            field="reason",
        )
    return text or None


def _save(session: Session, thread: Thread, values: dict[str, Any]) -> Thread:
    assert thread.id is not None
    if not q.update_thread_if_version(session, thread.id, thread.version, values):
        raise Conflict(
            f"thread {thread.id} changed while it was being updated; try again",
            code="version_conflict",
            current_version=thread.version + 1,
        )
    session.flush()
    session.refresh(thread)
    return thread


def close_thread(
    session: Session,
    thread_id: int,
    *,
    actor: Actor,
    reason: str,
    now: datetime | None = None,
) -> Thread:
    """Close a thread with a reason (required); Conflict ``thread_already_closed`` if it is."""
    text = _clean_reason(reason, required=True)
    thread = lock_thread_or_404(session, thread_id)
    if thread.state is ThreadState.CLOSED:
        raise Conflict(
            f"thread {thread_id} is already closed"
            + (f" (since {thread.closed_at.isoformat()})" if thread.closed_at else ""),
            code="thread_already_closed",
        )
    when = now or utcnow()
    _save(
        session,
        thread,
        {
            "state": ThreadState.CLOSED,
            "closed_at": when,
            "closed_by": actor.name[:255],
            "close_reason": text,
            "updated_at": when,
        },
    )
    record_event(
        session,
        actor=actor,
        action="close",
        target_type=EventTarget.THREAD,
        target_id=thread_id,
        thread_id=thread_id,
        from_state=ThreadState.OPEN.value,
        to_state=ThreadState.CLOSED.value,
        reason=text,
    )
    webhook_events.thread_closed(session, thread, actor=actor.name, automatic=False)
    return thread


def reopen_thread(
    session: Session,
    thread_id: int,
    *,
    actor: Actor,
    reason: str | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> Thread:
    """Reopen a closed (or auto-closed) thread; Conflict ``thread_already_open`` if it is open.

    The reopen is remembered (``reopened_at``/``reopened_by``): auto-close no longer applies to
    the thread until its auto-close policy is set again. Pass ``settings`` so that a thread only
    past the *default* auto-close time (not yet closed by close-stale) counts as closed; the
    thread's own policy is always taken into account.
    """
    text = _clean_reason(reason, required=False)
    thread = lock_thread_or_404(session, thread_id)
    when = now or utcnow()
    if thread.state is ThreadState.OPEN:
        status = effective_state(session, thread, settings or Settings(), when)
        if status.state is ThreadState.OPEN:
            raise Conflict(f"thread {thread_id} is already open", code="thread_already_open")
    _save(
        session,
        thread,
        {
            "state": ThreadState.OPEN,
            "closed_at": None,
            "closed_by": None,
            "close_reason": None,
            "reopened_at": when,
            "reopened_by": actor.name[:255],
            "updated_at": when,
        },
    )
    record_event(
        session,
        actor=actor,
        action="reopen",
        target_type=EventTarget.THREAD,
        target_id=thread_id,
        thread_id=thread_id,
        from_state=ThreadState.CLOSED.value,
        to_state=ThreadState.OPEN.value,
        reason=text,
    )
    return thread


def set_policy(
    session: Session,
    thread_id: int,
    *,
    actor: Actor,
    premoderation: PreModeration | str | None | _Unset = UNSET,
    auto_close_days: int | None | _Unset = UNSET,
    auto_close_from: AutoCloseFrom | str | None | _Unset = UNSET,
    now: datetime | None = None,
) -> Thread:
    """Set a thread's pre-moderation and auto-close policy (audited as action ``policy``).

    Arguments left out stay as they are; None clears a policy (the Settings default applies);
    ``auto_close_days=0`` disables auto-close for the thread. Setting either auto-close field
    re-enables auto-close after a manual reopen.
    """
    thread = lock_thread_or_404(session, thread_id)
    values: dict[str, Any] = {}
    if premoderation is not UNSET:
        values["premoderation"] = _enum(PreModeration, premoderation, "premoderation")
    if auto_close_days is not UNSET:
        if auto_close_days is not None and (
            not isinstance(auto_close_days, int)
            or isinstance(auto_close_days, bool)
            or not 0 <= auto_close_days <= MAX_AUTO_CLOSE_DAYS
        ):
            raise InvalidInput(
                f"auto_close_days must be a whole number from 0 (never) to {MAX_AUTO_CLOSE_DAYS}, "
                f"got {auto_close_days!r}",
                field="auto_close_days",
            )
        values["auto_close_days"] = auto_close_days
    if auto_close_from is not UNSET:
        values["auto_close_from"] = _enum(AutoCloseFrom, auto_close_from, "auto_close_from")
    if not values:
        raise InvalidInput(
            "nothing to change: give premoderation, auto_close_days or auto_close_from",
            field="policy",
        )
    changes = {k: {"from": _plain(getattr(thread, k)), "to": _plain(v)} for k, v in values.items()}
    if "auto_close_days" in values or "auto_close_from" in values:
        values["reopened_at"] = None
        values["reopened_by"] = None
    when = now or utcnow()
    values["updated_at"] = when
    _save(session, thread, values)
    record_event(
        session,
        actor=actor,
        action="policy",
        target_type=EventTarget.THREAD,
        target_id=thread_id,
        thread_id=thread_id,
        reason=", ".join(
            f"{k}={c['to'] if c['to'] is not None else 'default'}" for k, c in changes.items()
        ),
        extra={"changes": changes},
    )
    return thread


def _enum(cls: Any, value: Any, name: str) -> Any:
    if value is None:
        return None
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise InvalidInput(f"{name} must be one of: {allowed}; got {value!r}", field=name) from None


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def close_stale(
    session: Session,
    settings: Settings,
    now: datetime | None = None,
    *,
    actor: Actor | None = None,
    dry_run: bool = False,
) -> list[int]:
    """Close every open thread past its auto-close time; the ids closed (or, dry, to close).

    Each closure is recorded with the rule actor ``rule:auto-close@<version>`` (``actor``, the
    person or process that ran it, is kept in the event's extra). ``closed_at`` is the time the
    policy closed the thread, which may be before ``now``.
    """
    when = now or utcnow()
    rule = auto_close_actor()
    closed: list[int] = []
    for cand in q.open_threads_for_auto_close(session):
        due = auto_close_time(
            cand.thread,
            settings,
            published_at=cand.published_at,
            last_comment_at=cand.last_comment_at,
        )
        if due is None or when < due[0]:
            continue
        assert cand.thread.id is not None
        if dry_run:
            closed.append(cand.thread.id)
            continue
        # Decided again under the thread's lock: a comment submitted since the scan may have
        # moved the auto-close time, or a moderator closed or reopened the thread.
        thread = lock_thread_or_404(session, cand.thread.id)
        status = effective_state(session, thread, settings, when)
        if thread.state is ThreadState.CLOSED or status.state is ThreadState.OPEN:
            continue
        assert thread.id is not None
        closed.append(thread.id)
        _save(
            session,
            thread,
            {
                "state": ThreadState.CLOSED,
                "closed_at": status.closed_at,
                "closed_by": rule.name,
                "close_reason": status.reason,
                "updated_at": when,
            },
        )
        record_event(
            session,
            actor=rule,
            action="close",
            target_type=EventTarget.THREAD,
            target_id=thread.id,
            thread_id=thread.id,
            from_state=ThreadState.OPEN.value,
            to_state=ThreadState.CLOSED.value,
            reason=status.reason,
            extra={"run_by": actor.name} if actor else {},
        )
        webhook_events.thread_closed(session, thread, actor=rule.name, automatic=True)
    return closed
