"""JSON and JSON-lines sources: Reddit, Hacker News, Remark42, Commento, Isso (the corpus files,
with exact counts) and Pushshift dumps (the corpus file and dumps written here, plain and .zst)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.ingest_support import Snapshot, counts, ingest_one, snapshot
from threads.errors import InvalidInput
from threads.ingest.registry import detect_format, get_format
from threads.ingest.rows import comment_row
from threads.ingest.service import Progress, ingest_paths
from threads.ingest.source import SourceFile

runner = CliRunner()

#: every corpus file: its format and what it holds (threads, comments, replies, statuses,
#: closed threads, orphan replies), counted from the files by hand and in SOURCES.md
EXPECTED: dict[str, dict[str, Any]] = {
    "json/graw-reddit-thread.json": {
        "format": "reddit",
        "threads": 1,
        "comments": 199,
        "replies": 161,
        "statuses": {"approved": 194, "deleted": 4, "rejected": 1},
        "closed": 1,
        "orphans": 0,
    },
    "json/graw-reddit-morechildren.json": {
        "format": "reddit",
        "threads": 1,
        "comments": 50,
        "replies": 12,
        "statuses": {"approved": 50},
        "closed": 0,
        "orphans": 0,
    },
    "json/circumflex-hn-item1-comments.json": {
        "format": "hackernews",
        "threads": 1,
        "comments": 20,
        "replies": 13,
        "statuses": {"approved": 15, "deleted": 1, "rejected": 4},
        "closed": 0,
        "orphans": 0,
    },
    "json/circumflex-hn-root-comment-empty.json": {
        "format": "hackernews",
        "threads": 1,
        "comments": 0,
        "replies": 0,
        "statuses": {},
        "closed": 0,
        "orphans": 0,
    },
    "json/remark42-native-backup.jsonl": {
        "format": "remark42",
        "threads": 2,
        "comments": 2,
        "replies": 0,
        "statuses": {"approved": 2},
        "closed": 1,
        "orphans": 1,
    },
    "json/remark42-tree.json": {
        "format": "remark42",
        "threads": 1,
        "comments": 12,
        "replies": 8,
        "statuses": {"approved": 12},
        "closed": 0,
        "orphans": 0,
    },
    "json/remark42-tree-del.json": {
        "format": "remark42",
        "threads": 1,
        "comments": 9,
        "replies": 7,
        "statuses": {"approved": 8, "deleted": 1},
        "closed": 0,
        "orphans": 0,
    },
    "json/remark42-commento-export.json": {
        "format": "commento",
        "threads": 2,
        "comments": 3,
        "replies": 1,
        "statuses": {"approved": 3},
        "closed": 0,
        "orphans": 0,
    },
    "json/isso-generic.json": {
        "format": "isso",
        "threads": 2,
        "comments": 2,
        "replies": 0,
        "statuses": {"approved": 2},
        "closed": 0,
        "orphans": 0,
    },
    "ndjson/pushshift-importer-test-submissions.ndjson": {
        "format": "pushshift",
        "threads": 31,
        "comments": 0,
        "replies": 0,
        "statuses": {},
        "closed": 20,
        "orphans": 0,
    },
}


def cli_ingest(db_url: str, *args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(
        app, ["ingest", *map(str, args)], env={"THREADS_DATABASE_URL": db_url, "NO_COLOR": "1"}
    )
    return result.exit_code, result.stdout, result.stderr


def check(db: Snapshot, expected: dict[str, Any]) -> None:
    assert len(db.threads) == expected["threads"]
    assert len(db.comments) == expected["comments"]
    assert db.replies == expected["replies"]
    assert dict(db.statuses) == expected["statuses"]
    assert db.closed == expected["closed"]
    assert len(db.orphans) == expected["orphans"]


def test_every_json_and_ndjson_corpus_file_is_covered(corpora: Path) -> None:
    found = {
        f"{folder}/{p.name}" for folder in ("json", "ndjson") for p in (corpora / folder).iterdir()
    }
    assert found - {"json/SOURCES.md", "ndjson/SOURCES.md"} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_is_detected_by_content(corpora: Path, name: str, tmp_path: Path) -> None:
    path = corpora / name
    assert detect_format(path.read_bytes()[: 64 * 1024], "x") == EXPECTED[name]["format"]
    renamed = tmp_path / "no-extension"  # the name plays no part
    renamed.write_bytes(path.read_bytes())
    assert (
        detect_format(renamed.read_bytes()[: 64 * 1024], renamed.name) == (EXPECTED[name]["format"])
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_imports_with_exact_counts(engine: Engine, corpora: Path, name: str) -> None:
    result = ingest_one(engine, corpora / name)
    assert result.status == "ok", result.error
    assert result.format == EXPECTED[name]["format"]
    check(snapshot(engine), EXPECTED[name])
    assert result.counts["comments"] == EXPECTED[name]["comments"]
    assert result.counts["replies"] == EXPECTED[name]["replies"]


def test_cli_imports_every_json_corpus_file_with_exact_totals(
    db_url: str, engine: Engine, corpora: Path
) -> None:
    code, out, err = cli_ingest(db_url, corpora / "json", corpora / "ndjson" / "x.ndjson")
    assert code == 1 and "x.ndjson" in err  # a missing file is named, nothing is read
    assert counts(engine)["comment"] == 0
    # both Remark42 trees are the page "url" of the site "site", with four comment ids in
    # common: all but one are imported together here, the pair is tested apart
    files = [n for n in sorted(EXPECTED) if n != "json/remark42-tree.json"]
    code, out, err = cli_ingest(db_url, *(corpora / n for n in files))
    assert code == 0, out + err
    db = snapshot(engine)
    total: dict[str, Any] = {"statuses": {}}
    for n in files:
        for key in ("threads", "comments", "replies", "closed", "orphans"):
            total[key] = total.get(key, 0) + EXPECTED[n][key]
        for status, count in EXPECTED[n]["statuses"].items():
            total["statuses"][status] = total["statuses"].get(status, 0) + count
    check(db, total)
    assert "Imported" in out and "files failed" in out


def test_remark42_tree_then_its_newer_tree_update_one_thread(engine: Engine, corpora: Path) -> None:
    assert ingest_one(engine, corpora / "json" / "remark42-tree.json").status == "ok"
    result = ingest_one(engine, corpora / "json" / "remark42-tree-del.json")
    assert result.status == "ok"
    db = snapshot(engine)
    # 12 ids, then 9 of which 4 were there: 17 comments, the 4 compared and kept
    assert len(db.threads) == 1 and len(db.comments) == 17
    assert result.counts["comments_new"] == 5
    assert dict(db.statuses) == {"approved": 16, "deleted": 1}


def test_reddit_thread_keeps_statuses_stubs_authors_and_the_post(
    engine: Engine, corpora: Path
) -> None:
    ingest_one(engine, corpora / "json" / "graw-reddit-thread.json")
    db = snapshot(engine)
    article = db.article(key="reddit:t3_1cebxh")
    assert article["source_url"] == (
        "https://www.reddit.com/r/self/comments/1cebxh/"
        "my_wife_passed_away_eight_months_ago_yesterday_i/"
    )
    assert article["byline"] == "hglkgkjd"
    assert article["extra"]["num_comments"] == 1655 and article["extra"]["archived"] is True
    assert "selftext_html" not in article["extra"]
    thread = db.thread_of(article["id"])
    assert thread["state"].value == "closed" and "archived" in thread["state_note"]
    # the one "more" stub under the post: 739 comments Reddit did not send
    assert thread["extra"]["more_count"] == 739 and len(thread["extra"]["more"]) == 1
    comments = db.comments_of(thread["id"])
    stubs = [s for c in comments for s in c["extra"].get("more", [])]
    assert len(stubs) == 124
    assert sum(1 for s in stubs if s["count"] == 0) == 3  # "continue this thread"
    assert sum(c["extra"].get("more_count", 0) for c in comments) == 1660 - 739
    gone = [c for c in comments if c["author_name"] is None]
    assert len(gone) == 22 and all(c["extra"]["author"] == "[deleted]" for c in gone)
    assert sum(1 for c in comments if c["body"] == "[deleted]") == 4
    removed = [c for c in comments if c["status"].value == "rejected"]
    assert [c["body"] for c in removed] == ["[removed]"]
    first = db.comment("c9ftsjg")
    assert first["posted_text"] == "1366059088.0"
    assert first["posted_at"].year == 2013 and first["extra"]["score"] > 0
    assert "body_html" not in first["extra"] and "replies" not in first["extra"]
    assert not any("&gt;" in c["body"] for c in comments)
    assert [s["key"] for s in _sites(engine)] == ["reddit.com/r/self"]


def test_morechildren_after_its_thread_joins_it_and_leaves_the_post_as_it_was(
    engine: Engine, corpora: Path, tmp_path: Path
) -> None:
    # the thread file's post id is changed to the morechildren's, so that they are one thread
    thread = json.loads((corpora / "json" / "graw-reddit-thread.json").read_text())
    post = thread[0]["data"]["children"][0]["data"]
    post.update(id="hbo4a7", name="t3_hbo4a7", subreddit="politics", title="The post")
    thread[1]["data"]["children"] = []
    first = tmp_path / "thread.json"
    first.write_text(json.dumps(thread))
    assert ingest_one(engine, first).status == "ok"
    result = ingest_one(engine, corpora / "json" / "graw-reddit-morechildren.json")
    assert result.status == "ok", result.error
    db = snapshot(engine)
    assert len(db.threads) == 1 and len(db.comments) == 50
    assert db.article(key="reddit:t3_hbo4a7")["title"] == "The post"
    assert result.counts["articles_unchanged"] == 1 and result.counts["articles_updated"] == 0
    assert db.threads[0]["state"].value == "closed"  # the post's archived state stands


def test_morechildren_alone_rethreads_and_keeps_the_stub_counts(
    engine: Engine, corpora: Path
) -> None:
    ingest_one(engine, corpora / "json" / "graw-reddit-morechildren.json")
    db = snapshot(engine)
    article = db.article(key="reddit:t3_hbo4a7")
    assert article["extra"] == {"placeholder": True}
    thread = db.thread_of(article["id"])
    assert thread["extra"]["more_count"] == 999
    with_stubs = [c for c in db.comments if c["extra"].get("more")]
    assert sum(c["extra"]["more_count"] for c in with_stubs) == 22
    assert len([s for c in with_stubs for s in c["extra"]["more"]]) == 10
    assert sum(1 for c in db.comments if c["parent_id"] is None) == 38
    assert all(c["extra"]["depth"] >= 0 for c in db.comments)


def test_hacker_news_tree_keeps_deleted_and_dead_comments(engine: Engine, corpora: Path) -> None:
    ingest_one(engine, corpora / "json" / "circumflex-hn-item1-comments.json")
    db = snapshot(engine)
    article = db.article(key="hn:1")
    assert article["title"] == "Y Combinator"
    assert article["source_url"] == "https://news.ycombinator.com/item?id=1"
    assert article["extra"]["url"] == "http://ycombinator.com"
    assert article["extra"]["points"] == 100
    deleted = [c for c in db.comments if c["status"].value == "deleted"]
    assert len(deleted) == 1 and deleted[0]["author_name"] is None
    dead = [c for c in db.comments if c["status"].value == "rejected"]
    assert len(dead) == 4 and all(c["extra"]["dead"] is True for c in dead)
    reply = db.comment("17")
    assert reply["parent_id"] == db.comment("15")["id"]
    assert reply["author_name"] == "pg" and reply["body_format"] == "html"
    assert reply["extra"]["level"] == 1 and reply["extra"]["time_ago"] == "14 years ago"


ALGOLIA = {
    "id": 100,
    "created_at": "2020-01-01T00:00:00.000Z",
    "created_at_i": 1577836800,
    "type": "story",
    "author": "alice",
    "title": "Show HN: a thing",
    "url": "https://example.com/thing",
    "text": None,
    "points": 42,
    "parent_id": None,
    "story_id": 100,
    "children": [
        {
            "id": 101,
            "created_at": "2020-01-01T01:00:00.000Z",
            "created_at_i": 1577840400,
            "type": "comment",
            "author": "bob",
            "text": "<p>Nice</p>",
            "points": None,
            "parent_id": 100,
            "story_id": 100,
            "children": [
                {
                    "id": 102,
                    "created_at": "2020-01-01T02:00:00.000Z",
                    "created_at_i": 1577844000,
                    "type": "comment",
                    "author": None,
                    "text": None,
                    "parent_id": 101,
                    "story_id": 100,
                    "children": [
                        {
                            "id": 103,
                            "created_at": "2020-01-01T03:00:00.000Z",
                            "created_at_i": 1577847600,
                            "type": "comment",
                            "author": "carol",
                            "text": "reply to a deleted one",
                            "parent_id": 102,
                            "story_id": 100,
                            "children": [],
                        }
                    ],
                }
            ],
        }
    ],
    "options": [],
}


def test_hacker_news_algolia_tree(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "item"
    path.write_text(json.dumps(ALGOLIA))
    result = ingest_one(engine, path)
    assert (result.status, result.format) == ("ok", "hackernews"), result.error
    db = snapshot(engine)
    assert len(db.comments) == 3 and db.replies == 2
    assert db.comment("102")["status"].value == "deleted"
    assert db.comment("103")["parent_id"] == db.comment("102")["id"]
    assert db.comment("101")["posted_text"] == "2020-01-01T01:00:00.000Z"
    assert db.article(key="hn:100")["extra"]["points"] == 42


def test_hacker_news_firebase_items_find_their_story(engine: Engine, tmp_path: Path) -> None:
    items = [
        {"by": "alice", "descendants": 3, "id": 8863, "kids": [8952], "score": 111,
         "time": 1175714200, "title": "My YC app", "type": "story", "url": "http://x.example/"},
        {"by": "bob", "id": 8952, "kids": [9224], "parent": 8863, "text": "first",
         "time": 1175727286, "type": "comment"},
        {"by": "carol", "id": 9224, "parent": 8952, "text": "second", "time": 1175800000,
         "type": "comment", "dead": True},
        {"deleted": True, "id": 9300, "parent": 8863, "time": 1175800001, "type": "comment"},
        {"by": "dan", "id": 7000, "parent": 6999, "text": "story elsewhere", "time": 1175000000,
         "type": "comment"},
    ]  # fmt: skip
    array = tmp_path / "items.json"
    array.write_text(json.dumps(items))
    lines = tmp_path / "items.jsonl"
    lines.write_text("\n".join(json.dumps(i) for i in items) + "\n")
    for path in (array, lines):
        assert detect_format(path.read_bytes(), path.name) == "hackernews"
    result = ingest_one(engine, array)
    assert result.status == "ok", result.error
    db = snapshot(engine)
    assert len(db.threads) == 2 and len(db.comments) == 4 and db.replies == 1
    assert dict(db.statuses) == {"approved": 2, "rejected": 1, "deleted": 1}
    assert db.article(key="hn:6999")["extra"] == {"placeholder": True}
    assert db.comment("8952")["extra"]["kids"] == [9224]
    assert ingest_one(engine, lines).status == "ok"  # the same items, one a line: unchanged
    assert len(snapshot(engine).comments) == 4


def test_remark42_backup_keeps_user_state_read_only_posts_and_orphans(
    engine: Engine, corpora: Path
) -> None:
    result = ingest_one(engine, corpora / "json" / "remark42-native-backup.jsonl")
    assert result.status == "ok", result.error
    db = snapshot(engine)
    closed = db.article(source_url="https://radio-t.com")
    assert db.thread_of(closed["id"])["state"].value == "closed"
    assert closed["extra"]["read_only"] is True
    second = db.comment("f863bd79-fec6-4a75-b308-61fe5dd02aa1")
    assert second["extra"]["orphan_parent"] == "1234"
    assert second["extra"]["user_meta"]["blocked"]["status"] is True
    assert second["extra"]["imported"] is False
    first = db.comment("efbc17f177ee1a1c0ee6e1e025749966ec071adc")
    assert first["author_name"] == "user name" and first["body_format"] == "html"
    assert first["extra"]["user"]["ip"] == "293ec5b0cf154855258824ec7fac5dc63d176915"
    assert any("1234" in w for w in result.warnings)
    assert {s["key"] for s in _sites(engine)} == {"remark42:radio-t"}


def test_remark42_tree_keeps_a_deleted_comment_with_its_reply(
    engine: Engine, corpora: Path
) -> None:
    ingest_one(engine, corpora / "json" / "remark42-tree-del.json")
    db = snapshot(engine)
    deleted = db.comment("223")
    assert deleted["status"].value == "deleted" and deleted["author_name"] is None
    assert [c["parent_id"] for c in db.comments if c["parent_id"] == deleted["id"]] == [
        deleted["id"]
    ]


def test_commento_authors_parents_and_anonymous(engine: Engine, corpora: Path) -> None:
    ingest_one(engine, corpora / "json" / "remark42-commento-export.json")
    db = snapshot(engine)
    reply = db.comment("ea5f7bcd6ac9bb7b657f7d0569831104e1bcf9c253d03c1e16bf9654c49a5ce9")
    parent = db.comment("7d77e39fcd813241d6281478cc8f21ab5f807d043c750bc1a936bc23b34fb854")
    assert reply["parent_id"] == parent["id"]
    assert (reply["author_name"], reply["author_email"]) == (
        "Saturnin Uf",
        "moregreatmail@gmail.com",
    )
    assert reply["extra"]["commenter"]["provider"] == "sso:example.com"
    anonymous = db.comment("e7069a7dfcfaed43caf62300a9b0edb1c124ad79d0f5887c93649c15d7f69945")
    assert anonymous["author_name"] is None and anonymous["extra"]["commenterHex"] == "anonymous"
    assert anonymous["extra"]["score"] == 1
    assert db.article(source_url="https://example.com/blog/post/1")["title"] == "/blog/post/1"


def test_isso_generic_titles_decoded_and_zero_ids_kept(engine: Engine, corpora: Path) -> None:
    ingest_one(engine, corpora / "json" / "isso-generic.json")
    db = snapshot(engine)
    article = db.article(title="Nat & Miguel")
    assert article["extra"]["title_raw"] == "Nat+%26+Miguel"
    (comment,) = db.comments_of(db.thread_of(article["id"])["id"])
    assert comment["body"] == "Ja-make-a me crazzy mon :)\n"
    assert comment["extra"] == {"id": 0, "remote_addr": "0.0.0.0"}
    assert comment["author_email"] == "105421439@87750645.com"


def _sites(engine: Engine) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    from threads.models import Site

    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(Site.__table__))]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- Pushshift


def comment(cid: str, link: str, parent: str, body: str = "text", author: str = "u") -> str:
    return json.dumps(
        {
            "id": cid,
            "link_id": f"t3_{link}",
            "parent_id": parent,
            "body": body,
            "author": author,
            "created_utc": 1600000000 + len(cid),
            "score": 3,
            "subreddit": "Boston",
        }
    )


def submission(pid: str, title: str, locked: bool = False) -> str:
    return json.dumps(
        {
            "id": pid,
            "title": title,
            "selftext": "the &gt; post",
            "author": "op",
            "subreddit": "Boston",
            "created_utc": 1599999999,
            "permalink": f"/r/Boston/comments/{pid}/slug/",
            "locked": locked,
            "num_comments": 6,
        }
    )


DUMP = [
    comment("c1", "aa", "t3_aa"),
    comment("c2", "bb", "t3_bb"),
    comment("c3", "aa", "t1_c1", "a reply &gt; quoted"),
    comment("c4", "bb", "t1_c2", "[deleted]", "[deleted]"),
    comment("c5", "aa", "t3_aa", "[removed]"),
    comment("c6", "bb", "t1_gone", "reply to a comment not in the dump"),
    submission("aa", "Post A", locked=True),
    comment("c7", "aa", "t1_c5", "nul \x00 inside"),
    "",
]


def write_dump(path: Path, lines: list[str], *, compressed: bool) -> Path:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if compressed:
        data = zstandard.ZstdCompressor(level=3).compress(data)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "zst"])
def test_pushshift_dump_threads_by_link_and_fills_in_a_late_submission(
    engine: Engine, tmp_path: Path, compressed: bool
) -> None:
    path = write_dump(tmp_path / "RC_2020-09", DUMP, compressed=compressed)
    assert detect_format(path.read_bytes(), path.name) == "pushshift"
    seen: list[Progress] = []
    report = ingest_paths(engine, [path], progress=seen.append)
    result = report.files[0]
    assert result.status == "ok", result.error
    db = snapshot(engine)
    check(
        db,
        {
            "threads": 2,
            "comments": 7,
            "replies": 3,
            "statuses": {"approved": 5, "deleted": 1, "rejected": 1},
            "closed": 1,
            "orphans": 1,
        },
    )
    assert result.counts["threads"] == 2 and result.counts["articles"] == 2
    post = db.article(key="reddit:t3_aa")
    assert (post["title"], post["body"], post["byline"]) == ("Post A", "the > post", "op")
    assert "placeholder" not in db.thread_of(post["id"])["extra"]
    other = db.article(key="reddit:t3_bb")
    assert other["extra"] == {"placeholder": True}
    assert other["source_url"] == "https://www.reddit.com/r/Boston/comments/bb/"
    assert db.comment("c3")["body"] == "a reply > quoted"
    assert db.comment("c3")["parent_id"] == db.comment("c1")["id"]
    assert [c["external_id"] for c in db.comments_of(db.thread_of(post["id"])["id"])] == [
        "c1",
        "c3",
        "c5",
        "c7",
    ]
    assert db.comment("c4")["extra"]["author"] == "[deleted]"
    assert db.comment("c7")["body"] == "nul \ufffd inside"
    assert any("NUL" in w and "lines 8" in w for w in result.warnings)
    assert [s["key"] for s in _sites(engine)] == ["reddit.com/r/boston"]
    assert seen and seen[-1].bytes_done == seen[-1].bytes_total == path.stat().st_size
    assert all(0 <= p.bytes_done <= p.bytes_total for p in seen)


def test_pushshift_comments_after_their_submissions_dump_leave_the_posts(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    posts = write_dump(tmp_path / "RS.zst", [submission("aa", "Post A")], compressed=True)
    comments = write_dump(tmp_path / "RC.zst", [DUMP[0], DUMP[2]], compressed=True)
    code, out, err = cli_ingest(db_url, posts)
    assert code == 0, out + err
    code, out, err = cli_ingest(db_url, comments)
    assert code == 0, out + err
    db = snapshot(engine)
    assert len(db.threads) == 1 and len(db.comments) == 2 and db.replies == 1
    assert db.article(key="reddit:t3_aa")["title"] == "Post A"
    assert "placeholder" not in db.threads[0]["extra"]
    assert db.article(key="reddit:t3_aa")["extra"]["num_comments"] == 6


def test_pushshift_corpus_submissions_give_articles(engine: Engine, corpora: Path) -> None:
    ingest_one(engine, corpora / "ndjson" / "pushshift-importer-test-submissions.ndjson")
    db = snapshot(engine)
    post = db.article(key="reddit:t3_1afwvv8")
    assert post["extra"]["_meta"] == {"retrieved_2nd_on": 1706875209}
    assert post["extra"]["link_flair_text"] == "Aufstellung"
    assert post["source_url"].startswith("https://www.reddit.com/r/kickbasemanager/comments/")
    assert len({s["key"] for s in _sites(engine)}) == 21


# --------------------------------------------------------------------------- damaged input


def test_truncated_json_names_file_line_and_expectation_and_writes_nothing(
    db_url: str, engine: Engine, corpora: Path, tmp_path: Path
) -> None:
    text = (corpora / "json" / "remark42-commento-export.json").read_text()
    cut = tmp_path / "commento.json"
    cut.write_text(text[: len(text) // 2])
    before = counts(engine)
    code, out, err = cli_ingest(db_url, cut)
    assert code == 1
    line = text[: len(text) // 2].count("\n") + 1
    assert f"commento.json: not valid JSON at line {line}" in err
    assert "expected the closing quote of the string" in err and "truncated" in err
    assert counts(engine) == before


def test_bad_line_in_a_dump_names_it_and_the_whole_file_is_rolled_back(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    lines = [*DUMP[:3], '{"id": "c9", "link_id": "t3_aa", "parent_id": ', DUMP[4]]
    path = write_dump(tmp_path / "RC.zst", lines, compressed=True)
    before = counts(engine)
    code, _, err = cli_ingest(db_url, path)
    assert code == 1
    assert "RC.zst: not valid JSON at line 4, column" in err and "expected value" in err
    assert counts(engine) == before
    not_object = write_dump(tmp_path / "RC2", [DUMP[0], "[1, 2]"], compressed=False)
    code, _, err = cli_ingest(db_url, not_object)
    assert code == 1 and "RC2: line 2, the record: expected a JSON object, not an array" in err
    assert counts(engine) == before


def test_truncated_zst_is_refused_as_truncated(db_url: str, engine: Engine, tmp_path: Path) -> None:
    lines = [comment(f"c{n}", "aa", "t3_aa", "x" * 200) for n in range(2000)]
    whole = zstandard.ZstdCompressor(level=1).compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "RC_cut.zst"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    before = counts(engine)
    code, _, err = cli_ingest(db_url, path)
    assert code == 1
    assert "RC_cut.zst" in err and "truncated" in err
    assert counts(engine) == before


def test_valid_json_of_the_wrong_shape_says_what_was_expected(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "thread.json"
    path.write_text(json.dumps([{"kind": "Listing", "data": {"children": [{"kind": "t1"}]}}]))
    result = ingest_one(engine, path)
    assert result.status == "failed"
    assert result.error is not None and "thread.json" in result.error
    assert "expected one t3 post" in result.error
    assert counts(engine)["comment"] == 0


# --------------------------------------------------------------------------- any input


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*here, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*here, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replace(value[path[0]], path[1:], new)
    return copy


SMALL_CORPUS = [n for n in sorted(EXPECTED) if n.startswith("json/") and "graw" not in n]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_change_to_a_json_source_reads_or_fails_clearly(
    corpora: Path, tmp_path: Path, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from([*SMALL_CORPUS, "json/graw-reddit-morechildren.json"]))
    fmt = get_format(EXPECTED[name]["format"])
    path = corpora / name
    if path.suffix == ".jsonl":
        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    else:
        records = [json.loads(path.read_text())]
    which = data.draw(st.integers(0, len(records) - 1))
    where = data.draw(st.sampled_from(_paths(records[which])))
    records[which] = _replace(records[which], where, data.draw(JSON_VALUES))
    changed = tmp_path / "changed"
    changed.write_text("\n".join(json.dumps(r) for r in records))
    source = SourceFile(changed)
    assert fmt.open is not None
    try:
        for item in fmt.open(source):
            for parsed in getattr(item, "comments", []):
                comment_row(parsed)
    except InvalidInput as exc:
        assert "changed" in exc.detail
    finally:
        source.close()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=200))
def test_any_bytes_given_to_a_json_reader_read_or_fail_clearly(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "bytes"
    path.write_bytes(raw)
    for name in ("reddit", "pushshift", "hackernews", "remark42", "commento", "isso"):
        fmt = get_format(name)
        assert fmt.open is not None
        source = SourceFile(path)
        try:
            list(fmt.open(source))
        except InvalidInput as exc:
            assert "bytes" in exc.detail
        finally:
            source.close()
