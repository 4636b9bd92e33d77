"""comment language: the language `threads classify` detected for each comment

A nullable column: NULL until ``threads classify`` detects it, "und" for text too short or
unclear. Derived data, like the classification itself: archives do not carry it.

The records of which comments were classified (``comment_classification``, derived state too)
are emptied, so that the next ``threads classify`` classifies every comment once more and so
detects its language; the labels stay until it replaces them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True)
        )
    op.execute('DELETE FROM comment_classification')


def downgrade() -> None:
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_column('language')
