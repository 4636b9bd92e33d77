"""The files an import reads: folders walked, and each file's sha256 (light: no database layer)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from threads.errors import InvalidInput


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """Files under ``paths``: folders walked recursively, sorted, hidden entries skipped."""
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise InvalidInput(f"{path}: no such file or directory", field="path")
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path)
                if any(part.startswith(".") for part in relative.parts):
                    continue
                if child.is_file():
                    files.append(child)
        else:
            files.append(path)
    return files


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
