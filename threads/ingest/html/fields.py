"""A comment item's fields: author (and the link on the name), body (text and HTML), source id,
status, then the parsed comment; and the reply links between comments."""

from __future__ import annotations

import lxml.etree as etree
from lxml.html import HtmlElement

from threads.enums import CommentKind, CommentStatus
from threads.ingest.html.document import BREAK, PARA, CommentItem, HtmlPage, self_and_ancestors
from threads.ingest.html.markup import depth_class, external_id, inner_id
from threads.ingest.html.readable import (
    BLOCK_TAGS,
    block_text,
    inline_text,
    inner_html,
    is_noise,
    text_without_noise,
    tidy,
)
from threads.ingest.html.timestamps import posted
from threads.ingest.parsed import ParsedComment
from threads.ingest.rows import unsafe_url_scheme
from threads.ingest.saved_page import removed_notice

_AUTHOR_SELECTORS = (
    ".comment-author .fn",
    "cite.fn",
    ".fn",
    "cite.comment-author",
    "cite.user",
    ".comment-author",
    ".comment-author-name",
    '[class*="comment-author-name"]',
    '[class*="comment__author"]',
    '[class*="comment-author"]',
    ".username",
    ".author",
    "cite",
)
_DATE_SELECTORS = (
    ".comment-meta a",
    ".commentmetadata a",
    ".comment-metadata a",
    ".datetime a",
    ".comment-date",
    '[class*="comment-date"]',
    '[class*="comment__time"]',
    '[class*="comment__date"]',
    ".commentmetadata",
    ".comment-metadata",
    ".comment-meta",
    ".datetime",
    ".submitted",
    ".date",
)
_BODY_SELECTORS = (
    ".comment-content",
    ".comment-text",
    ".comment-body-text",
    ".contenttext",
    ".comment-entry",
    ".entry-content",
    ".comment_text",
    '[class*="comment-content"]',
    '[class*="comment__content"]',
    '[class*="comment-text"]',
    ".field--name-comment-body",
    ".comment-body",
)


def _owned(page: HtmlPage, item: CommentItem, selector: str) -> list[HtmlElement]:
    """Matches of ``selector`` inside ``item`` that do not belong to a reply inside it.

    The item's own element never counts (``li.comment-author-anna`` is not an author name).
    """
    return [el for el in page.owned(selector, item.root) if el is not item.root]


def to_comment(
    page: HtmlPage, item: CommentItem, position: int, default_year: int | None
) -> ParsedComment:
    if item.source == "markup":
        _fill_from_markup(page, item)
    extra = {k: v for k, v in item.extra.items() if k not in ("date_el", "author_el")}
    date_el = item.extra.get("date_el")
    posted_at, notes = posted(
        item, date_el if isinstance(date_el, HtmlElement) else None, default_year
    )
    extra.update(notes)
    body = item.body_text
    if body is None and item.body_el is not None:
        body = block_text(item.body_el)
        extra["html"] = inner_html(item.body_el)
    elif body is None:
        # unknown markup: the comment's own text without its author, date and replies
        body = _residual_text(page, item)
        extra["body_from"] = "comment text"
    ident = external_id(item) or (inner_id(page, item) if item.source == "markup" else None)
    if item.source != "markup":
        extra["found_by"] = item.source
    status = CommentStatus.APPROVED
    if _is_removed(item, body):
        status = CommentStatus.DELETED
        extra["removed_notice"] = True
    return ParsedComment(
        body=body,
        status=status,
        external_id=ident,
        author_name=item.author,
        author_url=_author_url(page, item),
        posted_at=posted_at,
        posted_text=item.date_text,
        kind=item.kind,
        position=position,
        extra=extra,
    )


def _residual_text(page: HtmlPage, item: CommentItem) -> str:
    skip = {item.extra.get("author_el"), item.extra.get("date_el")}
    pieces: list[str] = []
    walker = etree.iterwalk(item.root, events=("start", "end"))
    for event, node in walker:
        if not isinstance(node.tag, str):
            continue
        foreign = page.zone_owner.get(node) not in (None, item.root)
        ignored = node in skip or foreign or is_noise(node)
        if event == "start" and node is not item.root and ignored:
            walker.skip_subtree()
            if node.tail:
                pieces.append(node.tail)
            continue
        if event == "start":
            if node.tag in BLOCK_TAGS or node.tag == "br":
                pieces.append(PARA if node.tag != "br" else BREAK)
            if node.text:
                pieces.append(node.text)
        elif node is not item.root:
            if node.tag in BLOCK_TAGS:
                pieces.append(PARA)
            if node.tail:
                pieces.append(node.tail)
    return tidy("".join(pieces))


def _is_removed(item: CommentItem, body: str) -> bool:
    """A placeholder for a removed comment (Blogger wraps it in ``span.deleted-comment``)."""
    if removed_notice(body):
        return True
    if item.body_el is None:
        return False
    return any("deleted-comment" in (span.get("class") or "") for span in item.body_el.iter("span"))


def _fill_from_markup(page: HtmlPage, item: CommentItem) -> None:
    if item.kind is not CommentKind.COMMENT:
        _fill_pingback(page, item)
        return
    for selector in _AUTHOR_SELECTORS:
        found = _owned(page, item, selector)
        name = text_without_noise(found[0]) if found else ""
        if name:
            item.author = name
            item.extra["author_el"] = found[0]
            break
    times = _owned(page, item, "time[datetime]")
    if times:
        item.date_text = inline_text(times[0]) or times[0].get("datetime")
        item.extra["date_el"] = times[0]
    else:
        for selector in _DATE_SELECTORS:
            found = _owned(page, item, selector)
            if found and inline_text(found[0]):
                item.date_text = inline_text(found[0])
                item.extra["date_el"] = found[0]
                break
    for selector in _BODY_SELECTORS:
        found = _owned(page, item, selector)
        if found:
            item.body_el = found[0]
            break
    depth = depth_class(item.root)
    if depth is not None:
        item.extra["depth"] = depth


def _fill_pingback(page: HtmlPage, item: CommentItem) -> None:
    links = _owned(page, item, "a[href]")
    link = next((a for a in links if inline_text(a)), None)
    if link is not None:
        item.author = inline_text(link)
    body = _owned(page, item, ".comment-content, .comment-body, p")
    item.body_el = body[0] if body else item.root


def _author_url(page: HtmlPage, item: CommentItem) -> str | None:
    """The link on the author's name (inside it, or the link around it)."""
    author_el = item.extra.get("author_el")
    if isinstance(author_el, HtmlElement):
        links = [author_el] if author_el.tag == "a" else list(author_el.iter("a"))
        for anc in self_and_ancestors(author_el):
            if anc is item.root:
                break
            if anc.tag == "a":
                links.append(anc)
        for link in links:
            href = (link.get("href") or "").strip()
            if href and not href.startswith("#") and unsafe_url_scheme(href) is None:
                return href
        return None
    if item.source == "markup" and item.kind is not CommentKind.COMMENT:
        links = _owned(page, item, "a[href]")
        return str(links[0].get("href")).strip() if links else None
    return None


def link_parents(comments: list[ParsedComment], items: list[CommentItem]) -> None:
    for comment, item in zip(comments, items, strict=True):
        if item.parent is None:
            continue
        comment.parent_index = item.parent
        comment.parent_external_id = comments[item.parent].external_id
