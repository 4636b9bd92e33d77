"""A parsed comment as plain values: the first half of preparing it for the database.

:func:`pack` keeps what the reader knows of a comment as a plain tuple (strings, numbers,
``None``, the ``extra`` dict) that a reader process can send by the hundred thousand with
``marshal``: the timestamp already as the UTC text the database keeps, the enums as their
stored values (refused, naming the column, when the column does not allow them).
``threads.ingest.prepare`` finishes the preparation beside the loader.

This module needs no database layer: a large import's reader process is started before
SQLAlchemy is even imported (see ``threads.ingest.pipeline``), and runs it.
"""

from __future__ import annotations

import copy
import enum
from datetime import datetime
from typing import Any

from threads.enums import CommentKind, CommentStatus
from threads.ingest.parsed import ParsedComment, ParsedThread
from threads.ingest.stream import Item, MoreComments
from threads.stored import sqlite_time

#: a packed comment (see :func:`pack`)
PackedComment = tuple[Any, ...]
#: an item without its comments (see :func:`split`)
ItemParts = tuple[ParsedThread | None, str | None, list[str]]


def _enum_texts(enum_class: type[enum.StrEnum]) -> dict[Any, str]:
    # text -> text; a StrEnum member finds its text's entry (same hash, equal), and gets the
    # plain text back: one dict lookup a value
    return {member.value: member.value for member in enum_class}


#: the stored text of each value the comment table's enum columns allow (a test checks them
#: against the model's columns)
STATUS_TEXTS = _enum_texts(CommentStatus)
KIND_TEXTS = _enum_texts(CommentKind)


def _refused(column: str, value: Any, allowed: dict[Any, str]) -> ValueError:
    text = value.value if isinstance(value, enum.Enum) else value
    return ValueError(f"comment.{column}: {text!r} is not one of {sorted(allowed.values())}")


def packed(
    body: str,
    external_id: str | None,
    parent_external_id: str | None,
    parent_index: int | None,
    author_name: str | None,
    author_url: str | None,
    author_email: str | None,
    posted_at: datetime | None,
    posted_text: str | None,
    status: CommentStatus,
    kind: CommentKind,
    body_format: str,
    position: int,
    extra: dict[str, Any],
) -> PackedComment:
    """The packed form of a comment with these fields (a ParsedComment's, in its order): a
    reader process's reader can pack a comment without building its ParsedComment first."""
    try:
        status_text = STATUS_TEXTS[status]
    except (KeyError, TypeError):
        raise _refused("status", status, STATUS_TEXTS) from None
    try:
        kind_text = KIND_TEXTS[kind]
    except (KeyError, TypeError):
        raise _refused("kind", kind, KIND_TEXTS) from None
    return (
        body,
        external_id,
        parent_external_id,
        parent_index,
        author_name,
        author_url,
        author_email,
        sqlite_time(posted_at),
        posted_text,
        status_text,
        kind_text,
        body_format,
        position,
        extra,
    )


def pack(comment: ParsedComment) -> PackedComment:
    """What the reader knows of ``comment``, as a plain tuple (see the module's docstring)."""
    return packed(
        comment.body,
        comment.external_id,
        comment.parent_external_id,
        comment.parent_index,
        comment.author_name,
        comment.author_url,
        comment.author_email,
        comment.posted_at,
        comment.posted_text,
        comment.status,
        comment.kind,
        comment.body_format,
        comment.position,
        comment.extra,
    )


def split(item: Item) -> ItemParts:
    """The item without its comments: (thread, or the ref of an earlier one, warnings)."""
    if isinstance(item, MoreComments):
        return None, item.thread_ref, item.warnings
    thread = copy.copy(item)
    thread.comments = []  # the packed copies travel instead
    return thread, None, item.warnings
