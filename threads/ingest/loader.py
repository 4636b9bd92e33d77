"""The one loader: writes parsed threads into the database, in batches, idempotently.

Rows are matched by stable keys, so importing the same source twice changes nothing and an
updated export adds what is new and updates what changed:

* ``Article.key``: the reader's key, else ``"url:"`` + the normalised source URL, else
  ``"hash:"`` + sha256 of (title, body);
* ``Comment.key`` (unique within its thread): ``"id:"`` + the source id, else ``"hash:"`` + sha256
  of (author, timestamp text, body), with ``"#2"``, ``"#3"``... for exact duplicates in one thread
  (so two identical comments both stay);
* ``content_hash`` is the sha256 of the body.

The loader takes an iterator of :data:`threads.ingest.stream.Item` and writes as it goes with
SQLAlchemy Core (one executemany per batch, one round of key lookups per batch); what it keeps
between batches is small per-thread metadata and a bounded cache of comment ids for linking
replies. Replies link by ``parent_external_id`` within the thread, else ``parent_index``; a
parent that comes later is linked in a second pass; a parent that never comes leaves the reply at
the thread root with a warning and ``extra["orphan_parent"]``. Every row written or updated
carries the batch's ``import_batch_id``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlmodel import Session

from threads.db.queries import ingest as q
from threads.db.types import utcnow
from threads.enums import CommentStatus, ThreadState
from threads.errors import InvalidInput
from threads.ingest.parsed import ParsedThread
from threads.ingest.prepare import (
    EXTERNAL_ID,
    STATUS,
    STORED_COLUMNS,
    Prepared,
    PreparedComment,
    Preparer,
    sha256,
)
from threads.ingest.prepare import fit as _fit
from threads.ingest.prepare import utc as _utc
from threads.ingest.stream import Item

#: comments per write batch
FLUSH_COMMENTS = 5000
#: comment indexes kept up to date during an import into an empty table (SQLite), by their
#: first column: the import gives out thread and comment ids in ascending order, and a status
#: has few values, so their inserts land at the right edge of the b-tree (of each status). The
#: others (content hash, author key, posted time) take keys in no order and are built once at
#: the end, which is cheaper. With two cores, this keeps the importing process busy while the
#: reader process parses and leaves less to do after the last comment (measured: 0.5 s of 10
#: for 200,000 comments).
LIVE_INDEX_LEADS = ("thread_id", "parent_id", "status")
#: threads per write batch
FLUSH_THREADS = 500
#: comment ids kept in memory for linking replies; beyond this the cache starts over and
#: parents are looked up in the database instead
CACHE_LIMIT = 300_000
#: thread fields a moderator's close or reopen owns: a re-import leaves them as they are
MODERATED_THREAD_FIELDS = ("state", "state_note", "closed_at", "close_reason")
UNKNOWN_STATE_NOTE = "the source does not say whether comments are closed; kept open"


@dataclass
class LoadStats:
    """What one load wrote: plain data, JSON-ready via :meth:`as_dict`."""

    articles: int = 0
    threads: int = 0
    comments: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    threads_closed: int = 0
    replies: int = 0
    orphans: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    threads_new: int = 0
    threads_updated: int = 0
    comments_new: int = 0
    comments_updated: int = 0
    comments_unchanged: int = 0
    #: existing comments whose moderated status (or purge) the source did not override
    comments_kept_moderated: int = 0
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "threads": self.threads,
            "comments": self.comments,
            "comments_by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "threads_closed": self.threads_closed,
            "replies": self.replies,
            "orphans": self.orphans,
            "articles_new": self.articles_new,
            "articles_updated": self.articles_updated,
            "threads_new": self.threads_new,
            "threads_updated": self.threads_updated,
            "comments_new": self.comments_new,
            "comments_updated": self.comments_updated,
            "comments_unchanged": self.comments_unchanged,
            "comments_kept_moderated": self.comments_kept_moderated,
            "warnings": len(self.warnings),
        }


def normalise_url(url: str) -> str:
    """Scheme and host lower-cased, default port and fragment dropped, no trailing slash."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    host = (parts.hostname or "").lower()
    port = parts.port if parts.port not in (None, 80, 443) else None
    netloc = f"{host}:{port}" if port else host
    path = parts.path.rstrip("/") or ""
    return urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))


def article_key(thread: ParsedThread) -> str:
    """The stable key of the thread's article (see the module docstring)."""
    article = thread.article
    if article.key:
        key = article.key
    elif article.source_url and article.source_url.strip():
        key = "url:" + normalise_url(article.source_url)
    else:
        key = "hash:" + sha256(f"{article.title}\x1f{article.body}")
    return key if len(key) <= 512 else key[:440] + "#" + sha256(key)


@dataclass
class _Pending:
    """A thread waiting to be written, with its comments."""

    thread: ParsedThread
    key: str
    comments: list[PreparedComment]


@dataclass(slots=True)
class _Row:
    """A comment on its way in: where it belongs and what it will be written as."""

    thread_id: int
    key: str
    #: stored values, in STORED_COLUMNS order (see threads.ingest.prepare)
    values: tuple[Any, ...]
    parent_key: str | None
    parent_index: int | None
    #: index of the first comment of the same ParsedThread in this flush (for parent_index)
    base: int | None
    db_id: int | None = None
    parent_id: int | None = None
    existing_parent: int | None = None
    existing: bool = False


#: the columns of an inserted comment row, besides those every new row shares
INSERT_COLUMNS = (*STORED_COLUMNS, "thread_id", "key", "id", "parent_id")


class Loader:
    """Writes an item stream into ``session`` under import batch ``batch_id``."""

    def __init__(
        self,
        session: Session,
        *,
        batch_id: int,
        source_format: str,
        source_name: str,
        on_comments: Callable[[int], None] | None = None,
        flush_comments: int = FLUSH_COMMENTS,
    ) -> None:
        self.session = session
        self.batch_id = batch_id
        self.source_format = source_format
        self.source_name = source_name
        self.on_comments = on_comments
        self.flush_comments = flush_comments
        self.stats = LoadStats()
        self.now = utcnow()
        self.preparer = Preparer(session.get_bind().dialect.name)
        self._threads: list[_Pending] = []
        self._more: list[Prepared] = []
        self._buffered = 0
        self._thread_ids: dict[str, int] = {}  # reader's thread ref -> thread id
        self._new_threads: set[int] = set()
        self._article_keys: set[str] = set()
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
        """Prepare and write every item (see :meth:`load_prepared`); returns the stats."""
        return self.load_prepared(self.preparer.items(items))

    def load_prepared(self, items: Iterable[Prepared]) -> LoadStats:
        """Write every prepared item, then link late parents and mark orphans; returns the stats.

        The items must have been prepared for this session's backend. Into an empty comment
        table (SQLite), the comment indexes are built once at the end instead of row by row;
        the caller rolls back on error, which restores them too.
        """
        rebuild = q.drop_indexes_if_empty(self.session, q.COMMENT, keep_led_by=LIVE_INDEX_LEADS)
        for item in items:
            self.add(item)
        self.finish()
        q.create_indexes(self.session, rebuild)
        return self.stats

    def add(self, item: Prepared) -> None:
        if item.thread is None:
            self._more.append(item)
        else:
            key = self._unique_article_key(item.thread)
            self._threads.append(_Pending(item.thread, key, item.comments))
        self._buffered += len(item.comments)
        self.stats.warnings.extend(item.warnings)
        if self._buffered >= self.flush_comments or len(self._threads) >= FLUSH_THREADS:
            self.flush()

    def flush(self) -> None:
        if not self._threads and not self._more:
            return
        threads, more = self._threads, self._more
        self._threads, self._more, self._buffered = [], [], 0
        self._batch_keys = set()
        thread_ids = self._write_threads(threads)
        rows: list[_Row] = []
        for pending, thread_id in zip(threads, thread_ids, strict=True):
            base = len(rows)
            for comment in pending.comments:
                rows.append(self._row(thread_id, comment, base))
        for batch in more:
            assert batch.thread_ref is not None
            found = self._thread_ids.get(batch.thread_ref)
            if found is None:
                raise InvalidInput(
                    f"{self.source_name}: comments for thread {batch.thread_ref!r}, which the "
                    "reader never produced",
                    field="file",
                )
            for comment in batch.comments:
                rows.append(self._row(found, comment, None))
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
            found = q.comments_by_key(self.session, wanted, full=False)
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

    # ------------------------------------------------------------------ articles + threads

    def _unique_article_key(self, thread: ParsedThread) -> str:
        key = article_key(thread)
        if key in self._article_keys and not thread.extra.get("placeholder"):
            number = 2
            while f"{key}#{number}" in self._article_keys:
                number += 1
            self.stats.warnings.append(
                f"{self.source_name}: two articles share the key {key!r}; the second is kept "
                f"as {key}#{number}"
            )
            key = f"{key}#{number}"
        self._article_keys.add(key)
        return key

    def _write_threads(self, pending: list[_Pending]) -> list[int]:
        if not pending:
            return []
        existing = q.articles_by_key(self.session, [p.key for p in pending])
        new_rows: list[dict[str, Any]] = []
        new_index: list[int] = []
        changed: list[dict[str, Any]] = []
        article_ids: list[int | None] = []
        for index, item in enumerate(pending):
            values = self._article_values(item.thread)
            row = existing.get(item.key)
            self.stats.articles += 1
            if row is None:
                new_rows.append(
                    {
                        **values,
                        "key": item.key,
                        "source_format": self.source_format,
                        "import_batch_id": self.batch_id,
                        "created_at": self.now,
                        "updated_at": self.now,
                    }
                )
                new_index.append(index)
                article_ids.append(None)
                self.stats.articles_new += 1
            else:
                article_ids.append(row.id)
                if any(_differs(getattr(row, f), values[f]) for f in q.ARTICLE_FIELDS):
                    changed.append(
                        {
                            "id": row.id,
                            **values,
                            "import_batch_id": self.batch_id,
                            "updated_at": self.now,
                        }
                    )
                    self.stats.articles_updated += 1
        for index, new_id in zip(
            new_index, q.insert_returning_ids(self.session, q.ARTICLE, new_rows), strict=True
        ):
            article_ids[index] = new_id
        q.update_by_id(self.session, q.ARTICLE, changed)

        ids = [i for i in article_ids if i is not None]
        existing_threads = (
            q.threads_by_article(self.session, ids) if len(new_rows) < len(ids) else {}
        )
        new_threads: list[dict[str, Any]] = []
        new_thread_index: list[int] = []
        changed_threads: list[dict[str, Any]] = []
        thread_ids: list[int] = [0] * len(pending)
        for index, (item, article_id) in enumerate(zip(pending, article_ids, strict=True)):
            assert article_id is not None
            values = self._thread_values(item.thread)
            self.stats.threads += 1
            if values["state"] == ThreadState.CLOSED:
                self.stats.threads_closed += 1
            row = existing_threads.get(article_id)
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
            else:
                thread_ids[index] = row.id
                if row.closed_by is not None or row.reopened_by is not None:
                    # a moderator closed or reopened this thread: their decision stands
                    values.update({f: getattr(row, f) for f in MODERATED_THREAD_FIELDS})
                if any(_differs(getattr(row, f), values[f]) for f in q.THREAD_FIELDS):
                    changed_threads.append(
                        {
                            "id": row.id,
                            **values,
                            "version": row.version + 1,
                            "import_batch_id": self.batch_id,
                            "updated_at": self.now,
                        }
                    )
                    self.stats.threads_updated += 1
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

    def _article_values(self, thread: ParsedThread) -> dict[str, Any]:
        article = thread.article
        extra = dict(article.extra)
        return {
            "title": article.title,
            "source_url": article.source_url,
            "byline": article.byline,
            "authors": list(article.authors),
            "standfirst": article.standfirst,
            "published_at": _utc(article.published_at),
            "published_text": _fit(article.published_text, 128, extra, "published_text"),
            "body": article.body,
            "content_hash": sha256(article.body),
            "extra": extra,
        }

    def _thread_values(self, thread: ParsedThread) -> dict[str, Any]:
        extra = dict(thread.extra)
        external = _fit(thread.external_id, 255, extra, "external_id")
        note: str | None
        if thread.state is None:
            state, note = ThreadState.OPEN, thread.state_note or UNKNOWN_STATE_NOTE
        else:
            state, note = thread.state, thread.state_note
        closed = state == ThreadState.CLOSED
        return {
            "external_id": external,
            "state": state,
            "state_note": note,
            "closed_at": _utc(thread.closed_at) if closed else None,
            "close_reason": (thread.extra.get("close_reason") or note) if closed else None,
            "extra": extra,
        }

    # ------------------------------------------------------------------ comments

    def _row(self, thread_id: int, comment: PreparedComment, base: int | None) -> _Row:
        key, parent_key, parent_index, values = comment
        known = self._ids.get(thread_id)
        taken = self._batch_keys
        if (thread_id, key) in taken or (known is not None and key in known):
            number = 2
            while (thread_id, f"{key}#{number}") in taken or (
                known is not None and f"{key}#{number}" in known
            ):
                number += 1
            external_id = values[EXTERNAL_ID]
            if external_id:
                self.stats.warnings.append(
                    f"{self.source_name}: comment id {external_id!r} appears "
                    f"{number} times in one thread; the copy is kept as {key}#{number}"
                )
            key = f"{key}#{number}"
        taken.add((thread_id, key))
        self.stats.by_status[values[STATUS]] += 1
        self.stats.comments += 1
        return _Row(thread_id, key, values, parent_key, parent_index, base)

    def _write_comments(self, rows: list[_Row]) -> None:
        if not rows:
            return
        wanted: dict[int, set[str]] = {}
        for row in rows:
            if row.thread_id not in self._new_threads:
                wanted.setdefault(row.thread_id, set()).add(row.key)
        existing = q.comments_by_key(self.session, wanted) if wanted else {}
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
            values = self.preparer.python_values(row.values)
            if found.id in moderated and values["status"] != found.status:
                # a moderator (or a reader's report) decided this status: it stays
                values = {**values, "status": found.status}
                self.stats.comments_kept_moderated += 1
            old_extra = {k: v for k, v in (found.extra or {}).items() if k != "orphan_parent"}
            differs = any(
                _differs(getattr(found, f), values[f]) for f in STORED_COLUMNS if f != "extra"
            ) or _differs(old_extra, values["extra"])
            if differs:
                update = {f: values[f] for f in STORED_COLUMNS}
                update.update(
                    id=found.id,
                    version=found.version + 1,
                    import_batch_id=self.batch_id,
                    updated_at=self.now,
                )
                changed.append(update)
                self.stats.comments_updated += 1
            else:
                self.stats.comments_unchanged += 1
        for row, new_id in zip(new, q.reserve_ids(self.session, q.COMMENT, len(new)), strict=True):
            row.db_id = new_id
        links, lookups = self._resolve(rows)
        inserts = [(*row.values, row.thread_id, row.key, row.db_id, row.parent_id) for row in new]
        q.insert_stored(self.session, q.COMMENT, INSERT_COLUMNS, inserts, same=self._new_comment)
        self.stats.comments_new += len(new)
        q.update_by_id(self.session, q.COMMENT, changed)
        links.extend(self._look_up_parents(lookups))
        q.set_parents(self.session, links)

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
            found = q.comments_by_key(self.session, wanted, full=False)
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
    if isinstance(old, datetime) and isinstance(new, datetime):
        return _utc(old) != _utc(new)
    if isinstance(old, str) and isinstance(new, ThreadState | CommentStatus):
        return old != new.value
    return bool(old != new)


def load_prepared(
    session: Session,
    items: Iterable[Prepared],
    *,
    batch_id: int,
    source_format: str,
    source_name: str,
    on_comments: Callable[[int], None] | None = None,
) -> LoadStats:
    """Write prepared ``items`` (threads and comment batches; see ``threads.ingest.prepare``)
    into ``session`` under ``batch_id``."""
    loader = Loader(
        session,
        batch_id=batch_id,
        source_format=source_format,
        source_name=source_name,
        on_comments=on_comments,
    )
    return loader.load_prepared(items)
