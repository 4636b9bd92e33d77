"""Database access: engine and session scope, queries, migrations."""

from threads.db.engine import database_unavailable, ensure_writable, make_engine, session_scope
from threads.db.migrate import current_revision, downgrade, ensure_schema, head_revision, upgrade

__all__ = [
    "current_revision",
    "database_unavailable",
    "downgrade",
    "ensure_schema",
    "ensure_writable",
    "head_revision",
    "make_engine",
    "session_scope",
    "upgrade",
]
