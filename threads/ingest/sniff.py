"""Encodings: decode what a file's bytes say they are, and find where an XML document starts.

The order is fixed and recorded on the ImportBatch: UTF-8 (with or without a BOM) when the bytes
are valid UTF-8, else the charset the document declares (XML declaration ``encoding=``, HTML
``<meta charset>`` or ``http-equiv="Content-Type"``), else cp1252 (which decodes any byte).
UTF-16/32 come first: recognised by their BOM, or without one by how a document starting with
``<`` looks in them (as XML 1.0 Appendix F does) or by text whose every other byte is NUL; a
file in them is decoded (an XML one transcoded to UTF-8 for the parser) before its format is
detected.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

#: how much of a file is looked at to find declarations
HEAD_BYTES = 64 * 1024

_BOMS: list[tuple[bytes, str]] = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
_XML_DECL = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.I)
#: an XML declaration as XML 1.0 writes it (``<?xml version="1.0" ...?>``): prose that mentions
#: ``<?xml`` is not one
XML_DECLARATION = r"""<\?xml\s+version\s*=\s*(?:"1\.[0-9]+"|'1\.[0-9]+')[^<>]*?\?>"""
_XML_START = re.compile(XML_DECLARATION.encode("ascii"))
#: what may stand before the declaration of a damaged export: a few characters that are not
#: words (a stray backtick from a Go raw string, a newline, a BOM counted apart)
MAX_JUNK = 16
_WORD_BYTE = re.compile(rb"[A-Za-z0-9\x80-\xff]")


@dataclass
class Sniffed:
    """What the start of a file says about how to read it."""

    #: the Python codec name to decode the bytes with (recorded on the batch)
    encoding: str
    #: bytes to skip before the document (a BOM is handled by the codec, not skipped)
    skip: int = 0
    #: the charset the document itself declares (XML or HTML), if any
    declared: str | None = None
    warnings: list[str] = field(default_factory=list)


def declared_charset(head: bytes) -> str | None:
    """The charset an XML declaration or an HTML ``<meta>`` names, as a known codec name."""
    for pattern in (_XML_DECL, _META_CHARSET):
        match = pattern.search(head[:HEAD_BYTES])
        if match:
            name = match.group(1).decode("ascii", "replace")
            try:
                return codecs.lookup(name).name
            except LookupError:
                continue
    return None


#: how a document that starts with ``<`` (XML, HTML) begins in UTF-16/32 without a BOM
_BOMLESS_MARKUP: list[tuple[bytes, str]] = [
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
]
#: the Python codecs of the wide encodings: a file in one of them is transcoded for the parser
WIDE_ENCODINGS = frozenset(("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"))


def bom_encoding(head: bytes) -> str | None:
    """The encoding the first bytes of a file announce: a BOM (UTF-8, UTF-16 or UTF-32), else
    UTF-16/32 without a BOM when the bytes can be nothing else (see the module docstring)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    for start, name in _BOMLESS_MARKUP:
        if head.startswith(start):
            return name
    return _bomless_utf16_text(head[:4096])


def _bomless_utf16_text(head: bytes) -> str | None:
    """UTF-16 text without a BOM: in text written in a Latin script every other byte is NUL,
    on one side only (no text in another encoding, and no binary, looks like that)."""
    if len(head) < 16:
        return None
    even, odd = head[0::2], head[1::2]
    zero_even, zero_odd = even.count(0), odd.count(0)
    if zero_odd >= len(odd) // 2 and zero_even == 0:
        return "utf-16-le"
    if zero_even >= len(even) // 2 and zero_odd == 0:
        return "utf-16-be"
    return None


def decode_head(head: bytes) -> str:
    """The first bytes of a file as text, for format detection: decoded by what they announce
    (see :func:`bom_encoding`; UTF-8 otherwise), leniently, a cut last character dropped."""
    encoding = bom_encoding(head) or "utf-8"
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(head).lstrip("\ufeff")


def xml_junk_prefix(head: bytes) -> int:
    """How many bytes stand before the ``<?xml`` declaration (0 when it comes first or is absent).

    Only short prefixes without words are junk (a stray backtick, a newline: at most
    :data:`MAX_JUNK` bytes); a declaration after words is prose quoting one, not ours to move.
    """
    body = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    offset = 3 if body is not head else 0
    match = _XML_START.search(body[: MAX_JUNK + 1024])
    if match is None or match.start() == 0:
        return 0
    junk = body[: match.start()]
    if len(junk) > MAX_JUNK or _WORD_BYTE.search(junk):
        return 0
    return offset + match.start()


def is_utf8(stream: BinaryIO, chunk_size: int = 1 << 20) -> bool:
    """Whether the rest of ``stream`` is valid UTF-8, read in bounded chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(chunk_size):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _starts_as_utf8(head: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head)  # a cut character may follow
    except UnicodeDecodeError:
        return False
    return True


def sniff_file(path: Path, *, xml: bool, whole: bool = True) -> Sniffed:
    """Decide how to read the file at ``path`` without holding it in memory.

    ``whole=False`` looks at the first 64 KiB only and takes the rest for UTF-8 when they are:
    the answer ``sniff_file(path, xml=xml)`` gives for a file that is UTF-8 throughout, at once
    (a reader started ahead uses it, and the import checks it against the whole file later).
    """
    with path.open("rb") as stream:
        head = stream.read(HEAD_BYTES)
        skip = xml_junk_prefix(head) if xml else 0
        warnings: list[str] = []
        if skip:
            junk = head[:skip]
            warnings.append(
                f"{path.name}: skipped {skip} byte(s) {junk[:20]!r} before the XML declaration"
            )
        declared = declared_charset(head[skip:])
        bom = bom_encoding(head[skip:])
        if bom is not None:
            return Sniffed(bom, skip, declared, warnings)
        stream.seek(skip)
        if is_utf8(stream) if whole else _starts_as_utf8(head[skip:]):
            return Sniffed("utf-8", skip, declared, warnings)
    if declared is not None and declared != "utf-8":
        return Sniffed(declared, skip, declared, warnings)
    warnings.append(f"{path.name}: not valid UTF-8 and no usable charset declared; read as cp1252")
    return Sniffed("cp1252", skip, declared, warnings)


def decode(data: bytes, *, xml: bool = False, name: str = "input") -> tuple[str, str]:
    """Decode ``data`` to (text, encoding) by the rules above (for small, whole files)."""
    text, encoding, _warnings = decode_with_warnings(data, xml=xml, name=name)
    return text, encoding


def decode_with_warnings(
    data: bytes, *, xml: bool = False, name: str = "input"
) -> tuple[str, str, list[str]]:
    """Like :func:`decode`, also returning what was worked around (skipped junk, fallbacks)."""
    warnings: list[str] = []
    skip = xml_junk_prefix(data) if xml else 0
    if skip:
        warnings.append(
            f"{name}: skipped {skip} byte(s) {data[:skip][:20]!r} before the XML declaration"
        )
        data = data[skip:]
    bom = bom_encoding(data)
    if bom is not None:
        text = data.decode(bom, errors="replace")
        return text.lstrip("\ufeff"), bom, warnings
    try:
        return data.decode("utf-8"), "utf-8", warnings
    except UnicodeDecodeError:
        pass
    declared = declared_charset(data)
    if declared is not None and declared != "utf-8":
        try:
            return data.decode(declared), declared, warnings
        except UnicodeDecodeError:
            warnings.append(f"{name}: bytes do not match the declared charset {declared}")
    warnings.append(f"{name}: not valid UTF-8 and no usable charset declared; read as cp1252")
    return data.decode("cp1252", errors="replace"), "cp1252", warnings
