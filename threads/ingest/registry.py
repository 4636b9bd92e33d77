"""The formats ``threads ingest`` reads: one module each, registered here by one line.

A reader module defines ``FORMAT``, a :class:`Format`: its name, how to recognise a file of it
from the file's first bytes (:class:`Head`), and how to read it (``open``: a :class:`Reader`
whose items are parsed threads) or, for our own archive, how it loads itself (``load``).
Detection asks the formats in the order of :data:`MODULES` (the most specific first, saved page
text last) and takes the first that claims the file; content decides, never the file name.

Adding a format: write its module with a ``FORMAT`` and add the module's name to
:data:`MODULES`.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from threads.errors import InvalidInput
from threads.ingest.sniff import MAX_JUNK, XML_DECLARATION, decode_head
from threads.ingest.source import SourceFile
from threads.ingest.stream import Item
from threads.models import ParsedThread

if TYPE_CHECKING:
    from sqlmodel import Session

#: the reader modules, in the order detection asks them (the catch-all, page text, last)
MODULES = (
    "threads.ingest.wxr",
    "threads.ingest.disqus",
    "threads.ingest.blogger",
    "threads.ingest.archive",
    "threads.ingest.reddit",
    "threads.ingest.pushshift",
    "threads.ingest.hackernews",
    "threads.ingest.remark42",
    "threads.ingest.commento",
    "threads.ingest.isso",
    "threads.ingest.html",
    "threads.ingest.plaintext",
)


class Reader(Protocol):
    """What reading one file gives: the items, and what the reader noticed on the way
    (complete once the items have been iterated)."""

    warnings: list[str]
    #: elements the reader passed over on purpose, by kind (attachments, menu items, ...)
    skipped: dict[str, int]

    def __iter__(self) -> Iterator[Item]: ...


@dataclass(frozen=True)
class Format:
    """One input format."""

    name: str
    #: what the format is, for help texts and errors
    description: str
    #: whether a file whose head is this is in this format
    detect: Callable[[Head], bool]
    #: a reader of the file (None for a format that loads itself)
    open: Callable[[SourceFile], Reader] | None = None
    #: a format that writes into the session itself and records its own load (our JSONL
    #: archive), given the file and its sha256: returns the counts
    load: Callable[[Session, Path, str], dict[str, Any]] | None = None
    #: an XML format: undeclared namespace prefixes are declared and the file read again
    xml: bool = False


_registry: dict[str, Format] | None = None


def formats() -> dict[str, Format]:
    """Every registered format by name, in detection order."""
    global _registry
    if _registry is None:
        found: dict[str, Format] = {}
        for module in MODULES:
            fmt: Format = importlib.import_module(module).FORMAT
            found[fmt.name] = fmt
        _registry = found
    return _registry


def format_names() -> tuple[str, ...]:
    return tuple(formats())


def get_format(name: str) -> Format:
    """The format called ``name``; InvalidInput naming the known ones otherwise."""
    found = formats().get(name)
    if found is None:
        raise InvalidInput(
            f"unknown format {name!r} (expected auto or one of {', '.join(formats())})",
            field="format",
        )
    return found


#: how much of a file detection looks at
HEAD_BYTES = 64 * 1024

_PROLOG = re.compile(
    r"\A(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?!\s+html)[^\[>]*(?:\[.*?\])?\s*>)*", re.S | re.I
)
_FIRST_TAG = re.compile(r"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_HTML_DOCTYPE = re.compile(r"<!doctype\s+html\b[^<>]*>", re.I)
_DECLARATION = re.compile(XML_DECLARATION)
_JUNK = re.compile(r"[^\w<]*")
#: a whole start tag: its name, then attributes (a name, with a value or without one)
_START_TAG = re.compile(
    r"""<(?P<name>[A-Za-z_][\w.:-]*)"""
    r"""(?P<attrs>(?:\s+[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>=`]+))?)*)"""
    r"""\s*/?>"""
)
_QUOTED_VALUE = re.compile(r"""=\s*["']""")
_JSON_START = re.compile(r'\A[\[{]\s*(?:["{\[\]}\d-]|true\b|false\b|null\b|\Z)')


class Head:
    """The first bytes of a file as detection looks at them (decoded leniently, UTF-16/32 by
    their BOM or their look: see ``threads.ingest.sniff.decode_head``)."""

    def __init__(self, raw: bytes | str) -> None:
        #: the bytes themselves (b"" when given text): compressed files are told by them
        self.raw = raw if isinstance(raw, bytes) else b""
        text = decode_head(raw) if isinstance(raw, bytes) else raw
        self.text = text.lstrip("\ufeff")

    @cached_property
    def stripped(self) -> str:
        return self.text.lstrip()

    @cached_property
    def _declaration_at(self) -> int:
        """Where the XML declaration starts (-1 when there is none): a whole declaration, after
        at most a few characters that are not words (as a broken export may have)."""
        junk = _JUNK.match(self.text, 0, MAX_JUNK + 1)
        start = junk.end() if junk else 0
        return start if _DECLARATION.match(self.text, start) else -1

    @cached_property
    def xml_declaration(self) -> bool:
        """Whether an XML declaration (``<?xml version="1.0" ...?>``) starts the document.
        Prose that mentions ``<?xml`` does not."""
        return self._declaration_at >= 0

    @cached_property
    def after_prolog(self) -> str:
        """The text from the first element on (declaration, comments, DOCTYPE skipped)."""
        body = self.text
        if self._declaration_at > 0:
            body = body[self._declaration_at :]
        prolog = _PROLOG.match(body)
        return body[prolog.end() if prolog else 0 :]

    @cached_property
    def html_start(self) -> bool:
        """``<!doctype html>``, or an ``<html>`` element, first."""
        return _HTML_DOCTYPE.match(self.after_prolog) is not None or self.root == "html"

    @cached_property
    def element_start(self) -> bool:
        """Whether the text after the prolog starts with an element that is markup, not prose
        quoting a tag: a whole start tag that has a quoted attribute value, or is followed by
        more markup, or whose end tag comes later (``<html> is the root element`` is prose)."""
        body = self.after_prolog
        tag = _START_TAG.match(body)
        if tag is None:
            return False
        if _QUOTED_VALUE.search(tag.group("attrs")):
            return True
        if body[tag.end() :].lstrip().startswith("<"):
            return True
        return f"</{tag.group('name').lower()}" in body.lower()

    @cached_property
    def markup(self) -> bool:
        """Whether the document declares itself XML or starts with an element (see
        :attr:`element_start`) or an HTML doctype."""
        return (
            self.xml_declaration
            or _HTML_DOCTYPE.match(self.after_prolog) is not None
            or self.element_start
        )

    @cached_property
    def root(self) -> str | None:
        """The local name of the first element, lower-cased (None when not markup)."""
        if not self.markup:
            return None
        tag = _FIRST_TAG.match(self.after_prolog)
        return tag.group(2).lower() if tag else None

    @cached_property
    def json(self) -> bool:
        """Whether the file starts like JSON: an object or an array whose first value starts
        (prose that opens with a bracket, "[Update] ...", is not JSON)."""
        return _JSON_START.match(self.stripped) is not None

    @cached_property
    def first_line_json(self) -> Any:
        """The first line parsed as JSON (None when it is not JSON)."""
        try:
            return json.loads(self.stripped.split("\n", 1)[0])
        except ValueError:
            return None


def read_head(path: Path) -> Head:
    with path.open("rb") as handle:
        return Head(handle.read(HEAD_BYTES))


def detect(head: Head, name: str) -> Format:
    """The first registered format that claims a file starting with ``head``.

    A file no format claims is refused with an InvalidInput naming it (``name``) and the
    formats there are: JSON and XML that are not ours are refused, never read as page text.
    """
    for fmt in formats().values():
        if fmt.detect(head):
            return fmt
    supported = ", ".join(formats())
    if head.json:
        what = "JSON that no reader recognises"
    elif head.root is not None:
        what = f"an XML document with root <{head.root}>, which no reader recognises"
    elif head.xml_declaration:
        what = "an XML declaration but no root element"
    else:
        what = "content that no reader recognises"
    raise InvalidInput(f"{name}: {what} (supported formats: {supported})", field="format")


def file_format(path: Path, fmt: str = "auto") -> Format:
    """The format to read ``path`` in: the one named ``fmt``, else detected from the file."""
    if fmt != "auto":
        return get_format(fmt)
    return detect(read_head(path), path.name)


class PageReader:
    """A saved page (text or HTML): read whole and parsed in one go by ``parse``."""

    def __init__(self, source: SourceFile, parse: Callable[..., Iterable[ParsedThread]]) -> None:
        self.source = source
        self.parse = parse
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}

    def __iter__(self) -> Iterator[Item]:
        yield from self.parse(self.source.text(), source_name=self.source.name)


def detect_format(head: bytes | str, name: str) -> str:
    """The name of the format of a file called ``name`` that starts with ``head`` (see
    :func:`detect`)."""
    return detect(Head(head), name).name
