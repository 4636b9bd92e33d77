"""Pushshift-style Reddit dumps: one JSON object a line, comments or submissions or both, plain
or zstandard-compressed (``RC_2023-01.zst``, ``RS_2023-01.zst``; told by content, not name).

The file is streamed: memory holds one batch of comments and, per post met, its id and how many
of its comments have been read, never the file. Each post (``link_id``) is one thread; a comment
names its parent by ``parent_id`` (``t1_<id>`` a comment, ``t3_<id>`` the post: top level).
A submission (a record with a ``title`` and no ``link_id``) gives its post's article: title,
text, author, time, address, and the lock and archive state. Comments whose post the file does
not hold go to a placeholder thread (``reddit:t3_<id>``) that leaves an article imported from the
submissions dump as it is, and that a submission later in the same file fills in. The fields
are read as in ``threads.ingest.reddit`` (statuses of ``[deleted]`` and ``[removed]``, what goes
to ``extra``); a text that holds a NUL character (which no database column can store) has it
replaced by U+FFFD, with a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from threads.ingest.jsonfile import (
    Lines,
    first_json_line,
    is_zstd,
    parse_line,
    shape_error,
    text,
    zstd_head,
)
from threads.ingest.parsed import ParsedComment
from threads.ingest.reddit import comment_of, fullname, placeholder_thread, thread_of_post
from threads.ingest.registry import Format, Head
from threads.ingest.source import SourceFile
from threads.ingest.stream import Item, MoreComments

#: comments held before they are handed to the loader
BATCH = 5000
_NUL = b"\\u0000"


class PushshiftReader:
    """Iterates the threads and comment batches of a Pushshift dump."""

    def __init__(self, lines: Lines, *, batch: int = BATCH) -> None:
        self.lines = lines
        self.name = lines.name
        self.batch = batch
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}
        #: comments read per post (their positions), for every post met
        self._positions: dict[str, int] = {}
        #: posts whose submission has been read
        self._posts: set[str] = set()

    def __iter__(self) -> Iterator[Item]:
        pending: dict[str, list[ParsedComment]] = {}
        held = 0
        positions = self._positions
        nul_lines: list[int] = []
        name = self.name
        for number, line in self.lines:
            if _NUL in line:
                nul_lines.append(number)
                line = line.replace(_NUL, b"\\ufffd")
            record = parse_line(name, number, line)
            link = record.get("link_id")
            if link is None and "title" in record:
                thread = thread_of_post(record)
                ref = thread.external_id or ""
                if ref in self._posts:
                    self.warnings.append(f"{name}: line {number}: post {ref} appears again")
                self._posts.add(ref)
                positions.setdefault(ref, 0)
                yield thread
                continue
            if not isinstance(link, str) or not link:
                if "body" not in record:
                    self.skipped["record without link_id or title"] = (
                        self.skipped.get("record without link_id or title", 0) + 1
                    )
                    continue
                raise shape_error(name, "the comment's link_id", "the post's id", line=number)
            if not link.startswith("t3_"):
                link = fullname("t3_", link) or link
            position = positions.get(link)
            if position is None:
                position = 0
                yield placeholder_thread(link, text(record.get("subreddit")))
            positions[link] = position + 1
            comment = comment_of(record, position)
            batch = pending.get(link)
            if batch is None:
                pending[link] = [comment]
            else:
                batch.append(comment)
            held += 1
            if held >= self.batch:
                yield from (MoreComments(ref, comments) for ref, comments in pending.items())
                pending, held = {}, 0
        yield from (MoreComments(ref, comments) for ref, comments in pending.items())
        if nul_lines:
            shown = ", ".join(map(str, nul_lines[:10])) + (" ..." if len(nul_lines) > 10 else "")
            self.warnings.append(
                f"{name}: {len(nul_lines)} record(s) hold a NUL character (\\u0000), which "
                f"cannot be stored; replaced by U+FFFD (lines {shown})"
            )


def _looks_like_dump(record: Any) -> bool:
    """A Reddit comment (``link_id`` and ``parent_id``, or a ``t1`` body) or submission
    (``title``, ``subreddit``, ``created_utc``) as Pushshift writes them, one a line."""
    if not isinstance(record, dict) or "kind" in record:
        return False
    if "link_id" in record and ("parent_id" in record or "body" in record):
        return True
    return {"title", "subreddit", "created_utc", "id"} <= record.keys()


def _detect(head: Head) -> bool:
    if is_zstd(head.raw):
        start = zstd_head(head.raw).decode("utf-8", "replace")
        return _looks_like_dump(first_json_line(start))
    if not head.stripped.startswith("{"):
        return False
    return _looks_like_dump(first_json_line(head.stripped))


def _open(source: SourceFile) -> PushshiftReader:
    return PushshiftReader(source.lines())


FORMAT = Format(
    name="pushshift",
    description="a Pushshift-style Reddit dump (JSON lines of comments or submissions, .zst too)",
    detect=_detect,
    open=_open,
)
