"""drop the change clock; index the queue's most_reported order

The change clock (0003) let each API worker serve a response again while nothing had been
written anywhere. A moderation session is writes: every action invalidated every kept page, and
each statement on eight tables paid a trigger for it (imports included). The API now answers
HTTP conditional requests instead (``ETag`` / ``If-None-Match``, see ``threads.api.etag``), which
needs nothing from the database. This drops the clock's triggers, its function and its table.
``comment_tally_truncate`` (also created by 0003) stays: it keeps the tally exact on TRUNCATE.

The queue's ``most_reported`` order (``report_count`` descending, then id) gets its index, so a
page of it is an index range scan instead of a sort of every waiting comment.

Downgrade recreates the clock as 0003 made it (its rows start again from zero: nothing reads
the clock across a migration).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the tables 0003 put the clock's trigger on (frozen here)
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

_MOST_REPORTED = "ix_comment_report_count_desc_id"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in CLOCKED_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS change_clock_tick ON {table}")
        op.execute("DROP FUNCTION IF EXISTS change_clock_tick()")
    op.drop_table('change_clock')
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index(_MOST_REPORTED, [sa.text('report_count DESC'), 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index(_MOST_REPORTED)
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
