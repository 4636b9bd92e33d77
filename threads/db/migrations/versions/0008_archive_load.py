"""archive loads: a restore or merge of a JSONL archive is recorded in its own table

Loading an archive used to add an ``import_batch`` row, which the next export then carried: an
archive restored into an empty database did not export to the same bytes. Archive loads are now
recorded in ``archive_load``, which archives do not carry.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import threads.db.types


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('archive_load',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_name', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('source_path', sa.Text(), nullable=True),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('archive_as_of', threads.db.types.UTCDateTime(), nullable=True),
    sa.Column('loaded_at', threads.db.types.UTCDateTime(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_load'))
    )
    with op.batch_alter_table('archive_load', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archive_load_sha256'), ['sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('archive_load', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_archive_load_sha256'))
    op.drop_table('archive_load')
