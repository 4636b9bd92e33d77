"""codebooks side by side: every label belongs to a codebook; classification is kept per codebook

Classifying with a second codebook replaced the first one's automatic labels, because labels
knew only the codebook version that made them and a comment kept one "last classified with"
mark. Labels now carry their codebook's name (``comment_topic.codebook``, part of the unique
key), and ``comment_classification`` holds one row per (comment, codebook): the classifier's
fingerprint and the comment's content hash when it was classified with that codebook.

Existing labels and classification marks go to the codebook shipped before this revision
(``iran-china-2014``, frozen here): before it there was one set of automatic labels, whichever
codebook made them. A database last classified with another codebook should be classified again
with it (``threads classify --taxonomy FILE``); its labels then live under that codebook's name.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGACY_CODEBOOK = 'iran-china-2014'


def upgrade() -> None:
    with op.batch_alter_table('comment_topic', schema=None) as batch_op:
        batch_op.add_column(sa.Column('codebook', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=LEGACY_CODEBOOK))
    with op.batch_alter_table('comment_topic', schema=None) as batch_op:
        batch_op.alter_column('codebook', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), server_default=None)
        batch_op.drop_constraint(batch_op.f('uq_comment_topic_comment_id_topic_id_source_labeler'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_comment_topic_comment_id_codebook_topic_id_source_labeler'), ['comment_id', 'codebook', 'topic_id', 'source', 'labeler'])
        batch_op.drop_index('ix_comment_topic_topic_id_score')
        batch_op.create_index('ix_comment_topic_codebook_topic_id_score', ['codebook', 'topic_id', 'score'], unique=False)

    op.create_table('comment_classification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('codebook', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_comment_classification_comment_id_comment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_classification')),
    sa.UniqueConstraint('comment_id', 'codebook', name=op.f('uq_comment_classification_comment_id_codebook'))
    )
    op.execute(
        "INSERT INTO comment_classification (comment_id, codebook, fingerprint, content_hash) "
        f"SELECT id, '{LEGACY_CODEBOOK}', classified_version, classified_hash FROM comment "
        "WHERE classified_version IS NOT NULL AND classified_hash IS NOT NULL ORDER BY id"
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_column('classified_hash')
        batch_op.drop_column('classified_version')


def downgrade() -> None:
    bind = op.get_bind()
    several = bind.execute(sa.text("SELECT count(DISTINCT codebook) FROM comment_topic")).scalar()
    if several and several > 1:
        raise RuntimeError(
            "cannot downgrade below 0006: labels of several codebooks are stored "
            "(before 0006 a database held one codebook's automatic labels)"
        )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('classified_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('classified_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.execute(
        "UPDATE comment SET classified_version = (SELECT fingerprint FROM comment_classification k "
        "WHERE k.comment_id = comment.id), classified_hash = (SELECT content_hash FROM "
        "comment_classification k WHERE k.comment_id = comment.id)"
    )
    op.drop_table('comment_classification')
    with op.batch_alter_table('comment_topic', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_topic_codebook_topic_id_score')
        batch_op.create_index('ix_comment_topic_topic_id_score', ['topic_id', 'score'], unique=False)
        batch_op.drop_constraint(batch_op.f('uq_comment_topic_comment_id_codebook_topic_id_source_labeler'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_comment_topic_comment_id_topic_id_source_labeler'), ['comment_id', 'topic_id', 'source', 'labeler'])
        batch_op.drop_column('codebook')
