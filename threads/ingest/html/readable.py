"""The readable text of an element: paragraphs separated by a blank line, ``<br>`` a line break,
controls ("Reply", "Like", a hidden "says:") left out; and its inner HTML without them."""

from __future__ import annotations

import copy
import re

import lxml.etree as etree
import lxml.html
from lxml.html import HtmlElement

from threads.ingest.html.document import BREAK, PARA, classes

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
BLOCK_TAGS = {
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
_SAYS_SUFFIX_RE = re.compile(
    r"\s*(?:says|sagt|schreibt|said|sagte|hat gesagt|zegt|schreef|a dit|wrote|schrieb)\s*"
    r"(?::|\.\.\.|…)?\s*$",
    re.IGNORECASE,
)


def clean_author(name: str) -> str | None:
    """The name without a trailing "says:" / "said..." (unless that is the whole name)."""
    return _SAYS_SUFFIX_RE.sub("", name).strip() or name or None


def text_without_noise(el: HtmlElement) -> str:
    """Inline text of ``el`` without controls such as a hidden "says:" label."""
    return " ".join(block_text(el).split())


def inline_text(el: HtmlElement) -> str:
    return " ".join((el.text_content() or "").split())


def block_text(el: HtmlElement) -> str:
    """Readable text: paragraphs separated by a blank line, ``<br>`` as a line break."""
    pieces: list[str] = []
    walker = etree.iterwalk(el, events=("start", "end"))
    for event, node in walker:
        if not isinstance(node.tag, str):
            if event == "end" and node.tail:
                pieces.append(node.tail)
            continue
        if event == "start":
            if node is not el and is_noise(node):
                walker.skip_subtree()
                continue
            if node.tag in BLOCK_TAGS:
                pieces.append(PARA)
            elif node.tag == "br":
                pieces.append(BREAK)
            if node.text:
                pieces.append(node.text)
        else:
            if node.tag in BLOCK_TAGS:
                pieces.append(PARA)
            if node is not el and node.tail:
                pieces.append(node.tail)
    return tidy("".join(pieces))


def is_noise(el: HtmlElement) -> bool:
    return el.tag == "form" or bool(classes(el) & _NOISE_CLASSES)


def tidy(raw: str) -> str:
    paragraphs = []
    for chunk in raw.split(PARA):
        flat = re.sub(r"[ \t\r\n\f\v]+", " ", chunk)
        lines = [line.strip() for line in flat.split(BREAK)]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)


def inner_html(el: HtmlElement) -> str:
    clone = copy.deepcopy(el)
    clone.tail = None
    for node in [n for n in clone.iterdescendants() if isinstance(n.tag, str) and is_noise(n)]:
        if node.getparent() is not None:
            node.drop_tree()
    parts = [clone.text or ""]
    parts.extend(lxml.html.tostring(child, encoding="unicode") for child in clone)
    return "".join(parts).strip()
