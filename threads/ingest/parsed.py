"""The common shape every reader produces, before anything touches the database.

Each source-format module turns bytes into :class:`ParsedThread` items (see
``threads.ingest.registry``); one step (``threads.ingest.rows``) turns them into rows and one
loader (``threads.ingest.loader``) writes them. Readers keep what the source said: the exact
body text, the original timestamp text beside the parsed value, source ids, and anything else in
``extra`` (which the archive export carries along).

The shapes are defined beside the tables they fill (``threads.models``), so that a field a
source carries is declared once, next to its column.
"""

from __future__ import annotations

from threads.models import (
    COMMENT_LINK_FIELDS,
    ParsedArticle,
    ParsedComment,
    ParsedSite,
    ParsedThread,
)

__all__ = ["COMMENT_LINK_FIELDS", "ParsedArticle", "ParsedComment", "ParsedSite", "ParsedThread"]
