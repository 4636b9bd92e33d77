"""Text helpers shared by the analysis and topics layers."""

from __future__ import annotations

import html
import re

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
