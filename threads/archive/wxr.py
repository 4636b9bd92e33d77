"""WordPress eXtended RSS (WXR 1.2): one ``<item>`` per article, its comments inside.

The document is written as it is read from the database (no tree in memory). What WXR cannot say
is lost (see the README): topic labels, events, reports, the difference between pending and
flagged or between deleted and rejected, a comment's original timestamp text, thread policies.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, TextIO
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy.engine import Engine

from threads import __version__
from threads.archive.common import snapshot, threads_with_comments, xml_text
from threads.models import CommentKind, CommentStatus, ThreadState

NAMESPACES = {
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wp": "http://wordpress.org/export/1.2/",
}

#: wp:comment_approved for each status (WordPress knows 1, 0, spam and trash)
APPROVED = {
    CommentStatus.APPROVED: "1",
    CommentStatus.PENDING: "0",
    CommentStatus.FLAGGED: "0",
    CommentStatus.SPAM: "spam",
    CommentStatus.DELETED: "trash",
    CommentStatus.REJECTED: "trash",
}
COMMENT_TYPE = {
    CommentKind.COMMENT: "",
    CommentKind.PINGBACK: "pingback",
    CommentKind.TRACKBACK: "trackback",
}
_NO_DATE = "0000-00-00 00:00:00"  # what WordPress itself writes for "no date"
#: the comment meta that says a comment's date is the time threads stored it, because the
#: source gave none: importers such as Isso's need a real date (they fail on WordPress's own
#: ``0000-00-00 00:00:00``), and threads' WXR reader takes the comment back as undated
UNDATED_META = ("threads_date", "stored")


def cdata(value: str | None) -> str:
    """A CDATA section holding ``value`` exactly (a ``]]>`` inside is split across two)."""
    text = xml_text(value).replace("]]>", "]]]]><![CDATA[>")
    return f"<![CDATA[{text}]]>"


def text(value: Any) -> str:
    return escape(xml_text(None if value is None else str(value)))


def wp_date(value: datetime | None) -> str:
    return _NO_DATE if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def rss_date(value: datetime | None) -> str:
    return "" if value is None else format_datetime(value.astimezone(UTC), usegmt=True)


def html_body(body: str, body_format: str) -> str:
    """The body as HTML, which is what WordPress and Disqus hold: plain text is escaped."""
    return body if body_format == "html" else html.escape(body, quote=False)


def comment_meta(extra: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, value) pairs for ``wp:commentmeta``: the source's own meta (``extra["meta"]``, as a
    WXR import keeps it), then every other key of ``extra`` that WXR has no element for."""
    pairs: list[tuple[str, str]] = []
    meta = extra.get("meta")
    if isinstance(meta, dict):
        pairs.extend((str(k), meta_value(meta[k])) for k in sorted(meta, key=str))
    for key in sorted(extra, key=str):
        if key in _WXR_FIELDS or (key == "meta" and isinstance(meta, dict)):
            continue
        pairs.append((str(key), meta_value(extra[key])))
    return pairs


#: keys of a comment's extra that have their own WXR element
_WXR_FIELDS = {"author_ip", "user_id", "comment_type"}


def meta_value(value: Any) -> str:
    """Comment meta values are strings in WordPress; anything else is written as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def dump_wxr(
    engine: Engine,
    out: TextIO,
    *,
    thread_ids: Sequence[int] | None = None,
    site: str | None = None,
) -> int:
    """Write a WXR 1.2 document of the threads (all, or ``thread_ids``); returns comments written.

    ``site`` (a site key) narrows to that site's threads. Raises NotFound naming thread ids
    that do not exist or an unknown site key.
    """
    written = 0
    with snapshot(engine, thread_ids, site) as (conn, scope):
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write("<!-- WordPress eXtended RSS written by threads: the WordPress importer ")
        out.write("and threads ingest read it back. -->\n")
        declarations = " ".join(f"xmlns:{k}={quoteattr(v)}" for k, v in NAMESPACES.items())
        out.write(f'<rss version="2.0" {declarations}>\n<channel>\n')
        out.write("\t<title>threads export</title>\n\t<link></link>\n")
        out.write("\t<description>Comment threads exported by threads</description>\n")
        out.write("\t<language></language>\n\t<wp:wxr_version>1.2</wp:wxr_version>\n")
        out.write(
            "\t<wp:base_site_url></wp:base_site_url>\n\t<wp:base_blog_url></wp:base_blog_url>\n"
        )
        out.write(f"\t<generator>threads {escape(__version__)}</generator>\n")
        for thread, comments in threads_with_comments(conn, scope):
            _item_open(out, thread)
            written += _comments(out, comments)
            out.write("\t</item>\n")
        out.write("</channel>\n</rss>\n")
    return written


def _item_open(out: TextIO, t: Any) -> None:
    authors = t.article_authors or []
    creator = t.article_byline or (", ".join(authors) if authors else "")
    date = t.article_published_at or t.article_created_at
    state = "closed" if t.thread_state == ThreadState.CLOSED else "open"
    w = out.write
    w("\t<item>\n")
    # an item without a title is skipped by Isso's importer (it reads no text as no post):
    # an untitled article gets one space, which readers strip (ours too)
    w(f"\t\t<title>{text(t.article_title) or ' '}</title>\n")
    w(f"\t\t<link>{text(t.article_source_url or '')}</link>\n")
    w(f"\t\t<pubDate>{rss_date(date)}</pubDate>\n")
    w(f"\t\t<dc:creator>{cdata(creator)}</dc:creator>\n")
    w(f'\t\t<guid isPermaLink="false">{text(t.article_key)}</guid>\n')
    w("\t\t<description></description>\n")
    w(f"\t\t<content:encoded>{cdata(t.article_body)}</content:encoded>\n")
    w(f"\t\t<excerpt:encoded>{cdata(t.article_standfirst or '')}</excerpt:encoded>\n")
    w(f"\t\t<wp:post_id>{t.article_id}</wp:post_id>\n")
    w(f"\t\t<wp:post_date>{cdata(wp_date(date))}</wp:post_date>\n")
    w(f"\t\t<wp:post_date_gmt>{cdata(wp_date(date))}</wp:post_date_gmt>\n")
    w(f"\t\t<wp:comment_status>{state}</wp:comment_status>\n")
    w(f"\t\t<wp:ping_status>{state}</wp:ping_status>\n")
    w(f"\t\t<wp:post_name>{cdata('thread-' + str(t.thread_id))}</wp:post_name>\n")
    w("\t\t<wp:status>publish</wp:status>\n\t\t<wp:post_parent>0</wp:post_parent>\n")
    w("\t\t<wp:menu_order>0</wp:menu_order>\n\t\t<wp:post_type>post</wp:post_type>\n")
    w("\t\t<wp:post_password></wp:post_password>\n\t\t<wp:is_sticky>0</wp:is_sticky>\n")


def _comments(out: TextIO, comments: Iterable[Any]) -> int:
    n = 0
    w = out.write
    for c in comments:
        n += 1
        w("\t\t<wp:comment>\n")
        w(f"\t\t\t<wp:comment_id>{c.id}</wp:comment_id>\n")
        w(f"\t\t\t<wp:comment_author>{cdata(c.author_name or '')}</wp:comment_author>\n")
        email = text(c.author_email or "")
        w(f"\t\t\t<wp:comment_author_email>{email}</wp:comment_author_email>\n")
        w(f"\t\t\t<wp:comment_author_url>{text(c.author_url or '')}</wp:comment_author_url>\n")
        extra = c.extra or {}
        ip = text(extra.get("author_ip", ""))
        w(f"\t\t\t<wp:comment_author_IP>{ip}</wp:comment_author_IP>\n")
        date = wp_date(c.posted_at or c.created_at)
        w(f"\t\t\t<wp:comment_date>{date}</wp:comment_date>\n")
        w(f"\t\t\t<wp:comment_date_gmt>{date}</wp:comment_date_gmt>\n")
        body = html_body(c.body, c.body_format)
        # an empty CDATA section is no text at all to an XML parser, and importers (Isso's)
        # fail on a comment without text: an empty body is written as one space, which
        # every reader (ours too) strips
        content = cdata(body) if body else " "
        w(f"\t\t\t<wp:comment_content>{content}</wp:comment_content>\n")
        w(f"\t\t\t<wp:comment_approved>{APPROVED[c.status]}</wp:comment_approved>\n")
        kind = COMMENT_TYPE[c.kind] or str(extra.get("comment_type", ""))
        w(f"\t\t\t<wp:comment_type>{text(kind)}</wp:comment_type>\n")
        w(f"\t\t\t<wp:comment_parent>{c.parent_id or 0}</wp:comment_parent>\n")
        w(f"\t\t\t<wp:comment_user_id>{text(extra.get('user_id', 0))}</wp:comment_user_id>\n")
        meta = comment_meta(extra)
        if c.posted_at is None:
            meta.append(UNDATED_META)
        for key, value in meta:
            w("\t\t\t<wp:commentmeta>\n")
            w(f"\t\t\t\t<wp:meta_key>{cdata(key)}</wp:meta_key>\n")
            w(f"\t\t\t\t<wp:meta_value>{cdata(value)}</wp:meta_value>\n")
            w("\t\t\t</wp:commentmeta>\n")
        w("\t\t</wp:comment>\n")
    return n
