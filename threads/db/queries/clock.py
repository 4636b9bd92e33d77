"""The change clock (migration 0003): read it, check its triggers, fold the rows of ended backends.

The sum of ``change_clock.n`` changes exactly when a transaction that wrote to a clocked table
commits. Something read after the sum was ``g`` is still exact while the sum is ``g``: that is
what lets the API serve a response again without rebuilding it. The guarantee holds only while
every clocked table carries its trigger; :func:`clock_kept` checks that, and callers cache
nothing when it is false (SQLite, or a database whose triggers were dropped by hand).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

#: every table whose rows an API response can show (as in migration 0003)
CLOCKED_TABLES = (
    "import_batch",
    "article",
    "thread",
    "comment",
    "comment_topic",
    "topic_model",
    "comment_report",
    "moderation_event",
)
TRIGGER = "change_clock_tick"
#: serialises folds (two workers starting at once): pg_advisory_xact_lock key
_FOLD_LOCK = 0x7468_7265_6164_73  # "threads"

GENERATION_SQL = "SELECT coalesce(sum(n), 0)::bigint FROM change_clock"


def missing_clock_triggers(session: Session) -> list[str]:
    """The clocked tables that lack their trigger (all of them on SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return list(CLOCKED_TABLES)
    present = set(
        session.execute(
            text(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = :name AND t.tgenabled <> 'D' "
                "AND c.relnamespace = to_regnamespace(current_schema())"
            ),
            {"name": TRIGGER},
        ).scalars()
    )
    return [table for table in CLOCKED_TABLES if table not in present]


def clock_kept(session: Session) -> bool:
    """Whether the clock moves on every write here: PostgreSQL with every trigger in place."""
    return not missing_clock_triggers(session)


def read_generation(session: Session) -> int:
    """The clock's current value (committed writes only)."""
    return int(session.execute(text(GENERATION_SQL)).scalar_one())


def clock_rows(session: Session) -> int:
    """How many rows the clock holds (one per backend that wrote since the last fold, plus 0)."""
    return int(session.execute(text("SELECT count(*) FROM change_clock")).scalar_one())


def fold_clock(session: Session) -> int:
    """Fold the rows of backends that have ended into the row ``pid = 0``; how many were folded.

    The sum is unchanged (one transaction). A backend that starts meanwhile with a recycled pid
    either keeps its row (it is alive) or starts a new one after the fold commits.
    """
    if session.get_bind().dialect.name != "postgresql":
        return 0
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FOLD_LOCK})
    folded = session.execute(
        text(
            "WITH gone AS ("
            "  DELETE FROM change_clock WHERE pid <> 0"
            "  AND pid NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)"
            "  RETURNING n"
            "), moved AS ("
            "  INSERT INTO change_clock (pid, n) SELECT 0, coalesce(sum(n), 0) FROM gone"
            "  ON CONFLICT (pid) DO UPDATE SET n = change_clock.n + EXCLUDED.n"
            ") SELECT count(*) FROM gone"
        )
    ).scalar_one()
    return int(folded)
