"""Blogger Atom exports: every corpus file imports with the expected counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.ingest_support import ingest_one, snapshot
from threads.ingest.registry import detect_format

# file -> (articles, comments, drafts, skipped entries)
EXPECTED = {
    "gbc-blogger-sample.xml": (3, 2, 0, {}),
    "gbc-blogger-sample2.xml": (4, 3, 0, {"settings": 47, "template": 1}),
    "pelican-bloggerexport.xml": (4, 1, 2, {"settings": 58, "template": 1}),
}
# saved Blogger pages in the same folder are the HTML reader's (ingest-pages)
PAGES = {
    "trafilatura-abookshelffullofsunshine.blogspot.com.interview.html",
    "trafilatura-bumsbutzener-gumpfen.blogspot.com.tach-auch.html",
}


def test_every_blogger_corpus_file_is_covered(corpora: Path) -> None:
    names = {p.name for p in (corpora / "blogger").iterdir()}
    assert names == set(EXPECTED) | PAGES
    for name in PAGES:
        path = corpora / "blogger" / name
        assert detect_format(path.read_bytes()[:65536], path) == "html"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_blogger_corpus_file_imports_with_expected_counts(
    engine: Engine, corpora: Path, name: str
) -> None:
    path = corpora / "blogger" / name
    assert detect_format(path.read_bytes()[:65536], path) == "blogger"
    result = ingest_one(engine, path)
    assert result.status == "ok", result.error
    articles, comments, drafts, skipped = EXPECTED[name]
    db = snapshot(engine)
    assert len(db.articles) == articles
    assert len(db.comments) == comments
    assert dict(db.statuses) == {"approved": comments}
    assert sum(1 for a in db.articles if a["extra"].get("draft")) == drafts
    assert result.counts.get("skipped", {}) == skipped
    assert db.replies == 0 and not db.orphans
    # Blogger says nothing about closing: open, with the reason recorded
    assert all(t["state"].value == "open" and t["state_note"] for t in db.threads)
    # every comment hangs under a real post, not a placeholder
    assert not any(a["extra"].get("placeholder") for a in db.articles)


def test_prefixed_atom_links_comments_by_ref(engine: Engine, corpora: Path) -> None:
    ingest_one(engine, corpora / "blogger" / "gbc-blogger-sample.xml")
    db = snapshot(engine)
    post = db.article(key="blogger:post-17")
    assert post["title"] == "A test of newlines and labels/categories"
    assert post["extra"]["labels"] == ["NewTag", "DataPortability", "wordpress2blogger"]
    [comment] = db.comments_of(db.thread_of(post["id"])["id"])
    assert comment["external_id"] == "post-17.comment-8"
    assert comment["author_email"] == "jlueck@gmail.com"
    assert comment["posted_text"] == "2008-05-16T20:24:37Z"


def test_two_comments_on_one_post_and_legacy_markup(engine: Engine, corpora: Path) -> None:
    ingest_one(engine, corpora / "blogger" / "gbc-blogger-sample2.xml")
    db = snapshot(engine)
    per_thread = sorted(len(db.comments_of(t["id"])) for t in db.threads)
    assert per_thread == [0, 0, 1, 2]
    assert any("<BR/>" in c["body"] for c in db.comments)
    assert all(c["author_email"] is None for c in db.comments)  # noreply@blogger.com


def test_undeclared_app_prefix_recovered_and_drafts_kept(engine: Engine, corpora: Path) -> None:
    result = ingest_one(engine, corpora / "blogger" / "pelican-bloggerexport.xml")
    assert "app" in result.warnings[0] and "without a declaration" in result.warnings[0]
    db = snapshot(engine)
    [comment] = db.comments
    assert comment["author_name"] == "Thomas Isidore Noël Sankara"
    assert comment["extra"]["display_time"] == "29 november 2010 om 12:35"
    kinds = sorted(a["extra"]["kind"] for a in db.articles)
    assert kinds == ["page", "page", "post", "post"]


def test_blogger_replies_via_related_link_and_comments_before_posts(
    engine: Engine, tmp_path: Path
) -> None:
    blog = "tag:blogger.com,1999:blog-1"
    kind = "http://schemas.google.com/g/2005#kind"

    def entry(eid: str, what: str, extra: str = "") -> str:
        return (
            f"<entry><id>{blog}.post-{eid}</id><published>2020-01-0{eid[-1]}T00:00:00Z"
            f"</published><category scheme='{kind}' "
            f"term='http://schemas.google.com/blogger/2008/kind#{what}'/>"
            f"<title>t{eid}</title><content type='html'>body {eid}</content>"
            f"<author><name>n{eid}</name></author>{extra}</entry>"
        )

    reply_to_post = f"<thr:in-reply-to ref='{blog}.post-1'/>"
    related = (
        "<link rel='related' type='application/atom+xml' "
        "href='https://www.blogger.com/feeds/1/1/comments/default/2'/>"
    )
    path = tmp_path / "blog.xml"
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>"
        "<feed xmlns='http://www.w3.org/2005/Atom' "
        "xmlns:thr='http://purl.org/syndication/thread/1.0'>"
        "<generator>Blogger</generator>"
        + entry("2", "comment", reply_to_post)
        + entry("3", "comment", reply_to_post + related)
        + entry("1", "post")
        + entry("4", "comment", f"<thr:in-reply-to ref='{blog}.post-9'/>")
        + "</feed>",
        encoding="utf-8",
    )
    result = ingest_one(engine, path)
    assert result.status == "ok", result.error
    db = snapshot(engine)
    assert db.comment(f"{blog}.post-3")["parent_id"] == db.comment(f"{blog}.post-2")["id"]
    post = db.article(key=f"blogger:{blog}.post-1")
    assert len(db.comments_of(db.thread_of(post["id"])["id"])) == 2
    placeholder = db.article(key=f"blogger:{blog}.post-9")
    assert placeholder["extra"]["placeholder"] is True
    assert any("post-9" in w for w in result.warnings)


TAKEOUT_BLOG = "tag:blogger.com,1999:blog-2018"


def takeout_entry(eid: str, btype: str, status: str = "LIVE", inner: str = "") -> str:
    """One entry of Google Takeout's feed.atom (the 2018 Blogger schema)."""
    return (
        f"<entry><id>{TAKEOUT_BLOG}.post-{eid}</id>"
        f"<blogger:type>{btype}</blogger:type><blogger:status>{status}</blogger:status>"
        f"<author><name>Author {eid}</name><uri></uri><blogger:type>ANONYMOUS</blogger:type>"
        f"</author><title>Title {eid}</title><content type='html'>&lt;p&gt;Body {eid}&lt;/p&gt;"
        f"</content><blogger:created>2021-03-0{eid[-1]}T10:00:00.000Z</blogger:created>"
        f"<published>2021-03-0{eid[-1]}T10:14:00.000-08:00</published>"
        f"<updated>2021-03-0{eid[-1]}T10:14:00.000Z</updated>{inner}</entry>"
    )


def test_google_takeout_feed_atom_2018_schema(engine: Engine, tmp_path: Path) -> None:
    """Blogger's current export (Google Takeout): blogger:type/status/parent/inReplyTo."""
    parent = f"<blogger:parent>{TAKEOUT_BLOG}.post-1</blogger:parent>"
    feed = (
        "<?xml version='1.0' encoding='utf-8'?>"
        "<feed xmlns='http://www.w3.org/2005/Atom' "
        "xmlns:blogger='http://schemas.google.com/blogger/2018'>"
        f"<id>{TAKEOUT_BLOG}</id><title>A blog</title>"
        # a comment before its post, as Takeout files may order them
        + takeout_entry("3", "COMMENT", inner=parent + "<blogger:inReplyTo></blogger:inReplyTo>")
        + takeout_entry(
            "1",
            "POST",
            inner=f"<category scheme='{TAKEOUT_BLOG}' term='gold'/>"
            "<blogger:filename>/2021/03/why-gold.html</blogger:filename><blogger:trashed/>",
        )
        + takeout_entry(
            "4",
            "COMMENT",
            inner=parent + f"<blogger:inReplyTo>{TAKEOUT_BLOG}.post-3</blogger:inReplyTo>",
        )
        + takeout_entry("5", "COMMENT", "SPAM_COMMENT", parent)
        + takeout_entry(
            "6",
            "COMMENT",
            "LIVE",
            parent + "<blogger:trashed>2021-04-01T00:00:00Z</blogger:trashed>",
        )
        + takeout_entry("7", "COMMENT", "SOMETHING_NEW", parent)
        + takeout_entry("2", "POST", "DRAFT")
        + takeout_entry("8", "PAGE")
        + "</feed>"
    )
    path = tmp_path / "feed.atom"
    path.write_text(feed, encoding="utf-8")
    assert detect_format(path.read_bytes(), path) == "blogger"
    result = ingest_one(engine, path)
    assert result.status == "ok", result.error
    db = snapshot(engine)
    assert len(db.articles) == 3
    post = db.article(key=f"blogger:{TAKEOUT_BLOG}.post-1")
    assert post["title"] == "Title 1"
    assert post["extra"]["labels"] == ["gold"]
    assert post["extra"]["filename"] == "/2021/03/why-gold.html"
    assert "draft" not in post["extra"]
    assert db.article(key=f"blogger:{TAKEOUT_BLOG}.post-2")["extra"]["draft"] is True
    assert db.article(key=f"blogger:{TAKEOUT_BLOG}.post-8")["extra"]["kind"] == "page"
    comments = db.comments_of(db.thread_of(post["id"])["id"])
    assert len(comments) == 5
    status = {c["external_id"].rsplit("-", 1)[1]: c["status"].value for c in comments}
    assert status == {"3": "approved", "4": "approved", "5": "spam", "6": "deleted", "7": "pending"}
    top, reply = db.comment(f"{TAKEOUT_BLOG}.post-3"), db.comment(f"{TAKEOUT_BLOG}.post-4")
    assert top["parent_id"] is None and reply["parent_id"] == top["id"]
    assert top["author_name"] == "Author 3" and top["extra"]["author_type"] == "ANONYMOUS"
    assert top["posted_at"].isoformat() == "2021-03-03T18:14:00+00:00"
    assert top["body"] == "<p>Body 3</p>" and top["body_format"] == "html"
    assert db.comment(f"{TAKEOUT_BLOG}.post-6")["extra"]["trashed"] == "2021-04-01T00:00:00Z"
    assert any("SOMETHING_NEW" in w and "pending" in w for w in result.warnings)
