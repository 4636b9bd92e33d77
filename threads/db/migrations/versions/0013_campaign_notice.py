"""campaign notices: the campaigns already announced by the ``campaign.found`` webhook event

``campaign_notice`` holds one row per cluster id (kind + hash of its sorted members) that a
scan (``threads campaigns --notify``, ``POST /api/campaigns/scan``) announced; its primary key
is what keeps two scans, even concurrent ones, from announcing a cluster twice.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import threads.db.types

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('campaign_notice',
    sa.Column('campaign_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('first_seen_at', threads.db.types.UTCDateTime(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_campaign_notice_site_id_site')),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_campaign_notice'))
    )


def downgrade() -> None:
    op.drop_table('campaign_notice')
