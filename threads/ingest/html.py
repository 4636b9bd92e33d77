"""Reader for saved HTML article pages with their comment sections (WordPress, Blogger, others).

The comment list is found by structure, not by theme: every element marked as a comment
(``li.comment``, ``div.comment``, ``article.comment``, ``li.pingback``, ``li#comment-123``, ...)
is a candidate; a candidate inside another one is a *reply* when a list or a replies container
(``ol.children``, ``ul.children``, Blogger's ``div.comment-replies``) lies between them, and part
of the same comment otherwise (``li#li-comment-1 > article#comment-1.comment``). A children list
that the page closed too early (``</li> <ul class="children">``) still belongs to the comment
just before it. Sidebar widgets ("Recent Comments") are never the thread.

Pages without such markup go through two fallbacks: Blogger's classic ``dl#comments-block`` and a
generic one (an element whose class mentions comment/kommentar with an author child and a text
child, or a heading "#1 Kommentar von Name"). If nothing is found the thread has 0 comments and,
when the page looks like it had some, a warning.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import lxml.etree as etree
import lxml.html
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from threads.enums import CommentKind, CommentStatus, ThreadState
from threads.errors import InvalidInput
from threads.ingest.dates import ParsedTime, epoch_from_show_comment, parse_timestamp_info
from threads.ingest.parsed import ParsedArticle, ParsedComment, ParsedThread
from threads.ingest.registry import Format, Head, PageReader
from threads.ingest.text import (
    closed_notice,
    comment_count,
    fit_limits,
    open_notice,
    removed_notice,
    split_authors,
)

__all__ = ["parse_html"]

_COMMENT_CLASSES = {"comment", "pingback", "trackback"}
# comment-12, li-comment-12, div-comment-12, comment_12, wpd-comm-12_7 (wpDiscuz: id_parent)
_COMMENT_ID_RE = re.compile(r"^(?:[a-z]+-)*comm(?:ent)?[-_](?P<id>\d{1,40})(?:_\d{1,40})?$")
_BLOGGER_ID_RE = re.compile(r"^c(?P<id>\d{5,40})$")
# "indented" is Drupal's replies container
_CHILDREN_CLASSES = {
    "children",
    "comment-replies",
    "replies",
    "comment-children",
    "thread-chrome",
    "indented",
}
# Blogger wraps the post itself in "div.widget.Blog", so "widget" alone does not mean sidebar.
_SIDEBAR_CLASSES = {"widget_recent_comments", "recentcomments", "widget-area", "recent-comments"}
_SIDEBAR_WORDS = ("sidebar", "recentcomments", "recent-comments")
_SIDEBAR_IDS = {"secondary"}
# Controls inside a comment or article that are not its text ("Reply", "Like", avatars, ...).
_NOISE_CLASSES = {
    "reply",
    "comment-reply-link",
    "comment-actions",
    "comment-likes",
    "comment-like-feedback",
    "sharedaddy",
    "says",
    "screen-reader-text",
    "comment-edit-link",
    "vote",
    "item-control",
    "avatar-image-container",
    "thread-toggle",
    "comment-footer",
}
_BLOCK_TAGS = {
    "p",
    "div",
    "blockquote",
    "section",
    "article",
    "header",
    "footer",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "table",
    "tr",
    "figure",
    "figcaption",
    "hr",
    "address",
    "main",
    "aside",
    "nav",
}
_PARA = "\ue000"
_BREAK = "\ue001"

# Most specific first; the substring forms catch block themes ("wp-block-comment-author-name"),
# Drupal ("comment__author") and static-site comment templates.
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
_ARTICLE_BODY_SELECTORS = (
    ".entry-content",
    ".post-body",
    ".post-content",
    ".article-body",
    ".article-content",
    "article .content",
    "[itemprop=articleBody]",
    ".entry",
    "article",
    ".post",
    "main",
)
_HEADING_COMMENT_RE = re.compile(
    r"^#?\s*\d{1,5}\s*[.:)]?\s*(?:kommentar|comment|reaktion|reactie|commentaire|antwort)\s+"
    r"(?:von|by|de|van|from|par)\s+(?P<author>\S.*)$",
    re.IGNORECASE,
)
_SAYS_SUFFIX_RE = re.compile(
    r"\s*(?:says|sagt|schreibt|said|sagte|hat gesagt|zegt|schreef|a dit|wrote|schrieb)\s*"
    r"(?::|\.\.\.|…)?\s*$",
    re.IGNORECASE,
)
_DEPTH_RE = re.compile(r"^depth-(\d+)$")


# --------------------------------------------------------------------------- public


def parse_html(text: str, *, source_name: str) -> list[ParsedThread]:
    """Parse a saved HTML page into one :class:`ParsedThread` (article, comments, state).

    Raises :class:`InvalidInput` naming ``source_name`` when the text is not an HTML document.
    """
    warnings: list[str] = []
    doc = _load(text, source_name, warnings)
    page = _Page(doc)
    items = _find_items(page, warnings)
    article = _parse_article(page)
    default_year = article.published_at.year if article.published_at else None
    comments = [
        _to_comment(page, item, position, default_year) for position, item in enumerate(items)
    ]
    _drop_duplicate_ids(comments, source_name, warnings)
    _link_parents(comments, items)
    _check(page, items, comments, source_name, warnings)
    state, note = _thread_state(page)
    extra: dict[str, object] = {"source_format": "html"}
    announced = _announced_count(page)
    if announced is not None:
        extra["announced_count"] = announced
    thread = ParsedThread(
        article=article,
        comments=comments,
        state=state,
        state_note=note,
        extra=extra,
        warnings=warnings,
    )
    fit_limits(thread, source_name)
    return [thread]


# --------------------------------------------------------------------------- loading


def _load(text: str, source_name: str, warnings: list[str]) -> HtmlElement:
    if not isinstance(text, str):
        raise InvalidInput(f"{source_name}: expected decoded text", field="text")
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise InvalidInput(f"{source_name}: the page is empty", field="text")
    if "<" not in stripped:
        raise InvalidInput(f"{source_name}: no HTML markup found", field="text")
    cleaned = stripped.replace("\x00", "").replace(_PARA, "").replace(_BREAK, "")
    data = cleaned.encode("utf-8", "replace")
    # huge_tree: without it libxml2 silently drops everything below depth 256 (deep reply trees)
    parser = lxml.html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True
    )
    try:
        doc = lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise InvalidInput(f"{source_name}: not an HTML document ({exc})", field="text") from exc
    if doc is None:
        raise InvalidInput(f"{source_name}: not an HTML document", field="text")
    if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        warnings.append(
            f"{source_name}: the page nests deeper than the HTML parser allows; content below "
            "that depth was dropped"
        )
    for node in list(doc.iter("script", "style", "noscript", "template")):
        cast(HtmlElement, node).drop_tree()
    return doc


class _Page:
    """The parsed document plus what is known about its comment items."""

    def __init__(self, doc: HtmlElement) -> None:
        self.doc = doc
        #: every element of a comment item (its root and inner wrappers) -> the item's root
        self.zone_owner: dict[HtmlElement, HtmlElement] = {}
        self._matches: dict[str, dict[HtmlElement, list[HtmlElement]]] = {}
        self._owner_memo: dict[HtmlElement, HtmlElement | None] = {}
        self._sidebar_memo: dict[HtmlElement, bool] = {}
        self._scope: HtmlElement | None = None

    def select(self, selector: str, root: HtmlElement | None = None) -> list[HtmlElement]:
        return _css(selector)(root if root is not None else self.doc)

    def _comment_scope(self) -> HtmlElement:
        """The smallest element holding every comment (selectors need not search the page)."""
        if self._scope is None:
            roots = [root for root, owner in self.zone_owner.items() if root is owner]
            scope: HtmlElement | None = roots[0] if roots else self.doc
            for root in roots[1:]:
                assert scope is not None
                ancestors = set(_self_and_ancestors(root))
                while scope is not None and scope not in ancestors:
                    scope = scope.getparent()
            self._scope = scope if scope is not None else self.doc
        return self._scope

    def register(self, root: HtmlElement, parts: Iterable[HtmlElement]) -> None:
        self._owner_memo.clear()
        self._matches.clear()
        self._scope = None
        self.zone_owner[root] = root
        for part in parts:
            self.zone_owner[part] = root

    def owner(self, el: HtmlElement) -> HtmlElement | None:
        """The root of the comment item ``el`` belongs to (None outside comments)."""
        # Memoised along the path: deep reply trees stay linear, not quadratic.
        path: list[HtmlElement] = []
        node: HtmlElement | None = el
        result: HtmlElement | None = None
        while node is not None:
            if node in self._owner_memo:
                result = self._owner_memo[node]
                break
            path.append(node)
            result = self.zone_owner.get(node)
            if result is not None:
                break
            node = node.getparent()
        for visited in path:
            self._owner_memo[visited] = result
        return result

    def in_sidebar(self, el: HtmlElement) -> bool:
        """True inside a sidebar or a "Recent Comments" widget (never the page's thread)."""
        path: list[HtmlElement] = []
        node: HtmlElement | None = el
        result = False
        while node is not None:
            known = self._sidebar_memo.get(node)
            if known is not None:
                result = known
                break
            path.append(node)
            if _is_sidebar_box(node):
                result = True
                break
            node = node.getparent()
        for visited in path:
            self._sidebar_memo[visited] = result
        return result

    def in_comments(self, el: HtmlElement) -> bool:
        return self.owner(el) is not None

    def owned(self, selector: str, root: HtmlElement) -> list[HtmlElement]:
        """Matches of ``selector`` that belong to the item rooted at ``root`` (not its replies).

        Each selector runs once over the whole page; matches are grouped by owning item, so a
        page with thousands of comments costs one pass per selector, not one per comment.
        """
        table = self._matches.get(selector)
        if table is None:
            table = {}
            for el in _css(selector)(self._comment_scope()):
                owner = self.owner(el)
                if owner is not None:
                    table.setdefault(owner, []).append(el)
            self._matches[selector] = table
        return table.get(root, [])


@functools.lru_cache(maxsize=256)
def _css(selector: str) -> Callable[[HtmlElement], list[HtmlElement]]:
    """A compiled CSS selector (compiling is far slower than matching; the set is fixed)."""
    compiled = CSSSelector(selector, translator="html")
    return lambda root: cast(list[HtmlElement], compiled(root))


def _self_and_ancestors(el: HtmlElement) -> Iterator[HtmlElement]:
    node: HtmlElement | None = el
    while node is not None:
        yield node
        node = node.getparent()


def _classes(el: HtmlElement) -> set[str]:
    value = el.get("class") or ""
    return set(value.split())


def _is_sidebar_box(el: HtmlElement) -> bool:
    if el.tag == "aside" or _classes(el) & _SIDEBAR_CLASSES:
        return True
    ident = (el.get("id") or "").lower()
    classes = (el.get("class") or "").lower()
    return ident in _SIDEBAR_IDS or any(w in ident or w in classes for w in _SIDEBAR_WORDS)


# --------------------------------------------------------------------------- items


@dataclass
class _Item:
    """One comment on the page: its outermost element and its parent item."""

    root: HtmlElement
    parts: list[HtmlElement] = field(default_factory=list)
    parent: int | None = None
    kind: CommentKind = CommentKind.COMMENT
    #: how the item was found (for warnings and ``extra``)
    source: str = "markup"
    author: str | None = None
    date_text: str | None = None
    body_el: HtmlElement | None = None
    body_text: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


def _find_items(page: _Page, warnings: list[str]) -> list[_Item]:
    strategies: tuple[Callable[[_Page], list[_Item]], ...] = (
        _structured_items,
        _blogger_classic_items,
        _generic_items,
        _heading_items,
    )
    for strategy in strategies:
        items = strategy(page)
        if items:
            if strategy is not _structured_items:
                warnings.append(
                    f"no standard comment markup; {len(items)} comment(s) found by the "
                    f"{strategy.__name__.strip('_').replace('_', ' ')} fallback"
                )
            for item in items:
                page.register(item.root, item.parts)
            return items
    return []


def _is_candidate(el: HtmlElement) -> bool:
    if not isinstance(el.tag, str) or el.tag not in ("li", "div", "article", "section"):
        return False
    if _classes(el) & _COMMENT_CLASSES:
        return True
    return el.tag == "li" and bool(_COMMENT_ID_RE.match(el.get("id") or ""))


def _structured_items(page: _Page) -> list[_Item]:
    candidates = [
        el for el in page.doc.iter("li", "div", "article", "section") if _is_candidate(el)
    ]
    candidates = [
        el
        for el in candidates
        if not page.in_sidebar(el) and not _in_form(el) and _text_outside_forms(el)
    ]  # (an element without text outside forms is no comment: dropped before indexing)
    owner: dict[HtmlElement, int] = {}
    items: list[_Item] = []
    candidate_set = set(candidates)
    for el in candidates:
        parent_el, through_list = _enclosing_candidate(el, candidate_set)
        if parent_el is not None and not through_list and parent_el in owner:
            index = owner[parent_el]
            ident = _element_id(el)
            same_depth = _depth_class(el) in (None, _depth_class(parent_el))
            if same_depth and (ident is None or ident == _external_id(items[index])):
                # the same comment's inner wrapper (li#li-comment-1 > article#comment-1)
                items[index].parts.append(el)
                owner[el] = index
                continue
            # another comment id or depth: a reply, even without a children list
        item = _Item(root=el, kind=_kind_of(el))
        if parent_el is not None and parent_el in owner:
            item.parent = owner[parent_el]
        owner[el] = len(items)
        items.append(item)
    return items


def _depth_class(el: HtmlElement) -> int | None:
    for name in _classes(el):
        match = _DEPTH_RE.match(name)
        if match:
            return int(match.group(1))
    return None


def _text_outside_forms(el: HtmlElement) -> bool:
    """False for a "comment" box that is only the reply form (a saved page may have moved the
    form into a comment after a click on "Reply": that comment still counts)."""
    walker = etree.iterwalk(el, events=("start",))
    for _event, node in walker:
        if node.tag in ("form", "textarea"):
            walker.skip_subtree()
            continue
        if node is not el and (node.tail or "").strip():
            return True
        if (node.text or "").strip():
            return True
    return False


def _in_form(el: HtmlElement) -> bool:
    return any(a.tag == "form" for a in _self_and_ancestors(el))


def _has_text(el: HtmlElement) -> bool:
    # stops at the first non-blank text node instead of joining all text below
    return any(t.strip() for t in el.itertext())


def _kind_of(el: HtmlElement) -> CommentKind:
    classes = _classes(el)
    if "pingback" in classes:
        return CommentKind.PINGBACK
    if "trackback" in classes:
        return CommentKind.TRACKBACK
    return CommentKind.COMMENT


def _enclosing_candidate(
    el: HtmlElement, candidates: set[HtmlElement]
) -> tuple[HtmlElement | None, bool]:
    """The nearest enclosing comment element and whether a list/replies container lies between."""
    through_list = False
    node = el.getparent()
    while node is not None:
        if node in candidates:
            return node, through_list
        if node.tag in ("ol", "ul") or _classes(node) & _CHILDREN_CLASSES:
            through_list = True
            if _classes(node) & _CHILDREN_CLASSES:
                previous = node.getprevious()
                while previous is not None and not isinstance(previous.tag, str):
                    previous = previous.getprevious()
                if previous is not None and previous in candidates:
                    # "</li> <ul class="children">": the list closed the comment too early.
                    return previous, True
        node = node.getparent()
    return None, through_list


def _blogger_classic_items(page: _Page) -> list[_Item]:
    items: list[_Item] = []
    for block in page.select("dl#comments-block, dl.comments-block"):
        current: _Item | None = None
        for child in block:
            classes = _classes(child)
            if child.tag == "dt":
                current = _Item(root=child, source="blogger-classic")
                current.author = _clean_author(_inline_text(child))
                items.append(current)
            elif current is not None and child.tag == "dd":
                current.parts.append(child)
                if "comment-footer" in classes:
                    current.date_text = _inline_text(child) or None
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


def _generic_items(page: _Page) -> list[_Item]:
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
    found: list[_Item] = []
    index_of: dict[HtmlElement, int] = {}
    for el, author, body in qualifying:
        # A wrapper around one comment has the same author and text elements as the comment
        # inside it; a comment holding replies has its own.
        if any(signature.get(d) == (author, body) for d in el.iterdescendants()):
            continue
        item = _Item(root=el, source="generic")
        item.author = _inline_text(author) or None
        item.body_el = body
        item.parent = next((index_of[a] for a in el.iterancestors() if a in index_of), None)
        date_el = _first_descendant(el, _DATE_HINTS)
        if date_el is not None:
            item.date_text = _inline_text(date_el) or None
            item.extra["date_el"] = date_el
        heading = next(iter(el.iter("h2", "h3", "h4", "h5", "h6")), None)
        if heading is not None and _inline_text(heading):
            item.extra["title"] = _inline_text(heading)
        index_of[el] = len(found)
        found.append(item)
    return found


def _first_descendant(el: HtmlElement, hints: Iterable[str]) -> HtmlElement | None:
    for node in el.iterdescendants():
        if isinstance(node.tag, str) and _class_has(node, hints):
            return node
    return None


def _heading_items(page: _Page) -> list[_Item]:
    items: list[_Item] = []
    for heading in page.doc.iter("h2", "h3", "h4", "h5", "h6", "strong", "b"):
        match = _HEADING_COMMENT_RE.match(_inline_text(heading))
        if not match or page.in_sidebar(heading):
            continue
        item = _Item(root=heading, source="heading")
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
        if node.tag == heading.tag and _HEADING_COMMENT_RE.match(_inline_text(node)):
            break
        text = _block_text(node)
        if text:
            chunks.append(text)
        if node.tail and node.tail.strip():
            chunks.append(node.tail.strip())
        node = node.getnext()
    return chunks


# --------------------------------------------------------------------------- fields


def _owned(page: _Page, item: _Item, selector: str) -> list[HtmlElement]:
    """Matches of ``selector`` inside ``item`` that do not belong to a reply inside it.

    The item's own element never counts (``li.comment-author-anna`` is not an author name).
    """
    return [el for el in page.owned(selector, item.root) if el is not item.root]


def _to_comment(page: _Page, item: _Item, position: int, default_year: int | None) -> ParsedComment:
    if item.source == "markup":
        _fill_from_markup(page, item)
    extra = {k: v for k, v in item.extra.items() if k not in ("date_el", "author_el")}
    date_el = item.extra.get("date_el")
    posted_at, notes = _posted(
        item, date_el if isinstance(date_el, HtmlElement) else None, default_year
    )
    extra.update(notes)
    body = item.body_text
    if body is None and item.body_el is not None:
        body = _block_text(item.body_el)
        extra["html"] = _inner_html(item.body_el)
    elif body is None:
        # unknown markup: the comment's own text without its author, date and replies
        body = _residual_text(page, item)
        extra["body_from"] = "comment text"
    ident = _external_id(item) or (_inner_id(page, item) if item.source == "markup" else None)
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


def _residual_text(page: _Page, item: _Item) -> str:
    skip = {item.extra.get("author_el"), item.extra.get("date_el")}
    pieces: list[str] = []
    walker = etree.iterwalk(item.root, events=("start", "end"))
    for event, node in walker:
        if not isinstance(node.tag, str):
            continue
        foreign = page.zone_owner.get(node) not in (None, item.root)
        ignored = node in skip or foreign or _is_noise(node)
        if event == "start" and node is not item.root and ignored:
            walker.skip_subtree()
            if node.tail:
                pieces.append(node.tail)
            continue
        if event == "start":
            if node.tag in _BLOCK_TAGS or node.tag == "br":
                pieces.append(_PARA if node.tag != "br" else _BREAK)
            if node.text:
                pieces.append(node.text)
        elif node is not item.root:
            if node.tag in _BLOCK_TAGS:
                pieces.append(_PARA)
            if node.tail:
                pieces.append(node.tail)
    return _tidy("".join(pieces))


def _is_removed(item: _Item, body: str) -> bool:
    """A placeholder for a removed comment (Blogger wraps it in ``span.deleted-comment``)."""
    if removed_notice(body):
        return True
    if item.body_el is None:
        return False
    return any("deleted-comment" in (span.get("class") or "") for span in item.body_el.iter("span"))


def _fill_from_markup(page: _Page, item: _Item) -> None:
    if item.kind is not CommentKind.COMMENT:
        _fill_pingback(page, item)
        return
    for selector in _AUTHOR_SELECTORS:
        found = _owned(page, item, selector)
        name = _text_without_noise(found[0]) if found else ""
        if name:
            item.author = name
            item.extra["author_el"] = found[0]
            break
    times = _owned(page, item, "time[datetime]")
    if times:
        item.date_text = _inline_text(times[0]) or times[0].get("datetime")
        item.extra["date_el"] = times[0]
    else:
        for selector in _DATE_SELECTORS:
            found = _owned(page, item, selector)
            if found and _inline_text(found[0]):
                item.date_text = _inline_text(found[0])
                item.extra["date_el"] = found[0]
                break
    for selector in _BODY_SELECTORS:
        found = _owned(page, item, selector)
        if found:
            item.body_el = found[0]
            break
    depth = _depth_class(item.root)
    if depth is not None:
        item.extra["depth"] = depth


def _fill_pingback(page: _Page, item: _Item) -> None:
    links = _owned(page, item, "a[href]")
    link = next((a for a in links if _inline_text(a)), None)
    if link is not None:
        item.author = _inline_text(link)
    body = _owned(page, item, ".comment-content, .comment-body, p")
    item.body_el = body[0] if body else item.root


def _author_url(page: _Page, item: _Item) -> str | None:
    """The link on the author's name (inside it, or the link around it)."""
    author_el = item.extra.get("author_el")
    if isinstance(author_el, HtmlElement):
        links = [author_el] if author_el.tag == "a" else list(author_el.iter("a"))
        for anc in _self_and_ancestors(author_el):
            if anc is item.root:
                break
            if anc.tag == "a":
                links.append(anc)
        for link in links:
            href = (link.get("href") or "").strip()
            if href and not href.startswith(("#", "javascript:")):
                return href
        return None
    if item.source == "markup" and item.kind is not CommentKind.COMMENT:
        links = _owned(page, item, "a[href]")
        return str(links[0].get("href")).strip() if links else None
    return None


def _element_id(el: HtmlElement) -> str | None:
    ident = el.get("id") or ""
    match = _COMMENT_ID_RE.match(ident) or _BLOGGER_ID_RE.match(ident)
    return match.group("id") if match else None


def _external_id(item: _Item) -> str | None:
    for el in (item.root, *item.parts):
        ident = _element_id(el)
        if ident is not None:
            return ident
    data_id = item.root.get("data-id") or item.root.get("data-comment-id")
    if data_id and data_id.isdigit() and len(data_id) <= 40:
        return data_id
    return None


def _inner_id(page: _Page, item: _Item) -> str | None:
    """A comment id on an element inside the comment (``li > div#comment-7``), not a reply's."""
    for el in page.owned("[id]", item.root):
        ident = _element_id(el)
        if ident is not None:
            return ident
    return None


def _posted(
    item: _Item, date_el: HtmlElement | None, default_year: int | None
) -> tuple[datetime | None, dict[str, object]]:
    attribute, parsed_attr, attribute_name = (
        _date_attribute(date_el) if date_el is not None else (None, None, None)
    )
    parsed_text = (
        parse_timestamp_info(item.date_text, default_year=default_year) if item.date_text else None
    )
    chosen: ParsedTime | None
    if parsed_attr is not None and (not parsed_attr.time_missing or parsed_text is None):
        chosen = parsed_attr
    elif parsed_text is not None and not parsed_text.time_missing:
        chosen = parsed_text
    else:
        chosen = parsed_attr or parsed_text
    notes: dict[str, object] = {}
    if chosen is None or chosen.time_missing:
        epoch = _show_comment_time(item, date_el)
        if epoch is not None:
            notes["posted_from"] = "showComment"
            return epoch, notes
    if chosen is None:
        return None, notes
    if attribute and chosen is parsed_attr:
        notes["posted_from"] = f"{attribute_name} attribute"
    notes.update(chosen.notes())
    return chosen.value, notes


def _date_attribute(
    date_el: HtmlElement,
) -> tuple[str | None, ParsedTime | None, str | None]:
    """A machine date beside the visible one: ``datetime``, else a ``title`` that parses
    (wpDiscuz shows "1 year ago" with the date in its title)."""
    nodes = [date_el, *date_el.iterdescendants("time", "abbr", "span", "a")]
    for name in ("datetime", "title", "data-datetime"):
        for node in nodes:
            value = (node.get(name) or "").strip()
            parsed = parse_timestamp_info(value) if value else None
            if parsed is not None:
                return value, parsed, name
    return None, None, None


def _show_comment_time(item: _Item, date_el: HtmlElement | None) -> datetime | None:
    scopes = [date_el] if date_el is not None else []
    scopes.append(item.root)
    for scope in scopes:
        for link in scope.iter("a"):
            found = epoch_from_show_comment(link.get("href") or "")
            if found is not None:
                return found
    return None


def _link_parents(comments: list[ParsedComment], items: list[_Item]) -> None:
    for comment, item in zip(comments, items, strict=True):
        if item.parent is None:
            continue
        comment.parent_index = item.parent
        comment.parent_external_id = comments[item.parent].external_id


# --------------------------------------------------------------------------- text


def _clean_author(name: str) -> str | None:
    """The name without a trailing "says:" / "said..." (unless that is the whole name)."""
    return _SAYS_SUFFIX_RE.sub("", name).strip() or name or None


def _text_without_noise(el: HtmlElement) -> str:
    """Inline text of ``el`` without controls such as a hidden "says:" label."""
    return " ".join(_block_text(el).split())


def _inline_text(el: HtmlElement) -> str:
    return " ".join((el.text_content() or "").split())


def _block_text(el: HtmlElement) -> str:
    """Readable text: paragraphs separated by a blank line, ``<br>`` as a line break."""
    pieces: list[str] = []
    walker = etree.iterwalk(el, events=("start", "end"))
    for event, node in walker:
        if not isinstance(node.tag, str):
            if event == "end" and node.tail:
                pieces.append(node.tail)
            continue
        if event == "start":
            if node is not el and _is_noise(node):
                walker.skip_subtree()
                continue
            if node.tag in _BLOCK_TAGS:
                pieces.append(_PARA)
            elif node.tag == "br":
                pieces.append(_BREAK)
            if node.text:
                pieces.append(node.text)
        else:
            if node.tag in _BLOCK_TAGS:
                pieces.append(_PARA)
            if node is not el and node.tail:
                pieces.append(node.tail)
    return _tidy("".join(pieces))


def _is_noise(el: HtmlElement) -> bool:
    return el.tag == "form" or bool(_classes(el) & _NOISE_CLASSES)


def _tidy(raw: str) -> str:
    paragraphs = []
    for chunk in raw.split(_PARA):
        flat = re.sub(r"[ \t\r\n\f\v]+", " ", chunk)
        lines = [line.strip() for line in flat.split(_BREAK)]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)


def _inner_html(el: HtmlElement) -> str:
    clone = copy.deepcopy(el)
    clone.tail = None
    for node in [n for n in clone.iterdescendants() if isinstance(n.tag, str) and _is_noise(n)]:
        if node.getparent() is not None:
            node.drop_tree()
    parts = [clone.text or ""]
    parts.extend(lxml.html.tostring(child, encoding="unicode") for child in clone)
    return "".join(parts).strip()


# --------------------------------------------------------------------------- article


def _meta(page: _Page, *names: str) -> str | None:
    for name in names:
        for el in page.select(f'meta[property="{name}"], meta[name="{name}"]'):
            value = (el.get("content") or "").strip()
            if value:
                return value
    return None


def _parse_article(page: _Page) -> ParsedArticle:
    article = ParsedArticle(title=_title(page))
    canonical = [el.get("href") for el in page.select("link[rel=canonical]") if el.get("href")]
    article.source_url = (canonical[0] if canonical else None) or _meta(page, "og:url")
    published, published_text = _published(page)
    article.published_at, article.published_text = published, published_text
    byline = _byline(page)
    if byline:
        article.byline = byline
        article.authors = split_authors(byline)
    body_el = _article_body(page)
    if body_el is not None:
        article.body = _block_text(body_el)
    standfirst = next(_outside_comments(page, _STANDFIRST_SELECTORS), None)
    if standfirst is not None:
        article.standfirst = _block_text(standfirst) or None
    description = _meta(page, "og:description", "description")
    if description:
        article.extra["description"] = description
    site = _meta(page, "og:site_name")
    if site:
        article.extra["site_name"] = site
    return article


def _title(page: _Page) -> str:
    site = _meta(page, "og:site_name")
    candidates = [_meta(page, "og:title", "twitter:title")]
    for selector in ("h1.entry-title", ".entry-title", "h1.post-title", ".post-title", "title"):
        candidates.extend(_inline_text(el) for el in page.select(selector)[:1])
    for candidate in candidates:
        if candidate:
            return _strip_site_name(candidate, site)
    return ""


def _strip_site_name(title: str, site: str | None) -> str:
    if site:
        for separator in (" – ", " - ", " | ", " — ", " » ", " :: "):
            suffix = separator + site
            if title.endswith(suffix) and len(title) > len(suffix):
                return title[: -len(suffix)].strip()
    return title.strip()


def _published(page: _Page) -> tuple[datetime | None, str | None]:
    meta = _meta(page, "article:published_time", "published_time", "datePublished")
    if meta:
        parsed = parse_timestamp_info(meta)
        return (parsed.value if parsed else None), meta
    for selector in ("time.entry-date[datetime]", "time.published[datetime]", "time[pubdate]"):
        for el in page.select(selector):
            if page.in_comments(el):
                continue
            value = el.get("datetime") or ""
            parsed = parse_timestamp_info(value)
            return (parsed.value if parsed else None), value
    for selector in (
        "abbr.published[title]",
        ".published[title]",
        "[itemprop=datePublished]",
        ".date-header",
        ".entry-date",
    ):
        for el in page.select(selector):
            if page.in_comments(el):
                continue
            value = el.get("title") or el.get("content") or el.get("datetime") or _inline_text(el)
            parsed = parse_timestamp_info(value)
            return (parsed.value if parsed else None), value
    return None, None


_BYLINE_SELECTORS = (
    ".byline .fn",
    ".byline .author",
    "a[rel=author]",
    ".post-author .fn",
    ".entry-author",
)


def _byline(page: _Page) -> str | None:
    meta = _meta(page, "author", "article:author")
    if meta and not meta.startswith("http"):
        return meta
    for selector in (
        ".byline .fn",
        ".byline .author",
        "a[rel=author]",
        ".post-author .fn",
        ".entry-author",
    ):
        for el in page.select(selector):
            if not page.in_comments(el) and not page.in_sidebar(el) and _inline_text(el):
                return _inline_text(el)
    return None


_STANDFIRST_SELECTORS = (".standfirst", ".dek", ".subtitle", ".entry-subtitle", ".lead", ".teaser")


def _article_body(page: _Page) -> HtmlElement | None:
    """The article text: a known container when it holds real text, else the densest block."""
    known = [el for el in _outside_comments(page, _ARTICLE_BODY_SELECTORS)]
    for el in known:
        if len(_inline_text(el)) >= _MIN_BODY_CHARS:
            return el
    dense = _densest_block(page)
    if dense is not None:
        return dense
    return known[0] if known else None


_MIN_BODY_CHARS = 200
_TEXT_CHILDREN = {"p", "blockquote", "ul", "ol", "pre", "h2", "h3", "h4", "h5", "h6", "br", "a"}


def _outside_comments(page: _Page, selectors: Iterable[str]) -> Iterator[HtmlElement]:
    for selector in selectors:
        for el in page.select(selector):
            if page.in_comments(el) or page.in_sidebar(el) or _contains_comments(page, el):
                continue
            if _has_text(el):
                yield el


def _densest_block(page: _Page) -> HtmlElement | None:
    """The block with the most text of its own that is not link text (navigation is links)."""
    best: tuple[int, HtmlElement | None] = (0, None)
    for el in page.doc.iter("div", "article", "section", "td", "main"):
        score = len((el.text or "").strip())
        for child in el:
            if isinstance(child.tag, str) and child.tag in _TEXT_CHILDREN and child.tag != "br":
                links = sum(len(_inline_text(a)) for a in child.iter("a"))
                score += max(0, len(_inline_text(child)) - links)
            score += len((child.tail or "").strip())
        if score > best[0] and _eligible_body(page, el):
            best = (score, el)
    return best[1] if best[0] >= 80 else None


def _eligible_body(page: _Page, el: HtmlElement) -> bool:
    if page.in_comments(el) or page.in_sidebar(el) or _in_form(el):
        return False
    if any(a.tag in ("nav", "footer", "header") for a in _self_and_ancestors(el)):
        return False
    return not _contains_comments(page, el)


def _contains_comments(page: _Page, el: HtmlElement) -> bool:
    """True when ``el`` holds a comment: then it is the page, not the article body."""
    if el.tag in ("article", "main", "div") and page.zone_owner:
        return any(node in page.zone_owner for node in el.iterdescendants())
    return False


# --------------------------------------------------------------------------- state and checks

_OPEN_FORM_SELECTORS = (
    "form#commentform",
    "form#comment-form",
    "form.comment-form",
    "#respond form",
    "#comment-editor",
    "iframe#comment-editor",
    "#comment-editor-src",
    'a[href*="comment.g?"]',
    'a[href*="comment-iframe.g"]',
)


def _thread_state(page: _Page) -> tuple[ThreadState | None, str]:
    notices = list(_notices(page))
    closed = [text for text, is_closed in notices if is_closed]
    if closed:
        return ThreadState.CLOSED, f"page says {closed[0]!r}"
    opened = [text for text, is_closed in notices if not is_closed]
    if opened:
        return ThreadState.OPEN, f"page shows {opened[0]!r}"
    for selector in _OPEN_FORM_SELECTORS:
        if page.select(selector):
            return ThreadState.OPEN, f"page has a comment form ({selector})"
    for form in page.doc.iter("form"):
        if _css('textarea[name="comment"], textarea#comment')(form):
            return ThreadState.OPEN, "page has a comment form (textarea named comment)"
    return None, "no comment-state notice or comment form found on the page (kept open)"


def _notices(page: _Page) -> Iterator[tuple[str, bool]]:
    for node in page.doc.xpath("//text()"):
        text = " ".join(str(node).split())
        if not text or len(text) > 80:
            continue
        is_closed = closed_notice(text)
        if not is_closed and not open_notice(text):
            continue
        el = node.getparent()
        if el is not None and node.is_tail:
            el = el.getparent()
        if el is None or page.in_comments(el) or page.in_sidebar(el):
            continue
        yield text, is_closed


def _check(
    page: _Page,
    items: list[_Item],
    comments: list[ParsedComment],
    source_name: str,
    warnings: list[str],
) -> None:
    announced = _announced_count(page)
    people = sum(1 for c in comments if c.kind is CommentKind.COMMENT)
    if announced is not None and announced not in (people, len(comments)):
        warnings.append(
            f"{source_name}: the page announces {announced} comment(s), found {people}"
            f" (+{len(comments) - people} pingbacks/trackbacks)"
        )
    if not comments and announced:
        warnings.append(f"{source_name}: comment markup not recognised; no comments imported")
    if not comments:
        widget = _script_widget(page)
        if widget:
            warnings.append(
                f"{source_name}: comments are loaded by {widget} when the page is viewed and are"
                f" not in the saved page; import the {widget} export instead"
            )
    for index, comment in enumerate(comments):
        depth = comment.extra.get("depth")
        actual = _depth(items, index)
        if isinstance(depth, int) and depth != actual:
            warnings.append(
                f"{source_name}: comment {comment.external_id or index}: page says depth {depth},"
                f" structure gives {actual}"
            )


def _drop_duplicate_ids(
    comments: list[ParsedComment], source_name: str, warnings: list[str]
) -> None:
    """A page that repeats a comment id keeps the first; the others fall back to content keys."""
    seen: set[str] = set()
    for comment in comments:
        if comment.external_id is None:
            continue
        if comment.external_id in seen:
            warnings.append(f"{source_name}: duplicate comment id {comment.external_id}")
            comment.external_id = None
        else:
            seen.add(comment.external_id)


_SCRIPT_WIDGETS = (
    ("#disqus_thread", "Disqus"),
    ("#isso-thread", "Isso"),
    ("#remark42", "Remark42"),
    ("#commento", "Commento"),
    ("#coral_thread", "Coral Talk"),
    (".fb-comments", "Facebook comments"),
)


def _script_widget(page: _Page) -> str | None:
    for selector, name in _SCRIPT_WIDGETS:
        if page.select(selector):
            return name
    return None


def _depth(items: list[_Item], index: int) -> int:
    depth = 1
    parent = items[index].parent
    while parent is not None and depth <= len(items):
        depth += 1
        parent = items[parent].parent
    return depth


def _announced_count(page: _Page) -> int | None:
    """The count in the comment section's heading ("13 Comments", "2 Kommentare:")."""
    found: list[tuple[bool, int]] = []
    for el in page.doc.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        text = _inline_text(el)
        if not text or len(text) > 300 or page.in_sidebar(el):
            continue
        count = comment_count(text)
        if count is not None:
            found.append((_in_comment_area(el), count))
    # a heading inside "#comments" / ".comments-area" beats one in a list of related posts
    inside = [count for in_area, count in found if in_area]
    if inside:
        return inside[0]
    return found[0][1] if found else None


def _in_comment_area(el: HtmlElement) -> bool:
    for anc in _self_and_ancestors(el):
        marks = f"{anc.get('id') or ''} {anc.get('class') or ''}".lower()
        if "comment" in marks or "kommentar" in marks:
            return True
    return False


def _detect(head: Head) -> bool:
    """``<!doctype html>``/``<html>`` first, or markup that is not an XML document (a saved
    page or a fragment of one)."""
    if head.html_start or head.root in ("html", "head", "body"):
        return True
    return head.root is not None and not head.xml_declaration and head.root not in ("rss", "feed")


FORMAT = Format(
    name="html",
    description="a saved HTML page (WordPress, Blogger, Drupal, wpDiscuz, ... comment markup)",
    detect=_detect,
    open=lambda source: PageReader(source, parse_html),
)
