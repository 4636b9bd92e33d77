"""Whether the thread is open or closed: a notice outside the comments ("Comments are
closed.", "Leave a Reply"), else a comment form, else unknown (kept open, with the reason)."""

from __future__ import annotations

from collections.abc import Iterator

from threads.enums import ThreadState
from threads.ingest.html.document import HtmlPage, css
from threads.ingest.saved_page import closed_notice, open_notice

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


def thread_state(page: HtmlPage) -> tuple[ThreadState | None, str]:
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
        if css('textarea[name="comment"], textarea#comment')(form):
            return ThreadState.OPEN, "page has a comment form (textarea named comment)"
    return None, "no comment-state notice or comment form found on the page (kept open)"


def _notices(page: HtmlPage) -> Iterator[tuple[str, bool]]:
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
