"""sites: every article belongs to a site; an article's key is unique within its site only

Two WordPress blogs both have a post ``?p=1``: with article keys unique across the database,
importing the second replaced the first. Articles now belong to a ``site`` (key, name, base
URL) and ``(site_id, key)`` is unique.

Existing articles are moved to sites derived from what is stored (the rule is frozen here, not
imported from the application): a Disqus article with a ``forum`` in its ``extra`` goes to
``disqus:<forum>``; any other article with an address goes to the site of its host (``www.``
dropped); the rest to ``unknown``. An import derives sites from the file itself (a WordPress
export's base URL and title, a Blogger blog id), which stored rows do not all carry: an updated
export of such a site imported after this migration may go to a new site; the same file as
before is still recognised by its hash and not imported again.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-02 19:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
import sqlmodel
from alembic import op

import threads.db.types


revision: str = '0005'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _site_of(source_format: str | None, source_url: str | None, extra: object) -> tuple[str, str, str | None]:
    """(key, name, base URL) of an article's site, from its stored columns."""
    if source_format == "disqus" and isinstance(extra, dict) and extra.get("forum"):
        forum = str(extra["forum"]).strip().lower()[:240]
        return f"disqus:{forum}", str(extra["forum"]), None
    if source_url:
        try:
            parts = urlsplit(source_url.strip())
            host = (parts.hostname or "").lower()
        except ValueError:
            host = ""
        if host:
            host = host.removeprefix("www.")[:255]
            return host, host, f"{parts.scheme or 'http'}://{parts.netloc}/"
    return "unknown", "Pages without an address", None


def upgrade() -> None:
    bind = op.get_bind()
    site = op.create_table('site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('base_url', sa.Text(), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('created_at', threads.db.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', threads.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_site_import_batch_id_import_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site')),
    sa.UniqueConstraint('key', name=op.f('uq_site_key'))
    )
    with op.batch_alter_table('article', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_id', sa.Integer(), nullable=True))

    article = sa.table(
        'article',
        sa.column('id', sa.Integer()),
        sa.column('site_id', sa.Integer()),
        sa.column('source_format', sa.String()),
        sa.column('source_url', sa.Text()),
        sa.column('extra', sa.JSON()),
    )
    now = datetime.now(UTC)
    site_ids: dict[str, int] = {}
    moves: dict[str, list[int]] = {}
    for row in bind.execute(sa.select(article.c.id, article.c.source_format, article.c.source_url, article.c.extra)):
        key, name, base = _site_of(row.source_format, row.source_url, row.extra)
        if key not in site_ids:
            site_ids[key] = bind.execute(
                sa.insert(site).values(key=key, name=name, base_url=base, extra={'derived_by': 'migration 0005'}, created_at=now, updated_at=now).returning(site.c.id)
            ).scalar_one()
        moves.setdefault(key, []).append(row.id)
    for key, ids in moves.items():
        for start in range(0, len(ids), 500):
            bind.execute(sa.update(article).where(article.c.id.in_(ids[start:start + 500])).values(site_id=site_ids[key]))

    with op.batch_alter_table('article', schema=None) as batch_op:
        batch_op.alter_column('site_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_article_key'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_article_site_id_key'), ['site_id', 'key'])
        batch_op.create_foreign_key(batch_op.f('fk_article_site_id_site'), 'site', ['site_id'], ['id'])


def downgrade() -> None:
    bind = op.get_bind()
    shared = bind.execute(sa.text("SELECT key FROM article GROUP BY key HAVING count(*) > 1 LIMIT 1")).scalar()
    if shared is not None:
        raise RuntimeError(
            f"cannot downgrade below 0005: several sites have an article with the key {shared!r} "
            "(article keys were unique across sites before)"
        )
    with op.batch_alter_table('article', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_article_site_id_site'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_article_site_id_key'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_article_key'), ['key'])
        batch_op.drop_column('site_id')
    op.drop_table('site')
