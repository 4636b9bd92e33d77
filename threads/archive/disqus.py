"""Disqus XML export: ``<disqus>`` with a category, every thread, then every post.

Written as it is read (no tree in memory). Disqus knows threads (link, title, closed, deleted)
and posts (message, author, deleted, spam, parent); what it cannot say is lost (see the README).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy.engine import Engine

from threads.archive.common import STREAM, iso_z, snapshot, xml_text
from threads.archive.wxr import cdata, html_body
from threads.db.queries.archive import export_comments, export_threads
from threads.models import CommentStatus, ThreadState

DISQUS_NS = "http://disqus.com"
DSQ_NS = "http://disqus.com/disqus-internals"
FORUM = "threads"
_DELETED = {CommentStatus.DELETED, CommentStatus.REJECTED}


def text(value: Any) -> str:
    return escape(xml_text(None if value is None else str(value)))


def _bool(value: bool) -> str:
    return "true" if value else "false"


def dump_disqus(
    engine: Engine,
    out: TextIO,
    *,
    thread_ids: Sequence[int] | None = None,
    site: str | None = None,
) -> int:
    """Write a Disqus XML export of the threads (all, or ``thread_ids``); returns posts written.

    ``site`` (a site key) narrows to that site's threads. Raises NotFound naming thread ids
    that do not exist or an unknown site key.
    """
    written = 0
    w = out.write
    with snapshot(engine, thread_ids, site) as (conn, scope):
        w('<?xml version="1.0" encoding="utf-8"?>\n')
        w(
            f"<disqus xmlns={quoteattr(DISQUS_NS)} xmlns:dsq={quoteattr(DSQ_NS)}"
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        )
        w('  <category dsq:id="1">\n')
        w(f"    <forum>{FORUM}</forum>\n    <title>General</title>\n")
        w("    <isDefault>true</isDefault>\n  </category>\n")
        for t in conn.execute(export_threads(scope), execution_options=STREAM):
            created = t.article_published_at or t.thread_created_at
            identifier = t.thread_external_id or t.article_key
            authors = t.article_authors or []
            author = t.article_byline or (", ".join(authors) if authors else "")
            w(f'  <thread dsq:id="{t.thread_id}">\n')
            w(f"    <id>{text(identifier)}</id>\n")
            w(f"    <forum>{FORUM}</forum>\n")
            w('    <category dsq:id="1" />\n')
            w(f"    <link>{text(t.article_source_url or '')}</link>\n")
            w(f"    <title>{text(t.article_title)}</title>\n")
            w(f"    <message>{cdata(t.article_body)}</message>\n")
            w(f"    <createdAt>{iso_z(created)}</createdAt>\n")
            w("    <author>\n")
            w(f"      <name>{text(author)}</name>\n")
            w(f"      <isAnonymous>{_bool(not author)}</isAnonymous>\n")
            w("    </author>\n")
            w(f"    <isClosed>{_bool(t.thread_state == ThreadState.CLOSED)}</isClosed>\n")
            w("    <isDeleted>false</isDeleted>\n")
            w("  </thread>\n")
        for c in conn.execute(export_comments(scope), execution_options=STREAM):
            written += 1
            w(f'  <post dsq:id="{c.id}">\n')
            w(f"    <id>{text(c.external_id or '')}</id>\n")
            w(f"    <message>{cdata(html_body(c.body, c.body_format))}</message>\n")
            # Disqus tools need a time: an undated comment gets the time threads stored it
            w(f"    <createdAt>{iso_z(c.posted_at or c.created_at)}</createdAt>\n")
            w(f"    <isDeleted>{_bool(c.status in _DELETED)}</isDeleted>\n")
            w(f"    <isSpam>{_bool(c.status == CommentStatus.SPAM)}</isSpam>\n")
            w("    <author>\n")
            w(f"      <email>{text(c.author_email or '')}</email>\n")
            w(f"      <name>{text(c.author_name or '')}</name>\n")
            extra = c.extra or {}
            anonymous = extra.get("is_anonymous")
            if not isinstance(anonymous, bool):
                anonymous = not c.author_name
            w(f"      <isAnonymous>{_bool(anonymous)}</isAnonymous>\n")
            if extra.get("username"):
                w(f"      <username>{text(extra['username'])}</username>\n")
            w("    </author>\n")
            w(f"    <ipAddress>{text(extra.get('author_ip', ''))}</ipAddress>\n")
            w(f'    <thread dsq:id="{c.thread_id}" />\n')
            if c.parent_id is not None:
                w(f'    <parent dsq:id="{c.parent_id}" />\n')
            w("  </post>\n")
        w("</disqus>\n")
    return written
