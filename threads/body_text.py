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
