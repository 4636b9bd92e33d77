"""Blogger Atom exports: posts (and pages) become articles, comments their threads.

Entries are told apart by ``<category scheme="http://schemas.google.com/g/2005#kind">``
(``...kind#post``, ``#page``, ``#comment``; settings and templates are skipped). Elements are
matched by namespace URI, not prefix, so exports whose every element is ``ns0:``-prefixed read the
same. A comment names its post with ``thr:in-reply-to ref=``; a reply names its parent comment
with a ``rel="related"`` link to that comment (or an ``in-reply-to`` pointing at a comment).
Comments that come before their post are held until it appears; comments whose post never appears
get a placeholder article (with a warning). Drafts (``app:draft`` yes) are kept as articles with
``extra["draft"] = True``; the ``app:`` prefix, which some exports never declare, is declared for
them and the file read again (a warning says so).

Google Takeout's ``feed.atom`` (the schema Blogger has exported since 2018, namespace
``http://schemas.google.com/blogger/2018``) says the same with its own elements:
``blogger:type`` (POST, PAGE, COMMENT), ``blogger:status`` (LIVE, DRAFT, SOFT_TRASHED for posts;
LIVE, SPAM_COMMENT, ... for comments), ``blogger:parent`` (a comment's post),
``blogger:inReplyTo`` (a reply's parent comment, empty otherwise), ``blogger:trashed`` (when it
was put in the bin) and ``blogger:filename`` (the post's path on the blog). Labels are
``category`` elements whose scheme is the blog's own ``tag:blogger.com,...`` id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.etree.ElementTree import Element

from threads.enums import CommentStatus
from threads.ingest.dates import parse_iso_utc
from threads.ingest.parsed import ParsedArticle, ParsedComment, ParsedSite, ParsedThread
from threads.ingest.registry import Format, Head
from threads.ingest.sites import site_of_page
from threads.ingest.stream import Item, MoreComments, XmlSource, iter_xml, local, namespace, text_of

ATOM = "http://www.w3.org/2005/Atom"
THR = "http://purl.org/syndication/thread/1.0"
GD = "http://schemas.google.com/g/2005"
KIND_SCHEME = "http://schemas.google.com/g/2005#kind"
LABEL_SCHEME = "http://www.blogger.com/atom/ns#"
B2018 = "http://schemas.google.com/blogger/2018"
_TAKEOUT_KINDS = {"POST": "post", "PAGE": "page", "COMMENT": "comment"}
# blogger:status of a Takeout comment -> our status; anything else is held as pending (warned)
_TAKEOUT_COMMENT_STATUS = {
    "LIVE": CommentStatus.APPROVED,
    "SPAM_COMMENT": CommentStatus.SPAM,
    "SPAM": CommentStatus.SPAM,
    "PENDING": CommentStatus.PENDING,
    "PENDING_COMMENT": CommentStatus.PENDING,
    "DELETED": CommentStatus.DELETED,
    "DELETED_COMMENT": CommentStatus.DELETED,
    "SOFT_TRASHED": CommentStatus.DELETED,
    "TRASHED": CommentStatus.DELETED,
}
_ARTICLE_KINDS = ("post", "page")
_TRAILING_NUMBER = re.compile(r"(\d+)$")
_BLOG_ID = re.compile(r"blog-(\d+)")


class BloggerReader:
    """Iterates the threads of a Blogger Atom export; ``warnings`` and ``skipped`` fill."""

    format = "blogger"

    def __init__(self, source: XmlSource) -> None:
        self.source = source
        self.name = source.path.name
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}
        self._posts: set[str] = set()
        self._comment_post: dict[str, str] = {}
        self._waiting: dict[str, list[ParsedComment]] = {}
        self._positions: dict[str, int] = {}
        self._feed: dict[str, str] = {}

    def _site(self) -> ParsedSite | None:
        """The blog: ``blogger:<blog id>`` from the feed's id, else the host of its address
        (None when the feed says neither: each page's host is taken then)."""
        title = self._feed.get("title", "").strip()
        address = self._feed.get("link", "").strip() or None
        blog = _BLOG_ID.search(self._feed.get("id", ""))
        if blog is not None:
            return ParsedSite(f"blogger:{blog.group(1)}", title or blog.group(1), address)
        if address is None:
            return None
        site = site_of_page(address)
        return ParsedSite(site.key, title or site.name, site.base_url)

    def __iter__(self) -> Iterator[Item]:
        depth = 0
        root: Element | None = None
        for event, elem in iter_xml(self.source):
            if event == "start":
                depth += 1
                if depth == 1:
                    root = elem
                continue
            depth -= 1
            if depth != 1 or root is None:
                continue
            name = local(elem.tag)
            if name == "entry":
                for item in self._entry(elem):
                    if isinstance(item, ParsedThread):
                        item.site = self._site()
                    yield item
            elif name in ("id", "title") or (name == "link" and elem.get("rel") == "alternate"):
                self._feed[name] = (elem.get("href") if name == "link" else text_of(elem)) or ""
            root.clear()
        # comments whose ref was a comment seen later, or a post that never came
        for ref, comments in list(self._waiting.items()):
            post = self._comment_post.get(ref)
            if post is not None and post in self._posts:
                for comment in comments:
                    comment.parent_external_id = comment.parent_external_id or ref
                yield MoreComments(post, self._positioned(post, comments))
                continue
            self.warnings.append(
                f"{self.name}: {len(comments)} comment(s) reply to {ref!r}, which is not a post "
                "in the export; attached to a placeholder article"
            )
            yield ParsedThread(
                site=self._site(),
                article=ParsedArticle(
                    title=f"Blogger post {ref} (not in the export)",
                    key=f"blogger:{ref}",
                    extra={"placeholder": True},
                ),
                comments=self._positioned(ref, comments),
                state_note="placeholder for a Blogger post missing from the export",
                external_id=ref,
                extra={"placeholder": True},
            )
        self._waiting = {}

    def _positioned(self, post: str, comments: list[ParsedComment]) -> list[ParsedComment]:
        for comment in comments:
            position = self._positions.get(post, 0)
            comment.position = position
            self._positions[post] = position + 1
        return comments

    def _entry(self, entry: Element) -> Iterator[Item]:
        kind = None
        labels: list[str] = []
        takeout = _takeout_fields(entry)
        for category in entry.iter(f"{{{ATOM}}}category"):
            scheme = category.get("scheme", "")
            term = category.get("term", "")
            if scheme == KIND_SCHEME:
                kind = term.rsplit("#", 1)[-1]
            elif term and (
                scheme == LABEL_SCHEME or (takeout and scheme.startswith("tag:blogger"))
            ):
                labels.append(term)
        reply_to = next(entry.iter(f"{{{THR}}}in-reply-to"), None)
        if kind is None and "type" in takeout:
            kind = _TAKEOUT_KINDS.get(takeout["type"].upper(), takeout["type"].lower())
        if kind is None and reply_to is not None:
            kind = "comment"
        if kind in _ARTICLE_KINDS:
            yield from self._post(entry, kind, labels, takeout)
        elif kind == "comment":
            yield from self._comment(entry, reply_to, takeout)
        else:
            label = kind or "entry without a kind"
            self.skipped[label] = self.skipped.get(label, 0) + 1

    def _post(
        self, entry: Element, kind: str, labels: list[str], takeout: dict[str, str]
    ) -> Iterator[Item]:
        fields = _fields(entry)
        entry_id = text_of(fields.get("id")).strip()
        title = text_of(fields.get("title")).strip()
        published_text = text_of(fields.get("published")).strip()
        author = _author(fields.get("author"))
        extra: dict[str, object] = {"kind": kind}
        if labels:
            extra["labels"] = labels
        status = takeout.get("status", "").upper()
        if _is_draft(entry) or status == "DRAFT":
            extra["draft"] = True
        if status and status not in ("LIVE", "DRAFT"):
            extra["blogger_status"] = status  # SOFT_TRASHED, SCHEDULED, ...
        if takeout.get("trashed"):
            extra["trashed"] = takeout["trashed"]
        if takeout.get("filename"):
            extra["filename"] = takeout["filename"]
        updated = text_of(fields.get("updated")).strip()
        if updated:
            extra["updated"] = updated
        content = fields.get("content")
        url = _link(entry, "alternate")
        self._posts.add(entry_id)
        yield ParsedThread(
            article=ParsedArticle(
                title=title,
                source_url=url,
                byline=author.get("name"),
                authors=[author["name"]] if author.get("name") else [],
                published_at=parse_iso_utc(published_text),
                published_text=published_text or None,
                body=text_of(content),
                key=f"blogger:{entry_id}" if entry_id else None,
                extra=extra,
            ),
            state_note="Blogger export does not say whether comments are closed",
            external_id=entry_id or None,
        )
        waiting = self._waiting.pop(entry_id, None)
        if waiting:
            yield MoreComments(entry_id, self._positioned(entry_id, waiting))

    def _comment(
        self, entry: Element, reply_to: Element | None, takeout: dict[str, str]
    ) -> Iterator[Item]:
        fields = _fields(entry)
        entry_id = text_of(fields.get("id")).strip() or None
        ref = (reply_to.get("ref") or "").strip() if reply_to is not None else ""
        ref = ref or takeout.get("parent", "")
        parent: str | None = takeout.get("inReplyTo") or None
        related = _link(entry, "related")
        if related and entry_id:
            number = _TRAILING_NUMBER.search(related.rstrip("/"))
            own = _TRAILING_NUMBER.search(entry_id)
            if number and own:
                parent = entry_id[: own.start()] + number.group(1)
        post = ref
        if ref in self._comment_post:  # in-reply-to names a comment: a reply
            post = self._comment_post[ref]
            parent = parent or ref
        published_text = text_of(fields.get("published")).strip()
        posted_at = parse_iso_utc(published_text)
        author = _author(fields.get("author"))
        extra: dict[str, object] = {}
        for prop in entry.iter(f"{{{GD}}}extendedProperty"):
            if prop.get("name") == "blogger.displayTime":
                extra["display_time"] = prop.get("value", "")
        if author.get("uri"):
            extra["author_uri"] = author["uri"]
        if author.get("type"):
            extra["author_type"] = author["type"]  # Takeout: BLOGGER, USER, ANONYMOUS, ...
        status = CommentStatus.APPROVED
        blogger_status = takeout.get("status", "").upper()
        if blogger_status:
            extra["blogger_status"] = blogger_status
            known = _TAKEOUT_COMMENT_STATUS.get(blogger_status)
            if known is None:
                self.warnings.append(
                    f"{self.name}: comment {entry_id}: unknown blogger:status "
                    f"{blogger_status!r}; kept as pending"
                )
            status = known or CommentStatus.PENDING
        if takeout.get("trashed"):
            extra["trashed"] = takeout["trashed"]
            if status is CommentStatus.APPROVED:
                status = CommentStatus.DELETED
        permalink = _link(entry, "alternate")
        if permalink:
            extra["permalink"] = permalink
        if published_text and posted_at is None:
            self.warnings.append(f"{self.name}: comment {entry_id}: bad date {published_text!r}")
        content = fields.get("content")
        email = author.get("email")
        comment = ParsedComment(
            body=text_of(content).strip(),
            external_id=entry_id,
            parent_external_id=parent,
            author_name=author.get("name"),
            author_url=author.get("uri"),
            author_email=email if email and email != "noreply@blogger.com" else None,
            posted_at=posted_at,
            posted_text=published_text or None,
            status=status,
            body_format="html"
            if (content is not None and content.get("type") != "text")
            else "text",
            extra=extra,
        )
        if email == "noreply@blogger.com":
            extra["author_email"] = email
        if not ref:
            self.warnings.append(
                f"{self.name}: comment {entry_id} names no post (in-reply-to or blogger:parent)"
            )
            ref = post = "(none)"
        if entry_id:
            self._comment_post[entry_id] = post
        if post in self._posts:
            yield MoreComments(post, self._positioned(post, [comment]))
        else:
            self._waiting.setdefault(ref, []).append(comment)


def _takeout_fields(entry: Element) -> dict[str, str]:
    """The entry's own ``blogger:*`` (2018 schema) elements by local name, text stripped.

    Direct children only: the author's ``blogger:type`` is not the entry's.
    """
    return {
        local(child.tag): text_of(child).strip() for child in entry if namespace(child.tag) == B2018
    }


def _fields(entry: Element) -> dict[str, Element]:
    fields: dict[str, Element] = {}
    for child in entry:
        if namespace(child.tag) == ATOM:
            fields.setdefault(local(child.tag), child)
    return fields


def _author(element: Element | None) -> dict[str, str]:
    if element is None:
        return {}
    out: dict[str, str] = {}
    for child in element:
        value = " ".join(text_of(child).split())
        if value:
            out[local(child.tag)] = value
    return out


def _link(entry: Element, rel: str) -> str | None:
    for link in entry.findall(f"{{{ATOM}}}link"):
        if link.get("rel") == rel and link.get("href"):
            return link.get("href")
    return None


def _is_draft(entry: Element) -> bool:
    for element in entry.iter():
        if local(element.tag) == "draft" and text_of(element).strip().lower() == "yes":
            return True
    return False


_BLOGGER = re.compile(
    r"schemas\.google\.com/blogger|tag:blogger\.com|blogger\.com/atom|in-reply-to"
    r"|<(?:\w+:)?generator[^>]*>\s*Blogger",
    re.I,
)


def _detect(head: Head) -> bool:
    """An Atom feed that carries Blogger kinds, ids, a Blogger generator or replies."""
    return head.root == "feed" and _BLOGGER.search(head.text) is not None


FORMAT = Format(
    name="blogger",
    description="a Blogger export (Atom, also Google Takeout's feed.atom)",
    detect=_detect,
    open=lambda source: BloggerReader(source.xml()),
    xml=True,
)
