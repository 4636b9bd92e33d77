"""One file as a reader sees it: its bytes decoded by the encoding rules, or an XML stream.

A reader asks for what it needs: :meth:`SourceFile.text` (a saved page, read whole),
:meth:`SourceFile.xml` (an export, streamed) or :meth:`SourceFile.lines` (JSON lines, streamed).
Either way the encoding chosen and what was worked around on the way (junk before the XML
declaration, a charset fallback) are recorded here, and the import puts them on the file's batch.
"""

from __future__ import annotations

from pathlib import Path

from threads.ingest.jsonfile import Lines
from threads.ingest.sniff import decode_with_warnings, sniff_file
from threads.ingest.stream import XmlSource


class SourceFile:
    """The file at ``path``; ``declared``: namespace prefixes an XML file uses without
    declaring them, to be declared for it (see ``threads.ingest.stream.UndeclaredPrefix``)."""

    def __init__(self, path: Path, declared: frozenset[str] = frozenset()) -> None:
        self.path = path
        self.name = path.name
        self.declared = declared
        self.size = path.stat().st_size
        self.encoding: str | None = None
        self.warnings: list[str] = []
        self._xml: XmlSource | None = None
        self._lines: Lines | None = None

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
        self._xml = XmlSource(self.path, sniffed, self.declared)
        return self._xml

    def lines(self) -> Lines:
        """The file as JSON lines (plain or zstandard-compressed), streamed; UTF-8."""
        self.encoding = "utf-8"
        self._lines = Lines(self.path)
        return self._lines

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
