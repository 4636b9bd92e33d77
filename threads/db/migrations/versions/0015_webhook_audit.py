"""audit events about webhooks: the event target's CHECK constraint gains 'webhook'

Adding and removing a webhook is audited like every other change a person makes
(``moderation_event.target_type = 'webhook'``, ``target_id`` the ``webhook.id``; the hook's URL,
events, site and report threshold in ``extra``, never its secret). PostgreSQL changes the
constraint in place; SQLite cannot alter a CHECK constraint, so the audit table is rebuilt as
0009 does it: the same rows in id order, the indexes it had and the append-only triggers.

A downgrade is refused, before anything changes, once an event about a webhook exists: the
audit log is append-only, and the old schema could not hold that event.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_TARGETS = ('comment', 'thread', 'article', 'api_key', 'author')
NEW_TARGETS = (*OLD_TARGETS, 'webhook')
APPEND_ONLY_MESSAGE = "moderation_event is append-only"
EVENT_COLUMNS = (
    "id, target_type, target_id, thread_id, actor, actor_type, action, from_state, to_state, "
    "reason, created_at, extra"
)


def upgrade() -> None:
    _event_targets(NEW_TARGETS)


def downgrade() -> None:
    held = op.get_bind().execute(
        sa.text("SELECT count(*) FROM moderation_event WHERE target_type = 'webhook'")
    ).scalar_one()
    if held:
        raise RuntimeError(
            f"cannot downgrade below 0015: the audit log holds {held} event(s) about webhooks, "
            "and it is append-only (revision 0014 cannot hold them)"
        )
    _event_targets(OLD_TARGETS)


def _event_targets(values: Sequence[str]) -> None:
    """Let ``moderation_event.target_type`` hold exactly ``values`` (as 0009 does)."""
    listed = ", ".join(f"'{v}'" for v in values)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE moderation_event DROP CONSTRAINT ck_moderation_event_event_target")
        op.execute(
            "ALTER TABLE moderation_event ADD CONSTRAINT ck_moderation_event_event_target "
            f"CHECK (target_type IN ({listed}))"
        )
        return
    # SQLite: a new table with the new constraint, the rows copied in id order, then the
    # indexes it had and the append-only triggers of migration 0001 again. 'webhook' has the
    # length of the longest value before it: the column stays VARCHAR(7).
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
