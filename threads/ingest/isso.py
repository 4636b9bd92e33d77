"""Isso's generic JSON import format: an array of threads, each with its comments.

A thread is ``{"id": <page path>, "title": ..., "comments": [...]}``; a comment has ``author``,
``email``, ``website``, ``remote_addr``, ``created`` (``YYYY-MM-DD HH:MM:SS``, taken as UTC) and
``text``. Isso URL-encodes titles (``Nat+%26+Miguel``): they are decoded, the original kept in
``extra["title_raw"]``. The format has no reply links and no moderation state: every comment is
top-level and approved. Comment ids are usually 0 (no id): an id of 0 is kept in ``extra["id"]``
and the comment keyed by its content, as Isso itself does. The page path has no host, so the
threads go to the site the loader gives a page without an address, unless ``--site`` says.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus

from threads.ingest.dates import parse_iso_utc
from threads.ingest.jsonfile import kind, rest, shape_error, text
from threads.ingest.parsed import ParsedArticle, ParsedComment, ParsedThread
from threads.ingest.registry import Format, Head
from threads.ingest.source import SourceFile
from threads.ingest.stream import Item

USED = frozenset(("id", "author", "email", "website", "created", "text"))
NO_STATE = "Isso's generic format does not say whether comments are closed"


class IssoReader:
    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.name = source.name
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}

    def __iter__(self) -> Iterator[Item]:
        source = self.source
        document = source.json()
        if not isinstance(document, list):
            raise shape_error(
                self.name, "the document", f"an array of threads, not {kind(document)}"
            )
        for number, record in enumerate(document):
            if not isinstance(record, dict) or not isinstance(record.get("comments"), list):
                raise shape_error(self.name, f"[{number}]", '{"id": ..., "comments": [...]}')
            yield self._thread(record, number)

    def _thread(self, record: dict[str, Any], number: int) -> ParsedThread:
        path = text(record.get("id"))
        raw_title = record.get("title")
        title = unquote_plus(raw_title) if isinstance(raw_title, str) else ""
        extra = {k: v for k, v in record.items() if k not in ("id", "title", "comments")}
        if isinstance(raw_title, str) and title != raw_title:
            extra["title_raw"] = raw_title
        comments = []
        for index, comment in enumerate(record["comments"]):
            if not isinstance(comment, dict):
                raise shape_error(self.name, f"[{number}].comments[{index}]", "an object")
            comments.append(_comment(comment, index))
        return ParsedThread(
            article=ParsedArticle(title=title, source_url=path, key=f"isso:{path}", extra=extra),
            comments=comments,
            state_note=NO_STATE,
            external_id=path,
        )


def _comment(record: dict[str, Any], position: int) -> ParsedComment:
    extra = rest(record, USED)
    identifier = record.get("id")
    if identifier in (0, "0", None, ""):
        if identifier is not None:
            extra["id"] = identifier
        external_id = None
    else:
        external_id = str(identifier)
    written = text(record.get("created"))
    body = record.get("text")
    return ParsedComment(
        body=body if isinstance(body, str) else "",
        external_id=external_id,
        author_name=text(record.get("author")),
        author_email=text(record.get("email")),
        author_url=text(record.get("website")),
        posted_at=parse_iso_utc(written) if written else None,
        posted_text=written,
        position=position,
        extra=extra,
    )


_START = re.compile(r"\A\[\s*\{")
_COMMENTS = re.compile(r'"comments"\s*:\s*\[')
_ISSO_FIELD = re.compile(r'"(?:remote_addr|website)"\s*:')


def _detect(head: Head) -> bool:
    start = head.stripped
    return (
        head.json
        and _START.match(start) is not None
        and _COMMENTS.search(start) is not None
        and _ISSO_FIELD.search(start) is not None
    )


FORMAT = Format(
    name="isso",
    description="Isso's generic JSON import format",
    detect=_detect,
    open=IssoReader,
)
