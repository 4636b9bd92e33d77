"""author standing: how a site treats an author (trusted, normal, premoderated, banned)

``author_standing`` holds one row per (site, author key) that a moderator acted on: the
standing, and who set it, when and why. Its id is the target of the audit events about the
author (``moderation_event.target_type = 'author'``), so the event target's CHECK constraint
gains that value. PostgreSQL changes the constraint in place; SQLite cannot alter a CHECK
constraint, so the audit table is rebuilt with the same rows, indexes and append-only triggers
(the rebuild copies every row: the log stays whole).

A downgrade is refused by the database once an event about an author exists: the audit log is
append-only, and an old schema could not hold that event.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import threads.db.types

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_TARGETS = ('comment', 'thread', 'article', 'api_key')
NEW_TARGETS = (*OLD_TARGETS, 'author')
APPEND_ONLY_MESSAGE = "moderation_event is append-only"
EVENT_COLUMNS = (
    "id, target_type, target_id, thread_id, actor, actor_type, action, from_state, to_state, "
    "reason, created_at, extra"
)


def upgrade() -> None:
    op.create_table('author_standing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('author_key', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('standing', sa.Enum('trusted', 'normal', 'premoderated', 'banned', name='author_standing_value', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('set_by', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('set_at', threads.db.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', threads.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_author_standing_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_author_standing')),
    sa.UniqueConstraint('site_id', 'author_key', name=op.f('uq_author_standing_site_id_author_key'))
    )
    with op.batch_alter_table('author_standing', schema=None) as batch_op:
        batch_op.create_index('ix_author_standing_standing_id', ['standing', 'id'], unique=False)
    _event_targets(NEW_TARGETS)


def downgrade() -> None:
    _event_targets(OLD_TARGETS)
    with op.batch_alter_table('author_standing', schema=None) as batch_op:
        batch_op.drop_index('ix_author_standing_standing_id')
    op.drop_table('author_standing')


def _event_targets(values: Sequence[str]) -> None:
    """Let ``moderation_event.target_type`` hold exactly ``values``."""
    listed = ", ".join(f"'{v}'" for v in values)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE moderation_event DROP CONSTRAINT ck_moderation_event_event_target")
        op.execute(
            "ALTER TABLE moderation_event ADD CONSTRAINT ck_moderation_event_event_target "
            f"CHECK (target_type IN ({listed}))"
        )
        return
    # SQLite: a new table with the new constraint, the rows copied in id order, then the
    # indexes it had and the append-only triggers of migration 0001 again.
    op.execute("DROP TRIGGER IF EXISTS moderation_event_no_update")
    op.execute("DROP TRIGGER IF EXISTS moderation_event_no_delete")
    op.execute(
        f"""
        CREATE TABLE moderation_event_rebuilt (
            id INTEGER NOT NULL,
            target_type VARCHAR(7) NOT NULL,
            target_id INTEGER NOT NULL,
            thread_id INTEGER,
            actor VARCHAR(255) NOT NULL,
            actor_type VARCHAR(7) NOT NULL,
            action VARCHAR(32) NOT NULL,
            from_state VARCHAR(32),
            to_state VARCHAR(32),
            reason TEXT,
            created_at DATETIME NOT NULL,
            extra JSON NOT NULL,
            CONSTRAINT pk_moderation_event PRIMARY KEY (id),
            CONSTRAINT ck_moderation_event_event_target CHECK (target_type IN ({listed})),
            CONSTRAINT ck_moderation_event_actor_type
                CHECK (actor_type IN ('user', 'api_key', 'rule', 'system', 'import'))
        )
        """
    )
    op.execute(
        f"INSERT INTO moderation_event_rebuilt ({EVENT_COLUMNS}) "
        f"SELECT {EVENT_COLUMNS} FROM moderation_event ORDER BY id"
    )
    # the indexes as they stand (whatever earlier revisions made of them), made again below
    indexes = [
        row[0]
        for row in op.get_bind().exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'moderation_event' AND sql IS NOT NULL ORDER BY name"
        )
    ]
    op.execute("DROP TABLE moderation_event")
    op.execute("ALTER TABLE moderation_event_rebuilt RENAME TO moderation_event")
    for create in indexes:
        op.execute(create)
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER moderation_event_no_{verb.lower()} BEFORE {verb} "
            f"ON moderation_event BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
        )
