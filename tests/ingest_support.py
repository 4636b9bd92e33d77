"""Helpers for the ingest tests: run an import and read back what it wrote."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from threads.db.queries import table_counts
from threads.ingest.service import FileReport, ingest_paths
from threads.models import Article, Comment, ImportBatch, Thread

ARTICLE = Article.__table__  # type: ignore[attr-defined]
THREAD = Thread.__table__  # type: ignore[attr-defined]
COMMENT = Comment.__table__  # type: ignore[attr-defined]
BATCH = ImportBatch.__table__  # type: ignore[attr-defined]


def ingest_one(engine: Engine, path: Path, fmt: str = "auto") -> FileReport:
    report = ingest_paths(engine, [path], fmt=fmt)
    assert len(report.files) == 1
    return report.files[0]


@dataclass
class Snapshot:
    """What the database holds, in the terms the corpus notes use."""

    articles: list[dict[str, Any]]
    threads: list[dict[str, Any]]
    comments: list[dict[str, Any]]

    @property
    def statuses(self) -> Counter[str]:
        return Counter(str(c["status"].value) for c in self.comments)

    @property
    def closed(self) -> int:
        return sum(1 for t in self.threads if t["state"].value == "closed")

    @property
    def replies(self) -> int:
        return sum(1 for c in self.comments if c["parent_id"] is not None)

    @property
    def orphans(self) -> list[dict[str, Any]]:
        return [c for c in self.comments if "orphan_parent" in (c["extra"] or {})]

    def comment(self, external_id: str, thread_id: int | None = None) -> dict[str, Any]:
        found = [
            c
            for c in self.comments
            if c["external_id"] == external_id
            and (thread_id is None or c["thread_id"] == thread_id)
        ]
        assert len(found) == 1, f"{len(found)} comments with id {external_id}"
        return found[0]

    def by_id(self, comment_id: int) -> dict[str, Any]:
        return next(c for c in self.comments if c["id"] == comment_id)

    def article(self, **where: Any) -> dict[str, Any]:
        found = [a for a in self.articles if all(a[k] == v for k, v in where.items())]
        assert len(found) == 1, f"{len(found)} articles match {where}"
        return found[0]

    def thread_of(self, article_id: int) -> dict[str, Any]:
        return next(t for t in self.threads if t["article_id"] == article_id)

    def comments_of(self, thread_id: int) -> list[dict[str, Any]]:
        return sorted(
            (c for c in self.comments if c["thread_id"] == thread_id), key=lambda c: c["position"]
        )


def snapshot(engine: Engine) -> Snapshot:
    with engine.connect() as conn:
        articles = [
            dict(r._mapping) for r in conn.execute(sa.select(ARTICLE).order_by(ARTICLE.c.id))
        ]
        threads = [dict(r._mapping) for r in conn.execute(sa.select(THREAD).order_by(THREAD.c.id))]
        comments = [
            dict(r._mapping) for r in conn.execute(sa.select(COMMENT).order_by(COMMENT.c.id))
        ]
    return Snapshot(articles, threads, comments)


def batches(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(BATCH).order_by(BATCH.c.id))]


def counts(engine: Engine) -> dict[str, int]:
    return table_counts(engine)


def write_disqus(path: Path, *, threads: int, posts: int, seed: int = 1) -> None:
    """A Disqus export with what real ones have: replies to earlier and later posts, deleted
    and spam posts, closed threads, a thread named by posts but missing, duplicate post ids,
    posts without a createdAt, non-ASCII text and markup in CDATA."""
    import random

    rng = random.Random(seed)
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<disqus xmlns="http://disqus.com" '
        'xmlns:dsq="http://disqus.com/disqus-internals">\n'
    ]
    for t in range(threads):
        closed = "true" if t % 7 == 0 else "false"
        out.append(
            f'<thread dsq:id="t{t}"><id>post-{t}</id><forum>f</forum>'
            f"<link>https://example.org/{t}/</link><title>Thread {t} — ünïcode</title>"
            f"<message/><createdAt>2020-01-{t % 28 + 1:02d}T10:00:00Z</createdAt>"
            f"<isClosed>{closed}</isClosed><isDeleted>false</isDeleted></thread>\n"
        )
    for p in range(posts):
        thread = f"t{rng.randrange(threads)}" if p % 97 else "missing"
        post_id = f"p{p}" if p % 211 else f"p{p - 1}"  # now and then an id seen before
        parent = ""
        if p > 3 and rng.random() < 0.3:
            parent = f'<parent dsq:id="p{p + rng.choice((-3, -2, -1, 1, 2, 9999999))}"/>'
        created = "" if p % 53 == 0 else f"<createdAt>2020-02-01T{p % 24:02d}:00:00Z</createdAt>"
        deleted = "true" if p % 31 == 0 else "false"
        spam = "true" if p % 29 == 0 else "false"
        out.append(
            f'<post dsq:id="{post_id}"><id/><message><![CDATA[<p>Post {p} «{rng.random()}» '
            f"& more</p>]]></message>{created}<isDeleted>{deleted}</isDeleted>"
            f"<isSpam>{spam}</isSpam><author><email>u{p % 40}@example.org</email>"
            f"<name>Ünï {p % 40}</name><isAnonymous>false</isAnonymous></author>"
            f'<ipAddress>10.0.0.{p % 255}</ipAddress><thread dsq:id="{thread}"/>{parent}</post>\n'
        )
    out.append("</disqus>\n")
    path.write_text("".join(out), encoding="utf-8")
