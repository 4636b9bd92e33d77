"""The one step from what a reader parsed to the values of a row.

Every field of a parsed comment or article that is a column of its table goes to that column as
it is (the reply links aside); what the database needs besides is worked out here, from the
parsed values alone:

* a comment's base key: ``"id:"`` + the source id, else ``"hash:"`` + sha256 of (author,
  timestamp text, body); the loader numbers exact duplicates ``#2``, ``#3``...;
* its author key (lower-cased e-mail, else the name with whitespace collapsed) and the sha256 of
  its body;
* the key of its parent (by source id) or the parent's index in the thread;
* text cut to fit its column, the full text kept in ``extra`` under the column's name;
* an author URL whose scheme runs code or carries a document of its own (``javascript:``,
  ``vbscript:``, ``data:``, however written) dropped, its scheme kept in ``extra``;
* an article's key: the reader's, else ``"url:"`` + the normalised address, else ``"hash:"`` +
  sha256 of (title, body).

What depends on the database (ids, duplicate numbering, links to parents written earlier) is the
loader's (``threads.ingest.loader``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

from threads.enums import ThreadState
from threads.identity import author_key
from threads.models import (
    COMMENT_LINK_FIELDS,
    Article,
    Comment,
    ParsedArticle,
    ParsedComment,
    ParsedThread,
)

_COMMENT: sa.Table = Comment.__table__  # type: ignore[attr-defined]
_ARTICLE: sa.Table = Article.__table__  # type: ignore[attr-defined]

#: the comment columns a reader fills: every field of ParsedComment but the reply links
COMMENT_SOURCE_COLUMNS = tuple(
    f.name for f in fields(ParsedComment) if f.name not in COMMENT_LINK_FIELDS
)
#: the article columns a reader fills (the key is decided apart, see :func:`article_key`)
ARTICLE_SOURCE_COLUMNS = tuple(f.name for f in fields(ParsedArticle) if f.name != "key")
#: columns derived here for every comment
COMMENT_DERIVED_COLUMNS = ("author_key", "content_hash")
#: thread fields an import sets
THREAD_COLUMNS = ("external_id", "state", "state_note", "closed_at", "close_reason", "extra")
UNKNOWN_STATE_NOTE = "the source does not say whether comments are closed; kept open"


def _limits(table: sa.Table, names: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """The text columns among ``names`` that have a length limit, with it."""
    found = []
    for name in names:
        kind = table.c[name].type
        if isinstance(kind, sa.String) and kind.length:
            found.append((name, kind.length))
    return tuple(found)


_COMMENT_LIMITS = _limits(_COMMENT, COMMENT_SOURCE_COLUMNS)
_ARTICLE_LIMITS = _limits(_ARTICLE, ARTICLE_SOURCE_COLUMNS)
_THREAD_LIMITS = (("external_id", 255),)


#: URL schemes a link must never have: following it runs code or opens a document it carries
UNSAFE_URL_SCHEMES = frozenset(("javascript", "vbscript", "data"))
#: what browsers skip or may skip in the scheme of a link: controls, spaces, invisible marks
_SCHEME_NOISE = re.compile(r"[\s\x00-\x1f\x7f\u200b-\u200f\u2060\ufeff]+")


def unsafe_url_scheme(url: str) -> str | None:
    """The scheme of ``url`` when it is one of :data:`UNSAFE_URL_SCHEMES`, lower-cased, read
    as a browser would (any case, leading spaces and controls, ``java\tscript:``); else None."""
    scheme, colon, _rest = url.partition(":")
    if not colon:
        return None
    scheme = _SCHEME_NOISE.sub("", scheme).lower()
    return scheme if scheme in UNSAFE_URL_SCHEMES else None


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def id_key(external_id: str) -> str:
    """The key of a comment with this source id (a hash of the id when it is very long)."""
    key = "id:" + external_id
    return key if len(key) <= 240 else "id:" + sha256(external_id)


def _fit(values: dict[str, Any], limits: tuple[tuple[str, int], ...]) -> None:
    """Cut text longer than its column; the whole text goes to ``extra`` under its name."""
    for name, limit in limits:
        value = values[name]
        if value is not None and len(value) > limit:
            extra = values["extra"] = dict(values["extra"])
            extra[name] = value
            values[name] = value[:limit]


@dataclass(slots=True)
class CommentRow:
    """A comment on its way in: its base key, how it finds its parent, its column values."""

    key: str
    parent_key: str | None
    parent_index: int | None
    values: dict[str, Any]


def comment_row(comment: ParsedComment) -> CommentRow:
    """The row of a parsed comment (see the module docstring)."""
    values = {name: getattr(comment, name) for name in COMMENT_SOURCE_COLUMNS}
    external_id = comment.external_id
    if external_id:
        key = id_key(external_id)
    else:
        key = "hash:" + sha256(
            f"{comment.author_name or ''}\x1f{comment.posted_text or ''}\x1f{comment.body}"
        )
    url = comment.author_url
    refused = unsafe_url_scheme(url) if url else None
    if refused is not None:
        values["author_url"] = None
        values["extra"] = {**values["extra"], "author_url_refused": f"{refused}:"}
    values["author_key"] = author_key(comment.author_email, comment.author_name)
    values["content_hash"] = sha256(comment.body)
    _fit(values, _COMMENT_LIMITS)
    parent = comment.parent_external_id
    return CommentRow(
        key,
        id_key(parent) if parent else None,
        None if parent else comment.parent_index,
        values,
    )


def normalise_url(url: str) -> str:
    """Scheme and host lower-cased, default port and fragment dropped, no trailing slash."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    host = (parts.hostname or "").lower()
    port = port if port not in (None, 80, 443) else None
    netloc = f"{host}:{port}" if port else host
    path = parts.path.rstrip("/") or ""
    return urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))


def article_key(thread: ParsedThread) -> str:
    """The stable key of the thread's article within its site (see the module docstring)."""
    article = thread.article
    if article.key:
        key = article.key
    elif article.source_url and article.source_url.strip():
        key = "url:" + normalise_url(article.source_url)
    else:
        key = "hash:" + sha256(f"{article.title}\x1f{article.body}")
    return key if len(key) <= 512 else key[:440] + "#" + sha256(key)


def article_values(article: ParsedArticle) -> dict[str, Any]:
    """The article's column values (its key apart)."""
    values = {name: getattr(article, name) for name in ARTICLE_SOURCE_COLUMNS}
    values["authors"] = list(article.authors)
    values["extra"] = dict(article.extra)
    values["content_hash"] = sha256(article.body)
    _fit(values, _ARTICLE_LIMITS)
    return values


def thread_values(thread: ParsedThread) -> dict[str, Any]:
    """The thread's column values: the state the source gives (open, with a note saying so,
    when it gives none)."""
    note: str | None
    if thread.state is None:
        state, note = ThreadState.OPEN, thread.state_note or UNKNOWN_STATE_NOTE
    else:
        state, note = thread.state, thread.state_note
    closed = state == ThreadState.CLOSED
    values = {
        "external_id": thread.external_id,
        "state": state,
        "state_note": note,
        "closed_at": thread.closed_at if closed else None,
        "close_reason": (thread.extra.get("close_reason") or note) if closed else None,
        "extra": dict(thread.extra),
    }
    _fit(values, _THREAD_LIMITS)
    return values
