"""Re-importing a source after moderation: the moderators' decisions stand, the source's own
changes come in. Through the real CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli.app import app
from threads.models import Article, Comment, CommentStatus, Thread, ThreadState

runner = CliRunner()
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Blog</title>
<item>
  <title>Gold and sanctions</title><link>https://example.org/gold</link>
  <guid isPermaLink="false">https://example.org/?p=7</guid>
  <content:encoded><![CDATA[Article body.]]></content:encoded>
  <wp:post_id>7</wp:post_id><wp:post_type>post</wp:post_type><wp:status>publish</wp:status>
  <wp:comment_status>{state}</wp:comment_status>
  <wp:comment>
    <wp:comment_id>1</wp:comment_id><wp:comment_author>Ann</wp:comment_author>
    <wp:comment_date_gmt>2014-11-03 10:00:00</wp:comment_date_gmt>
    <wp:comment_content><![CDATA[{first}]]></wp:comment_content>
    <wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent>
  </wp:comment>
  <wp:comment>
    <wp:comment_id>2</wp:comment_id><wp:comment_author>Bob</wp:comment_author>
    <wp:comment_date_gmt>2014-11-03 11:00:00</wp:comment_date_gmt>
    <wp:comment_content><![CDATA[Buy cheap watches here]]></wp:comment_content>
    <wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent>
  </wp:comment>
  <wp:comment>
    <wp:comment_id>3</wp:comment_id><wp:comment_author>Cy</wp:comment_author>
    <wp:comment_date_gmt>2014-11-03 12:00:00</wp:comment_date_gmt>
    <wp:comment_content><![CDATA[My phone number is 555 0100]]></wp:comment_content>
    <wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent>
  </wp:comment>
</item></channel></rss>
"""


def _run(db_url: str, *args: str) -> Any:
    return runner.invoke(
        app, list(args), env={"THREADS_DATABASE_URL": db_url, "USER": "mia", "COLUMNS": "200"}
    )


def _write(path: Path, **fields: str) -> Path:
    path.write_text(WXR.format(**{"state": "open", "first": "Gold is money.", **fields}))
    return path


def _comments(engine: Engine) -> dict[str, Comment]:
    with Session(engine) as session:
        return {c.author_name or "": c for c in session.exec(select(Comment)).all()}


def _thread(engine: Engine) -> Thread:
    with Session(engine) as session:
        (thread,) = session.exec(select(Thread)).all()
        return thread


def test_reimport_keeps_moderated_statuses_and_purges(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    source = _write(tmp_path / "blog.xml")
    assert _run(db_url, "ingest", str(source)).exit_code == 0
    before = _comments(engine)
    assert _run(db_url, "moderate", str(before["Bob"].id), "spam").exit_code == 0
    assert (
        _run(db_url, "moderate", str(before["Cy"].id), "purge", "--reason", "phone").exit_code == 0
    )
    purged = _comments(engine)
    purged_cy = next(c for c in purged.values() if c.purged)
    # the source changes: Ann edited her comment (same id); Bob's and Cy's are as before
    changed = _write(tmp_path / "blog-2.xml", first="Gold is money, and central banks know it.")
    result = _run(db_url, "ingest", str(changed))
    assert result.exit_code == 0, result.output
    after = _comments(engine)
    ann = after["Ann"]
    assert ann.body == "Gold is money, and central banks know it."
    assert ann.version == before["Ann"].version + 1
    assert ann.content_hash != before["Ann"].content_hash
    assert after["Bob"].status == CommentStatus.SPAM  # not back to approved
    assert after["Bob"].version == purged["Bob"].version
    cy = next(c for c in after.values() if c.id == purged_cy.id)
    assert cy.purged and cy.body == "" and cy.author_name == purged_cy.author_name
    assert cy.status == purged_cy.status and cy.version == purged_cy.version


def test_reimport_keeps_a_moderators_close_and_reopen(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    source = _write(tmp_path / "blog.xml", state="open")
    assert _run(db_url, "ingest", str(source)).exit_code == 0
    thread_id = str(_thread(engine).id)
    assert _run(db_url, "close", thread_id, "--reason", "flame war").exit_code == 0
    again = _write(tmp_path / "blog-2.xml", state="open", first="Gold, again.")
    assert _run(db_url, "ingest", str(again)).exit_code == 0
    thread = _thread(engine)
    assert thread.state == ThreadState.CLOSED and thread.close_reason == "flame war"
    assert _run(db_url, "reopen", thread_id).exit_code == 0
    closed_source = _write(tmp_path / "blog-3.xml", state="closed", first="Gold, thrice.")
    assert _run(db_url, "ingest", str(closed_source)).exit_code == 0
    assert _thread(engine).state == ThreadState.OPEN  # the moderator reopened it


def test_a_page_that_now_says_closed_closes_an_unmoderated_thread(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    page = tmp_path / "page.txt"
    text = (FIXTURES / "blogger-china-iran-relationship.txt").read_text(encoding="utf-8")
    page.write_text(text, encoding="utf-8")
    assert _run(db_url, "ingest", str(page)).exit_code == 0
    assert _thread(engine).state == ThreadState.OPEN
    page.write_text(text.replace("Post a Comment", "Comments are closed."), encoding="utf-8")
    assert _run(db_url, "ingest", str(page)).exit_code == 0
    thread = _thread(engine)
    assert thread.state == ThreadState.CLOSED
    with Session(engine) as session:
        assert len(session.exec(select(Article)).all()) == 1
