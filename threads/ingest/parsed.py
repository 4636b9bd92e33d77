"""The common shape every reader produces, before anything touches the database.

Each source-format module (``text``, ``html``, ``wxr``, ``disqus``, ``blogger``) turns bytes into
a list of :class:`ParsedThread`; one loader (``threads.ingest.loader``) writes them. Readers keep
what the source said: the exact body text, the original timestamp text beside the parsed value,
source ids, and anything else in ``extra`` (which the archive export carries along).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from threads.enums import CommentKind, CommentStatus, ThreadState


@dataclass(slots=True)
class ParsedComment:
    body: str
    #: the id the source gave this comment (None when it had none: the loader then uses a hash)
    external_id: str | None = None
    #: the source id of the parent comment; None for a top-level comment
    parent_external_id: str | None = None
    #: for sources without ids: the parent's index in ``ParsedThread.comments``
    parent_index: int | None = None
    author_name: str | None = None
    author_url: str | None = None
    author_email: str | None = None
    posted_at: datetime | None = None
    posted_text: str | None = None
    status: CommentStatus = CommentStatus.APPROVED
    kind: CommentKind = CommentKind.COMMENT
    #: "text" or "html"
    body_format: str = "text"
    #: 0-based order of appearance in the source
    position: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParsedArticle:
    title: str = ""
    source_url: str | None = None
    byline: str | None = None
    authors: list[str] = field(default_factory=list)
    standfirst: str | None = None
    published_at: datetime | None = None
    published_text: str | None = None
    body: str = ""
    #: a stable identity across re-imports (e.g. "wxr:<guid>", "disqus:<thread id>"); None lets
    #: the loader derive one from the source URL, else from a hash of title and body
    key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParsedThread:
    article: ParsedArticle
    comments: list[ParsedComment] = field(default_factory=list)
    #: None when the source says nothing about the thread state (kept open, with a note)
    state: ThreadState | None = None
    #: why the state is what it is (e.g. 'page says "Comments are closed."')
    state_note: str | None = None
    closed_at: datetime | None = None
    external_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: problems the reader noticed but worked around; the loader records them on the batch
    warnings: list[str] = field(default_factory=list)
