"""The schema is Alembic's: upgrade, downgrade, and no drift between models and migrations."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import threads.models  # noqa: F401
from threads.db import current_revision, downgrade, ensure_schema, head_revision, make_engine
from threads.db import upgrade as upgrade_db
from threads.errors import DatabaseNotReady

EXPECTED_TABLES = {
    "site",
    "article",
    "thread",
    "comment",
    "comment_topic",
    "comment_classification",
    "comment_tally",
    "topic_model",
    "moderation_event",
    "comment_report",
    "api_key",
    "archive_load",
    "import_batch",
    "author_standing",
    "webhook",
    "webhook_delivery",
    "webhook_attempt",
    "campaign_notice",
}


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_from_empty_to_head_creates_every_table(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        assert current_revision(engine) is None
        upgrade_db(engine)
        assert current_revision(engine) == head_revision()
        assert _tables(engine) == EXPECTED_TABLES
    finally:
        engine.dispose()


def test_revision_checks_agree_with_alembic(empty_db_url: str) -> None:
    from alembic.script import ScriptDirectory

    from threads.db.migrate import alembic_config

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    engine = make_engine(empty_db_url)
    try:
        for step in (None, "0001", "head"):
            if step is not None:
                upgrade_db(engine, step)
            with engine.connect() as conn:
                expected = MigrationContext.configure(conn).get_current_revision()
            assert current_revision(engine) == expected
    finally:
        engine.dispose()


def test_autogenerate_finds_no_difference_between_models_and_migrations(
    empty_db_url: str,
) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade_db(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, SQLModel.metadata)
        if engine.dialect.name == "sqlite":
            # SQLite does not report an index's sort order, so an index on a descending column
            # reads back as a different index: compare those by name and columns only.
            diff = [d for d in diff if not _same_sorted_index(d)]
        assert diff == []
    finally:
        engine.dispose()


#: indexes with a descending column: (name, column names)
SORTED_INDEXES = {("ix_comment_report_count_desc_id", ("report_count", "id"))}


def _same_sorted_index(entry: object) -> bool:
    if not isinstance(entry, tuple) or entry[0] not in ("add_index", "remove_index"):
        return False
    index = entry[1]
    columns = tuple(str(getattr(e, "name", None) or str(e).split()[0]) for e in index.expressions)
    return (index.name, columns) in SORTED_INDEXES


def test_downgrade_to_base_and_up_again(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade_db(engine)
        downgrade(engine, "base")
        assert _tables(engine) == set()
        assert current_revision(engine) is None
        upgrade_db(engine)
        assert _tables(engine) == EXPECTED_TABLES
    finally:
        engine.dispose()


def test_ensure_schema_migrates_sqlite_but_asks_postgresql_to_upgrade(
    empty_db_url: str, backend: str
) -> None:
    engine = make_engine(empty_db_url)
    try:
        if backend == "sqlite":
            ensure_schema(engine)
            assert current_revision(engine) == head_revision()
        else:
            with pytest.raises(DatabaseNotReady, match="threads db upgrade"):
                ensure_schema(engine)
            assert current_revision(engine) is None
    finally:
        engine.dispose()


def test_audit_log_refuses_update_and_delete(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO moderation_event (target_type, target_id, actor, actor_type, action,"
                " created_at, extra) VALUES ('comment', 1, 'ann', 'user', 'approve',"
                " CURRENT_TIMESTAMP, '{}')"
            )
        )
    for statement in (
        "UPDATE moderation_event SET actor = 'mallory'",
        "DELETE FROM moderation_event",
    ):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT actor FROM moderation_event")).scalar_one() == "ann"


def test_author_standing_revision_keeps_the_audit_log_and_lets_it_name_authors(
    empty_db_url: str,
) -> None:
    """0008 widens the audit log's target CHECK (SQLite rebuilds the table): the events before
    it stay, an event about an author is accepted, and the log is still append-only."""
    engine = make_engine(empty_db_url)
    insert = (
        "INSERT INTO moderation_event (target_type, target_id, actor, actor_type, action,"
        " created_at, extra) VALUES ('{target}', 1, 'ann', 'user', '{action}',"
        " CURRENT_TIMESTAMP, '{{}}')"
    )
    try:
        upgrade_db(engine, "0006")
        with engine.begin() as conn:
            conn.execute(sa.text(insert.format(target="comment", action="approve")))
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text(insert.format(target="author", action="standing")))
        upgrade_db(engine)
        with engine.begin() as conn:
            conn.execute(sa.text(insert.format(target="author", action="standing")))
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT target_type, action FROM moderation_event ORDER BY id")
            ).all()
        assert [tuple(r) for r in rows] == [("comment", "approve"), ("author", "standing")]
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM moderation_event"))
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text(insert.format(target="nobody", action="x")))
    finally:
        engine.dispose()


def test_webhook_audit_revision_keeps_the_audit_log_and_lets_it_name_webhooks(
    empty_db_url: str,
) -> None:
    """0015 widens the audit log's target CHECK to 'webhook' (SQLite rebuilds the table): the
    events before it and the table's indexes stay, the log is still append-only, and going back
    is refused while an event about a webhook exists (nothing changed by the refusal)."""
    engine = make_engine(empty_db_url)
    insert = (
        "INSERT INTO moderation_event (target_type, target_id, actor, actor_type, action,"
        " created_at, extra) VALUES ('{target}', 1, 'ann', 'user', '{action}',"
        " CURRENT_TIMESTAMP, '{{}}')"
    )

    def indexes() -> set[str]:
        return {str(i["name"]) for i in sa.inspect(engine).get_indexes("moderation_event")}

    try:
        upgrade_db(engine, "0014")
        before = indexes()
        with engine.begin() as conn:
            conn.execute(sa.text(insert.format(target="author", action="standing")))
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text(insert.format(target="webhook", action="add_hook")))
        upgrade_db(engine, "0015")
        assert indexes() == before
        with engine.begin() as conn:
            conn.execute(sa.text(insert.format(target="webhook", action="add_hook")))
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT target_type, action FROM moderation_event ORDER BY id")
            ).all()
        assert [tuple(r) for r in rows] == [("author", "standing"), ("webhook", "add_hook")]
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM moderation_event"))
        with pytest.raises(RuntimeError, match="webhooks"):
            downgrade(engine, "0014")
        assert current_revision(engine) == "0015" and indexes() == before
        with engine.begin() as conn:
            conn.execute(sa.text(insert.format(target="webhook", action="remove_hook")))
    finally:
        engine.dispose()


def test_webhook_audit_revision_downgrades_when_no_webhook_was_audited(
    empty_db_url: str,
) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade_db(engine, "0015")
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO moderation_event (target_type, target_id, actor, actor_type,"
                    " action, created_at, extra) VALUES ('comment', 1, 'ann', 'user', 'approve',"
                    " CURRENT_TIMESTAMP, '{}')"
                )
            )
        downgrade(engine, "0014")
        assert current_revision(engine) == "0014"
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT action FROM moderation_event")).scalar_one() == (
                "approve"
            )
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM moderation_event"))
    finally:
        engine.dispose()
