"""The comment tally (per-thread, per-status counts kept by triggers): check it and rebuild it.

On PostgreSQL the triggers of migration 0002 keep ``comment_tally`` exact on their own. These
functions are for the day something went around them (triggers dropped by hand, a dump restored
without them): ``tally_drift`` lists where the tally and a real count disagree, ``rebuild_tally``
recounts. SQLite keeps no tally (see the migration): the queue counts there directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, delete, func, insert, select, text
from sqlmodel import Session, col

from threads.models import Comment, CommentStatus, CommentTally


@dataclass(frozen=True)
class TallyDrift:
    thread_id: int
    status: CommentStatus
    #: what the tally says
    tallied: int
    #: what a count of the comments says
    counted: int


def tally_kept(session: Session) -> bool:
    """Whether this database keeps the tally: PostgreSQL does, SQLite counts directly."""
    return session.get_bind().dialect.name == "postgresql"


def _count_by_thread_and_status() -> Select[int, CommentStatus, int]:
    return select(col(Comment.thread_id), col(Comment.status), func.count()).group_by(
        col(Comment.thread_id), col(Comment.status)
    )


def _counted(session: Session) -> dict[tuple[int, CommentStatus], int]:
    rows = session.execute(_count_by_thread_and_status())
    return {(t, CommentStatus(s)): int(n) for t, s, n in rows}


def tally_drift(session: Session) -> list[TallyDrift]:
    """Every (thread, status) where the tally differs from a real count, sorted.

    Empty on a database that keeps no tally."""
    if not tally_kept(session):
        return []
    counted = _counted(session)
    tallied = {
        (t, CommentStatus(s)): int(n)
        for t, s, n in session.execute(
            select(col(CommentTally.thread_id), col(CommentTally.status), col(CommentTally.n))
        )
    }
    drift = [
        TallyDrift(key[0], key[1], tallied.get(key, 0), counted.get(key, 0))
        for key in set(counted) | set(tallied)
        if tallied.get(key, 0) != counted.get(key, 0)
    ]
    return sorted(drift, key=lambda d: (d.thread_id, d.status.value))


def rebuild_tally(session: Session) -> int:
    """Recount the tally from the comments (writers wait meanwhile); the number of tally rows.

    Does nothing (0) on a database that keeps no tally."""
    if not tally_kept(session):
        return 0
    session.execute(text("LOCK TABLE comment IN SHARE MODE"))
    session.execute(delete(CommentTally))
    session.execute(
        insert(CommentTally).from_select(
            ["thread_id", "status", "n"], _count_by_thread_and_status()
        )
    )
    return int(session.execute(select(func.count()).select_from(CommentTally)).scalar_one())


__all__ = ["TallyDrift", "rebuild_tally", "tally_drift", "tally_kept"]
