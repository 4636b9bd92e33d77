"""Comments found by their markup: elements marked as comments, nested into replies by the
lists or reply containers between them; and the source ids a comment's elements carry."""

from __future__ import annotations

import re

import lxml.etree as etree
from lxml.html import HtmlElement

from threads.enums import CommentKind
from threads.ingest.html.document import CommentItem, HtmlPage, classes, in_form

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
_DEPTH_RE = re.compile(r"^depth-(\d+)$")


def _is_candidate(el: HtmlElement) -> bool:
    if not isinstance(el.tag, str) or el.tag not in ("li", "div", "article", "section"):
        return False
    if classes(el) & _COMMENT_CLASSES:
        return True
    return el.tag == "li" and bool(_COMMENT_ID_RE.match(el.get("id") or ""))


def structured_items(page: HtmlPage) -> list[CommentItem]:
    candidates = [
        el for el in page.doc.iter("li", "div", "article", "section") if _is_candidate(el)
    ]
    candidates = [
        el
        for el in candidates
        if not page.in_sidebar(el) and not in_form(el) and _text_outside_forms(el)
    ]  # (an element without text outside forms is no comment: dropped before indexing)
    owner: dict[HtmlElement, int] = {}
    items: list[CommentItem] = []
    candidate_set = set(candidates)
    for el in candidates:
        parent_el, through_list = _enclosing_candidate(el, candidate_set)
        if parent_el is not None and not through_list and parent_el in owner:
            index = owner[parent_el]
            ident = element_id(el)
            same_depth = depth_class(el) in (None, depth_class(parent_el))
            if same_depth and (ident is None or ident == external_id(items[index])):
                # the same comment's inner wrapper (li#li-comment-1 > article#comment-1)
                items[index].parts.append(el)
                owner[el] = index
                continue
            # another comment id or depth: a reply, even without a children list
        item = CommentItem(root=el, kind=_kind_of(el))
        if parent_el is not None and parent_el in owner:
            item.parent = owner[parent_el]
        owner[el] = len(items)
        items.append(item)
    return items


def depth_class(el: HtmlElement) -> int | None:
    for name in classes(el):
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


def _kind_of(el: HtmlElement) -> CommentKind:
    names = classes(el)
    if "pingback" in names:
        return CommentKind.PINGBACK
    if "trackback" in names:
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
        if node.tag in ("ol", "ul") or classes(node) & _CHILDREN_CLASSES:
            through_list = True
            if classes(node) & _CHILDREN_CLASSES:
                previous = node.getprevious()
                while previous is not None and not isinstance(previous.tag, str):
                    previous = previous.getprevious()
                if previous is not None and previous in candidates:
                    # "</li> <ul class="children">": the list closed the comment too early.
                    return previous, True
        node = node.getparent()
    return None, through_list


def element_id(el: HtmlElement) -> str | None:
    ident = el.get("id") or ""
    match = _COMMENT_ID_RE.match(ident) or _BLOGGER_ID_RE.match(ident)
    return match.group("id") if match else None


def external_id(item: CommentItem) -> str | None:
    for el in (item.root, *item.parts):
        ident = element_id(el)
        if ident is not None:
            return ident
    data_id = item.root.get("data-id") or item.root.get("data-comment-id")
    if data_id and data_id.isdigit() and len(data_id) <= 40:
        return data_id
    return None


def inner_id(page: HtmlPage, item: CommentItem) -> str | None:
    """A comment id on an element inside the comment (``li > div#comment-7``), not a reply's."""
    for el in page.owned("[id]", item.root):
        ident = element_id(el)
        if ident is not None:
            return ident
    return None
