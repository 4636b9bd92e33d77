"""Disqus XML: every corpus file imports (or fails clearly) with the expected counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from tests.ingest_support import counts, ingest_one, snapshot
from threads.ingest.registry import detect_format

REMARK42 = (
    "remark42-disqus.xml",
    "remark42-disqus-deleted-post.xml",
    "remark42-disqus-deleted-thread.xml",
)


def test_every_disqus_corpus_file_is_covered(corpora: Path) -> None:
    assert {p.name for p in (corpora / "disqus").iterdir()} == {"isso-disqus.xml", *REMARK42}


def test_isso_disqus_threads_posts_replies_and_orphan_thread(engine: Engine, corpora: Path) -> None:
    path = corpora / "disqus" / "isso-disqus.xml"
    assert detect_format(path.read_bytes(), path) == "disqus"
    result = ingest_one(engine, path)
    assert result.status == "ok", result.error
    db = snapshot(engine)
    # threads 2, 3 and 7, plus a placeholder for the missing thread 1337
    assert len(db.threads) == 4
    assert dict(db.statuses) == {"approved": 5, "deleted": 1}
    assert db.replies == 2
    assert db.closed == 0
    placeholder = db.article(key="disqus:1337")
    assert placeholder["extra"]["placeholder"] is True
    assert [c["author_name"] for c in db.comments_of(db.thread_of(placeholder["id"])["id"])] == [
        "where am I?"
    ]
    assert any("1337" in w for w in result.warnings)
    # a deleted post keeps its live reply
    deleted = db.comment("9")
    assert deleted["status"].value == "deleted"
    assert db.comment("11")["parent_id"] == deleted["id"]
    assert db.comment("5")["parent_id"] == db.comment("4")["id"]
    reply = db.comment("5")
    assert reply["body"] == "<p>Hello, World.</p>"
    assert reply["body_format"] == "html"
    assert reply["extra"]["username"] == "user"
    empty_title = db.article(key="disqus:7")
    assert empty_title["title"] == ""
    assert db.thread_of(empty_title["id"])["state"].value == "open"


@pytest.mark.parametrize("name", REMARK42)
def test_remark42_unquoted_attribute_fails_clearly_and_writes_nothing(
    engine: Engine, corpora: Path, name: str
) -> None:
    before = counts(engine)
    result = ingest_one(engine, corpora / "disqus" / name)
    assert result.status == "failed"
    assert result.error is not None
    assert name in result.error
    assert "line 147, column 24" in result.error
    assert "dsq:id=247937687" in result.error
    assert counts(engine) == before


@pytest.mark.parametrize("name", REMARK42)
def test_remark42_with_the_attribute_quoted_imports_every_quirk(
    engine: Engine, corpora: Path, tmp_path: Path, name: str
) -> None:
    data = (corpora / "disqus" / name).read_bytes()
    assert data.startswith(b"`<?xml")
    fixed = tmp_path / name
    fixed.write_bytes(data.replace(b"dsq:id=247937687/>", b'dsq:id="247937687"/>'))
    result = ingest_one(engine, fixed)
    assert result.status == "ok", result.error
    assert any("before the XML declaration" in w for w in result.warnings)
    db = snapshot(engine)
    assert len(db.threads) == 2
    assert db.closed == 1
    closed = db.thread_of(db.article(key="disqus:247937687")["id"])
    assert closed["state"].value == "closed"
    assert closed["closed_at"] is None
    assert len(db.comments) == 6
    assert db.replies == 0
    statuses = db.statuses
    assert statuses["spam"] == 1
    assert statuses["deleted"] == (1 if name == "remark42-disqus-deleted-post.xml" else 0)
    no_id = [c for c in db.comments if c["external_id"] is None]
    assert len(no_id) == 1 and no_id[0]["key"].startswith("hash:")
    garbage = db.comment("x299986073")
    assert garbage["posted_at"] is None
    assert garbage["posted_text"] == "2011-x09-30T22:48:43Z"
    assert any("2011-x09-30T22:48:43Z" in w for w in result.warnings)
    assert any("'123'" in w for w in result.warnings)
    first = db.comment("299619020")
    assert first["body"].startswith("<p>The quick brown fox")
    assert first["author_email"] is None
    if name == "remark42-disqus-deleted-thread.xml":
        assert closed["extra"] == {"deleted": True}
    else:
        assert closed["extra"] == {}


def test_disqus_without_default_namespace_and_posts_before_threads(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "plain.xml"
    path.write_text(
        """<?xml version="1.0"?>
<disqus xmlns:dsq="http://disqus.com/disqus-internals">
  <post dsq:id="2"><message>reply</message><createdAt>2020-01-02T00:00:00Z</createdAt>
    <author><name>B</name></author><thread dsq:id="10"/><parent dsq:id="1"/></post>
  <thread dsq:id="10"><id>x</id><link>https://ex.org/a</link><title>A</title>
    <isClosed>true</isClosed></thread>
  <post dsq:id="1"><message>first</message><author><name>A</name></author>
    <thread dsq:id="10"/></post>
  <post dsq:id="3"><message>same</message><author><name>C</name></author>
    <thread dsq:id="10"/><parent dsq:id="404"/></post>
</disqus>
""",
        encoding="utf-8",
    )
    result = ingest_one(engine, path)
    assert result.status == "ok", result.error
    db = snapshot(engine)
    assert len(db.threads) == 1 and db.closed == 1
    # the reply came before its parent: linked in the second pass
    assert db.comment("2")["parent_id"] == db.comment("1")["id"]
    orphan = db.comment("3")
    assert orphan["parent_id"] is None and orphan["extra"]["orphan_parent"] == "404"
    assert result.counts["orphans"] == 1 and result.counts["replies"] == 1


def test_every_field_of_a_post_lands_in_its_column(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "full.xml"
    path.write_text(
        """<?xml version="1.0"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
  <thread dsq:id="10"><link>https://ex.org/a</link><title>A</title></thread>
  <post dsq:id="1"><id> wp-7 </id><message> <![CDATA[<p>first</p>]]> </message>
    <createdAt>2020-01-02T03:04:05Z</createdAt><isDeleted>true</isDeleted><isSpam>true</isSpam>
    <author><email> a@ex.org </email><name> Ann </name><isAnonymous>true</isAnonymous>
      <username>ann</username></author><ipAddress>10.0.0.1</ipAddress>
    <thread dsq:id="10"/></post>
  <post dsq:id="2"><message>reply</message><createdAt>2020-01-02T03:05:00+02:00</createdAt>
    <author><name>Bo</name><isAnonymous>false</isAnonymous></author>
    <thread dsq:id="10"/><parent dsq:id="1"/></post>
</disqus>
""",
        encoding="utf-8",
    )
    result = ingest_one(engine, path)
    assert result.status == "ok", result.error
    db = snapshot(engine)
    first, reply = db.comment("1"), db.comment("2")
    assert {k: first[k] for k in ("body", "author_name", "author_email", "author_url")} == {
        "body": "<p>first</p>",
        "author_name": "Ann",
        "author_email": "a@ex.org",
        "author_url": None,
    }
    assert (first["posted_text"], first["position"], first["body_format"]) == (
        "2020-01-02T03:04:05Z",
        0,
        "html",
    )
    assert first["posted_at"].isoformat() == "2020-01-02T03:04:05+00:00"
    assert (first["status"].value, first["kind"].value, first["parent_id"]) == (
        "deleted",
        "comment",
        None,
    )
    # the order of extra's keys is part of its stored text
    assert list(first["extra"].items()) == [
        ("username", "ann"),
        ("is_anonymous", True),
        ("author_ip", "10.0.0.1"),
        ("identifier", "wp-7"),
        ("spam", True),
    ]
    assert reply["parent_id"] == first["id"] and reply["position"] == 1
    assert reply["posted_at"].isoformat() == "2020-01-02T01:05:00+00:00"
    assert reply["extra"] == {"is_anonymous": False} and reply["author_email"] is None


def test_disqus_reimport_of_same_content_changes_nothing(
    engine: Engine, corpora: Path, tmp_path: Path
) -> None:
    source = corpora / "disqus" / "isso-disqus.xml"
    ingest_one(engine, source)
    before = snapshot(engine)
    # same content, different bytes: the sha256 check does not apply, the keys do
    copy = tmp_path / "copy.xml"
    copy.write_bytes(source.read_bytes() + b"\n")
    result = ingest_one(engine, copy)
    assert result.status == "ok"
    assert result.counts["comments_new"] == 0
    assert result.counts["comments_updated"] == 0
    assert result.counts["comments_unchanged"] == 6
    assert result.counts["articles_new"] == 0 and result.counts["articles_updated"] == 0
    after = snapshot(engine)
    assert after.comments == before.comments
    assert after.threads == before.threads
    # the same file again is recognised by its sha256
    again = ingest_one(engine, source)
    assert again.status == "unchanged"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_damaged_export_imports_or_fails_clearly(
    engine: Engine, corpora: Path, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    name = data.draw(
        st.sampled_from(
            [
                "disqus/isso-disqus.xml",
                "wxr/isso-wordpress.xml",
                "blogger/gbc-blogger-sample.xml",
                "wxr/remark42-wordpress-test-literal.xml",
            ]
        )
    )
    original = (corpora / name).read_bytes()
    cut = data.draw(st.integers(min_value=0, max_value=len(original)))
    noise = data.draw(st.binary(max_size=8))
    damaged = original[:cut] + noise + original[cut + len(noise) :]
    path = tmp_path_factory.mktemp("fuzz") / Path(name).name
    path.write_bytes(damaged)
    before = counts(engine)
    result = ingest_one(engine, path)
    if result.status == "failed":
        assert result.error is not None and path.name in result.error
        assert counts(engine) == before
    else:
        assert result.status in ("ok", "unchanged")


def test_records_stream_out_of_the_tree_as_they_are_read(tmp_path: Path) -> None:
    from threads.ingest.sniff import sniff_file
    from threads.ingest.stream import TopLevel, XmlSource

    path = tmp_path / "many.xml"
    posts = "".join(
        f'<post dsq:id="{n}"><message>post {n}</message><thread dsq:id="1"/></post>\n'
        for n in range(3000)
    )
    path.write_text(
        '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n'
        f'<thread dsq:id="1"><title>A</title></thread>\n{posts}</disqus>\n',
        encoding="utf-8",
    )
    source = XmlSource(path, sniff_file(path, xml=True))
    records = TopLevel(source)
    batches = []
    for batch in records:
        # the root keeps at most the record still being read, never the ones handed out
        assert records.root is not None and len(records.root) <= 1
        batches.append(len(batch))
    source.close()
    assert sum(batches) == 3001 and len(batches) > 10
    assert records.root is not None and records.root.tag == "{http://disqus.com}disqus"
