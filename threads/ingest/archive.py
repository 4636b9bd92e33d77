"""Our own JSONL archive (``threads export``) read back: it loads itself, ids and all.

Recognised by its first line, an object with ``"type": "archive"``. See
``threads.archive.jsonl`` for the format and the rules of a restore and a merge. The load is
recorded in ``archive_load`` (not as an import batch: the archive carries its own batches, and a
restored database must export to the archive it came from).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session

from threads.ingest.dates import parse_iso_utc
from threads.ingest.registry import Format, Head
from threads.models import ArchiveLoad


def _detect(head: Head) -> bool:
    first = head.first_line_json
    return isinstance(first, dict) and first.get("type") == "archive"


def _load(session: Session, path: Path, sha256: str) -> dict[str, Any]:
    from threads.archive.jsonl import load_archive

    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        counts = load_archive(session, handle, name=path.name)
    restored, as_of = counts.pop("restored"), counts.pop("as_of")
    record = ArchiveLoad(
        source_name=path.name[:512],
        source_path=str(path.resolve()),
        sha256=sha256,
        mode="restore" if restored else "merge",
        archive_as_of=parse_iso_utc(as_of) if as_of else None,
        counts=counts,
    )
    session.add(record)
    session.flush()
    return {**counts, "archive_load": record.id, "mode": record.mode}


FORMAT = Format(
    name="jsonl",
    description="threads JSONL archive (threads export)",
    detect=_detect,
    load=_load,
)
