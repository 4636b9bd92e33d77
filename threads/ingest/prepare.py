"""Comments made ready for the database before the loader sees them.

Everything about an imported comment that does not depend on what the database already holds is
worked out here: its base key (source id, else content hash), the key of its parent, its author
key and content hash, the columns cut to fit (the full text kept in ``extra``), and every column
value in the form the driver stores (timestamps, JSON text, enum values; refused, naming the
column, when not a value the column allows). The loader (``threads.ingest.loader``) then only
decides ids, duplicate numbering and reply links against the database.

Pure, and in two steps so that a large import can use two cores (``threads.ingest.pipeline``):
:func:`threads.ingest.pack.pack` turns a parsed comment into plain values (in the reader process,
if there is one) and :meth:`Preparer.finish` does the rest (beside the loader, or in the reader
process when the loader is the slower side). In one process the two simply follow each other.
Finishing needs no database layer, so that a reader process started before it is loaded can
finish comments too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from threads.ingest.dates import as_utc
from threads.ingest.pack import PackedComment, pack, split
from threads.ingest.parsed import ParsedComment, ParsedThread
from threads.ingest.stream import Item
from threads.stored import COMMENT_VALUES, json_writer

#: the columns a prepared comment's values fill, in order (the loader adds the rest)
STORED_COLUMNS: tuple[str, ...] = COMMENT_VALUES
#: positions in a prepared comment's values
EXTERNAL_ID = STORED_COLUMNS.index("external_id")
STATUS = STORED_COLUMNS.index("status")

#: a prepared comment: (base key, parent key, parent index, stored values in STORED_COLUMNS
#: order)
PreparedComment = tuple[str, str | None, int | None, tuple[Any, ...]]


@dataclass(slots=True)
class Prepared:
    """One reader item, its comments prepared: a thread yielded with its comments (``thread``,
    whose own ``comments`` list is left empty) or comments for a thread yielded earlier
    (``thread_ref``)."""

    comments: list[PreparedComment]
    thread: ParsedThread | None = None
    thread_ref: str | None = None
    warnings: list[str] = field(default_factory=list)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def comment_base_key(comment: ParsedComment) -> str:
    """The key before duplicate numbering: the source id, else a content hash."""
    return _base_key(comment.external_id, comment.author_name, comment.posted_text, comment.body)


def _base_key(external_id: str | None, author: str | None, posted: str | None, body: str) -> str:
    if external_id:
        return id_key(external_id)
    return "hash:" + sha256(f"{author or ''}\x1f{posted or ''}\x1f{body}")


def id_key(external_id: str) -> str:
    """The key of a comment with this source id (a hash of the id when it is very long)."""
    key = "id:" + external_id
    return key if len(key) <= 240 else "id:" + sha256(external_id)


def author_key(comment: ParsedComment) -> str | None:
    """Lower-cased e-mail if any, else the lower-cased, whitespace-normalised name."""
    return _author_key(comment.author_email, comment.author_name)


def _author_key(email: str | None, name: str | None) -> str | None:
    if email and (email := email.strip()):
        return email.lower()[:512]
    if name and name.strip():
        return " ".join(name.split()).lower()[:512]
    return None


def fit(value: str | None, limit: int, extra: dict[str, Any], name: str) -> str | None:
    """``value`` if it fits its column; else cut, with the full text kept in ``extra``."""
    if value is None or len(value) <= limit:
        return value
    extra[name] = value
    return value[:limit]


def utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


class Preparer:
    """Prepares comments for one database backend ("sqlite" or "postgresql")."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        # a packed timestamp is SQLite's UTC text; PostgreSQL takes it with its offset
        self._time_suffix = "" if backend == "sqlite" else "+00:00"
        self._json = json_writer()  # the extra column's stored form, on either backend
        self._decoders: list[tuple[str, Callable[[Any], Any]]] | None = None

    def finish(self, packed: PackedComment) -> PreparedComment:
        """The prepared comment of a packed one: keys, hashes, cut columns, JSON."""
        (
            body,
            external_id,
            parent,
            parent_index,
            author_name,
            author_url,
            author_email,
            posted_at,
            posted_text,
            status,
            kind,
            body_format,
            position,
            extra,
        ) = packed
        if posted_at is not None and self._time_suffix:
            posted_at += self._time_suffix
        key = _base_key(external_id, author_name, posted_text, body)
        author = _author_key(author_email, author_name)
        if (
            (external_id is not None and len(external_id) > 255)
            or (author_name is not None and len(author_name) > 512)
            or (author_email is not None and len(author_email) > 512)
            or (posted_text is not None and len(posted_text) > 128)
        ):
            extra = dict(extra)
            external_id = fit(external_id, 255, extra, "external_id")
            author_name = fit(author_name, 512, extra, "author_name")
            author_email = fit(author_email, 512, extra, "author_email")
            posted_text = fit(posted_text, 128, extra, "posted_text")
        values = (
            external_id,
            position,
            kind,
            author_name,
            author_url,
            author_email,
            author,
            posted_at,
            posted_text,
            body,
            body_format,
            status,
            sha256(body),
            self._json(extra),
        )
        return (key, id_key(parent) if parent else None, None if parent else parent_index, values)

    def item(self, item: Item) -> Prepared:
        finish = self.finish
        thread, thread_ref, warnings = split(item)
        comments = [finish(pack(c)) for c in item.comments]
        return Prepared(comments, thread=thread, thread_ref=thread_ref, warnings=warnings)

    def items(self, items: Iterable[Item]) -> Iterator[Prepared]:
        for item in items:
            yield self.item(item)

    def python_values(self, values: tuple[Any, ...]) -> dict[str, Any]:
        """Stored values back as the model's Python values (to compare with a row read back)."""
        if self._decoders is None:
            from threads.db.queries import ingest as q  # the database layer, loaded by now

            column = q.COMMENT.c
            self._decoders = [
                (name, q.python_form(column[name], self.backend)) for name in STORED_COLUMNS
            ]
        pairs = zip(self._decoders, values, strict=True)
        return {name: decode(value) for (name, decode), value in pairs}
