"""Comments on pages without standard comment markup: Blogger's classic ``dl#comments-block``,
elements whose classes hint at comment, author and text, and "#1 Kommentar von Name" headings."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml.html import HtmlElement

from threads.ingest.dates import parse_timestamp_info
from threads.ingest.html.document import CommentItem, HtmlPage, classes
from threads.ingest.html.readable import block_text, clean_author, inline_text

_HEADING_COMMENT_RE = re.compile(
    r"^#?\s*\d{1,5}\s*[.:)]?\s*(?:kommentar|comment|reaktion|reactie|commentaire|antwort)\s+"
    r"(?:von|by|de|van|from|par)\s+(?P<author>\S.*)$",
    re.IGNORECASE,
)


def blogger_classic_items(page: HtmlPage) -> list[CommentItem]:
    items: list[CommentItem] = []
    for block in page.select("dl#comments-block, dl.comments-block"):
        current: CommentItem | None = None
        for child in block:
            names = classes(child)
            if child.tag == "dt":
                current = CommentItem(root=child, source="blogger-classic")
                current.author = clean_author(inline_text(child))
                items.append(current)
            elif current is not None and child.tag == "dd":
                current.parts.append(child)
                if "comment-footer" in names:
                    current.date_text = inline_text(child) or None
                    current.extra["date_el"] = child
                elif current.body_el is None:
                    current.body_el = child
    return [item for item in items if item.body_el is not None]


_AUTHOR_HINTS = ("author", "user", "benutzer", "autor", "name", "nick")
_TEXT_HINTS = ("text", "content", "body", "inhalt", "message")
_DATE_HINTS = ("date", "datum", "time", "zeit")


def _class_has(el: HtmlElement, hints: Iterable[str]) -> bool:
    value = (el.get("class") or "").lower()
    return any(h in value for h in hints)


def generic_items(page: HtmlPage) -> list[CommentItem]:
    qualifying: list[tuple[HtmlElement, HtmlElement, HtmlElement]] = []
    for el in page.doc.iter("div", "li", "article", "section"):
        value = (el.get("class") or "").lower()
        if not ("comment" in value or "kommentar" in value) or page.in_sidebar(el):
            continue
        author = _first_descendant(el, _AUTHOR_HINTS)
        body = _first_descendant(el, _TEXT_HINTS)
        if author is not None and body is not None and author is not body:
            qualifying.append((el, author, body))
    signature = {el: (author, body) for el, author, body in qualifying}
    found: list[CommentItem] = []
    index_of: dict[HtmlElement, int] = {}
    for el, author, body in qualifying:
        # A wrapper around one comment has the same author and text elements as the comment
        # inside it; a comment holding replies has its own.
        if any(signature.get(d) == (author, body) for d in el.iterdescendants()):
            continue
        item = CommentItem(root=el, source="generic")
        item.author = inline_text(author) or None
        item.body_el = body
        item.parent = next((index_of[a] for a in el.iterancestors() if a in index_of), None)
        date_el = _first_descendant(el, _DATE_HINTS)
        if date_el is not None:
            item.date_text = inline_text(date_el) or None
            item.extra["date_el"] = date_el
        heading = next(iter(el.iter("h2", "h3", "h4", "h5", "h6")), None)
        if heading is not None and inline_text(heading):
            item.extra["title"] = inline_text(heading)
        index_of[el] = len(found)
        found.append(item)
    return found


def _first_descendant(el: HtmlElement, hints: Iterable[str]) -> HtmlElement | None:
    for node in el.iterdescendants():
        if isinstance(node.tag, str) and _class_has(node, hints):
            return node
    return None


def heading_items(page: HtmlPage) -> list[CommentItem]:
    items: list[CommentItem] = []
    for heading in page.doc.iter("h2", "h3", "h4", "h5", "h6", "strong", "b"):
        match = _HEADING_COMMENT_RE.match(inline_text(heading))
        if not match or page.in_sidebar(heading):
            continue
        item = CommentItem(root=heading, source="heading")
        item.author = match.group("author").strip() or None
        lines = _lines_after(heading)
        if lines and parse_timestamp_info(lines[0]) is not None:
            item.date_text = lines.pop(0)
        item.body_text = "\n\n".join(lines)
        items.append(item)
    return items


def _lines_after(heading: HtmlElement) -> list[str]:
    """Text following a comment heading up to the next heading of the same kind."""
    chunks: list[str] = []
    if heading.tail and heading.tail.strip():
        chunks.append(heading.tail.strip())
    node = heading.getnext()
    while node is not None:
        if node.tag == heading.tag and _HEADING_COMMENT_RE.match(inline_text(node)):
            break
        text = block_text(node)
        if text:
            chunks.append(text)
        if node.tail and node.tail.strip():
            chunks.append(node.tail.strip())
        node = node.getnext()
    return chunks
