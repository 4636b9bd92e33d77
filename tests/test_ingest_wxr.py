"""WordPress WXR: every corpus file imports with the expected counts, states and reply links."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.ingest_support import ingest_one, snapshot
from threads.ingest.registry import detect_format

# file -> (articles, comments by status, closed threads, reply links, orphans, pingbacks)
EXPECTED = {
    "gbc-wordpress-sample2.wxr": (10, {"approved": 3}, 0, 0, 0, 0),
    "isso-wordpress.xml": (3, {"approved": 8}, 0, 3, 0, 0),
    "pelican-wordpressexport.xml": (16, {"approved": 3, "deleted": 1}, 0, 1, 1, 1),
    "remark42-wordpress-test-literal.xml": (1, {"approved": 3, "pending": 1}, 0, 1, 0, 1),
    "wpimporter-serialized-comment-meta.xml": (1, {"approved": 1}, 0, 0, 0, 0),
    "wpimporter-slashes.xml": (1, {"approved": 1}, 0, 0, 0, 0),
    "wpimporter-valid-wxr-1.0.xml": (6, {"approved": 1}, 0, 0, 0, 0),
    "wpimporter-wxr-with-sub-data.xml": (1, {"pending": 1}, 0, 0, 0, 0),
}


def test_every_wxr_corpus_file_is_covered(corpora: Path) -> None:
    assert {p.name for p in (corpora / "wxr").iterdir()} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_wxr_corpus_file_imports_with_expected_counts(
    engine: Engine, corpora: Path, name: str
) -> None:
    path = corpora / "wxr" / name
    assert detect_format(path.read_bytes()[:65536], path) == "wxr"
    result = ingest_one(engine, path)
    assert result.status == "ok", result.error
    assert result.format == "wxr"
    articles, statuses, closed, replies, orphans, pingbacks = EXPECTED[name]
    db = snapshot(engine)
    assert len(db.articles) == articles
    assert len(db.threads) == articles
    assert dict(db.statuses) == statuses
    assert db.closed == closed
    assert db.replies == replies
    assert len(db.orphans) == orphans
    assert sum(1 for c in db.comments if c["kind"].value == "pingback") == pingbacks
    assert result.counts["comments"] == sum(statuses.values())
    assert result.counts["replies"] == replies
    assert result.counts["orphans"] == orphans
    batch_ids = {result.batch_id}
    for row in (*db.articles, *db.threads, *db.comments):
        assert row["import_batch_id"] in batch_ids


def test_isso_wordpress_reply_tree_dates_and_duplicate_ids(engine: Engine, corpora: Path) -> None:
    ingest_one(engine, corpora / "wxr" / "isso-wordpress.xml")
    db = snapshot(engine)
    post = db.article(source_url="http://example.tld/2014/test/")
    thread = db.thread_of(post["id"])
    assert thread["state"].value == "open"
    comments = {c["external_id"]: c for c in db.comments_of(thread["id"])}
    assert comments["7"]["parent_id"] == comments["6"]["id"]
    assert comments["8"]["parent_id"] == comments["7"]["id"]
    assert comments["9"]["parent_id"] == comments["7"]["id"]
    # comment 7 has only a GMT date; e-mail with a trailing newline is trimmed
    assert comments["7"]["posted_at"] == datetime(2014, 4, 29, 15, 21, 35, tzinfo=UTC)
    assert comments["2"]["author_email"] == "test@example.org"
    assert comments["2"]["author_key"] == "test@example.org"
    assert comments["2"]["extra"]["author_ip"] == "::ffff:82.119.20.0"
    assert comments["2"]["body"] == "Erster!1"
    # comment id 11 appears in two items: one comment in each thread
    elevens = [c for c in db.comments if c["external_id"] == "11"]
    assert len(elevens) == 2 and elevens[0]["thread_id"] != elevens[1]["thread_id"]
    assert all(c["key"] == "id:11" for c in elevens)
    empty = [t for t in db.threads if not db.comments_of(t["id"])]
    assert len(empty) == 1  # the item without comments is an article with an empty thread


def test_pelican_orphan_reply_kept_at_root_with_warning(engine: Engine, corpora: Path) -> None:
    result = ingest_one(engine, corpora / "wxr" / "pelican-wordpressexport.xml")
    db = snapshot(engine)
    orphan = db.comment("122")
    assert orphan["parent_id"] is None
    assert orphan["extra"]["orphan_parent"] == "121"
    assert any("'121'" in w for w in result.warnings)
    assert db.comment("117")["parent_id"] == db.comment("116")["id"]
    pingback = db.comment("156")
    assert (pingback["kind"].value, pingback["status"].value) == ("pingback", "deleted")
    assert result.counts["skipped"] == {"attachment": 4}
    # items sharing a guid are kept apart, with a warning
    assert sum("share the key" in w for w in result.warnings) == 5


def test_remark42_leading_newline_stripped_and_pingback_reply(
    engine: Engine, corpora: Path
) -> None:
    result = ingest_one(engine, corpora / "wxr" / "remark42-wordpress-test-literal.xml")
    assert any("before the XML declaration" in w for w in result.warnings)
    db = snapshot(engine)
    pingback = db.comment("13")
    assert pingback["kind"].value == "pingback"
    assert pingback["author_name"].startswith("Wednesday Reading")
    assert db.comment("14")["parent_id"] == pingback["id"]
    assert db.comment("9")["status"].value == "pending"
    assert len(db.articles) == 1  # the attachment is not an article


def test_comment_meta_kept_as_dict_with_serialized_values_verbatim(
    engine: Engine, corpora: Path
) -> None:
    ingest_one(engine, corpora / "wxr" / "wpimporter-serialized-comment-meta.xml")
    meta = snapshot(engine).comments[0]["extra"]["meta"]
    assert meta == {"string": "¯\\_(ツ)_/¯", "array": 'a:1:{s:3:"key";s:13:"¯\\_(ツ)_/¯";}'}


def test_backslashes_survive(engine: Engine, corpora: Path) -> None:
    ingest_one(engine, corpora / "wxr" / "wpimporter-slashes.xml")
    assert snapshot(engine).comments[0]["body"] == "\\o/ ¯\\_(ツ)_/¯"


def test_undeclared_excerpt_prefix_is_declared_and_read_again(
    engine: Engine, corpora: Path
) -> None:
    result = ingest_one(engine, corpora / "wxr" / "gbc-wordpress-sample2.wxr")
    assert result.status == "ok"
    assert "excerpt" in result.warnings[0] and "without a declaration" in result.warnings[0]
    db = snapshot(engine)
    assert len(db.comments) == 3
    assert all(c["author_url"] and ":8080" in c["author_url"] for c in db.comments)


WXR_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Blog</title>
<item><title>Gold</title><link>https://blog.example/gold/</link>
<guid isPermaLink="false">https://blog.example/?p=1</guid>
<content:encoded><![CDATA[<p>Body</p>]]></content:encoded>
<wp:post_id>1</wp:post_id><wp:post_type>post</wp:post_type>
<wp:comment_status>{status}</wp:comment_status>
{comments}
</item>
<item><title>Logo</title><wp:post_type>attachment</wp:post_type></item>
</channel></rss>
"""


def _comment(cid: int, approved: str, parent: int = 0, kind: str = "", date: str = "") -> str:
    gmt = f"<wp:comment_date_gmt>{date}</wp:comment_date_gmt>" if date else ""
    return (
        f"<wp:comment><wp:comment_id>{cid}</wp:comment_id>"
        f"<wp:comment_author>Author {cid}</wp:comment_author>"
        f"<wp:comment_date>2020-01-0{cid} 10:00:00</wp:comment_date>{gmt}"
        f"<wp:comment_content><![CDATA[Comment {cid}]]></wp:comment_content>"
        f"<wp:comment_approved>{approved}</wp:comment_approved>"
        f"<wp:comment_type>{kind}</wp:comment_type>"
        f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>"
    )


def test_wxr_statuses_closed_state_and_local_dates(engine: Engine, tmp_path: Path) -> None:
    comments = "".join(
        [
            _comment(1, "1", date="2020-01-01 09:00:00"),
            _comment(2, "0", parent=1),
            _comment(3, "spam"),
            _comment(4, "trash", parent=3),
            _comment(5, "weird"),
            _comment(6, "1", kind="trackback", date="0000-00-00 00:00:00"),
        ]
    )
    path = tmp_path / "blog.xml"
    path.write_text(WXR_TEMPLATE.format(status="closed", comments=comments), encoding="utf-8")
    result = ingest_one(engine, path)
    assert result.status == "ok", result.error
    db = snapshot(engine)
    assert len(db.articles) == 1
    thread = db.threads[0]
    assert thread["state"].value == "closed"
    assert thread["closed_at"] is None
    assert "closed" in thread["close_reason"]
    status = {c["external_id"]: c["status"].value for c in db.comments}
    assert status == {
        "1": "approved",
        "2": "pending",
        "3": "spam",
        "4": "deleted",
        "5": "pending",
        "6": "approved",
    }
    assert any("'weird'" in w for w in result.warnings)
    assert db.comment("2")["parent_id"] == db.comment("1")["id"]
    assert db.comment("1")["posted_at"] == datetime(2020, 1, 1, 9, tzinfo=UTC)
    assert "posted_at_local" not in db.comment("1")["extra"]
    trackback = db.comment("6")
    assert trackback["kind"].value == "trackback"
    assert trackback["extra"]["posted_at_local"] is True
    assert trackback["posted_text"] == "2020-01-06 10:00:00"
    assert result.counts["threads_closed"] == 1


def test_wxr_updated_export_adds_new_comments_and_changes_state(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "blog.xml"
    path.write_text(
        WXR_TEMPLATE.format(status="open", comments=_comment(1, "0") + _comment(2, "1")),
        encoding="utf-8",
    )
    first = ingest_one(engine, path)
    assert first.counts["comments_new"] == 2
    path.write_text(
        WXR_TEMPLATE.format(
            status="closed", comments=_comment(1, "1") + _comment(2, "1") + _comment(3, "1", 2)
        ),
        encoding="utf-8",
    )
    second = ingest_one(engine, path)
    assert second.status == "ok", second.error
    assert second.counts["comments_new"] == 1
    assert second.counts["comments_updated"] == 1
    assert second.counts["comments_unchanged"] == 1
    assert second.counts["threads_updated"] == 1
    db = snapshot(engine)
    assert len(db.comments) == 3
    assert db.threads[0]["state"].value == "closed"
    assert db.threads[0]["version"] == 2
    assert db.comment("1")["status"].value == "approved"
    assert db.comment("1")["import_batch_id"] == second.batch_id
    assert db.comment("2")["import_batch_id"] == first.batch_id
    assert db.comment("3")["parent_id"] == db.comment("2")["id"]
