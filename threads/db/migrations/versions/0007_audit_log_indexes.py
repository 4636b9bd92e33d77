"""audit log indexes: the whole log, newest first, filtered by actor or by action

The console's audit log page and ``GET /api/audit`` list every event newest first (keyset pages
on the event id) with an exact actor or action filter. ``(actor, id)`` and ``(action, id)`` give
each filter its events already in page order, so a page reads its 51 index entries and never
sorts every event of a busy actor; ``(actor, id)`` replaces the index on ``actor`` alone, whose
lookups it serves as well.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('moderation_event', schema=None) as batch_op:
        batch_op.create_index('ix_moderation_event_actor_id', ['actor', 'id'], unique=False)
        batch_op.create_index('ix_moderation_event_action_id', ['action', 'id'], unique=False)
        batch_op.drop_index('ix_moderation_event_actor')


def downgrade() -> None:
    with op.batch_alter_table('moderation_event', schema=None) as batch_op:
        batch_op.create_index('ix_moderation_event_actor', ['actor'], unique=False)
        batch_op.drop_index('ix_moderation_event_action_id')
        batch_op.drop_index('ix_moderation_event_actor_id')
