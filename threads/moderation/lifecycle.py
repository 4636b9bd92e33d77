"""The comment lifecycle: which moderation action is allowed from which status, and where it leads.

This module is pure (no database): :func:`transition` is the whole state machine.

::

    from / action  approve   reject    spam   flag     delete   restore  purge
    pending         approved  rejected  spam   flagged  deleted  -        deleted
    approved        -         rejected  spam   flagged  deleted  -        deleted
    flagged         approved  rejected  spam   -        deleted  -        deleted
    rejected        approved  -         spam   -        deleted  -        deleted
    spam            approved  rejected  -      -        deleted  -        deleted
    deleted         -         -         -      -        -        before   deleted

Decisions worth knowing:

- An action that would not change the status (approve an approved comment, flag a flagged one) is
  *refused*, not silently accepted: the audit log then only holds real changes, and a moderator who
  acted on a stale screen learns that someone else already did it.
- ``flag`` asks for review; it applies only to comments that are visible or waiting (pending,
  approved). A rejected or spam comment is already out of sight.
- A deleted comment accepts only ``restore`` (back to the status it had before ``delete``) and
  ``purge``. Purging leaves a tombstone in status ``deleted`` with ``purged`` set; a purged comment
  accepts no action at all.
"""

from __future__ import annotations

from threads.errors import ActionNotAllowed, InvalidInput
from threads.models import CommentStatus

APPROVE = "approve"
REJECT = "reject"
SPAM = "spam"
FLAG = "flag"
DELETE = "delete"
RESTORE = "restore"
PURGE = "purge"

#: every moderation action, in the order they are usually shown
ACTIONS: tuple[str, ...] = (APPROVE, REJECT, SPAM, FLAG, DELETE, RESTORE, PURGE)

#: the statuses readers see: the public thread view (API, console), and a replayed snapshot
#: of what readers saw (:mod:`threads.moderation.replay`) both use this one tuple
PUBLIC_STATUSES: tuple[CommentStatus, ...] = (CommentStatus.APPROVED,)

#: actions that only an admin may take
ADMIN_ONLY: frozenset[str] = frozenset({PURGE})

#: actions that need a reason
REASON_REQUIRED: frozenset[str] = frozenset({REJECT})

_S = CommentStatus

# action -> {from status: to status}; RESTORE is resolved from ``previous``.
_TABLE: dict[str, dict[CommentStatus, CommentStatus]] = {
    APPROVE: {s: _S.APPROVED for s in (_S.PENDING, _S.FLAGGED, _S.REJECTED, _S.SPAM)},
    REJECT: {s: _S.REJECTED for s in (_S.PENDING, _S.APPROVED, _S.FLAGGED, _S.SPAM)},
    SPAM: {s: _S.SPAM for s in (_S.PENDING, _S.APPROVED, _S.FLAGGED, _S.REJECTED)},
    FLAG: {s: _S.FLAGGED for s in (_S.PENDING, _S.APPROVED)},
    DELETE: {s: _S.DELETED for s in _S if s is not _S.DELETED},
    RESTORE: {_S.DELETED: _S.DELETED},  # placeholder: the target is ``previous``
    PURGE: {s: _S.DELETED for s in _S},
}


def check_action(action: str) -> str:
    """``action`` if it is a known moderation action; InvalidInput (field ``action``) otherwise."""
    if action not in _TABLE:
        raise InvalidInput(
            f"unknown action {action!r}; expected one of: {', '.join(ACTIONS)}", field="action"
        )
    return action


def allowed_actions(status: CommentStatus | str, *, purged: bool = False) -> set[str]:
    """The actions allowed from ``status`` (whoever takes them; roles are checked elsewhere)."""
    if purged:
        return set()
    current = CommentStatus(status)
    return {action for action in ACTIONS if current in _TABLE[action]}


def transition(
    status: CommentStatus | str,
    action: str,
    *,
    previous: CommentStatus | None,
    purged: bool = False,
) -> CommentStatus:
    """The status ``action`` leads to from ``status``.

    ``previous`` is the status before a soft delete (used by ``restore``; None restores to
    pending). Raises InvalidInput for an unknown action and ActionNotAllowed, naming the status,
    the action and what is allowed instead, when the action is not allowed from ``status``.
    """
    check_action(action)
    current = CommentStatus(status)
    if purged:
        raise ActionNotAllowed(
            f"cannot {action} a purged comment: a purged comment is a tombstone and accepts "
            "no action",
            status=current.value,
            action=action,
            allowed=[],
        )
    targets = _TABLE[action]
    if current not in targets:
        allowed = sorted(allowed_actions(current), key=ACTIONS.index)
        raise ActionNotAllowed(
            f"cannot {action} a comment that is {current.value}; allowed from {current.value}: "
            f"{', '.join(allowed) if allowed else 'nothing'}",
            status=current.value,
            action=action,
            allowed=allowed,
        )
    if action == RESTORE:
        if previous is None or previous is CommentStatus.DELETED:
            return CommentStatus.PENDING
        return CommentStatus(previous)
    return targets[current]
