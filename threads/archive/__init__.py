"""Exporters: the lossless JSONL archive, WXR, Disqus XML and CSV.

:func:`export` writes any of them, to a stream or through :func:`write_output` to a path;
:func:`threads.archive.jsonl.load_archive` reads the archive back (``threads ingest --format
jsonl`` calls it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TextIO

from sqlalchemy.engine import Engine

from threads.archive.csv import dump_csv
from threads.archive.disqus import dump_disqus
from threads.archive.jsonl import dump_archive, is_archive_header, load_archive
from threads.archive.output import SYMLINK_REFUSED, write_atomically, write_output
from threads.archive.wxr import dump_wxr
from threads.errors import InvalidInput

EXPORT_FORMATS = ("jsonl", "wxr", "disqus", "csv")


def export(
    engine: Engine, fmt: str, out: TextIO, *, thread_ids: Sequence[int] | None = None
) -> dict[str, int]:
    """Write the database (or ``thread_ids`` only) to ``out`` in ``fmt``; returns what was written.

    The counts are records per type for ``jsonl`` and ``{"comment": n}`` for the others. Raises
    InvalidInput for an unknown format and NotFound naming thread ids that do not exist.
    """
    if fmt == "jsonl":
        return dump_archive(engine, out, thread_ids=thread_ids)
    writers: dict[str, Callable[..., int]] = {
        "wxr": dump_wxr,
        "disqus": dump_disqus,
        "csv": dump_csv,
    }
    writer = writers.get(fmt)
    if writer is None:
        raise InvalidInput(
            f"unknown export format {fmt!r} (expected one of {', '.join(EXPORT_FORMATS)})",
            field="format",
        )
    return {"comment": writer(engine, out, thread_ids=thread_ids)}


__all__ = [
    "EXPORT_FORMATS",
    "SYMLINK_REFUSED",
    "dump_archive",
    "dump_csv",
    "dump_disqus",
    "dump_wxr",
    "export",
    "is_archive_header",
    "load_archive",
    "write_atomically",
    "write_output",
]
