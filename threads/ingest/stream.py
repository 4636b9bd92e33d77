"""What the streaming XML readers share: the item stream they yield and a safe XML source.

A reader yields :class:`~threads.ingest.parsed.ParsedThread` items (a thread with the comments
that came with it) and :class:`MoreComments` items (comments for a thread yielded earlier, as in a
Disqus export where every ``<post>`` comes after every ``<thread>``). The loader writes both as
they come, so no reader or loader ever holds a whole export.

XML is parsed with defusedxml's ``iterparse`` (no entity expansion, no external entities) from a
:class:`XmlSource`, which skips junk before the XML declaration, transcodes a document that is
neither UTF-8 nor declares its charset, and can declare namespace prefixes a broken export forgot
(see :class:`UndeclaredPrefix`).
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree.ElementTree import Element, ParseError, TreeBuilder, XMLParser
from xml.etree.ElementTree import iterparse as fast_iterparse

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from defusedxml.ElementTree import iterparse as defused_iterparse

from threads.errors import InvalidInput
from threads.ingest.parsed import ParsedComment, ParsedThread
from threads.ingest.sniff import WIDE_ENCODINGS, Sniffed

#: namespace URI given to a prefix an export uses without declaring it
UNDECLARED_NS = "urn:x-threads:undeclared:"


@dataclass
class MoreComments:
    """Comments for the thread a reader yielded earlier with ``external_id == thread_ref``."""

    thread_ref: str
    comments: list[ParsedComment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


Item = ParsedThread | MoreComments


class UndeclaredPrefix(InvalidInput):
    """The XML uses a namespace prefix it never declares (``excerpt:encoded``, ``app:draft``).

    The service catches this, rolls the file back and reads it again with the prefix declared
    (as ``urn:x-threads:undeclared:<prefix>``), recording a warning: nothing the export says is
    lost, and readers match such elements by local name where it matters.
    """

    code = "undeclared_prefix"

    def __init__(self, detail: str, *, prefix: str) -> None:
        super().__init__(detail, prefix=prefix)
        self.prefix = prefix


class _CountingReader(io.RawIOBase):
    """A read-only byte stream: ``head``, then the rest of ``rest`` (transcoded to UTF-8 by
    ``decoder`` when given), counting the raw bytes it has read."""

    def __init__(self, head: bytes, rest: BinaryIO, decoder: codecs.IncrementalDecoder | None):
        self._buffer = head
        self._rest = rest
        self._decoder = decoder
        self.raw_read = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        want = size if size and size > 0 else 1 << 16
        while len(self._buffer) < want:
            chunk = self._rest.read(1 << 16)
            if not chunk:
                break
            self.raw_read += len(chunk)
            if self._decoder is not None:
                chunk = self._decoder.decode(chunk).encode("utf-8")
            self._buffer += chunk
        out, self._buffer = self._buffer[:want], self._buffer[want:]
        return out


_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)")


class XmlSource:
    """The bytes of an XML file as the parser should see them; ``bytes_read`` tracks progress."""

    def __init__(self, path: Path, sniffed: Sniffed, declare: frozenset[str] = frozenset()):
        self.path = path
        self.sniffed = sniffed
        self.declare = declare
        self._file: BinaryIO | None = None
        self._reader: _CountingReader | None = None
        self._head_len = 0
        #: whether the prolog has (or may have) a DOCTYPE, which could declare entities
        self.has_doctype = True
        #: the encoding of the bytes the parser is given (UTF-8 when transcoded for it)
        self.parsed_encoding = sniffed.encoding

    def open(self) -> _CountingReader:
        handle = self.path.open("rb")
        self._file = handle
        handle.seek(self.sniffed.skip)
        head = handle.read(1 << 16)
        self._head_len = len(head)
        decoder = None
        encoding = self.sniffed.encoding
        if encoding in WIDE_ENCODINGS or (self.sniffed.declared is None and encoding == "cp1252"):
            # expat reads neither UTF-32 nor a UTF-16 file that declares another charset, and
            # takes undeclared bytes for UTF-8: the parser is given UTF-8, declared as such
            decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
            text = decoder.decode(head).lstrip("\ufeff")
            head = declared_utf8(text).encode("utf-8")
            encoding = self.parsed_encoding = "utf-8"
        self.has_doctype = prolog_has_doctype(head.decode(encoding, errors="replace"))
        if self.declare:
            head = _declare_prefixes(head, self.declare)
        self._reader = _CountingReader(head, handle, decoder)
        return self._reader

    @property
    def bytes_read(self) -> int:
        if self._reader is None:
            return 0
        return self.sniffed.skip + self._head_len + self._reader.raw_read

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


_ENCODING_DECL = re.compile(r"""\A(\s*<\?xml\b[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2""")


def declared_utf8(head: str) -> str:
    """``head`` with its XML declaration, if it names an encoding, naming UTF-8 instead."""
    return _ENCODING_DECL.sub(r"\1\2utf-8\2", head, count=1)


_PROLOG_PART = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.S)


def prolog_has_doctype(head: str) -> bool:
    """Whether a DOCTYPE comes before the root element (True when the head cannot tell).

    Entities can only be declared in a DTD, and the DTD only in the prolog, so a document
    whose root element starts with no DOCTYPE before it cannot expand or fetch entities.
    """
    pos = 1 if head.startswith("\ufeff") else 0
    while pos < len(head):
        match = _PROLOG_PART.match(head, pos)
        if match is not None and match.end() > pos:
            pos = match.end()
            continue
        rest = head[pos : pos + 9]
        if rest.upper().startswith("<!DOCTYPE"):
            return True
        return not (len(rest) >= 2 and rest[0] == "<" and (rest[1].isalpha() or rest[1] in "_:"))
    return True


def _declare_prefixes(head: bytes, prefixes: frozenset[str]) -> bytes:
    """Add ``xmlns:p="urn:x-threads:undeclared:p"`` to the root element's start tag."""
    pos = 0
    while True:
        match = _ROOT_TAG.search(head, pos)
        if match is None:
            return head
        if head[match.start() + 1 : match.start() + 2] not in (b"?", b"!"):
            break
        pos = match.end()
    insert_at = match.end()
    decls = b"".join(f' xmlns:{p}="{UNDECLARED_NS}{p}"'.encode("ascii") for p in sorted(prefixes))
    return head[:insert_at] + decls + head[insert_at:]


def xml_events(source: XmlSource) -> Iterator[tuple[str, Any]]:
    """The raw ``(event, element)`` iterator ("start" and "end") over ``source``.

    The caller wraps its loop in ``except XML_ERRORS as exc: raise xml_error(source, exc)`` and
    closes the source (one generator layer less per event than :func:`iter_xml`: this is the
    hot loop of a large import).
    """
    stream = source.open()
    if source.has_doctype:
        # defusedxml's parser (pure Python, slower) refuses entity declarations and
        # external references in the DTD
        return defused_iterparse(stream, events=("start", "end"), forbid_dtd=False)
    # no DTD, hence no entities to expand or fetch: the C parser is safe and ~5x faster
    return fast_iterparse(stream, events=("start", "end"))


XML_ERRORS = (ParseError, DefusedXmlException)


class TopLevel:
    """The children of the root element of ``source``, complete, in batches as they are read.

    For exports whose records are the root's children (Disqus). The parser builds the tree in
    C and no event reaches Python: after each 16 KiB read, the root's finished children are
    taken out of the tree and yielded, so memory holds about one read's worth of records, never
    the document. (Iterating ``(event, element)`` pairs, about 25 for a Disqus post, cost more
    than parsing and building the tree; larger reads keep more elements alive across garbage
    collections and measured slower.) ``root`` is the root element once it has started; its
    children are never kept. Same parsers as :func:`xml_events`: defusedxml's when the prolog
    may hold a DTD, else the C one. The caller catches :data:`XML_ERRORS` and closes the source.
    """

    def __init__(self, source: XmlSource) -> None:
        self.source = source
        self.root: Element | None = None

    def __iter__(self) -> Iterator[list[Element]]:
        stream = self.source.open()
        builder = TreeBuilder()
        # the document's root element becomes this holder's child, so it can be reached (and
        # emptied) while the builder is still working on it
        holder = builder.start("holder", {})
        parser: XMLParser
        if self.source.has_doctype:
            parser = DefusedXMLParser(target=builder, forbid_dtd=False)
        else:  # no DTD, hence no entities to expand or fetch: the C parser is safe
            parser = XMLParser(target=builder)
        root: Element | None = None
        while chunk := stream.read(1 << 14):
            parser.feed(chunk)
            if root is None:
                if len(holder) == 0:
                    continue
                root = self.root = holder[0]
            done = len(root) - 1  # the last child may still be open
            if done > 0:
                batch = root[:done]
                del root[:done]
                yield batch
        parser.close()
        if root is None and len(holder):
            root = self.root = holder[0]
        if root is not None and len(root):
            batch = root[:]
            del root[:]
            yield batch


def iter_xml(source: XmlSource) -> Iterator[tuple[str, Element]]:
    """``(event, element)`` for "start" and "end" events; XML errors become InvalidInput.

    The error names the file, the line and the column, and what the parser found there.
    """
    try:
        yield from xml_events(source)
    except XML_ERRORS as exc:
        raise xml_error(source, exc) from None
    finally:
        source.close()


def xml_error(source: XmlSource, exc: Exception) -> InvalidInput:
    """The InvalidInput for a parser error: file, line, column, problem and the text there."""
    name = source.path.name
    if isinstance(exc, DefusedXmlException):
        return InvalidInput(
            f"{name}: refused unsafe XML ({type(exc).__name__}: {exc})", field="file"
        )
    line, column = getattr(exc, "position", (0, 0))
    problem = str(exc).split(":")[0]
    if problem == "unbound prefix":
        prefix = _prefix_at(source, line, column)
        if prefix is not None and prefix not in source.declare:
            return UndeclaredPrefix(
                f"{name}: line {line}, column {column + 1}: namespace prefix "
                f"{prefix!r} is used but never declared",
                prefix=prefix,
            )
    before, after = _text_at(source, line, column, QUOTE_AFTER)
    snippet = (before + after).strip()
    near = f" near {snippet!r}" if snippet else ""
    return InvalidInput(
        f"{name}: not well-formed XML at line {line}, column {column + 1} (--recover "
        f"salvages what it can): {problem}{near}",
        field="file",
        line=line,
        column=column + 1,
    )


#: characters of the line quoted before and after the place of an XML error
QUOTE_BEFORE = 20
QUOTE_AFTER = 40
#: how far past the place of an unbound prefix its start tag is looked for
TAG_CHARS = 2048


def _text_at(source: XmlSource, line: int, column: int, after: int) -> tuple[str, str]:
    """Up to :data:`QUOTE_BEFORE` characters of ``line`` before ``column`` and up to ``after``
    from it on, in the text the parser read (it counts lines from 1 and columns from 0, in
    characters, a BOM included).

    That text is read again, a chunk at a time, and only the window is kept, so a line of a
    gigabyte costs no more memory than a short one.
    """
    start, rest = "", ""
    if line < 1:
        return start, rest
    again = XmlSource(source.path, source.sniffed, source.declare)
    encoding = source.parsed_encoding
    # decoded as the parser does: a byte order mark is a character of the first line
    decoder = codecs.getincrementaldecoder("utf-8" if encoding == "utf-8-sig" else encoding)(
        errors="replace"
    )
    try:
        stream = again.open()
        number, pos = 1, 0  # the line being read; where in it this chunk starts
        while chunk := stream.read(1 << 16):
            text, at = decoder.decode(chunk), 0
            while number < line:
                newline = text.find("\n", at)
                if newline < 0:
                    break
                number, at = number + 1, newline + 1
            if number < line:
                continue
            end = text.find("\n", at)
            piece = text[at : end if end >= 0 else None]
            cut = column - pos
            if cut > 0:
                start = (start + piece[:cut])[-QUOTE_BEFORE:]
            rest += piece[max(0, cut) :][: after - len(rest)]
            pos += len(piece)
            if end >= 0 or len(rest) >= after:
                break
    finally:
        again.close()
    return start.lstrip("\ufeff"), rest


_PREFIXED = re.compile(r"([A-Za-z_][\w.-]*):[A-Za-z_]")


def _prefix_at(source: XmlSource, line: int, column: int) -> str | None:
    """The namespace prefix of the tag at (line, column) of what the parser saw."""
    _before, tag = _text_at(source, line, column, TAG_CHARS)
    if tag.startswith("<"):
        match = _PREFIXED.match(tag[1:].lstrip("/"))
        if match:
            return match.group(1)
    # an attribute's prefix: the first unknown prefix in the start tag
    end = tag.find(">")
    for match in _PREFIXED.finditer(tag[: end if end >= 0 else None]):
        if match.group(1) not in ("xmlns", "xml"):
            return match.group(1)
    return None


class _LocalNames(dict[str, str]):
    """Tag -> local name, remembered (up to 4096 tags): a hit is a dict lookup, no Python call."""

    def __missing__(self, tag: str) -> str:
        name = tag.rsplit("}", 1)[-1]
        if len(self) < 4096:
            self[tag] = name
        return name


_LOCAL_NAMES = _LocalNames()

#: the local name of a ``{uri}name`` tag (``local(tag)``; called for every element read)
local: Callable[[str], str] = _LOCAL_NAMES.__getitem__


def namespace(tag: str) -> str:
    """The namespace URI of a ``{uri}name`` tag ('' when none)."""
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def text_of(element: Element | None) -> str:
    """The element's text content (CDATA included) or ''."""
    if element is None:
        return ""
    if len(element) == 0:  # a leaf: its text is all there is (the common case, and fast)
        return element.text or ""
    return "".join(element.itertext())
