"""The one loader: writes parsed threads into the database, in batches, idempotently.

Rows are matched by stable keys (see ``threads.ingest.rows``), so importing the same source
twice changes nothing and an updated export adds what is new and updates what changed:

* a site by its key; an article by its key within its site; a thread by its article;
* a comment by its key within its thread (``#2``, ``#3``... for exact duplicates, which all
  stay).

The loader takes an iterator of :data:`threads.ingest.stream.Item` and writes as it goes with
SQLAlchemy Core (one executemany or COPY per batch, one round of key lookups per batch); what it
keeps between batches is small per-thread metadata and a bounded cache of comment ids for linking
replies. Replies link by ``parent_external_id`` within the thread, else ``parent_index``; a
parent that comes later is linked in a second pass; a parent that never comes leaves the reply at
the thread root with a warning and ``extra["orphan_parent"]``. Every row written or updated
carries the batch's ``import_batch_id``. A moderator's decisions stand: a thread they closed or
reopened keeps its state, a comment whose status they set keeps it, a purged comment stays purged.

A thread whose ``extra`` says ``placeholder`` stands for one the file does not hold (comments of
a Reddit post or a Disqus thread whose record is elsewhere): it never overwrites an article or
thread that exists, and the real thread, when it comes later in the same file, fills it in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from threads.config import DEFAULT_MAX_IMPORT_COMMENT_CHARS
from threads.db.queries import ingest as q
from threads.db.types import utcnow
from threads.enums import CommentStatus, ThreadState
from threads.errors import InvalidInput
from threads.ingest import rows as r
from threads.ingest.sites import site_of_page
from threads.ingest.stream import Item, MoreComments
from threads.models import ParsedComment, ParsedSite, ParsedThread

#: comments per write batch
FLUSH_COMMENTS = 5000
#: the longest comment body an import keeps, in characters (THREADS_MAX_IMPORT_COMMENT_CHARS):
#: a longer one is cut, with a warning, and the rest is not stored anywhere
MAX_COMMENT_CHARS = DEFAULT_MAX_IMPORT_COMMENT_CHARS
#: threads per write batch
FLUSH_THREADS = 500
#: comment ids kept in memory for linking replies; beyond this the cache starts over and
#: parents are looked up in the database instead
CACHE_LIMIT = 300_000
#: thread fields a moderator's close or reopen owns: a re-import leaves them as they are
MODERATED_THREAD_FIELDS = ("state", "state_note", "closed_at", "close_reason")
#: comment columns compared on a re-import (what the source fills and what follows from it)
COMPARED_COMMENT_COLUMNS = (*r.COMMENT_SOURCE_COLUMNS, *r.COMMENT_DERIVED_COLUMNS)
ARTICLE_COLUMNS = (*r.ARTICLE_SOURCE_COLUMNS, "content_hash")
#: how many changed comments a load lists by id (the counts are always complete)
LISTED_CHANGES = 10


@dataclass
class LoadStats:
    """What one load found and wrote: plain data, JSON-ready via :meth:`as_dict`."""

    sites: int = 0
    sites_new: int = 0
    articles: int = 0
    threads: int = 0
    comments: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    threads_closed: int = 0
    replies: int = 0
    orphans: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    threads_new: int = 0
    threads_updated: int = 0
    threads_unchanged: int = 0
    comments_new: int = 0
    comments_updated: int = 0
    comments_unchanged: int = 0
    #: existing comments whose text (body) or status this load changes
    comments_text_changed: int = 0
    comments_status_changed: int = 0
    #: the first few of them: {"id", "changed": [...], "status": [old, new]}
    changed: list[dict[str, Any]] = field(default_factory=list)
    #: existing comments whose moderated status (or purge) the source did not override
    comments_kept_moderated: int = 0
    site_keys: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sites": self.sites,
            "sites_new": self.sites_new,
            "site_keys": list(self.site_keys),
            "articles": self.articles,
            "threads": self.threads,
            "comments": self.comments,
            "comments_by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "threads_closed": self.threads_closed,
            "replies": self.replies,
            "orphans": self.orphans,
            "articles_new": self.articles_new,
            "articles_updated": self.articles_updated,
            "articles_unchanged": self.articles_unchanged,
            "threads_new": self.threads_new,
            "threads_updated": self.threads_updated,
            "threads_unchanged": self.threads_unchanged,
            "comments_new": self.comments_new,
            "comments_updated": self.comments_updated,
            "comments_unchanged": self.comments_unchanged,
            "comments_text_changed": self.comments_text_changed,
            "comments_status_changed": self.comments_status_changed,
            "changed": list(self.changed),
            "comments_kept_moderated": self.comments_kept_moderated,
            "warnings": len(self.warnings),
        }


@dataclass
class _Pending:
    """A thread waiting to be written, with its comments."""

    thread: ParsedThread
    site: str
    key: str
    comments: list[r.CommentRow]
    #: the article was met before in this load (a placeholder, or the thread after one)
    again: bool = False


@dataclass(slots=True)
class _Row:
    """A comment on its way in: where it belongs and what it will be written as."""

    thread_id: int
    key: str
    values: dict[str, Any]
    parent_key: str | None
    parent_index: int | None
    #: index of the first comment of the same ParsedThread in this flush (for parent_index)
    base: int | None
    db_id: int | None = None
    parent_id: int | None = None
    existing_parent: int | None = None
    existing: bool = False


class Loader:
    """Writes an item stream into ``session`` under import batch ``batch_id``.

    ``site``: the key of the site every thread goes to (``threads ingest --site``), instead of
    the site each thread names (or its page's host).
    """

    def __init__(
        self,
        session: Session,
        *,
        batch_id: int,
        source_format: str,
        source_name: str,
        site: str | None = None,
        on_comments: Callable[[int], None] | None = None,
        flush_comments: int = FLUSH_COMMENTS,
        max_comment_chars: int = MAX_COMMENT_CHARS,
    ) -> None:
        self.session = session
        self.max_comment_chars = max_comment_chars
        self.batch_id = batch_id
        self.source_format = source_format
        self.source_name = source_name
        self.site_override = site
        self.on_comments = on_comments
        self.flush_comments = flush_comments
        self.stats = LoadStats()
        self.now = utcnow()
        self._threads: list[_Pending] = []
        self._more: list[MoreComments] = []
        self._buffered = 0
        self._sites: dict[str, ParsedSite] = {}  # site key -> the site as the file names it
        self._site_ids: dict[str, int] = {}
        self._thread_ids: dict[str, int] = {}  # reader's thread ref -> thread id
        self._new_threads: set[int] = set()
        self._article_keys: set[tuple[str, str]] = set()
        self._placeholder_keys: set[tuple[str, str]] = set()  # articles met as placeholders
        self._pending_keys: set[tuple[str, str]] = set()  # articles of the threads not flushed
        self._ids: dict[int, dict[str, int]] = {}  # thread id -> comment key -> comment id
        self._cached = 0
        self._evicted = False
        self._batch_keys: set[tuple[int, str]] = set()  # comment keys taken in this flush
        self._waiting: list[tuple[int, int, str]] = []  # child id, thread id, parent key
        self._orphans_now: list[tuple[int, str]] = []
        #: the columns every new comment row shares
        self._new_comment = {
            "version": 1,
            "purged": False,
            "report_count": 0,
            "import_batch_id": batch_id,
            "created_at": self.now,
            "updated_at": self.now,
        }

    # ------------------------------------------------------------------ driving

    def load(self, items: Iterable[Item]) -> LoadStats:
        """Write every item, then link late parents and mark orphans; returns the stats.

        Into an empty comment table the comment indexes are built once at the end instead of
        row by row; the caller rolls back on error, which restores them too.
        """
        rebuild = q.drop_indexes_if_empty(self.session, q.COMMENT)
        for item in items:
            self.add(item)
        self.finish()
        q.create_indexes(self.session, rebuild)
        self.stats.site_keys = sorted(self._site_ids)
        self.stats.sites = len(self._site_ids)
        return self.stats

    def add(self, item: Item) -> None:
        if isinstance(item, MoreComments):
            self._more.append(item)
            count = len(item.comments)
        else:
            site = self._site_of(item)
            key, again = self._unique_article_key(site, item)
            if again and (site, key) in self._pending_keys:
                self.flush()  # the article's first row must exist before it is met again
            self._pending_keys.add((site, key))
            where = item.external_id or item.article.title
            comments = [self._comment_row(c, where) for c in item.comments]
            self._threads.append(_Pending(item, site, key, comments, again))
            count = len(comments)
        self._buffered += count
        self.stats.warnings.extend(item.warnings)
        if self._buffered >= self.flush_comments or len(self._threads) >= FLUSH_THREADS:
            self.flush()

    def flush(self) -> None:
        if not self._threads and not self._more:
            return
        threads, more = self._threads, self._more
        self._threads, self._more, self._buffered = [], [], 0
        self._pending_keys = set()
        self._batch_keys = set()
        thread_ids = self._write_threads(threads)
        rows: list[_Row] = []
        for pending, thread_id in zip(threads, thread_ids, strict=True):
            base = len(rows)
            for comment in pending.comments:
                rows.append(self._row(thread_id, comment, base))
        for batch in more:
            found = self._thread_ids.get(batch.thread_ref)
            if found is None:
                raise InvalidInput(
                    f"{self.source_name}: comments for thread {batch.thread_ref!r}, which the "
                    "reader never produced",
                    field="file",
                )
            for parsed in batch.comments:
                rows.append(self._row(found, self._comment_row(parsed, batch.thread_ref), None))
        self._write_comments(rows)
        if self.on_comments is not None:
            self.on_comments(len(rows))

    def finish(self) -> None:
        self.flush()
        if not self._waiting:
            return
        links: list[tuple[int, int | None]] = []
        unresolved: list[tuple[int, int, str]] = []
        for child, thread_id, parent_key in self._waiting:
            parent = self._ids.get(thread_id, {}).get(parent_key)
            if parent is None:
                unresolved.append((child, thread_id, parent_key))
            else:
                links.append((child, parent))
        if unresolved:
            wanted: dict[int, set[str]] = {}
            for _child, thread_id, parent_key in unresolved:
                wanted.setdefault(thread_id, set()).add(parent_key)
            found = q.comments_by_key(self.session, wanted)
            orphans: list[tuple[int, str]] = []
            for child, thread_id, parent_key in unresolved:
                row = found.get((thread_id, parent_key))
                if row is None or row.id == child:
                    orphans.append((child, parent_key))
                else:
                    links.append((child, row.id))
            self._mark_orphans(orphans)
        self.stats.replies += len(links)
        q.set_parents(self.session, links)
        self._waiting = []

    def _comment_row(self, comment: ParsedComment, thread: str | None) -> r.CommentRow:
        """The row of ``comment``, its body cut to :attr:`max_comment_chars` (with a warning
        naming it; the rest is dropped, so that one huge body cannot fill the database)."""
        length, limit = len(comment.body), self.max_comment_chars
        if length > limit:
            comment = replace(
                comment,
                body=comment.body[:limit],
                extra={**comment.extra, "body_truncated_from_chars": length},
            )
            which = (
                f"comment {comment.external_id!r}"
                if comment.external_id
                else f"comment {comment.position + 1} (by {comment.author_name or 'no name'!r})"
            )
            self.stats.warnings.append(
                f"{self.source_name}: {which} in thread {thread or '(untitled)'!r} has "
                f"{length:,} characters; kept the first {limit:,} "
                "(THREADS_MAX_IMPORT_COMMENT_CHARS), the rest is not stored"
            )
        return r.comment_row(comment)

    # ------------------------------------------------------------------ sites

    def _site_of(self, thread: ParsedThread) -> str:
        """The key of the thread's site, remembering the site as the file names it."""
        named = thread.site or site_of_page(thread.article.source_url)
        key = self.site_override or named.key
        if key not in self._sites:
            self._sites[key] = ParsedSite(key, named.name or key, named.base_url)
        return key

    def _site_ids_for(self, keys: set[str]) -> None:
        """Make sure every site in ``keys`` exists; new ones are created."""
        missing = keys - self._site_ids.keys()
        if not missing:
            return
        existing = q.sites_by_key(self.session, missing)
        new: list[dict[str, Any]] = []
        for key in sorted(missing):
            found = existing.get(key)
            if found is not None:
                self._site_ids[key] = found.id
                continue
            site = self._sites[key]
            new.append(
                {
                    "key": key,
                    "name": site.name,
                    "base_url": site.base_url,
                    "import_batch_id": self.batch_id,
                    "extra": {},
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
        ids = q.insert_returning_ids(self.session, q.SITE, new)
        for values, new_id in zip(new, ids, strict=True):
            self._site_ids[values["key"]] = new_id
        self.stats.sites_new += len(new)

    # ------------------------------------------------------------------ articles + threads

    def _unique_article_key(self, site: str, thread: ParsedThread) -> tuple[str, bool]:
        """The thread's article key, and whether this load met that article before (a
        placeholder, or the real thread after its placeholder: the same article)."""
        key = r.article_key(thread)
        placeholder = bool(thread.extra.get("placeholder"))
        if placeholder and (site, key) not in self._article_keys:
            self._placeholder_keys.add((site, key))
        if (site, key) in self._article_keys and (
            placeholder or (site, key) in self._placeholder_keys
        ):
            self._placeholder_keys.discard((site, key))
            return key, True
        if (site, key) in self._article_keys:
            number = 2
            while (site, f"{key}#{number}") in self._article_keys:
                number += 1
            self.stats.warnings.append(
                f"{self.source_name}: two articles share the key {key!r}; the second is kept "
                f"as {key}#{number}"
            )
            key = f"{key}#{number}"
        self._article_keys.add((site, key))
        return key, False

    def _write_threads(self, pending: list[_Pending]) -> list[int]:
        if not pending:
            return []
        self._site_ids_for({p.site for p in pending})
        article_ids = self._write_articles(pending)
        ids = list(article_ids)
        existing_threads = q.threads_by_article(self.session, ids, r.THREAD_COLUMNS)
        new_threads: list[dict[str, Any]] = []
        new_thread_index: list[int] = []
        changed_threads: list[dict[str, Any]] = []
        thread_ids: list[int] = [0] * len(pending)
        for index, (item, article_id) in enumerate(zip(pending, article_ids, strict=True)):
            values = r.thread_values(item.thread)
            placeholder = bool(item.thread.extra.get("placeholder"))
            row = existing_threads.get(article_id)
            if not item.again:
                self.stats.threads += 1
            if values["state"] == ThreadState.CLOSED and not placeholder:
                self.stats.threads_closed += 1
            if row is None:
                new_threads.append(
                    {
                        **values,
                        "article_id": article_id,
                        "version": 1,
                        "import_batch_id": self.batch_id,
                        "created_at": self.now,
                        "updated_at": self.now,
                    }
                )
                new_thread_index.append(index)
                self.stats.threads_new += 1
                continue
            thread_ids[index] = row.id
            if placeholder:  # a stand-in: the thread as it is stays
                if not item.again:
                    self.stats.threads_unchanged += 1
                continue
            if row.closed_by is not None or row.reopened_by is not None:
                # a moderator closed or reopened this thread: their decision stands
                values.update({f: getattr(row, f) for f in MODERATED_THREAD_FIELDS})
            if any(_differs(getattr(row, f), values[f]) for f in r.THREAD_COLUMNS):
                changed_threads.append(
                    {
                        "id": row.id,
                        **values,
                        "version": row.version + 1,
                        "import_batch_id": self.batch_id,
                        "updated_at": self.now,
                    }
                )
                if not item.again:
                    self.stats.threads_updated += 1
            elif not item.again:
                self.stats.threads_unchanged += 1
        inserted = q.insert_returning_ids(self.session, q.THREAD, new_threads)
        for index, new_id in zip(new_thread_index, inserted, strict=True):
            thread_ids[index] = new_id
            self._new_threads.add(new_id)
        q.update_by_id(self.session, q.THREAD, changed_threads)
        for item, thread_id in zip(pending, thread_ids, strict=True):
            ref = item.thread.external_id
            if ref is not None:
                self._thread_ids[ref] = thread_id
        return thread_ids

    def _write_articles(self, pending: list[_Pending]) -> list[int]:
        """The article id of each pending thread: found by key in its site, else inserted."""
        by_site: dict[str, list[str]] = {}
        for item in pending:
            by_site.setdefault(item.site, []).append(item.key)
        existing = {
            (site, key): row
            for site, keys in by_site.items()
            for key, row in q.articles_by_key(
                self.session, self._site_ids[site], keys, ARTICLE_COLUMNS
            ).items()
        }
        new_rows: list[dict[str, Any]] = []
        new_index: list[int] = []
        changed: list[dict[str, Any]] = []
        article_ids: list[int] = [0] * len(pending)
        for index, item in enumerate(pending):
            values = r.article_values(item.thread.article)
            row = existing.get((item.site, item.key))
            if not item.again:
                self.stats.articles += 1
            if row is None:
                new_rows.append(
                    {
                        **values,
                        "site_id": self._site_ids[item.site],
                        "key": item.key,
                        "source_format": self.source_format,
                        "import_batch_id": self.batch_id,
                        "created_at": self.now,
                        "updated_at": self.now,
                    }
                )
                new_index.append(index)
                self.stats.articles_new += 1
                continue
            article_ids[index] = row.id
            if item.thread.extra.get("placeholder"):  # a stand-in: the article stays
                if not item.again:
                    self.stats.articles_unchanged += 1
                continue
            if any(_differs(getattr(row, f), values[f]) for f in ARTICLE_COLUMNS):
                changed.append(
                    {
                        "id": row.id,
                        **values,
                        "import_batch_id": self.batch_id,
                        "updated_at": self.now,
                    }
                )
                if not item.again:
                    self.stats.articles_updated += 1
            elif not item.again:
                self.stats.articles_unchanged += 1
        inserted = q.insert_returning_ids(self.session, q.ARTICLE, new_rows)
        for index, new_id in zip(new_index, inserted, strict=True):
            article_ids[index] = new_id
        q.update_by_id(self.session, q.ARTICLE, changed)
        return article_ids

    # ------------------------------------------------------------------ comments

    def _row(self, thread_id: int, comment: r.CommentRow, base: int | None) -> _Row:
        key = comment.key
        known = self._ids.get(thread_id)
        taken = self._batch_keys
        if (thread_id, key) in taken or (known is not None and key in known):
            number = 2
            while (thread_id, f"{key}#{number}") in taken or (
                known is not None and f"{key}#{number}" in known
            ):
                number += 1
            external_id = comment.values["external_id"]
            if external_id:
                self.stats.warnings.append(
                    f"{self.source_name}: comment id {external_id!r} appears "
                    f"{number} times in one thread; the copy is kept as {key}#{number}"
                )
            key = f"{key}#{number}"
        taken.add((thread_id, key))
        self.stats.by_status[str(comment.values["status"])] += 1
        self.stats.comments += 1
        return _Row(thread_id, key, comment.values, comment.parent_key, comment.parent_index, base)

    def _write_comments(self, rows: list[_Row]) -> None:
        if not rows:
            return
        wanted: dict[int, set[str]] = {}
        for row in rows:
            if row.thread_id not in self._new_threads:
                wanted.setdefault(row.thread_id, set()).add(row.key)
        existing = (
            q.comments_by_key(
                self.session, wanted, ("version", "purged", *COMPARED_COMMENT_COLUMNS)
            )
            if wanted
            else {}
        )
        moderated = (
            q.moderated_comment_ids(self.session, [f.id for f in existing.values()])
            if existing
            else set()
        )
        new: list[_Row] = []
        changed: list[dict[str, Any]] = []
        for row in rows:
            found = existing.get((row.thread_id, row.key))
            if found is None:
                new.append(row)
                continue
            row.db_id = found.id
            row.existing = True
            row.existing_parent = found.parent_id
            if found.purged:  # a purge is final: the source's copy never comes back
                self.stats.comments_kept_moderated += 1
                continue
            values = row.values
            if found.id in moderated and _differs(found.status, values["status"]):
                # a moderator (or a reader's report) decided this status: it stays
                values = {**values, "status": found.status}
                self.stats.comments_kept_moderated += 1
            stored = {name: getattr(found, name) for name in COMPARED_COMMENT_COLUMNS}
            # the loader's own mark of an orphan is not the source's
            stored["extra"] = {k: v for k, v in (found.extra or {}).items() if k != "orphan_parent"}
            differs = [n for n in COMPARED_COMMENT_COLUMNS if _differs(stored[n], values[n])]
            if not differs:
                self.stats.comments_unchanged += 1
                continue
            changed.append(
                {
                    **{name: values[name] for name in COMPARED_COMMENT_COLUMNS},
                    "id": found.id,
                    "version": found.version + 1,
                    "import_batch_id": self.batch_id,
                    "updated_at": self.now,
                }
            )
            self.stats.comments_updated += 1
            self._note_change(found, values, differs)
        for row, new_id in zip(new, q.reserve_ids(self.session, q.COMMENT, len(new)), strict=True):
            row.db_id = new_id
        links, lookups = self._resolve(rows)
        q.insert_rows(
            self.session,
            q.COMMENT,
            [
                {
                    **row.values,
                    "id": row.db_id,
                    "thread_id": row.thread_id,
                    "key": row.key,
                    "parent_id": row.parent_id,
                }
                for row in new
            ],
            shared=self._new_comment,
        )
        self.stats.comments_new += len(new)
        q.update_by_id(self.session, q.COMMENT, changed)
        links.extend(self._look_up_parents(lookups))
        q.set_parents(self.session, links)

    def _note_change(self, found: Any, values: dict[str, Any], differs: list[str]) -> None:
        """Count an update that changes what readers see (the text or the status)."""
        text = "body" in differs
        status = "status" in differs
        self.stats.comments_text_changed += text
        self.stats.comments_status_changed += status
        if (text or status) and len(self.stats.changed) < LISTED_CHANGES:
            change: dict[str, Any] = {"id": found.id, "changed": differs}
            if status:
                change["status"] = [str(found.status), str(values["status"])]
            self.stats.changed.append(change)

    def _remember(self, row: _Row) -> None:
        if self._cached >= CACHE_LIMIT:
            self._ids.clear()
            self._cached = 0
            self._evicted = True
        assert row.db_id is not None
        self._ids.setdefault(row.thread_id, {})[row.key] = row.db_id
        self._cached += 1

    def _resolve(
        self, rows: list[_Row]
    ) -> tuple[list[tuple[int, int | None]], list[tuple[_Row, str]]]:
        """Parents known so far (earlier rows, earlier batches) go into the rows themselves.

        Returns parent updates for existing rows, and the parent keys still to look up.
        """
        links: list[tuple[int, int | None]] = []
        lookups: list[tuple[_Row, str]] = []
        for position, row in enumerate(rows):
            assert row.db_id is not None
            parent: int | None = None
            parent_key = row.parent_key
            parent_index = row.parent_index
            if parent_key is not None:
                parent = self._ids.get(row.thread_id, {}).get(parent_key)
            elif parent_index is not None and row.base is not None:
                index = row.base + parent_index
                if parent_index >= 0 and index < len(rows) and rows[index] is not row:
                    parent = rows[index].db_id
                    if index > position:  # a later row: link after the insert
                        links.append((row.db_id, parent))
                        parent = None
                        self.stats.replies += 1
                else:
                    self._orphans_now.append((row.db_id, f"#{parent_index}"))
            elif row.existing and row.existing_parent is not None:
                links.append((row.db_id, None))
            self._remember(row)
            if parent_key is not None and parent is None:
                if row.thread_id in self._new_threads and not self._evicted:
                    self._waiting.append((row.db_id, row.thread_id, parent_key))
                else:
                    lookups.append((row, parent_key))
                continue
            if parent is None:
                continue
            if parent == row.db_id:
                self._orphans_now.append((row.db_id, parent_key or ""))
                continue
            self.stats.replies += 1
            if row.existing:
                if parent != row.existing_parent:
                    links.append((row.db_id, parent))
            else:
                row.parent_id = parent
        return links, lookups

    def _look_up_parents(self, lookups: list[tuple[_Row, str]]) -> list[tuple[int, int | None]]:
        links: list[tuple[int, int | None]] = []
        if lookups:
            wanted: dict[int, set[str]] = {}
            for row, key in lookups:
                wanted.setdefault(row.thread_id, set()).add(key)
            found = q.comments_by_key(self.session, wanted)
            for row, key in lookups:
                hit = found.get((row.thread_id, key))
                assert row.db_id is not None
                if hit is None or hit.id == row.db_id:
                    self._waiting.append((row.db_id, row.thread_id, key))
                    continue
                self.stats.replies += 1
                if hit.id != row.existing_parent:
                    links.append((row.db_id, hit.id))
        if self._orphans_now:
            orphans, self._orphans_now = self._orphans_now, []
            self._mark_orphans(orphans)
        return links

    def _mark_orphans(self, orphans: list[tuple[int, str]]) -> None:
        if not orphans:
            return
        extras = q.comment_extras(self.session, [c for c, _ in orphans])
        updates: dict[int, dict[str, Any]] = {}
        for child, parent_key in orphans:
            missing = parent_key[3:] if parent_key.startswith("id:") else parent_key
            extra = extras.get(child, {})
            extra["orphan_parent"] = missing
            updates[child] = extra
            self.stats.orphans += 1
            self.stats.warnings.append(
                f"{self.source_name}: a reply to {missing!r}, which is not in its thread, is "
                f"kept at the thread root (comment id {child})"
            )
        q.set_extras(self.session, updates)
        q.set_parents(self.session, [(c, None) for c in updates])


def _differs(old: Any, new: Any) -> bool:
    """Whether a stored value and a parsed one differ (times compared in UTC, enums by value)."""
    if isinstance(old, datetime) and isinstance(new, datetime):
        return _utc(old) != _utc(new)
    if isinstance(old, str) and isinstance(new, ThreadState | CommentStatus):
        return old != new.value
    return bool(old != new)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def load_items(
    session: Session,
    items: Iterable[Item],
    *,
    batch_id: int,
    source_format: str,
    source_name: str,
    site: str | None = None,
    on_comments: Callable[[int], None] | None = None,
    max_comment_chars: int = MAX_COMMENT_CHARS,
) -> LoadStats:
    """Write ``items`` (threads and comment batches) into ``session`` under ``batch_id``."""
    loader = Loader(
        session,
        batch_id=batch_id,
        source_format=source_format,
        source_name=source_name,
        site=site,
        on_comments=on_comments,
        max_comment_chars=max_comment_chars,
    )
    return loader.load(items)
