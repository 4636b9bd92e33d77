"""Reddit JSON as the site serves it: a thread (``/comments/<id>.json``) and the comments that
``/api/morechildren`` loads.

A thread is ``[post listing, comment listing]``: the post (``t3``) becomes the article, the
comments (``t1``) nest through ``replies`` (a listing, or ``""`` when there are none). A ``more``
stub (comments Reddit did not send) is kept on its parent: ``extra["more"]`` lists the stubs
(their ``count`` and ``children`` ids; a count of 0 is Reddit's "continue this thread") and
``extra["more_count"]`` adds their counts up; stubs under the post go on the thread. A
morechildren answer (``{"json": {"data": {"things": [...]}}}``) is flat: comments name their
parent by ``parent_id`` and are re-threaded here; its thread is a placeholder for the post it
belongs to (``reddit:t3_<id>``), which leaves an article imported earlier as it was.

Statuses: a body ``[deleted]`` is a comment deleted by its author (deleted), ``[removed]`` one a
moderator or Reddit removed (rejected); the author ``[deleted]`` (an account gone) is no name,
kept in ``extra["author"]``. Bodies are unescaped (Reddit sends ``&gt;`` for ``>``) and kept
as the Markdown they are. The post is the article (its page on reddit.com is its address, a link
post's target stays in ``extra["url"]``); the site is the subreddit (``reddit.com/r/<name>``). A
locked or archived post is a closed thread. Every other key goes to ``extra`` as Reddit wrote it,
except ``body_html`` and ``selftext_html`` (Reddit's rendering of the body) and the keys the
thread already says (``link_id``, ``subreddit``, ``subreddit_id``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

from threads.enums import CommentStatus, ThreadState
from threads.ingest.jsonfile import (
    epoch_text,
    epoch_utc,
    kind,
    rest,
    shape_error,
    text,
)
from threads.ingest.parsed import ParsedArticle, ParsedComment, ParsedSite, ParsedThread
from threads.ingest.registry import Format, Head
from threads.ingest.sites import fit_key
from threads.ingest.source import SourceFile
from threads.ingest.stream import Item

REDDIT = "https://www.reddit.com"
#: comment keys that become columns, structure, or are said by the thread
COMMENT_USED = frozenset(
    (
        "body",
        "body_html",
        "author",
        "created_utc",
        "id",
        "name",
        "parent_id",
        "replies",
        "link_id",
        "subreddit",
        "subreddit_id",
    )
)
#: post keys that become article columns (or are Reddit's rendering of one)
POST_USED = frozenset(
    ("title", "selftext", "selftext_html", "author", "created_utc", "permalink", "id", "name")
)
#: bodies Reddit leaves in place of a comment that is gone, and the status they mean
GONE = {
    "[deleted]": CommentStatus.DELETED,
    "[removed]": CommentStatus.REJECTED,
}
GONE_AUTHOR = "[deleted]"


def subreddit_site(subreddit: str | None) -> ParsedSite:
    """The site of a subreddit: ``reddit.com/r/<name>`` (``reddit.com`` when none is named)."""
    name = (subreddit or "").strip()
    if not name:
        return ParsedSite("reddit.com", "Reddit", REDDIT + "/")
    return ParsedSite(fit_key(f"reddit.com/r/{name.lower()}"), f"r/{name}", f"{REDDIT}/r/{name}/")


def fullname(prefix: str, value: Any) -> str | None:
    """``t3_abc`` for ``abc`` or ``t3_abc`` (None for nothing)."""
    if value is None or value == "":
        return None
    value = str(value)
    return value if value.startswith(prefix) else prefix + value


def bare_id(value: Any) -> str | None:
    """``abc`` for ``t1_abc`` (or ``abc``)."""
    if value is None or value == "":
        return None
    value = str(value)
    return value[3:] if len(value) > 3 and value[0] == "t" and value[2] == "_" else value


def unescape(body: str) -> str:
    return html.unescape(body) if "&" in body else body


def comment_of(data: dict[str, Any], position: int) -> ParsedComment:
    """One ``t1`` (or one Pushshift comment) as a ParsedComment; its parent is a comment's id
    when ``parent_id`` names a comment (``t1_``), else None (a top-level comment)."""
    raw_body = data.get("body")
    body = unescape(raw_body) if isinstance(raw_body, str) else ""
    status = GONE.get(body.strip(), CommentStatus.APPROVED)
    extra = rest(data, COMMENT_USED)
    if status is CommentStatus.APPROVED and (
        data.get("spam") is True or data.get("removed") is True
    ):
        status = CommentStatus.SPAM if data.get("spam") is True else CommentStatus.REJECTED
    author = data.get("author")
    if not isinstance(author, str) or author == GONE_AUTHOR or not author.strip():
        if author is not None:
            extra["author"] = author
        author = None
    parent = data.get("parent_id")
    parent_id = bare_id(parent) if isinstance(parent, str) and parent.startswith("t1_") else None
    created = data.get("created_utc")
    identifier = data.get("id")
    return ParsedComment(
        body=body,
        external_id=str(identifier) if identifier not in (None, "") else None,
        parent_external_id=parent_id,
        author_name=author,
        author_url=f"{REDDIT}/user/{author}/" if author else None,
        posted_at=epoch_utc(created),
        posted_text=epoch_text(created),
        status=status,
        position=position,
        extra=extra,
    )


def thread_of_post(data: dict[str, Any]) -> ParsedThread:
    """A post (``t3``, or a Pushshift submission) as the thread of its comments."""
    name = fullname("t3_", data.get("id")) or "t3_(none)"
    permalink = text(data.get("permalink"))
    url = REDDIT + permalink if permalink and permalink.startswith("/") else permalink
    author = text(data.get("author"))
    extra = rest(data, POST_USED)
    if author == GONE_AUTHOR:
        extra["author"], author = author, None
    created = data.get("created_utc")
    body = data.get("selftext")
    locked, archived = data.get("locked") is True, data.get("archived") is True
    state = ThreadState.CLOSED if locked or archived else ThreadState.OPEN
    note = (
        "Reddit: the post is locked"
        if locked
        else "Reddit: the post is archived"
        if archived
        else "Reddit: the post is neither locked nor archived"
    )
    return ParsedThread(
        site=subreddit_site(text(data.get("subreddit"))),
        article=ParsedArticle(
            title=text(data.get("title")) or "",
            source_url=url,
            byline=author,
            authors=[author] if author else [],
            published_at=epoch_utc(created),
            published_text=epoch_text(created),
            body=unescape(body) if isinstance(body, str) else "",
            key=f"reddit:{name}",
            extra=extra,
        ),
        state=state,
        state_note=note,
        external_id=name,
    )


def placeholder_thread(link_id: str, subreddit: str | None) -> ParsedThread:
    """The thread of comments whose post is not in the file: an article imported from another
    file (or later) is left as it is (``extra["placeholder"]``)."""
    link_id = fullname("t3_", link_id) or "t3_(none)"
    site = subreddit_site(subreddit)
    post = bare_id(link_id)
    url = f"{site.base_url}comments/{post}/" if subreddit else f"{REDDIT}/comments/{post}/"
    return ParsedThread(
        site=site,
        article=ParsedArticle(
            title=f"Reddit post {link_id} (not in this file)",
            source_url=url,
            key=f"reddit:{link_id}",
            extra={"placeholder": True},
        ),
        state_note="the post is not in this file: Reddit's lock and archive state unknown",
        external_id=link_id,
        extra={"placeholder": True},
    )


def add_more(extra: dict[str, Any], stub: dict[str, Any]) -> None:
    """Keep a ``more`` stub on its parent (a comment's or the thread's ``extra``)."""
    kept = {k: v for k, v in stub.items() if k not in ("name", "parent_id")}
    extra.setdefault("more", []).append(kept)
    count = stub.get("count")
    extra["more_count"] = extra.get("more_count", 0) + (
        count if isinstance(count, int) and not isinstance(count, bool) else 0
    )


class ThreadReader:
    """A ``/comments/<id>.json`` document: one thread (or one per post it holds)."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.name = source.name
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}

    def __iter__(self) -> Iterator[Item]:
        document = self.source.json()
        if isinstance(document, dict) and "json" in document:
            yield from MoreChildren(self.name, self.warnings, self.skipped).read(document)
            return
        if not isinstance(document, list) or not document:
            raise shape_error(self.name, "the document", "[post listing, comment listing]")
        listings = [_listing(self.name, f"[{i}]", item) for i, item in enumerate(document)]
        posts = [c for c in listings[0] if c.get("kind") == "t3"]
        if len(posts) != 1:
            raise shape_error(self.name, "[0].data.children", f"one t3 post, found {len(posts)}")
        thread = thread_of_post(_data(self.name, "[0].data.children[0]", posts[0]))
        comments: list[ParsedComment] = []
        for index, listing in enumerate(listings[1:], start=1):
            self._walk(listing, f"[{index}].data.children", None, thread, comments)
        thread.comments = comments
        yield thread

    def _walk(
        self,
        children: list[Any],
        where: str,
        parent: ParsedComment | None,
        thread: ParsedThread,
        out: list[ParsedComment],
    ) -> None:
        """Depth first, in the order of the file (a stack, not recursion: any depth)."""
        stack = [
            (child, f"{where}[{n}]", parent) for n, child in reversed(list(enumerate(children)))
        ]
        while stack:
            child, here, above = stack.pop()
            data = _data(self.name, here, child)
            what = child.get("kind")
            if what == "more":
                add_more(above.extra if above is not None else thread.extra, data)
                continue
            if what != "t1":
                self.skipped[f"Reddit {what}"] = self.skipped.get(f"Reddit {what}", 0) + 1
                continue
            comment = comment_of(data, len(out))
            if above is not None:
                comment.parent_external_id = above.external_id
            out.append(comment)
            replies = data.get("replies")
            if replies == "" or replies is None:
                continue
            nested = _listing(self.name, f"{here}.data.replies", replies)
            inner = f"{here}.data.replies.data.children"
            stack.extend(
                (reply, f"{inner}[{n}]", comment) for n, reply in reversed(list(enumerate(nested)))
            )


class MoreChildren:
    """An ``/api/morechildren`` answer: a flat list of comments and stubs, re-threaded."""

    def __init__(self, name: str, warnings: list[str], skipped: dict[str, int]) -> None:
        self.name = name
        self.warnings = warnings
        self.skipped = skipped

    def read(self, document: dict[str, Any]) -> Iterator[Item]:
        answer = document.get("json")
        if not isinstance(answer, dict):
            raise shape_error(self.name, "json", f"an object, not {kind(answer)}")
        errors = answer.get("errors")
        if errors:
            raise shape_error(self.name, "json.errors", f"no errors; Reddit answered {errors!r}")
        data = answer.get("data")
        things = data.get("things") if isinstance(data, dict) else None
        if not isinstance(things, list):
            raise shape_error(self.name, "json.data.things", f"an array, not {kind(things)}")
        threads: dict[str, ParsedThread] = {}
        by_id: dict[str, ParsedComment] = {}
        thread_of_comment: dict[str, str] = {}
        stubs: list[dict[str, Any]] = []
        for number, thing in enumerate(things):
            where = f"json.data.things[{number}]"
            data = _data(self.name, where, thing)
            what = thing.get("kind")
            if what == "more":
                stubs.append(data)
                continue
            if what != "t1":
                self.skipped[f"Reddit {what}"] = self.skipped.get(f"Reddit {what}", 0) + 1
                continue
            link = fullname("t3_", data.get("link_id"))
            if link is None:
                raise shape_error(self.name, f"{where}.data.link_id", "the post's id (t3_...)")
            thread = threads.get(link)
            if thread is None:
                thread = threads[link] = placeholder_thread(link, text(data.get("subreddit")))
            comment = comment_of(data, len(thread.comments))
            thread.comments.append(comment)
            if comment.external_id:
                by_id[comment.external_id] = comment
                thread_of_comment[comment.external_id] = link
        for stub in stubs:
            parent_id = stub.get("parent_id")
            parent = by_id.get(bare_id(parent_id) or "") if isinstance(parent_id, str) else None
            if parent is not None:
                add_more(parent.extra, stub)
                continue
            link = fullname("t3_", parent_id) if str(parent_id).startswith("t3_") else None
            target = threads.get(link) if link else None
            if target is None and len(threads) == 1:
                target = next(iter(threads.values()))
            if target is None:
                self.warnings.append(
                    f"{self.name}: a 'more' stub under {parent_id!r} belongs to no thread in "
                    "the file; not kept"
                )
                continue
            add_more(target.extra, {**stub, "parent_id": parent_id} if link is None else stub)
        yield from threads.values()


def _listing(name: str, where: str, value: Any) -> list[Any]:
    """The children of a Reddit ``Listing``."""
    if not isinstance(value, dict) or value.get("kind") != "Listing":
        raise shape_error(name, where, 'a Listing ({"kind": "Listing", "data": {...}})')
    data = value.get("data")
    children = data.get("children") if isinstance(data, dict) else None
    if not isinstance(children, list):
        raise shape_error(name, f"{where}.data.children", f"an array, not {kind(children)}")
    return children


def _data(name: str, where: str, thing: Any) -> dict[str, Any]:
    if not isinstance(thing, dict) or not isinstance(thing.get("data"), dict):
        raise shape_error(name, where, 'a Reddit thing ({"kind": ..., "data": {...}})')
    data: dict[str, Any] = thing["data"]
    return data


_LISTING = re.compile(r'"kind"\s*:\s*"Listing"')
_THING = re.compile(r'"kind"\s*:\s*"t[13]"')
_MORECHILDREN = re.compile(r'\A\{\s*"json"\s*:\s*\{')
_THINGS = re.compile(r'"things"\s*:\s*\[')


def _detect(head: Head) -> bool:
    """A JSON array of Listings holding a post or comments, or a morechildren answer."""
    if not head.json:
        return False
    start = head.stripped
    if start.startswith("["):
        return _LISTING.search(start) is not None and _THING.search(start) is not None
    return _MORECHILDREN.match(start) is not None and _THINGS.search(start) is not None


def _open(source: SourceFile) -> ThreadReader:
    return ThreadReader(source)


FORMAT = Format(
    name="reddit",
    description="a Reddit thread (/comments/<id>.json) or /api/morechildren answer (JSON)",
    detect=_detect,
    open=_open,
)
