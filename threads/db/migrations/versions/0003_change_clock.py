"""change clock: a counter that moves on every committed write, to validate cached responses

The moderation queue is read far more often than it changes, yet each read rebuilt the same page
(a 51-row query, the topics of the page, the total, JSON). The API now keeps the encoded page and
serves it again as long as nothing it could show has changed since. "Nothing has changed" must be
exact, across every worker process and every other writer (CLI imports, a psql session): the
database says it, with ``change_clock``.

A statement-level trigger on each table a response can show adds 1 to the row of the writing
backend (``pg_backend_pid()``), in the writer's own transaction. The sum over all rows therefore
changes exactly when a writing transaction commits (never before: readers do not see the
uncommitted row), and only goes up. A reader that reads the sum ``g`` and then builds a response
may keep it under ``g``: while the sum is still ``g`` no write has committed since. Each backend
writes only its own row, so writers never wait for one another here (one shared counter row
would make every writer wait for the longest open transaction, such as a long import). Rows of
backends that have ended are folded into the row ``pid = 0`` (``threads.db.queries.clock``).
Statement-level triggers fire once per statement, COPY included, whatever the number of rows.

``api_key`` is not on the clock (verified on every request, never cached) nor is the derived
``comment_tally``. The tally gains the one event its triggers missed: TRUNCATE of ``comment``.

SQLite gets the table, no triggers (it has no statement-level triggers, and row-level ones
double the cost of an import); nothing is cached there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: every table whose rows an API response can show
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

_TICK = """
CREATE FUNCTION change_clock_tick() RETURNS trigger AS $$
BEGIN
    INSERT INTO change_clock (pid, n) VALUES (pg_backend_pid(), 1)
    ON CONFLICT (pid) DO UPDATE SET n = change_clock.n + 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""

_TALLY_TRUNCATE = """
CREATE FUNCTION comment_tally_truncate() RETURNS trigger AS $$
BEGIN
    DELETE FROM comment_tally;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table('change_clock',
    sa.Column('pid', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('pid', name=op.f('pk_change_clock'))
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("INSERT INTO change_clock (pid, n) VALUES (0, 0)")
    op.execute(_TICK)
    for table in CLOCKED_TABLES:
        op.execute(
            f"CREATE TRIGGER change_clock_tick AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION change_clock_tick()"
        )
    op.execute(_TALLY_TRUNCATE)
    op.execute(
        "CREATE TRIGGER comment_tally_truncate AFTER TRUNCATE ON comment "
        "FOR EACH STATEMENT EXECUTE FUNCTION comment_tally_truncate()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS comment_tally_truncate ON comment")
        op.execute("DROP FUNCTION IF EXISTS comment_tally_truncate()")
        for table in CLOCKED_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS change_clock_tick ON {table}")
        op.execute("DROP FUNCTION IF EXISTS change_clock_tick()")
    op.drop_table('change_clock')
