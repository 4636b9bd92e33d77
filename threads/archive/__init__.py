"""Exporters: the lossless JSONL archive, WXR, Disqus XML and CSV.

:func:`export` writes any of them, to a stream or through :func:`write_output` to a path;
:func:`threads.archive.jsonl.load_archive` reads the archive back (``threads ingest --format
jsonl`` calls it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TextIO

from sqlalchemy.engine import Engine

from threads.archive.csv import dump_csv
from threads.archive.disqus import dump_disqus
from threads.archive.jsonl import dump_archive, is_archive_header, load_archive
from threads.archive.output import SYMLINK_REFUSED, write_atomically, write_output
from threads.archive.wxr import dump_wxr
from threads.errors import InvalidInput
from threads.models import DEFAULT_CODEBOOK

EXPORT_FORMATS = ("jsonl", "wxr", "disqus", "csv")


def export(
    engine: Engine,
    fmt: str,
    out: TextIO,
    *,
    thread_ids: Sequence[int] | None = None,
    codebook: str = DEFAULT_CODEBOOK,
    site: str | None = None,
    as_of: datetime | None = None,
) -> dict[str, int]:
    """Write the database (or ``thread_ids`` only, and/or the threads of the site with key
    ``site``) to ``out`` in ``fmt``; returns what was written.

    ``codebook`` names the codebook whose topics the CSV shows (the archive holds every
    codebook's labels; WXR and Disqus carry no topics). ``as_of``: the archive header's time
    (default: the newest time in the data; see :func:`dump_archive`).

    The counts are records per type for ``jsonl`` and ``{"comment": n}`` for the others. Raises
    InvalidInput for an unknown format or given threads of another site, NotFound naming
    thread ids that do not exist or an unknown site key (with the known ones).
    """
    if fmt == "jsonl":
        return dump_archive(engine, out, thread_ids=thread_ids, site=site, as_of=as_of)
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
    if fmt == "csv":
        return {
            "comment": dump_csv(engine, out, thread_ids=thread_ids, site=site, codebook=codebook)
        }
    return {"comment": writer(engine, out, thread_ids=thread_ids, site=site)}


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
