"""Text helpers shared by the analysis and topics layers."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from html.parser import HTMLParser

_BREAK = re.compile(r"(?i)<br\s*/?>")
_BLOCK_END = re.compile(r"(?i)</(p|div|blockquote|li|h[1-6]|pre)\s*>")
_TAG = re.compile(r"<[^>]*>")


def plain_text(body: str | None, body_format: str | None) -> str:
    """A comment body as text: HTML bodies lose their tags (paragraphs become blank lines,
    ``<br>`` a line break, entities are decoded); text bodies are returned as they are.

    Topic evidence offsets index this text, so the classifier and the reports must agree on it.
    """
    if not body:
        return ""
    if (body_format or "text") != "html":
        return body
    text = _BLOCK_END.sub("\n\n", _BREAK.sub("\n", body))
    text = html.unescape(_TAG.sub("", text))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


#: the markup a comment keeps when shown as HTML: text structure and links, nothing that runs
SAFE_TAGS = frozenset(
    {"a", "abbr", "b", "blockquote", "br", "cite", "code", "del", "em", "i", "li", "ol", "p"}
    | {"pre", "q", "s", "strike", "strong", "sub", "sup", "u", "ul"}
)
SAFE_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "q": {"cite"}}
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


def safe_html(body: str | None, body_format: str | None) -> str:
    """A comment body as HTML that is safe to put in a page: an HTML body sanitised (nh3, the
    bindings of the Rust ``ammonia`` sanitiser: scripts, styles, event handlers, ``javascript:``
    and other schemes, and any tag not in :data:`SAFE_TAGS` are removed; links get
    ``rel="nofollow noopener noreferrer"``); a text body escaped, its blank lines as paragraphs
    and its line breaks as ``<br>``."""
    import nh3  # imported here: only the API and the console render HTML

    if not body:
        return ""
    if body_format == "html":
        return nh3.clean(
            body,
            tags=set(SAFE_TAGS),
            attributes={tag: set(names) for tag, names in SAFE_ATTRIBUTES.items()},
            url_schemes=set(SAFE_SCHEMES),
            link_rel="nofollow noopener noreferrer",
        )
    paragraphs = [p for p in re.split(r"\n\s*\n", body.replace("\r\n", "\n")) if p.strip()]
    return "".join(
        "<p>" + html.escape(p.strip(), quote=True).replace("\n", "<br>") + "</p>"
        for p in paragraphs
    )


#: a paragraph break in a text body (what :func:`safe_html` splits on), ``\r\n`` included
_PARAGRAPH_BREAK = re.compile(r"\r?\n\s*\n")


def _text_piece(text: str) -> str:
    return html.escape(text, quote=True).replace("\r\n", "\n").replace("\n", "<br>")


def _mark(text: str, topic: str) -> str:
    return f'<mark data-topic="{html.escape(topic, quote=True)}">{text}</mark>'


def highlighted_html(
    body: str | None,
    body_format: str | None,
    spans: Sequence[tuple[int, int, str]],
) -> str:
    """:func:`safe_html` with the evidence of topics wrapped in ``<mark data-topic=...>``.

    ``spans`` are (start, end, topic) offsets into :func:`plain_text` of the body (where the
    classifier found its evidence). Text is escaped first and only our own ``<mark>`` tags go
    around it: nothing from the data becomes markup. A text body is marked at the offsets; in
    a sanitised HTML body the matched words are marked wherever they occur in text nodes (the
    offsets of the plain text do not index the markup).
    """
    if not body:
        return ""
    if body_format == "html":
        words = {body_slice.lower(): topic for body_slice, topic in _span_texts(body, spans)}
        return _mark_text_nodes(safe_html(body, body_format), words)
    marks = _disjoint(spans, len(body))
    out: list[str] = []
    start = 0
    for gap in [*_PARAGRAPH_BREAK.finditer(body), None]:
        end = gap.start() if gap else len(body)
        a, b = start, end
        while a < b and body[a].isspace():
            a += 1
        while b > a and body[b - 1].isspace():
            b -= 1
        if a < b:
            out.append("<p>" + _marked(body, a, b, marks) + "</p>")
        if gap:
            start = gap.end()
    return "".join(out)


def _disjoint(spans: Sequence[tuple[int, int, str]], size: int) -> list[tuple[int, int, str]]:
    """The spans that lie inside the text, in order; of overlapping ones the first wins."""
    kept: list[tuple[int, int, str]] = []
    for a, b, topic in sorted(s for s in spans if 0 <= s[0] < s[1] <= size):
        if kept and a < kept[-1][1]:
            continue
        kept.append((a, b, topic))
    return kept


def _marked(text: str, a: int, b: int, marks: Sequence[tuple[int, int, str]]) -> str:
    out: list[str] = []
    at = a
    for start, end, topic in marks:
        start, end = max(start, a), min(end, b)
        if start >= end:
            continue
        out.append(_text_piece(text[at:start]))
        out.append(_mark(_text_piece(text[start:end]), topic))
        at = end
    out.append(_text_piece(text[at:b]))
    return "".join(out)


def _span_texts(body: str, spans: Sequence[tuple[int, int, str]]) -> list[tuple[str, str]]:
    text = plain_text(body, "html")
    return [(text[a:b], topic) for a, b, topic in spans if 0 <= a < b <= len(text)]


def _mark_text_nodes(clean: str, words: dict[str, str]) -> str:
    """Sanitised HTML with ``words`` (lower case -> topic) marked in its text nodes."""
    words = {w: t for w, t in words.items() if w.strip()}
    if not words:
        return clean
    pattern = re.compile(
        r"(?<!\w)("
        + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        + r")(?!\w)",
        re.IGNORECASE,
    )
    return _TextMarker(pattern, words).run(clean)


class _TextMarker(HTMLParser):
    """Re-emits sanitised markup as it is and its text escaped, with matches marked."""

    def __init__(self, pattern: re.Pattern[str], words: dict[str, str]) -> None:
        super().__init__(convert_charrefs=True)
        self.pattern = pattern
        self.words = words
        self.out: list[str] = []

    def run(self, markup: str) -> str:
        self.feed(markup)
        self.close()
        return "".join(self.out)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or "")  # the sanitiser's own serialisation

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        at = 0
        for match in self.pattern.finditer(data):
            self.out.append(_as_serialised(data[at : match.start()]))
            topic = self.words.get(match.group(0).lower(), "")
            self.out.append(_mark(_as_serialised(match.group(0)), topic))
            at = match.end()
        self.out.append(_as_serialised(data[at:]))


def _as_serialised(text: str) -> str:
    """Text escaped as the sanitiser writes text nodes (``&``, ``<``, ``>``, no-break space),
    so that marking changes nothing but the marks."""
    return html.escape(text, quote=False).replace("\xa0", "&nbsp;")
