"""WordPress WXR exports (1.0-1.2): one ParsedThread per post or page, streamed item by item.

Decisions, for archivists:

* every post, page or custom item is an article, with or without comments (its thread is then
  empty); attachments, menu items, revisions and other technical post types are skipped unless
  they carry comments (then they are kept, so nothing is dropped);
* ``wp:comment_status`` open/closed is the thread state (anything else: unknown, kept open with a
  note); ``wp:comment_approved`` 1/0/spam/trash gives approved/pending/spam/deleted, anything else
  pending with a warning; ``wp:comment_parent`` builds the reply tree; pingbacks and trackbacks
  keep their kind;
* times come from ``wp:comment_date_gmt`` (UTC); when that is missing or zero, from
  ``wp:comment_date``, which is the blog's local time: it is stored as if it were UTC and the
  comment's ``extra["posted_at_local"]`` says so;
* ``wp:commentmeta`` is kept in ``extra["meta"]`` (key -> value, PHP-serialized values verbatim),
  the author IP in ``extra["author_ip"]``;
* a prefix the export never declares (``excerpt:`` in old WordPress MU exports) is declared for it
  and the file read again, with a warning (see :class:`threads.ingest.stream.UndeclaredPrefix`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element

from threads.enums import CommentKind, CommentStatus, ThreadState
from threads.ingest.dates import as_utc
from threads.ingest.parsed import ParsedArticle, ParsedComment, ParsedSite, ParsedThread
from threads.ingest.registry import Format, Head
from threads.ingest.sites import wordpress_site
from threads.ingest.stream import Item, XmlSource, iter_xml, local, namespace, text_of

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
SKIPPED_POST_TYPES = frozenset(
    {
        "attachment",
        "nav_menu_item",
        "revision",
        "custom_css",
        "customize_changeset",
        "oembed_cache",
        "user_request",
        "wp_block",
        "wp_global_styles",
        "wp_navigation",
        "wp_template",
        "wp_template_part",
        "wp_font_family",
        "wp_font_face",
    }
)
_APPROVED = {
    "1": CommentStatus.APPROVED,
    "approve": CommentStatus.APPROVED,
    "approved": CommentStatus.APPROVED,
    "0": CommentStatus.PENDING,
    "hold": CommentStatus.PENDING,
    "spam": CommentStatus.SPAM,
    "trash": CommentStatus.DELETED,
    "post-trashed": CommentStatus.DELETED,
}
_KINDS = {"pingback": CommentKind.PINGBACK, "trackback": CommentKind.TRACKBACK}


class WxrReader:
    """Iterates the threads of a WXR file; ``warnings`` and ``skipped`` fill as it goes."""

    format = "wxr"

    def __init__(self, source: XmlSource) -> None:
        self.source = source
        self.name = source.path.name
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}
        self.site: dict[str, str] = {}

    def __iter__(self) -> Iterator[Item]:
        depth = 0
        root: Element | None = None
        channel: Element | None = None
        seen_root = False
        for event, elem in iter_xml(self.source):
            if event == "start":
                depth += 1
                if depth == 1:
                    root = elem
                    seen_root = True
                elif depth == 2 and local(elem.tag) == "channel":
                    channel = elem
                continue
            depth -= 1
            if depth == 2 and channel is not None:
                name = local(elem.tag)
                if name == "item":
                    thread = self._item(elem)
                    channel.clear()
                    if thread is not None:
                        yield thread
                elif name in ("title", "link", "base_site_url", "base_blog_url", "language"):
                    value = text_of(elem).strip()
                    if value:  # an <atom:link/> has none
                        self.site[name] = value
            elif depth == 1 and root is not None and local(elem.tag) != "channel":
                root.remove(elem)
        if seen_root and root is not None and local(root.tag) != "rss":
            self.warnings.append(f"{self.name}: root element is <{local(root.tag)}>, not <rss>")

    def _site(self) -> ParsedSite | None:
        """The blog, from the channel read so far (its header comes before the items)."""
        base = self.site.get("base_site_url") or self.site.get("link")
        return wordpress_site(base, self.site.get("title"))

    # ------------------------------------------------------------------ items

    def _item(self, item: Element) -> ParsedThread | None:
        fields: dict[str, str] = {}
        comments: list[Element] = []
        categories: list[dict[str, str]] = []
        postmeta: dict[str, str] = {}
        content = excerpt = ""
        for child in item:
            name = local(child.tag)
            ns = namespace(child.tag)
            if name == "comment":
                comments.append(child)
            elif name == "encoded":
                if ns == CONTENT_NS:
                    content = text_of(child)
                else:
                    excerpt = text_of(child)
            elif name == "category":
                categories.append(
                    {
                        "domain": child.get("domain", ""),
                        "nicename": child.get("nicename", ""),
                        "name": text_of(child).strip(),
                    }
                )
            elif name == "postmeta":
                key, value = _meta(child)
                if key:
                    postmeta[key] = value
            else:
                fields[name] = text_of(child)
        post_type = fields.get("post_type", "post").strip() or "post"
        if post_type in SKIPPED_POST_TYPES and not comments:
            self.skipped[post_type] = self.skipped.get(post_type, 0) + 1
            return None
        title = fields.get("title", "").strip()
        link = fields.get("link", "").strip() or None
        guid = fields.get("guid", "").strip()
        post_id = fields.get("post_id", "").strip()
        warnings: list[str] = []
        key_part = guid or link or (f"post:{post_id}" if post_id else None)
        published, published_text = _post_date(fields)
        creator = fields.get("creator", "").strip()
        extra: dict[str, object] = {
            k: fields[k].strip()
            for k in ("post_id", "post_name", "status", "post_type", "ping_status", "guid")
            if fields.get(k, "").strip()
        }
        if excerpt.strip():
            extra["excerpt"] = excerpt
        if categories:
            extra["categories"] = categories
        if postmeta:
            extra["postmeta"] = postmeta
        article = ParsedArticle(
            title=title,
            source_url=link,
            byline=creator or None,
            authors=[creator] if creator else [],
            published_at=published,
            published_text=published_text,
            body=content,
            key=f"wxr:{key_part}" if key_part else None,
            extra=extra,
        )
        status = fields.get("comment_status", "").strip().lower()
        if status == "closed":
            state: ThreadState | None = ThreadState.CLOSED
            note: str | None = "WXR wp:comment_status is 'closed'"
        elif status == "open":
            state, note = ThreadState.OPEN, "WXR wp:comment_status is 'open'"
        else:
            state = None
            note = "WXR item has no wp:comment_status" if not status else None
            if status:
                note = f"WXR wp:comment_status {status!r} is neither open nor closed"
                warnings.append(f"{self.name}: item {title!r}: {note}; kept open")
        parsed = [self._comment(c, i, title, warnings) for i, c in enumerate(comments)]
        return ParsedThread(
            site=self._site(),
            article=article,
            comments=parsed,
            state=state,
            state_note=note,
            external_id=post_id or guid or None,
            warnings=warnings,
        )

    def _comment(
        self, element: Element, position: int, title: str, warnings: list[str]
    ) -> ParsedComment:
        fields: dict[str, str] = {}
        meta: dict[str, str] = {}
        for child in element:
            name = local(child.tag)
            if name == "commentmeta":
                key, value = _meta(child)
                if key:
                    meta[key] = value
            else:
                fields[name] = text_of(child)
        comment_id = fields.get("comment_id", "").strip() or None
        where = f"{self.name}: item {title!r}, comment {comment_id or position + 1}"
        approved = fields.get("comment_approved")
        status = _APPROVED.get((approved or "").strip().lower())
        if status is None:
            shown = "missing" if approved is None else repr(approved.strip())
            warnings.append(f"{where}: wp:comment_approved {shown} is not 1/0/spam/trash; pending")
            status = CommentStatus.PENDING
        comment_type = fields.get("comment_type", "").strip().lower()
        extra: dict[str, object] = {}
        if comment_type and comment_type not in ("comment", *_KINDS):
            extra["comment_type"] = comment_type
        ip = fields.get("comment_author_IP", "").strip()
        if ip:
            extra["author_ip"] = ip
        user_id = fields.get("comment_user_id", "").strip()
        if user_id and user_id != "0":
            extra["user_id"] = user_id
        posted_at, posted_text, local_time = _comment_date(fields)
        if meta.get(_UNDATED_KEY) == _UNDATED_VALUE:
            # a threads export of an undated comment: the date is when threads stored it
            del meta[_UNDATED_KEY]
            posted_at, posted_text, local_time = None, None, False
        if meta:
            extra["meta"] = meta
        if local_time:
            extra["posted_at_local"] = True
        parent = fields.get("comment_parent", "").strip()
        email = fields.get("comment_author_email", "").strip()
        url = fields.get("comment_author_url", "").strip()
        return ParsedComment(
            body=fields.get("comment_content", "").strip(),
            external_id=comment_id,
            parent_external_id=parent if parent and parent != "0" else None,
            author_name=fields.get("comment_author", "").strip() or None,
            author_url=url or None,
            author_email=email or None,
            posted_at=posted_at,
            posted_text=posted_text,
            status=status,
            kind=_KINDS.get(comment_type, CommentKind.COMMENT),
            body_format="html",
            position=position,
            extra=extra,
        )


#: the comment meta threads' own WXR export adds to a comment the source gave no date (see
#: ``threads.archive.wxr.UNDATED_META``: the same pair, not imported to keep readers apart)
_UNDATED_KEY, _UNDATED_VALUE = "threads_date", "stored"


def _meta(element: Element) -> tuple[str, str]:
    key = value = ""
    for child in element:
        name = local(child.tag)
        if name == "meta_key":
            key = text_of(child).strip()
        elif name == "meta_value":
            value = text_of(child)
    return key, value


def _wp_time(text: str) -> datetime | None:
    text = text.strip()
    if not text or text.startswith("0000-00-00"):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _comment_date(fields: dict[str, str]) -> tuple[datetime | None, str | None, bool]:
    gmt = fields.get("comment_date_gmt", "")
    value = _wp_time(gmt)
    if value is not None:
        return value, gmt.strip(), False
    local_text = fields.get("comment_date", "").strip()
    value = _wp_time(local_text)
    if value is not None:
        return value, local_text, True
    return None, (gmt.strip() or local_text or None), False


def _post_date(fields: dict[str, str]) -> tuple[datetime | None, str | None]:
    gmt = fields.get("post_date_gmt", "")
    value = _wp_time(gmt)
    if value is not None:
        return value, gmt.strip()
    pub = fields.get("pubDate", "").strip()
    if pub:
        try:
            parsed = parsedate_to_datetime(pub)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None and parsed.year > 1900:
            return as_utc(parsed), pub
    local_text = fields.get("post_date", "").strip()
    return _wp_time(local_text), (local_text or pub or None)


_WP_NS = re.compile(r"xmlns:wp\s*=|<wp:|wordpress\.org/export/", re.I)


def _detect(head: Head) -> bool:
    """RSS with WordPress's ``wp:`` namespace."""
    return head.root == "rss" and _WP_NS.search(head.text) is not None


FORMAT = Format(
    name="wxr",
    description="a WordPress export (WXR)",
    detect=_detect,
    open=lambda source: WxrReader(source.xml()),
    xml=True,
)
