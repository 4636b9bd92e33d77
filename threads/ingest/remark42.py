"""Remark42: its backup (JSON lines) and its rendered tree (``/api/v1/find?format=tree``).

The backup's first line is its meta record (``version``, ``users`` with their ``blocked`` and
``verified`` state, ``posts`` with ``read_only``); every other line is one comment: ``id``,
``pid`` (its parent, "" at the top), ``text`` (HTML), ``user``, ``locator`` (``site`` and
``url``: the thread), ``score``, ``votes``, ``time``, ``delete``... It is streamed a line at a
time. The tree nests ``{"comment": {...}, "replies": [...]}`` nodes and may carry an ``info``
record (``url``, ``read_only``, ``count``...).

A thread is a ``locator.url`` in a site ``remark42:<site id>``; a read-only post is a closed
thread. A deleted comment (``delete``: true; Remark42 keeps it, without text, when it has
replies) is deleted. The author is ``user.name``; the rest of ``user`` (its id, hashed IP,
picture, admin and blocked flags) and what the meta record says of that user go to
``extra["user"]`` and ``extra["user_meta"]``; every other key goes to ``extra`` as written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from threads.enums import CommentStatus, ThreadState
from threads.ingest.dates import parse_iso_utc
from threads.ingest.jsonfile import (
    Lines,
    first_json_line,
    kind,
    parse_line,
    rest,
    shape_error,
    text,
)
from threads.ingest.parsed import ParsedArticle, ParsedComment, ParsedSite, ParsedThread
from threads.ingest.registry import Format, Head
from threads.ingest.sites import base_url, fit_key
from threads.ingest.source import SourceFile
from threads.ingest.stream import Item, MoreComments

BATCH = 5000
USED = frozenset(("id", "pid", "text", "user", "locator", "time"))


def _site(site: str | None, url: str | None) -> ParsedSite:
    name = site or "remark42"
    return ParsedSite(fit_key(f"remark42:{name.lower()}"), name, base_url(url))


def comment_of(
    record: dict[str, Any], position: int, users: dict[str, dict[str, Any]]
) -> ParsedComment:
    user = record.get("user")
    user = user if isinstance(user, dict) else {}
    extra = rest(record, USED)
    about = {k: v for k, v in user.items() if k != "name"}
    if about:
        extra["user"] = about
    meta = users.get(str(user.get("id")))
    if meta is not None:
        extra["user_meta"] = meta
    written = text(record.get("time"))
    identifier = text(record.get("id"))
    parent = text(record.get("pid"))
    body = record.get("text")
    return ParsedComment(
        body=body if isinstance(body, str) else "",
        external_id=identifier,
        parent_external_id=parent,
        author_name=text(user.get("name")),
        posted_at=parse_iso_utc(written) if written else None,
        posted_text=written,
        status=CommentStatus.DELETED if record.get("delete") is True else CommentStatus.APPROVED,
        body_format="html",
        position=position,
        extra=extra,
    )


def thread_for(locator: Any, post: dict[str, Any] | None) -> ParsedThread:
    locator = locator if isinstance(locator, dict) else {}
    url = text(locator.get("url"))
    site = text(locator.get("site"))
    extra: dict[str, Any] = {k: v for k, v in locator.items() if k not in ("url", "site")}
    read_only = None
    if post is not None:
        extra.update({k: v for k, v in post.items() if k != "url"})
        read_only = post.get("read_only") is True
    state = ThreadState.CLOSED if read_only else ThreadState.OPEN if read_only is False else None
    note = (
        "Remark42: the post is read-only"
        if read_only
        else "Remark42: the post is not read-only"
        if read_only is False
        else "the file does not say whether the post is read-only"
    )
    title = text(post.get("title")) if post else None
    return ParsedThread(
        site=_site(site, url),
        article=ParsedArticle(title=title or url or "", source_url=url, extra=extra),
        state=state,
        state_note=note,
        external_id=f"{site}\x1f{url}",
    )


class BackupReader:
    """A Remark42 backup: the meta record, then comments, streamed."""

    def __init__(self, lines: Lines, *, batch: int = BATCH) -> None:
        self.lines = lines
        self.name = lines.name
        self.batch = batch
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}

    def __iter__(self) -> Iterator[Item]:
        users: dict[str, dict[str, Any]] = {}
        posts: dict[str, dict[str, Any]] = {}
        positions: dict[str, int] = {}
        pending: dict[str, list[ParsedComment]] = {}
        held = 0
        for number, line in self.lines:
            record = parse_line(self.name, number, line)
            if "locator" not in record:
                if "version" in record and ("users" in record or "posts" in record):
                    users, posts = self._meta(record, number)
                    continue
                raise shape_error(self.name, "the record", "a comment with a locator", line=number)
            locator = record.get("locator")
            if not isinstance(locator, dict):
                raise shape_error(
                    self.name, "locator", f"an object, not {kind(locator)}", line=number
                )
            ref = f"{text(locator.get('site'))}\x1f{text(locator.get('url'))}"
            position = positions.get(ref)
            if position is None:
                position = 0
                yield thread_for(locator, posts.get(text(locator.get("url")) or ""))
            positions[ref] = position + 1
            pending.setdefault(ref, []).append(comment_of(record, position, users))
            held += 1
            if held >= self.batch:
                yield from (MoreComments(r, c) for r, c in pending.items())
                pending, held = {}, 0
        yield from (MoreComments(r, c) for r, c in pending.items())

    def _meta(
        self, record: dict[str, Any], number: int
    ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        users: dict[str, dict[str, Any]] = {}
        for user in record.get("users") or []:
            if not isinstance(user, dict):
                raise shape_error(self.name, "users[]", "objects", line=number)
            users[str(user.get("id"))] = {k: v for k, v in user.items() if k != "id"}
        posts: dict[str, dict[str, Any]] = {}
        for post in record.get("posts") or []:
            if not isinstance(post, dict):
                raise shape_error(self.name, "posts[]", "objects", line=number)
            posts[str(post.get("url"))] = post
        other = {k: v for k, v in record.items() if k not in ("users", "posts")}
        if other.get("version") not in (1, None):
            self.warnings.append(f"{self.name}: backup version {other['version']!r}, read as 1")
        return users, posts


class TreeReader:
    """Remark42's rendered tree: nested comments of one post."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.name = source.name
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}

    def __iter__(self) -> Iterator[Item]:
        source = self.source
        document = source.json()
        if not isinstance(document, dict) or not isinstance(document.get("comments"), list):
            raise shape_error(self.name, "the document", '{"comments": [...]} (a Remark42 tree)')
        info = document.get("info")
        info = info if isinstance(info, dict) else None
        threads: dict[str, ParsedThread] = {}
        stack: list[tuple[Any, str, str | None]] = [
            (node, "comments", None) for node in reversed(document["comments"])
        ]
        while stack:
            node, where, parent = stack.pop()
            if not isinstance(node, dict) or not isinstance(node.get("comment"), dict):
                raise shape_error(self.name, where, '{"comment": {...}, "replies": [...]}')
            record = node["comment"]
            locator = record.get("locator")
            ref = json.dumps(locator, sort_keys=True)
            thread = threads.get(ref)
            if thread is None:
                thread = threads[ref] = thread_for(locator, info)
            comment = comment_of(record, len(thread.comments), {})
            if parent is not None and comment.parent_external_id != parent:
                comment.extra["tree_parent"] = parent
                comment.parent_external_id = parent
            thread.comments.append(comment)
            replies = node.get("replies") or []
            if not isinstance(replies, list):
                raise shape_error(self.name, f"{where}.replies", f"an array, not {kind(replies)}")
            stack.extend(
                (child, f"{where}.replies", comment.external_id) for child in reversed(replies)
            )
        yield from threads.values()


_TREE = re.compile(r'"comment"\s*:\s*\{')
_LOCATOR = re.compile(r'"locator"\s*:\s*\{')


def _detect(head: Head) -> bool:
    if not head.json:
        return False
    first = head.first_line_json
    if isinstance(first, dict) and (
        ("version" in first and ("users" in first or "posts" in first))
        or ("locator" in first and "pid" in first)
    ):
        return True
    start = head.stripped
    return (
        start.startswith("{")
        and _TREE.search(start) is not None
        and _LOCATOR.search(start) is not None
    )


def _open(source: SourceFile) -> BackupReader | TreeReader:
    with source.path.open("rb") as handle:
        head = handle.read(1 << 16).decode("utf-8", "replace")
    first = first_json_line(head)
    if isinstance(first, dict) and ("locator" in first or "users" in first or "posts" in first):
        return BackupReader(source.lines())
    return TreeReader(source)


FORMAT = Format(
    name="remark42",
    description="a Remark42 backup (JSON lines) or rendered comment tree (JSON)",
    detect=_detect,
    open=_open,
)
