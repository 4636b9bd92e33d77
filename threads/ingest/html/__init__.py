"""Reader for saved HTML article pages with their comment sections (WordPress, Blogger, others).

The comment list is found by structure, not by theme (:mod:`.markup`): every element marked as a
comment (``li.comment``, ``div.comment``, ``article.comment``, ``li.pingback``, ``li#comment-123``,
...) is a candidate; a candidate inside another one is a *reply* when a list or a replies
container (``ol.children``, ``ul.children``, Blogger's ``div.comment-replies``) lies between them,
and part of the same comment otherwise (``li#li-comment-1 > article#comment-1.comment``). A
children list that the page closed too early (``</li> <ul class="children">``) still belongs to
the comment just before it. Sidebar widgets ("Recent Comments") are never the thread.

Pages without such markup go through the fallbacks (:mod:`.fallbacks`): Blogger's classic
``dl#comments-block`` and a generic one (an element whose class mentions comment/kommentar with an
author child and a text child, or a heading "#1 Kommentar von Name"). If nothing is found the
thread has 0 comments and, when the page looks like it had some, a warning.

The other modules: :mod:`.document` (loading, the page and its comment items), :mod:`.fields`
(a comment's author, body and ids), :mod:`.timestamps`, :mod:`.readable` (an element's text),
:mod:`.article`, :mod:`.state` (open or closed) and :mod:`.checks` (what the page announced
against what was found).
"""

from __future__ import annotations

from collections.abc import Callable

from threads.ingest.html.article import parse_article
from threads.ingest.html.checks import announced_count, check, drop_duplicate_ids
from threads.ingest.html.document import CommentItem, HtmlPage, load_document
from threads.ingest.html.fallbacks import blogger_classic_items, generic_items, heading_items
from threads.ingest.html.fields import link_parents, to_comment
from threads.ingest.html.markup import structured_items
from threads.ingest.html.state import thread_state
from threads.ingest.parsed import ParsedThread
from threads.ingest.registry import Format, Head, PageReader
from threads.ingest.saved_page import fit_limits

__all__ = ["parse_html"]


def parse_html(text: str, *, source_name: str) -> list[ParsedThread]:
    """Parse a saved HTML page into one :class:`ParsedThread` (article, comments, state).

    Raises :class:`InvalidInput` naming ``source_name`` when the text is not an HTML document.
    """
    warnings: list[str] = []
    doc = load_document(text, source_name, warnings)
    page = HtmlPage(doc)
    items = find_items(page, warnings)
    article = parse_article(page)
    default_year = article.published_at.year if article.published_at else None
    comments = [
        to_comment(page, item, position, default_year) for position, item in enumerate(items)
    ]
    drop_duplicate_ids(comments, source_name, warnings)
    link_parents(comments, items)
    check(page, items, comments, source_name, warnings)
    state, note = thread_state(page)
    extra: dict[str, object] = {"source_format": "html"}
    announced = announced_count(page)
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


def find_items(page: HtmlPage, warnings: list[str]) -> list[CommentItem]:
    """The page's comment items: found by their markup, else by the first fallback that finds
    any (with a warning saying which); each is registered on the page."""
    strategies: tuple[Callable[[HtmlPage], list[CommentItem]], ...] = (
        structured_items,
        blogger_classic_items,
        generic_items,
        heading_items,
    )
    for strategy in strategies:
        items = strategy(page)
        if items:
            if strategy is not structured_items:
                warnings.append(
                    f"no standard comment markup; {len(items)} comment(s) found by the "
                    f"{strategy.__name__.strip('_').replace('_', ' ')} fallback"
                )
            for item in items:
                page.register(item.root, item.parts)
            return items
    return []


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
