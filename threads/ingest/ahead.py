"""Reading ahead: the reader process of an import's large XML file, started before the rest.

A command that imports a large export spends its first second loading the database layer
(SQLAlchemy, the models), opening the database and checking its schema, all before the first
comment is written. :meth:`ReadAhead.start` runs first, with only the readers loaded: it finds
the first file that a reader process would read (the same rules as the import itself: a WXR,
Disqus or Blogger file large enough, see :func:`threads.ingest.pipeline.use_reader_process`) and
forks its reader, which parses and packs while this process gets the database ready.
``threads.ingest.service.ingest_paths`` then takes the stream when it reaches that file, as if it
had started it there.

Only what reads the file starts early; everything that depends on the database (whether the
file was imported before, the transaction, the writes) happens as it would have. A stream that
is never taken (the file was imported before, the import failed first) is stopped by
:meth:`ReadAhead.close`. This module and what it imports need no database layer.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from threads.errors import ThreadsError
from threads.ingest.detect import XML_FORMATS, file_format
from threads.ingest.files import expand_paths
from threads.ingest.pipeline import ReaderProcess, use_reader_process, xml_readers
from threads.ingest.sniff import Sniffed, sniff_file


@dataclass
class _Started:
    path: Path
    fmt: str
    stat: tuple[int, int]
    sniffed: Sniffed
    stream: ReaderProcess


def _stat(path: Path) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_size, info.st_mtime_ns


class ReadAhead:
    """At most one reader process, started ahead for one file of an import."""

    def __init__(self) -> None:
        self._started: _Started | None = None

    @classmethod
    def start(
        cls, paths: Sequence[Path], fmt: str = "auto", parallel: bool | None = None
    ) -> ReadAhead:
        """Start the reader process of the first file under ``paths`` that the import would
        read in one (none, when no file qualifies or ``parallel`` is False). Never raises: a
        path or file it cannot read is left for the import to report."""
        ahead = cls()
        if parallel is False:
            return ahead
        try:
            ahead._start(paths, fmt, parallel)
        except (ThreadsError, OSError, ValueError):
            ahead.close()
        return ahead

    def _start(self, paths: Sequence[Path], fmt: str, parallel: bool | None) -> None:
        for path in expand_paths(paths):
            stat = _stat(path)
            if not use_reader_process(stat[0], parallel):
                continue
            try:
                found = file_format(path, fmt)
            except ThreadsError:
                continue
            if found not in XML_FORMATS:
                continue
            # from the head alone (the whole file is checked when the import takes the stream)
            sniffed = sniff_file(path, xml=True, whole=False)
            stream = ReaderProcess(xml_readers(path, found, sniffed))
            self._started = _Started(path.resolve(), found, stat, sniffed, stream)
            return

    @property
    def path(self) -> Path | None:
        """The file whose reader runs ahead, if any."""
        return self._started.path if self._started is not None else None

    def take(
        self, path: Path, fmt: str, declared: frozenset[str]
    ) -> tuple[Sniffed, ReaderProcess] | None:
        """The stream started for ``path``, if it reads the file as the import now would: the
        same format, no namespace prefixes to declare, the file unchanged since, and the
        encoding its head suggested right for the whole file (else it is stopped). None for
        another file, whose stream stays."""
        started = self._started
        if started is None or started.path != path.resolve():
            return None
        self._started = None
        try:
            same = (
                started.fmt == fmt
                and not declared
                and started.stat == _stat(path)
                and sniff_file(path, xml=True) == started.sniffed
            )
        except OSError:
            same = False
        if not same:
            started.stream.close()
            return None
        return started.sniffed, started.stream

    def close(self) -> None:
        """Stop a reader process that nobody took."""
        started, self._started = self._started, None
        if started is not None:
            started.stream.close()
