"""Hacker News items as its APIs give them, one module for the three shapes in use:

* Algolia's ``items/<id>``: a tree, ``children`` nested, ``author``, ``text``, ``created_at``
  (and ``created_at_i``), ``points``, ``parent_id``, ``story_id``;
* the official (Firebase) API's ``item/<id>``: flat objects with ``by``, ``time``, ``text``,
  ``parent`` and ``kids`` (ids); a file holds one, an array of them, or one a line;
* the node-hnapi / HNPWA shape: a story with ``comments`` nested, ``user``, ``content``,
  ``time``, ``level``.

A story (or job, poll, ask) is the article (``hn:<id>``, its page on news.ycombinator.com its
address, the link it points to in ``extra["url"]``); its comments nest by their parent. Comments
whose story the file does not hold go to a placeholder thread for the story (Algolia's
``story_id``) or for the oldest parent the file names, which leaves an article imported from
another file as it is. ``deleted`` comments (no author, no text) keep their place with the status
deleted; ``dead`` ones (killed by flags or moderators) are rejected. Bodies are HTML. Every key
not put in a column (points, ``kids``, ``descendants``, ``time_ago``, ``level``...) goes to
``extra`` as the source wrote it. Hacker News does not say whether a thread is closed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from threads.enums import CommentStatus
from threads.errors import InvalidInput
from threads.ingest.jsonfile import (
    epoch_text,
    epoch_utc,
    json_error,
    kind,
    parse_line,
    rest,
    shape_error,
    text,
)
from threads.ingest.parsed import ParsedArticle, ParsedComment, ParsedSite, ParsedThread
from threads.ingest.registry import Format, Head
from threads.ingest.sniff import decode_with_warnings
from threads.ingest.source import SourceFile
from threads.ingest.stream import Item

HN = "https://news.ycombinator.com/"
SITE = ParsedSite("news.ycombinator.com", "Hacker News", HN)
STORY_TYPES = frozenset(("story", "job", "poll", "link", "ask", "show"))
#: keys that become columns or structure (the rest goes to ``extra``)
USED = frozenset(
    (
        "id",
        "author",
        "by",
        "user",
        "text",
        "content",
        "children",
        "comments",
        "created_at",
        "created_at_i",
        "time",
        "parent",
        "parent_id",
        "title",
    )
)
NO_STATE = "Hacker News does not say whether the thread is closed"


def _author(item: dict[str, Any]) -> str | None:
    for key in ("author", "by", "user"):
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _body(item: dict[str, Any]) -> str:
    for key in ("text", "content"):
        value = item.get(key)
        if isinstance(value, str):
            return value
    return ""


def _time(item: dict[str, Any]) -> tuple[Any, str | None]:
    """(seconds since 1970, the time as the source wrote it)."""
    if "created_at_i" in item or "created_at" in item:
        seconds = item.get("created_at_i")
        written = item.get("created_at")
        return seconds, written if isinstance(written, str) else epoch_text(seconds)
    seconds = item.get("time")
    return seconds, epoch_text(seconds)


def _id(item: dict[str, Any]) -> str | None:
    value = item.get("id")
    return None if value is None or value == "" else str(value)


def _is_story(item: dict[str, Any]) -> bool:
    what = item.get("type")
    if isinstance(what, str):
        return what in STORY_TYPES
    return "title" in item


def _children(item: dict[str, Any]) -> list[Any]:
    for key in ("children", "comments"):
        value = item.get(key)
        if isinstance(value, list):
            return value
    return []


def comment_of(item: dict[str, Any], parent: str | None, position: int) -> ParsedComment:
    seconds, written = _time(item)
    author = _author(item)
    body = _body(item)
    extra = rest(item, USED)
    if item.get("deleted") is True or (author is None and not body and "author" in item):
        status = CommentStatus.DELETED
    elif item.get("dead") is True:
        status = CommentStatus.REJECTED
    else:
        status = CommentStatus.APPROVED
    return ParsedComment(
        body=body,
        external_id=_id(item),
        parent_external_id=parent,
        author_name=author,
        author_url=f"{HN}user?id={author}" if author else None,
        posted_at=epoch_utc(seconds),
        posted_text=written,
        status=status,
        body_format="html",
        position=position,
        extra=extra,
    )


def story_thread(item: dict[str, Any]) -> ParsedThread:
    seconds, written = _time(item)
    author = _author(item)
    story = _id(item) or "(none)"
    return ParsedThread(
        site=SITE,
        article=ParsedArticle(
            title=text(item.get("title")) or "",
            source_url=f"{HN}item?id={story}",
            byline=author,
            authors=[author] if author else [],
            published_at=epoch_utc(seconds),
            published_text=written,
            body=_body(item),
            key=f"hn:{story}",
            extra=rest(item, USED),
        ),
        state_note=NO_STATE,
        external_id=f"hn:{story}",
    )


def placeholder(story: str) -> ParsedThread:
    return ParsedThread(
        site=SITE,
        article=ParsedArticle(
            title=f"Hacker News item {story} (not in this file)",
            source_url=f"{HN}item?id={story}",
            key=f"hn:{story}",
            extra={"placeholder": True},
        ),
        state_note=NO_STATE,
        external_id=f"hn:{story}",
        extra={"placeholder": True},
    )


class HackerNewsReader:
    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.name = source.name
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}

    def __iter__(self) -> Iterator[Item]:
        items = self._items()
        if len(items) == 1 and _children(items[0]):
            yield self._tree(items[0])
            return
        if any(_children(item) for item in items):
            for item in items:
                yield self._tree(item)
            return
        yield from self._flat(items)

    def _items(self) -> list[dict[str, Any]]:
        """The file's items: one object, an array of them, or one a line."""
        source = self.source
        raw, source.encoding, warnings = decode_with_warnings(
            source.path.read_bytes(), name=self.name
        )
        source.warnings.extend(warnings)
        try:
            document: Any = json.loads(raw)
        except json.JSONDecodeError as exc:
            if exc.msg != "Extra data":
                raise json_error(self.name, exc) from None
            document = [
                parse_line(self.name, number, line.encode("utf-8"))
                for number, line in enumerate(raw.split("\n"), start=1)
                if line.strip()
            ]
        except RecursionError:
            raise InvalidInput(
                f"{self.name}: the JSON is nested too deeply to read; expected at most a few "
                "hundred levels",
                field="file",
            ) from None
        found = document if isinstance(document, list) else [document]
        for number, item in enumerate(found):
            if not isinstance(item, dict):
                where = f"[{number}]" if isinstance(document, list) else "the document"
                raise shape_error(self.name, where, f"a Hacker News item, not {kind(item)}")
        return found

    def _tree(self, root: dict[str, Any]) -> ParsedThread:
        comments: list[ParsedComment] = []
        if _is_story(root):
            thread = story_thread(root)
            first: str | None = None
        else:  # a comment's tree (Algolia items/<comment id>): its story is elsewhere
            story = root.get("story_id") or root.get("parent_id") or root.get("parent")
            thread = placeholder(str(story) if story is not None else "(none)")
            parent = root.get("parent_id") or root.get("parent")
            first = str(parent) if parent is not None and parent != story else None
            comments.append(comment_of(root, first, 0))
            first = comments[0].external_id
        stack = [(child, first) for child in reversed(_children(root))]
        while stack:
            item, parent = stack.pop()
            if not isinstance(item, dict):
                raise shape_error(self.name, "a comment", f"an object, not {kind(item)}")
            comment = comment_of(item, parent, len(comments))
            comments.append(comment)
            stack.extend((child, comment.external_id) for child in reversed(_children(item)))
        thread.comments = comments
        return thread

    def _flat(self, items: list[dict[str, Any]]) -> Iterator[Item]:
        """Firebase items: stories are threads, comments find theirs through their parents."""
        by_id = {_id(item): item for item in items}
        threads: dict[str, ParsedThread] = {}
        for item in items:
            if _is_story(item):
                thread = story_thread(item)
                threads[_id(item) or "(none)"] = thread
        for item in items:
            if _is_story(item):
                continue
            if item.get("type") not in (None, "comment"):
                label = f"Hacker News {item.get('type')}"
                self.skipped[label] = self.skipped.get(label, 0) + 1
                continue
            parent = item.get("parent")
            parent_id = None if parent is None else str(parent)
            story = self._story_of(item, by_id)
            found = threads.get(story)
            if found is None:
                found = threads[story] = placeholder(story)
            link = parent_id if parent_id != story else None
            found.comments.append(comment_of(item, link, len(found.comments)))
        yield from threads.values()

    @staticmethod
    def _story_of(item: dict[str, Any], by_id: dict[str | None, dict[str, Any]]) -> str:
        """The story a comment belongs to: up its parents as far as the file goes."""
        seen: set[str] = set()
        current = item
        while True:
            parent = current.get("parent")
            if parent is None:
                return _id(current) or "(none)"
            key = str(parent)
            found = by_id.get(key)
            if found is None or key in seen or _is_story(found):
                return key
            seen.add(key)
            current = found


_ALGOLIA = re.compile(r'"created_at_i"\s*:|"story_id"\s*:')
_FIREBASE = re.compile(r'"by"\s*:\s*"|"kids"\s*:\s*\[')
_FIREBASE_TYPE = re.compile(r'"type"\s*:\s*"(?:story|comment|job|poll|pollopt)"')
_HNAPI = re.compile(r'"time_ago"\s*:|"comments_count"\s*:')
_HNAPI_USER = re.compile(r'"user"\s*:\s*"[^"]*"\s*,|"content"\s*:')


def _detect(head: Head) -> bool:
    if not head.json:
        return False
    start = head.stripped
    if _ALGOLIA.search(start) and re.search(r'"children"\s*:\s*\[', start):
        return True
    if _FIREBASE.search(start) and _FIREBASE_TYPE.search(start) and '"time"' in start:
        return True
    return bool(_HNAPI.search(start) and _HNAPI_USER.search(start))


FORMAT = Format(
    name="hackernews",
    description="Hacker News items (Algolia items/<id>, Firebase item, node-hnapi JSON)",
    detect=_detect,
    open=HackerNewsReader,
)
