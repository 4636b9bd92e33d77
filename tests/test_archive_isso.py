"""Our WXR and Disqus exports load into another tool: Isso's own ``isso import``, run in a
subprocess with its own configuration and SQLite database, takes every comment it can hold,
with the same authors and reply links as ours.

What Isso does by design, and the comparison allows for:

* it nests replies one level deep: a reply to a reply hangs under the top-level comment;
* it knows a thread by the path of its address (WXR: path and query), one site at a time;
* its Disqus importer drops a deleted comment that has no replies, and links a reply only to a
  parent older than it (it adds posts oldest first);
* its Disqus importer takes every thread's ``<id>`` for empty unless given ``--empty-id`` (it
  tests the element's children, not its text), so the Disqus import runs with that option;
* its WordPress importer marks every comment that is not approved as waiting (mode 2).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from threads.archive import export
from threads.ingest.service import ingest_paths
from threads.models import Article, Comment, CommentStatus, Thread

pytest.importorskip("isso")

#: corpus files with comments on distinct addresses (Isso knows a thread by its path)
SOURCES = (
    "wxr/isso-wordpress.xml",
    "wxr/pelican-wordpressexport.xml",
    "wxr/remark42-wordpress-test-literal.xml",
    "disqus/isso-disqus.xml",
    "html/trafilatura-helge.at.mahu.html",
)
#: what crashed Isso 0.14 on our exports: a comment without text and one without a date
AWKWARD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Awkward</title><link>https://awkward.example</link>
<item><title>Empty and undated</title><link>https://awkward.example/empty/</link>
<wp:post_id>7</wp:post_id><wp:post_type>post</wp:post_type><wp:status>publish</wp:status>
<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_author>Nobody</wp:comment_author>
<wp:comment_content></wp:comment_content><wp:comment_approved>1</wp:comment_approved>
<wp:comment_date_gmt>0000-00-00 00:00:00</wp:comment_date_gmt></wp:comment>
<wp:comment><wp:comment_id>2</wp:comment_id><wp:comment_author>Somebody</wp:comment_author>
<wp:comment_content>an answer to nothing</wp:comment_content>
<wp:comment_approved>1</wp:comment_approved><wp:comment_parent>1</wp:comment_parent>
<wp:comment_date_gmt>2020-05-06 07:08:09</wp:comment_date_gmt></wp:comment>
<wp:comment><wp:comment_id>3</wp:comment_id><wp:comment_author>Gone</wp:comment_author>
<wp:comment_content>soon deleted</wp:comment_content><wp:comment_approved>1</wp:comment_approved>
<wp:comment_date_gmt>2020-05-06 08:00:00</wp:comment_date_gmt></wp:comment>
</item></channel></rss>
"""

Key = tuple[str, int, str | None]


def isso_import(tmp: Path, kind: str, export_file: Path) -> sqlite3.Connection:
    """Run ``isso import`` on ``export_file`` into a fresh Isso database; open that database."""
    tmp.mkdir()
    database = tmp / "isso.db"
    config = tmp / "isso.cfg"
    config.write_text(f"[general]\ndbpath = {database}\nhost = http://localhost/\n")
    isso = Path(sys.executable).with_name("isso")
    options = ["--empty-id"] if kind == "disqus" else []
    command = [str(isso), "-c", str(config), "import", *options, "-t", kind, str(export_file)]
    # Isso reads export dates as local time: UTC makes its epochs comparable with ours
    env = {**os.environ, "TZ": "UTC"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return sqlite3.connect(database)


def isso_comments(conn: sqlite3.Connection) -> tuple[Counter[Key], Counter[tuple[Key, Key]]]:
    """Isso's comments as (thread path, created, author), and its reply links."""
    rows = conn.execute(
        "SELECT c.id, c.parent, c.created, c.author, t.uri FROM comments c "
        "JOIN threads t ON t.id = c.tid"
    ).fetchall()
    # a thread without an address gets the path b"" from Isso's WordPress importer (it parses
    # the missing link as bytes): the same empty path as ours
    keys = {r[0]: (_text(r[4]), int(r[2]), r[3] or None) for r in rows}
    links = Counter((keys[r[0]], keys[r[1]]) for r in rows if r[1] is not None)
    return Counter(keys.values()), links


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def our_comments(engine: Engine, kind: str) -> tuple[Counter[Key], Counter[tuple[Key, Key]]]:
    """Ours, as Isso should hold them after importing our ``kind`` export."""
    comment: sa.Table = Comment.__table__  # type: ignore[attr-defined]
    thread: sa.Table = Thread.__table__  # type: ignore[attr-defined]
    article: sa.Table = Article.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                comment.c.id,
                comment.c.parent_id,
                comment.c.posted_at,
                comment.c.created_at,
                comment.c.author_name,
                comment.c.status,
                comment.c.position,
                article.c.source_url,
            )
            .join(thread, thread.c.id == comment.c.thread_id)
            .join(article, article.c.id == thread.c.article_id)
        ).all()
    by_id: dict[int, Any] = {r.id: r for r in rows}
    has_replies = {r.parent_id for r in rows if r.parent_id is not None}
    deleted = {CommentStatus.DELETED, CommentStatus.REJECTED}

    def path(url: str | None) -> str:
        parts = urlparse(url or "")
        if kind == "wordpress" and parts.query:
            return f"{parts.path}?{parts.query}"
        return parts.path

    def key(row: Any) -> Key:
        when: datetime = row.posted_at or row.created_at
        return (path(row.source_url), int(when.astimezone(UTC).timestamp()), row.author_name)

    def order(row: Any) -> tuple[datetime, int, int]:  # the order of our Disqus export's posts
        return (row.posted_at or row.created_at, row.position, row.id)

    def parent(row: Any) -> Any:
        """The parent Isso links: its Disqus importer adds a thread's posts oldest first and
        links a reply only to a parent already added (a reply older than its parent, as one
        to an undated comment dated when we stored it, stands alone)."""
        if row.parent_id is None:
            return None
        found = by_id[row.parent_id]
        if kind == "disqus" and order(found) > order(row):
            return None
        return found

    def top(row: Any) -> Any:  # Isso nests one level: a reply hangs under the first comment
        while (up := parent(row)) is not None:
            row = up
        return row

    kept = [
        r
        for r in rows
        if not (kind == "disqus" and r.status in deleted and r.id not in has_replies)
    ]
    links = Counter((key(r), key(top(r))) for r in kept if parent(r) is not None)
    return Counter(key(r) for r in kept), links


@pytest.fixture
def filled(engine: Engine, db_url: str, corpora: Path, tmp_path: Path) -> Engine:
    awkward = tmp_path / "awkward.xml"
    awkward.write_text(AWKWARD, encoding="utf-8")
    report = ingest_paths(engine, [*(corpora / name for name in SOURCES), awkward])
    assert report.ok, [f.error for f in report.failed]
    with engine.connect() as conn:
        gone = conn.execute(
            sa.select(Comment.__table__.c.id).where(  # type: ignore[attr-defined]
                Comment.__table__.c.author_name == "Gone"  # type: ignore[attr-defined]
            )
        ).scalar_one()
    moderated = CliRunner().invoke(
        app, ["--database-url", db_url, "moderate", str(gone), "delete", "--by", "ann"]
    )
    assert moderated.exit_code == 0, moderated.output
    return engine


@pytest.mark.parametrize(("fmt", "kind"), [("wxr", "wordpress"), ("disqus", "disqus")])
def test_isso_imports_our_export_with_every_comment_it_can_hold(
    filled: Engine, tmp_path: Path, fmt: str, kind: str
) -> None:
    path = tmp_path / f"export-{fmt}.xml"
    with path.open("w", encoding="utf-8", newline="") as handle:
        written = export(filled, fmt, handle)["comment"]
    conn = isso_import(tmp_path / f"isso-{fmt}", kind, path)
    try:
        got, got_links = isso_comments(conn)
        (total,) = conn.execute("SELECT count(*) FROM comments").fetchone()
    finally:
        conn.close()
    want, want_links = our_comments(filled, kind)
    assert got == want
    assert got_links == want_links
    assert sum(want_links.values()) >= 6  # replies there are, in several threads
    # every comment; from Disqus, all but the deleted ones without replies, which Isso drops
    # by design: the one deleted here and pelican's pingback in the trash
    assert total == (written if fmt == "wxr" else written - 2) == sum(want.values())
    # the comment without text and without a date is there, with its reply (WXR; Isso's
    # Disqus importer links no reply older than its parent, see ``our_comments``)
    assert any(author == "Nobody" for _, _, author in got)
    linked = any(child[2] == "Somebody" and up[2] == "Nobody" for child, up in got_links)
    assert linked == (fmt == "wxr")
