"""What the page announced against what was found: the count in the comment heading, depth
classes against the reply structure, repeated comment ids, comments drawn by a script."""

from __future__ import annotations

from lxml.html import HtmlElement

from threads.enums import CommentKind
from threads.ingest.html.document import CommentItem, HtmlPage, self_and_ancestors
from threads.ingest.html.readable import inline_text
from threads.ingest.parsed import ParsedComment
from threads.ingest.saved_page import comment_count


def check(
    page: HtmlPage,
    items: list[CommentItem],
    comments: list[ParsedComment],
    source_name: str,
    warnings: list[str],
) -> None:
    announced = announced_count(page)
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


def drop_duplicate_ids(
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


def _script_widget(page: HtmlPage) -> str | None:
    for selector, name in _SCRIPT_WIDGETS:
        if page.select(selector):
            return name
    return None


def _depth(items: list[CommentItem], index: int) -> int:
    depth = 1
    parent = items[index].parent
    while parent is not None and depth <= len(items):
        depth += 1
        parent = items[parent].parent
    return depth


def announced_count(page: HtmlPage) -> int | None:
    """The count in the comment section's heading ("13 Comments", "2 Kommentare:")."""
    found: list[tuple[bool, int]] = []
    for el in page.doc.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        text = inline_text(el)
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
    for anc in self_and_ancestors(el):
        marks = f"{anc.get('id') or ''} {anc.get('class') or ''}".lower()
        if "comment" in marks or "kommentar" in marks:
            return True
    return False
