"""The article around the comments: title, URL, publication date, byline, standfirst and body
(a known container, else the densest block of text outside comments, sidebars and navigation)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from lxml.html import HtmlElement

from threads.ingest.dates import parse_timestamp_info
from threads.ingest.html.document import HtmlPage, has_text, in_form, self_and_ancestors
from threads.ingest.html.readable import block_text, inline_text
from threads.ingest.parsed import ParsedArticle
from threads.ingest.saved_page import split_authors

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


def _meta(page: HtmlPage, *names: str) -> str | None:
    for name in names:
        for el in page.select(f'meta[property="{name}"], meta[name="{name}"]'):
            value = (el.get("content") or "").strip()
            if value:
                return value
    return None


def parse_article(page: HtmlPage) -> ParsedArticle:
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
        article.body = block_text(body_el)
    standfirst = next(_outside_comments(page, _STANDFIRST_SELECTORS), None)
    if standfirst is not None:
        article.standfirst = block_text(standfirst) or None
    description = _meta(page, "og:description", "description")
    if description:
        article.extra["description"] = description
    site = _meta(page, "og:site_name")
    if site:
        article.extra["site_name"] = site
    return article


def _title(page: HtmlPage) -> str:
    site = _meta(page, "og:site_name")
    candidates = [_meta(page, "og:title", "twitter:title")]
    for selector in ("h1.entry-title", ".entry-title", "h1.post-title", ".post-title", "title"):
        candidates.extend(inline_text(el) for el in page.select(selector)[:1])
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


def _published(page: HtmlPage) -> tuple[datetime | None, str | None]:
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
            value = el.get("title") or el.get("content") or el.get("datetime") or inline_text(el)
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


def _byline(page: HtmlPage) -> str | None:
    meta = _meta(page, "author", "article:author")
    if meta and not meta.startswith("http"):
        return meta
    for selector in _BYLINE_SELECTORS:
        for el in page.select(selector):
            if not page.in_comments(el) and not page.in_sidebar(el) and inline_text(el):
                return inline_text(el)
    return None


_STANDFIRST_SELECTORS = (".standfirst", ".dek", ".subtitle", ".entry-subtitle", ".lead", ".teaser")


def _article_body(page: HtmlPage) -> HtmlElement | None:
    """The article text: a known container when it holds real text, else the densest block."""
    known = [el for el in _outside_comments(page, _ARTICLE_BODY_SELECTORS)]
    for el in known:
        if len(inline_text(el)) >= _MIN_BODY_CHARS:
            return el
    dense = _densest_block(page)
    if dense is not None:
        return dense
    return known[0] if known else None


_MIN_BODY_CHARS = 200
_TEXT_CHILDREN = {"p", "blockquote", "ul", "ol", "pre", "h2", "h3", "h4", "h5", "h6", "br", "a"}


def _outside_comments(page: HtmlPage, selectors: Iterable[str]) -> Iterator[HtmlElement]:
    for selector in selectors:
        for el in page.select(selector):
            if page.in_comments(el) or page.in_sidebar(el) or _contains_comments(page, el):
                continue
            if has_text(el):
                yield el


def _densest_block(page: HtmlPage) -> HtmlElement | None:
    """The block with the most text of its own that is not link text (navigation is links)."""
    best: tuple[int, HtmlElement | None] = (0, None)
    for el in page.doc.iter("div", "article", "section", "td", "main"):
        score = len((el.text or "").strip())
        for child in el:
            if isinstance(child.tag, str) and child.tag in _TEXT_CHILDREN and child.tag != "br":
                links = sum(len(inline_text(a)) for a in child.iter("a"))
                score += max(0, len(inline_text(child)) - links)
            score += len((child.tail or "").strip())
        if score > best[0] and _eligible_body(page, el):
            best = (score, el)
    return best[1] if best[0] >= 80 else None


def _eligible_body(page: HtmlPage, el: HtmlElement) -> bool:
    if page.in_comments(el) or page.in_sidebar(el) or in_form(el):
        return False
    if any(a.tag in ("nav", "footer", "header") for a in self_and_ancestors(el)):
        return False
    return not _contains_comments(page, el)


def _contains_comments(page: HtmlPage, el: HtmlElement) -> bool:
    """True when ``el`` holds a comment: then it is the page, not the article body."""
    if el.tag in ("article", "main", "div") and page.zone_owner:
        return any(node in page.zone_owner for node in el.iterdescendants())
    return False
