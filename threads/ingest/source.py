"""One file as a reader sees it: its bytes decoded by the encoding rules, or an XML stream.

A reader asks for what it needs: :meth:`SourceFile.text` (a saved page, read whole),
:meth:`SourceFile.xml` (an export, streamed), :meth:`SourceFile.json` (a JSON document, read
whole) or :meth:`SourceFile.lines` (JSON lines, streamed).
Either way the encoding chosen and what was worked around on the way (junk before the XML
declaration, a charset fallback) are recorded here, and the import puts them on the file's batch.

With ``recover=True`` (``threads ingest --recover``) an XML file is first read whole by lxml's
parser in recovery mode, which repairs what it can (an unquoted attribute, an unclosed tag) and
skips what it cannot; every repair it logs becomes a warning naming its line, and the readers
then stream the repaired document as they would the original. The repaired copy lives in a
private temporary folder, under the file's own name, until the source is closed.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from threads.errors import InvalidInput
from threads.ingest.jsonfile import Lines, load_document
from threads.ingest.sniff import Sniffed, decode_with_warnings, sniff_file
from threads.ingest.stream import XmlSource, declared_utf8


class SourceFile:
    """The file at ``path``; ``declared``: namespace prefixes an XML file uses without
    declaring them, to be declared for it (see ``threads.ingest.stream.UndeclaredPrefix``)."""

    def __init__(
        self, path: Path, declared: frozenset[str] = frozenset(), *, recover: bool = False
    ) -> None:
        self.path = path
        self.name = path.name
        self.declared = declared
        self.recover = recover
        self.size = path.stat().st_size
        self.encoding: str | None = None
        self.warnings: list[str] = []
        #: how many repairs the recovery parser made (0 when the file was well-formed)
        self.repairs = 0
        self._xml: XmlSource | None = None
        self._lines: Lines | None = None
        self._repaired_dir: Path | None = None

    def text(self) -> str:
        """The whole file, decoded."""
        text, self.encoding, warnings = decode_with_warnings(self.path.read_bytes(), name=self.name)
        self.warnings.extend(warnings)
        return text

    def xml(self) -> XmlSource:
        """The file as a stream for the XML parser (not read yet)."""
        sniffed = sniff_file(self.path, xml=True)
        self.encoding = sniffed.encoding
        self.warnings.extend(sniffed.warnings)
        if self.recover:
            self._xml = XmlSource(self._repaired(sniffed), _REPAIRED, self.declared)
        else:
            self._xml = XmlSource(self.path, sniffed, self.declared)
        return self._xml

    def json(self) -> Any:
        """The file as one JSON document, read whole (decoded by the encoding rules)."""
        document, self.encoding, warnings = load_document(self.path, self.name)
        self.warnings.extend(warnings)
        return document

    def lines(self) -> Lines:
        """The file as JSON lines (plain or zstandard-compressed), streamed; UTF-8."""
        self.encoding = "utf-8"
        self._lines = Lines(self.path)
        return self._lines

    def _repaired(self, sniffed: Sniffed) -> Path:
        """The file parsed in recovery mode and written out again, well-formed, as UTF-8.

        The whole file is held in memory while it is repaired (recovery is for damaged files,
        not for the largest exports). Entities are not expanded and nothing is fetched.
        """
        from lxml import etree

        raw = self.path.read_bytes()
        junk, raw = raw[: sniffed.skip], raw[sniffed.skip :]
        text = raw.decode(sniffed.encoding, errors="replace").lstrip("\ufeff")
        parser = etree.XMLParser(
            recover=True, resolve_entities=False, no_network=True, load_dtd=False
        )
        try:
            root = etree.fromstring(declared_utf8(text).encode("utf-8"), parser)
        except etree.XMLSyntaxError as exc:  # nothing at all could be salvaged
            raise InvalidInput(
                f"{self.name}: nothing could be recovered from this XML ({exc})", field="file"
            ) from None
        if root is None:
            raise InvalidInput(
                f"{self.name}: no element could be recovered from this XML", field="file"
            )
        # lines and columns as the file has them: the junk before the declaration was cut
        lines_cut = junk.count(b"\n")
        first_line_cut = len(junk) - (junk.rfind(b"\n") + 1)
        for entry in parser.error_log:
            line = entry.line + lines_cut
            column = entry.column + (first_line_cut if entry.line == 1 else 0)
            message = entry.message.strip()
            self.warnings.append(f"{self.name}: line {line}, column {column}: repaired: {message}")
            self.repairs += 1
        folder = Path(tempfile.mkdtemp(prefix="threads-recovered-"))
        self._repaired_dir = folder
        repaired = folder / self.name  # the readers name the file in their warnings
        repaired.write_bytes(
            etree.tostring(root.getroottree(), encoding="utf-8", xml_declaration=True)
        )
        return repaired

    @property
    def bytes_read(self) -> int:
        """How much of the file has been read so far."""
        if self._lines is not None:
            return min(self._lines.bytes_read, self.size)
        if self._xml is not None:
            return min(self._xml.bytes_read, self.size)
        return self.size if self.encoding is not None else 0

    def close(self) -> None:
        if self._xml is not None:
            self._xml.close()
        if self._repaired_dir is not None:
            shutil.rmtree(self._repaired_dir, ignore_errors=True)
            self._repaired_dir = None


#: how the repaired copy of a file is read: UTF-8, declared so, nothing to skip
_REPAIRED = Sniffed("utf-8", 0, "utf-8")
