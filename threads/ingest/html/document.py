"""Loading a saved HTML page, and the page as the other modules see it: which elements make
up each comment item, which lie in a sidebar, and CSS selectors run once per page."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import cast

import lxml.etree as etree
import lxml.html
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from threads.enums import CommentKind
from threads.errors import InvalidInput

_SIDEBAR_CLASSES = {"widget_recent_comments", "recentcomments", "widget-area", "recent-comments"}
_SIDEBAR_WORDS = ("sidebar", "recentcomments", "recent-comments")
_SIDEBAR_IDS = {"secondary"}
PARA = "\ue000"
BREAK = "\ue001"


def load_document(text: str, source_name: str, warnings: list[str]) -> HtmlElement:
    if not isinstance(text, str):
        raise InvalidInput(f"{source_name}: expected decoded text", field="text")
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise InvalidInput(f"{source_name}: the page is empty", field="text")
    if "<" not in stripped:
        raise InvalidInput(f"{source_name}: no HTML markup found", field="text")
    cleaned = stripped.replace("\x00", "").replace(PARA, "").replace(BREAK, "")
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


class HtmlPage:
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
        return css(selector)(root if root is not None else self.doc)

    def _comment_scope(self) -> HtmlElement:
        """The smallest element holding every comment (selectors need not search the page)."""
        if self._scope is None:
            roots = [root for root, owner in self.zone_owner.items() if root is owner]
            scope: HtmlElement | None = roots[0] if roots else self.doc
            for root in roots[1:]:
                assert scope is not None
                ancestors = set(self_and_ancestors(root))
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
            if is_sidebar_box(node):
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
            for el in css(selector)(self._comment_scope()):
                owner = self.owner(el)
                if owner is not None:
                    table.setdefault(owner, []).append(el)
            self._matches[selector] = table
        return table.get(root, [])


@functools.lru_cache(maxsize=256)
def css(selector: str) -> Callable[[HtmlElement], list[HtmlElement]]:
    """A compiled CSS selector (compiling is far slower than matching; the set is fixed)."""
    compiled = CSSSelector(selector, translator="html")
    return lambda root: cast(list[HtmlElement], compiled(root))


def self_and_ancestors(el: HtmlElement) -> Iterator[HtmlElement]:
    node: HtmlElement | None = el
    while node is not None:
        yield node
        node = node.getparent()


def classes(el: HtmlElement) -> set[str]:
    value = el.get("class") or ""
    return set(value.split())


def is_sidebar_box(el: HtmlElement) -> bool:
    if el.tag == "aside" or classes(el) & _SIDEBAR_CLASSES:
        return True
    ident = (el.get("id") or "").lower()
    class_text = (el.get("class") or "").lower()
    return ident in _SIDEBAR_IDS or any(w in ident or w in class_text for w in _SIDEBAR_WORDS)


@dataclass
class CommentItem:
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


def in_form(el: HtmlElement) -> bool:
    return any(a.tag == "form" for a in self_and_ancestors(el))


def has_text(el: HtmlElement) -> bool:
    # stops at the first non-blank text node instead of joining all text below
    return any(t.strip() for t in el.itertext())
