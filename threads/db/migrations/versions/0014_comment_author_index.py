"""comment: the author index also holds each comment's thread and status

``ix_comment_author_key`` becomes ``ix_comment_author_key_thread_id_status``: an author's
record on a site (the console's cards: comments, approved, rejected, spam) is then read from
the index alone, without visiting one table page per comment of the author. Every lookup by
``author_key`` (the queue's author filter, standings, campaigns) uses its first column as before.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 17:35:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_comment_author_key_thread_id_status',
        'comment',
        ['author_key', 'thread_id', 'status'],
        unique=False,
    )
    op.drop_index('ix_comment_author_key', table_name='comment')


def downgrade() -> None:
    op.create_index('ix_comment_author_key', 'comment', ['author_key'], unique=False)
    op.drop_index('ix_comment_author_key_thread_id_status', table_name='comment')
