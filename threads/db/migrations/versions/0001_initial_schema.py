"""initial schema: articles, threads, comments, topics, audit log, keys, import batches

Revision ID: 0001
Revises:
Create Date: 2026-11-23 02:31:54.152131
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import threads.db.types


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('role', sa.Enum('viewer', 'moderator', 'admin', name='role', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('key_hash', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('created_at', threads.db.types.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', threads.db.types.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', threads.db.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_key_key_hash')),
    sa.UniqueConstraint('name', name=op.f('uq_api_key_name'))
    )
    op.create_table('import_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_name', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('source_path', sa.Text(), nullable=True),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('encoding', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('started_at', threads.db.types.UTCDateTime(), nullable=False),
    sa.Column('finished_at', threads.db.types.UTCDateTime(), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch'))
    )
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_batch_sha256'), ['sha256'], unique=False)

    op.create_table('moderation_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_type', sa.Enum('comment', 'thread', 'article', 'api_key', name='event_target', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('actor_type', sa.Enum('user', 'api_key', 'rule', 'system', 'import', name='actor_type', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('from_state', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('to_state', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', threads.db.types.UTCDateTime(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_event'))
    )
    with op.batch_alter_table('moderation_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moderation_event_actor'), ['actor'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_event_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_moderation_event_target', ['target_type', 'target_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_event_thread_id'), ['thread_id'], unique=False)

    op.create_table('topic_model',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('taxonomy_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('topic_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('algorithm', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('model', sa.JSON(), nullable=False),
    sa.Column('label_count', sa.Integer(), nullable=False),
    sa.Column('trained_at', threads.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topic_model')),
    sa.UniqueConstraint('taxonomy_version', 'topic_id', name=op.f('uq_topic_model_taxonomy_version_topic_id'))
    )
    op.create_table('article',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('source_url', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('byline', sa.Text(), nullable=True),
    sa.Column('authors', sa.JSON(), nullable=False),
    sa.Column('standfirst', sa.Text(), nullable=True),
    sa.Column('published_at', threads.db.types.UTCDateTime(), nullable=True),
    sa.Column('published_text', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('source_format', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('created_at', threads.db.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', threads.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_article_import_batch_id_import_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article')),
    sa.UniqueConstraint('key', name=op.f('uq_article_key'))
    )
    op.create_table('thread',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('state', sa.Enum('open', 'closed', name='thread_state', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('state_note', sa.Text(), nullable=True),
    sa.Column('closed_at', threads.db.types.UTCDateTime(), nullable=True),
    sa.Column('closed_by', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('close_reason', sa.Text(), nullable=True),
    sa.Column('reopened_at', threads.db.types.UTCDateTime(), nullable=True),
    sa.Column('reopened_by', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('auto_close_days', sa.Integer(), nullable=True),
    sa.Column('auto_close_from', sa.Enum('published', 'last_comment', name='auto_close_from', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('premoderation', sa.Enum('all', 'first_time', 'links', 'none', name='premoderation', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('created_at', threads.db.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', threads.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['article.id'], name=op.f('fk_thread_article_id_article')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_thread_import_batch_id_import_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_thread')),
    sa.UniqueConstraint('article_id', name=op.f('uq_thread_article_id'))
    )
    op.create_table('comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('kind', sa.Enum('comment', 'pingback', 'trackback', name='comment_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('author_name', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True),
    sa.Column('author_url', sa.Text(), nullable=True),
    sa.Column('author_email', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True),
    sa.Column('author_key', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True),
    sa.Column('posted_at', threads.db.types.UTCDateTime(), nullable=True),
    sa.Column('posted_text', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_format', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'flagged', 'rejected', 'spam', 'deleted', name='comment_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status_before_delete', sa.Enum('pending', 'approved', 'flagged', 'rejected', 'spam', 'deleted', name='comment_status_before_delete', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('purged', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('report_count', sa.Integer(), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('sentiment', sa.Float(), nullable=True),
    sa.Column('sentiment_scores', sa.JSON(), nullable=True),
    sa.Column('classified_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('classified_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('created_at', threads.db.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', threads.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_comment_import_batch_id_import_batch')),
    sa.ForeignKeyConstraint(['parent_id'], ['comment.id'], name=op.f('fk_comment_parent_id_comment')),
    sa.ForeignKeyConstraint(['thread_id'], ['thread.id'], name=op.f('fk_comment_thread_id_thread')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment')),
    sa.UniqueConstraint('thread_id', 'key', name=op.f('uq_comment_thread_id_key'))
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_author_key'), ['author_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_content_hash'), ['content_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_posted_at'), ['posted_at'], unique=False)
        batch_op.create_index('ix_comment_status_thread_id', ['status', 'thread_id'], unique=False)
        batch_op.create_index('ix_comment_thread_id_position', ['thread_id', 'position'], unique=False)

    op.create_table('comment_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('reason_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('reporter', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('created_at', threads.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_comment_report_comment_id_comment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_report'))
    )
    with op.batch_alter_table('comment_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_report_comment_id'), ['comment_id'], unique=False)

    op.create_table('comment_topic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('assigned', sa.Boolean(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('source', sa.Enum('auto', 'moderator', name='label_source', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('labeler', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('taxonomy_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', threads.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_comment_topic_comment_id_comment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_topic')),
    sa.UniqueConstraint('comment_id', 'topic_id', 'source', 'labeler', name=op.f('uq_comment_topic_comment_id_topic_id_source_labeler'))
    )
    with op.batch_alter_table('comment_topic', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_topic_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index('ix_comment_topic_topic_id_score', ['topic_id', 'score'], unique=False)


    _install_append_only_guard()


APPEND_ONLY_MESSAGE = "moderation_event is append-only"


def _install_append_only_guard() -> None:
    """The audit log is append-only: refuse UPDATE and DELETE in the database itself."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION moderation_event_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER moderation_event_append_only BEFORE UPDATE OR DELETE "
            "ON moderation_event FOR EACH ROW EXECUTE FUNCTION moderation_event_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER moderation_event_no_{verb.lower()} BEFORE {verb} "
                f"ON moderation_event BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
            )


def _drop_append_only_guard() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS moderation_event_append_only ON moderation_event")
        op.execute("DROP FUNCTION IF EXISTS moderation_event_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS moderation_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS moderation_event_no_delete")


def downgrade() -> None:
    _drop_append_only_guard()
    with op.batch_alter_table('comment_topic', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_topic_topic_id_score')
        batch_op.drop_index(batch_op.f('ix_comment_topic_comment_id'))

    op.drop_table('comment_topic')
    with op.batch_alter_table('comment_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_report_comment_id'))

    op.drop_table('comment_report')
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_thread_id_position')
        batch_op.drop_index('ix_comment_status_thread_id')
        batch_op.drop_index(batch_op.f('ix_comment_posted_at'))
        batch_op.drop_index(batch_op.f('ix_comment_parent_id'))
        batch_op.drop_index(batch_op.f('ix_comment_content_hash'))
        batch_op.drop_index(batch_op.f('ix_comment_author_key'))

    op.drop_table('comment')
    op.drop_table('thread')
    op.drop_table('article')
    op.drop_table('topic_model')
    with op.batch_alter_table('moderation_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_moderation_event_thread_id'))
        batch_op.drop_index('ix_moderation_event_target')
        batch_op.drop_index(batch_op.f('ix_moderation_event_created_at'))
        batch_op.drop_index(batch_op.f('ix_moderation_event_actor'))

    op.drop_table('moderation_event')
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_batch_sha256'))

    op.drop_table('import_batch')
    op.drop_table('api_key')
