"""A thread as readers saw it at any moment, replayed from the audit trail.

Every change of a comment's status appends an event with the status before and after
(:mod:`threads.moderation.service`, submissions, readers' reports, rule decisions), so a
comment's status at a time ``T`` is the ``to_state`` of its last such event at or before ``T``;
before its first event it is that event's ``from_state`` (its status when it was stored when
the first event is its submission decision, which has none); a comment no event touched has
had its status all along. A comment exists from its posted time (readers of the source saw it
then), else from when it was stored. Readers see the statuses of
:data:`~threads.moderation.lifecycle.PUBLIC_STATUSES`, as the live public view does, and the
tree nests a reply whose parent is hidden under its nearest visible ancestor, as it does.

The text shown is the comment's stored text: ``delete`` keeps it, so a comment deleted later is
shown as it read; ``purge`` removes it for good (the audit trail never keeps removed text), so a
purged comment that was visible at ``T`` is shown as a placeholder. Comment bodies are not
edited in ``threads`` (a re-import that changes a text or status records no event), so there
is no older text to show.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from threads.body_text import plain_text
from threads.db.queries import replay as q
from threads.enums import CommentStatus, EventTarget, ThreadState
from threads.errors import NotFound
from threads.moderation import lifecycle

#: comment events that set a status: the lifecycle's actions, a rule's hold or flag on a
#: submission, a reader's report (flag or, unchanged, report)
STATUS_ACTIONS: frozenset[str] = frozenset({*lifecycle.ACTIONS, "hold", "report"})
THREAD_ACTIONS: frozenset[str] = frozenset({"close", "reopen"})
_STATUSES = frozenset(s.value for s in CommentStatus)
#: shown instead of the text of a comment purged since
PURGED_TEXT = "[this comment was visible then; its text has since been purged]"
FORMAT = "threads-snapshot"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class SnapshotComment:
    """One comment readers saw: ``parent_id`` is the visible comment it hung under (None: top
    level), ``depth`` its nesting."""

    id: int
    parent_id: int | None
    depth: int
    kind: str
    author_name: str | None
    author_url: str | None
    posted_at: datetime | None
    text: str
    purged_since: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "parent_id": self.parent_id,
            "depth": self.depth,
            "kind": self.kind,
            "author_name": self.author_name,
            "author_url": self.author_url,
            "posted_at": _iso(self.posted_at),
            "text": self.text,
            "purged_since": self.purged_since,
        }


@dataclass
class Snapshot:
    """A thread at ``at``: what was visible, in reading order (each reply after its parent),
    with the times of every event of the thread (for a time slider) and the manifest facts."""

    thread_id: int
    site: str
    title: str
    url: str | None
    at: datetime
    state: str
    comments: list[SnapshotComment]
    #: every distinct time something happened to the thread, oldest first
    times: list[datetime] = field(default_factory=list)
    #: audit events replayed (at or before ``at``)
    events_replayed: int = 0

    @property
    def visible_ids(self) -> set[int]:
        return {c.id for c in self.comments}

    def content_lines(self) -> list[str]:
        """The content as JSON lines (one per comment, keys sorted): what the sha256 covers."""
        return [
            json.dumps(c.as_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            for c in self.comments
        ]

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for line in self.content_lines():
            digest.update(line.encode("utf-8") + b"\n")
        return digest.hexdigest()

    def manifest(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "source": {
                "site": self.site,
                "thread_id": self.thread_id,
                "title": self.title,
                "url": self.url,
            },
            "at": _iso(self.at),
            "state": self.state,
            "comments": len(self.comments),
            "events_replayed": self.events_replayed,
            "sha256": self.sha256(),
            "sha256_of": "the comment lines of the jsonl form, each followed by a newline",
        }


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat().replace("+00:00", "Z")


def status_at(events: Sequence[Any], current: str, at: datetime) -> str:
    """A comment's status at ``at`` from its status events (oldest first) and its status now."""
    last = None
    for event in events:
        if event.created_at > at:
            break
        last = event
    if last is not None:
        return str(last.to_state)
    if events:
        first = events[0]
        return str(first.from_state if first.from_state is not None else first.to_state)
    return current


def visible_at(
    comments: Sequence[Any], events: dict[int, list[Any]], at: datetime
) -> dict[int, Any]:
    """The comments readers saw at ``at`` (id -> row), from their rows and status events."""
    public = {s.value for s in lifecycle.PUBLIC_STATUSES}
    shown: dict[int, Any] = {}
    for row in comments:
        since = row.posted_at or row.created_at
        if since is None or since > at:
            continue
        if status_at(events.get(row.id, []), str(row.status), at) in public:
            shown[row.id] = row
    return shown


def _state_at(head: Any, thread_events: Sequence[Any], at: datetime) -> str:
    state = None
    for event in thread_events:
        if event.created_at > at:
            break
        state = event.to_state
    if state is None and thread_events:
        state = thread_events[0].from_state
    if state is None:
        closed = ThreadState(head.state) is ThreadState.CLOSED
        state = "closed" if closed and (head.closed_at is None or head.closed_at <= at) else "open"
    return str(state)


def snapshot(conn: Connection, thread_id: int, at: datetime) -> Snapshot:
    """The thread ``thread_id`` as readers saw it at ``at`` (NotFound for an unknown thread).
    Reads only."""
    head = q.thread_head(conn, thread_id)
    if head is None:
        raise NotFound(f"thread {thread_id} not found", thread_id=thread_id)
    rows = q.thread_comment_rows(conn, thread_id)
    found = q.status_events(conn, thread_id, STATUS_ACTIONS, THREAD_ACTIONS)
    per_comment: dict[int, list[Any]] = {}
    thread_events: list[Any] = []
    for event in found:
        if event.target_type == EventTarget.THREAD:
            thread_events.append(event)
        elif event.to_state in _STATUSES:
            per_comment.setdefault(int(event.target_id), []).append(event)
    shown = visible_at(rows, per_comment, at)
    times = sorted(
        {e.created_at for e in found}
        | {r.posted_at or r.created_at for r in rows if (r.posted_at or r.created_at)}
    )
    return Snapshot(
        thread_id=thread_id,
        site=str(head.site_key),
        title=str(head.title or ""),
        url=head.source_url,
        at=at,
        state=_state_at(head, thread_events, at),
        comments=_reading_order(rows, shown),
        times=times,
        events_replayed=sum(1 for e in found if e.created_at <= at),
    )


def _reading_order(rows: Sequence[Any], shown: dict[int, Any]) -> list[SnapshotComment]:
    """The visible comments as the public tree shows them: a reply under its nearest visible
    ancestor (climbing through hidden ones), each after its parent, in order of appearance."""
    parents = {int(r.id): r.parent_id for r in rows}
    holder: dict[int, int | None] = {}
    for cid in shown:
        parent = parents.get(cid)
        seen: set[int] = set()
        while parent is not None and parent not in shown:
            if parent in seen or parent not in parents:  # a cycle or a missing row
                parent = None
                break
            seen.add(parent)
            parent = parents[parent]
        holder[cid] = parent if parent != cid else None
    children: dict[int | None, list[int]] = {}
    for row in rows:  # rows are in order of appearance
        if row.id in shown:
            children.setdefault(holder[row.id], []).append(int(row.id))
    out: list[SnapshotComment] = []
    stack: list[tuple[int, int]] = [(cid, 0) for cid in reversed(children.get(None, []))]
    placed: set[int] = set()
    while stack:
        cid, depth = stack.pop()
        if cid in placed:
            continue
        placed.add(cid)
        out.append(_shaped(shown[cid], holder[cid], depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(cid, [])))
    # a cycle of hidden parents can leave comments unplaced: they go to the top level
    out.extend(_shaped(shown[cid], None, 0) for cid in shown if cid not in placed)
    return out


def _shaped(row: Any, parent: int | None, depth: int) -> SnapshotComment:
    purged = bool(row.purged)
    return SnapshotComment(
        id=int(row.id),
        parent_id=parent,
        depth=depth,
        kind=str(getattr(row.kind, "value", row.kind)),
        author_name=None if purged else row.author_name,
        author_url=None if purged else row.author_url,
        posted_at=row.posted_at,
        text=PURGED_TEXT if purged else plain_text(row.body, row.body_format),
        purged_since=purged,
    )
