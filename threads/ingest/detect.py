"""Which reader a file needs, decided from its content (never from its name)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from threads.errors import InvalidInput
from threads.ingest.sniff import HEAD_BYTES

FORMATS = ("text", "html", "wxr", "disqus", "blogger", "jsonl")
XML_FORMATS = frozenset({"wxr", "disqus", "blogger"})

_SKIP_PROLOG = re.compile(
    r"\A(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?!\s+html)[^\[>]*(?:\[.*?\])?\s*>)*", re.S | re.I
)
_FIRST_TAG = re.compile(r"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_WP_NS = re.compile(r"xmlns:wp\s*=|<wp:|wordpress\.org/export/", re.I)
_BLOGGER = re.compile(
    r"schemas\.google\.com/blogger|tag:blogger\.com|blogger\.com/atom|in-reply-to"
    r"|<(?:\w+:)?generator[^>]*>\s*Blogger",
    re.I,
)
_HTML = re.compile(r"<!doctype\s+html|<html[\s>]", re.I)  # matched at the document start


def file_format(path: Path, fmt: str = "auto") -> str:
    """The format to read the file at ``path`` in: ``fmt`` when it names one, else detected
    from the file's first 64 KiB (see :func:`detect_format`, whose errors it raises)."""
    if fmt != "auto":
        return fmt
    with path.open("rb") as handle:
        return detect_format(handle.read(HEAD_BYTES), path)


def detect_format(head: bytes | str, path: Path | str) -> str:
    """One of :data:`FORMATS` for a file whose first bytes are ``head``.

    rss with the ``wp:`` namespace is wxr; a ``<disqus>`` root is disqus; an Atom feed that
    carries Blogger kinds, ids or ``thr:in-reply-to`` is blogger; a first line that is a JSON
    object with ``"type": "archive"`` is jsonl; ``<html``/``<!doctype html`` is html; other
    text is text. Other JSON and other XML are refused with an InvalidInput naming the file.
    """
    name = Path(path).name
    text = head.decode("utf-8", errors="replace") if isinstance(head, bytes) else head
    text = text.lstrip("\ufeff")
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return _json_format(stripped, name)
    body = text
    declaration = body.find("<?xml")
    if 0 < declaration <= 16:  # a stray byte or newline before the declaration
        body = body[declaration:]
    prolog = _SKIP_PROLOG.match(body)
    rest = body[prolog.end() if prolog else 0 :]
    if _HTML.match(rest):
        return "html"
    tag = _FIRST_TAG.match(rest)
    if tag is None and declaration >= 0:
        raise InvalidInput(
            f"{name}: starts with an XML declaration but no root element was found "
            f"(supported: {', '.join(FORMATS)})",
            field="format",
        )
    if tag is None or not (declaration >= 0 or rest.startswith("<")):
        return "text"
    root = tag.group(2).lower()
    if root == "disqus":
        return "disqus"
    if root == "rss" and _WP_NS.search(text):
        return "wxr"
    if root == "feed" and _BLOGGER.search(text):
        return "blogger"
    if root in ("html", "head", "body"):
        return "html"
    if declaration >= 0 or root in ("rss", "feed"):
        raise InvalidInput(
            f"{name}: an XML document with root <{tag.group(0)[1:]}> is not a format threads "
            f"reads (supported: {', '.join(FORMATS)}; XML exports: WordPress WXR, Disqus, "
            "Blogger Atom)",
            field="format",
        )
    return "html"  # markup without a declaration: a saved page or a fragment of one


def _json_format(text: str, name: str) -> str:
    first_line = text.split("\n", 1)[0]
    try:
        obj = json.loads(first_line)
    except ValueError:
        obj = None
    if isinstance(obj, dict) and obj.get("type") == "archive":
        return "jsonl"
    raise InvalidInput(
        f"{name}: JSON that is not a threads JSONL archive (its first line must be an object "
        f'with "type": "archive"); supported formats: {", ".join(FORMATS)}',
        field="format",
    )
