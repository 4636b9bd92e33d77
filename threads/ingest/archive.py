"""Our own JSONL archive (``threads export``) read back: it loads itself, ids and all.

Recognised by its first line, an object with ``"type": "archive"``. See
``threads.archive.jsonl`` for the format and the rules of a restore and a merge.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session

from threads.ingest.registry import Format, Head
from threads.models import ImportBatch


def _detect(head: Head) -> bool:
    first = head.first_line_json
    return isinstance(first, dict) and first.get("type") == "archive"


def _load(session: Session, path: Path, batch: ImportBatch) -> dict[str, Any]:
    from threads.archive.jsonl import load_archive

    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        return dict(load_archive(session, handle, batch=batch))


FORMAT = Format(
    name="jsonl",
    description="threads JSONL archive (threads export)",
    detect=_detect,
    load=_load,
)
