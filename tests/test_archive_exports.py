"""WXR, Disqus XML and CSV exports: well-formed, complete, and saying what the database says."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as DET
import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.archive_builders import Data, build, datasets, sample_data
from threads.archive import export, write_atomically
from threads.archive.csv import BASE_COLUMNS, dump_csv, format_cell
from threads.archive.disqus import dump_disqus
from threads.archive.wxr import NAMESPACES, dump_wxr
from threads.models import Comment, Thread

WP = "{" + NAMESPACES["wp"] + "}"
CONTENT = "{" + NAMESPACES["content"] + "}"
DQ = "{http://disqus.com}"
DSQ_ID = "{http://disqus.com/disqus-internals}id"


def wxr(engine: Engine, thread_ids: list[int] | None = None) -> str:
    out = io.StringIO()
    dump_wxr(engine, out, thread_ids=thread_ids)
    return out.getvalue()


def disqus(engine: Engine, thread_ids: list[int] | None = None) -> str:
    out = io.StringIO()
    dump_disqus(engine, out, thread_ids=thread_ids)
    return out.getvalue()


def csv_rows(engine: Engine, thread_ids: list[int] | None = None) -> list[dict[str, str]]:
    out = io.StringIO()
    dump_csv(engine, out, thread_ids=thread_ids)
    return list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))


def parse(text: str) -> Element:
    return DET.fromstring(text.encode("utf-8"))


def _sample(new_db: Callable[[], Engine]) -> Engine:
    engine = new_db()
    build(engine, sample_data())
    return engine


# --------------------------------------------------------------------------- WXR


def test_wxr_has_one_item_per_article_with_its_comments(new_db: Callable[[], Engine]) -> None:
    engine = _sample(new_db)
    text = wxr(engine)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    for prefix in ("wp", "content", "dc", "excerpt"):
        assert f"xmlns:{prefix}=" in text
    root = parse(text)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None and channel.findtext(f"{WP}wxr_version") == "1.2"
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["Gold “reserves” & the Fed", "P5+1 unity"]
    assert [i.findtext(f"{WP}comment_status") for i in items] == ["closed", "open"]
    assert items[0].findtext("link") == "https://example.org/gold"
    comments = items[0].findall(f"{WP}comment")
    assert [c.findtext(f"{WP}comment_id") for c in comments] == ["1", "2", "3", "4", "5"]
    assert [c.findtext(f"{WP}comment_parent") for c in comments] == ["0", "1", "2", "0", "1"]
    assert [c.findtext(f"{WP}comment_approved") for c in comments] == [
        "1",
        "1",
        "0",
        "spam",
        "trash",
    ]
    assert [c.findtext(f"{WP}comment_type") for c in comments] == ["", "", "", "pingback", ""]
    first = comments[0]
    # plain-text bodies are written as the HTML that shows them as they are
    assert (
        first.findtext(f"{WP}comment_content")
        == "Gold is &lt;b&gt;back&lt;/b&gt; &amp; ]]&gt; here"
    )
    assert first.findtext(f"{WP}comment_author") == "Zoë"
    assert first.findtext(f"{WP}comment_author_email") == "a0@example.org"
    assert first.findtext(f"{WP}comment_date_gmt") == "2014-11-04 03:32:00"
    meta = first.find(f"{WP}commentmeta")
    assert meta is not None
    assert meta.findtext(f"{WP}meta_key") == "wp:meta"
    assert meta.findtext(f"{WP}meta_value") == '{"akismet": "ok"}'
    second = items[1].findall(f"{WP}comment")
    assert [c.findtext(f"{WP}comment_approved") for c in second] == ["0", "trash"]
    assert comments[2].findtext(f"{WP}comment_author_url") == "https://a.example"


def test_wxr_and_disqus_of_some_threads(new_db: Callable[[], Engine]) -> None:
    engine = _sample(new_db)
    items = parse(wxr(engine, [2])).findall("channel/item")
    assert [i.findtext("title") for i in items] == ["P5+1 unity"]
    root = parse(disqus(engine, [2]))
    assert [t.get(DSQ_ID) for t in root.findall(f"{DQ}thread")] == ["2"]
    assert [p.get(DSQ_ID) for p in root.findall(f"{DQ}post")] == ["6", "7"]


def test_characters_xml_cannot_hold_are_replaced_not_fatal(new_db: Callable[[], Engine]) -> None:
    data = sample_data()
    data.comments[0]["body"] = "bell\x07 and form\x0cfeed"
    data.comments[1]["author_name"] = "nul\x1fname"
    engine = new_db()
    build(engine, data)
    for text in (wxr(engine), disqus(engine)):
        root = parse(text)
        assert "bell\ufffd and form\ufffdfeed" in DET.tostring(root, encoding="unicode")


# --------------------------------------------------------------------------- Disqus


def test_disqus_export_has_threads_then_posts(new_db: Callable[[], Engine]) -> None:
    engine = _sample(new_db)
    text = disqus(engine)
    root = parse(text)
    assert root.tag == f"{DQ}disqus"
    category = root.find(f"{DQ}category")
    assert category is not None and category.get(DSQ_ID) == "1"
    threads = root.findall(f"{DQ}thread")
    assert [t.get(DSQ_ID) for t in threads] == ["1", "2"]
    assert [t.findtext(f"{DQ}isClosed") for t in threads] == ["true", "false"]
    assert [t.findtext(f"{DQ}link") for t in threads] == [
        "https://example.org/gold",
        "https://example.org/p5",
    ]
    assert threads[0].findtext(f"{DQ}id") == "url:https://example.org/gold"
    assert threads[0].findtext(f"{DQ}title") == "Gold “reserves” & the Fed"
    posts = root.findall(f"{DQ}post")
    assert len(posts) == 7
    by_id = {p.get(DSQ_ID): p for p in posts}
    reply = by_id["2"]
    parent = reply.find(f"{DQ}parent")
    assert parent is not None and parent.get(DSQ_ID) == "1"
    assert by_id["1"].find(f"{DQ}parent") is None
    thread_ref = reply.find(f"{DQ}thread")
    assert thread_ref is not None and thread_ref.get(DSQ_ID) == "1"
    message = by_id["1"].findtext(f"{DQ}message") or ""
    assert html.unescape(message) == "Gold is <b>back</b> & ]]> here"
    assert "<![CDATA[" in text
    assert [by_id[i].findtext(f"{DQ}isSpam") for i in "1234567"] == [
        "false",
        "false",
        "false",
        "true",
        "false",
        "false",
        "false",
    ]
    assert [by_id[i].findtext(f"{DQ}isDeleted") for i in "1234567"] == [
        "false",
        "false",
        "false",
        "false",
        "true",
        "false",
        "true",
    ]
    assert by_id["1"].findtext(f"{DQ}author/{DQ}name") == "Zoë"
    assert by_id["1"].findtext(f"{DQ}author/{DQ}email") == "a0@example.org"
    assert by_id["1"].findtext(f"{DQ}createdAt") == "2014-11-04T03:32:00Z"


# --------------------------------------------------------------------------- CSV


def test_csv_has_one_row_per_comment_with_topics_and_scores(
    new_db: Callable[[], Engine],
) -> None:
    engine = _sample(new_db)
    out = io.StringIO()
    dump_csv(engine, out)
    text = out.getvalue()
    assert "\r\n" not in text.replace('"Second line\nwith a newline"', "")
    header = text.split("\n", 1)[0].split(",")
    assert header == [*BASE_COLUMNS, "score_gold", "score_russia", "sentiment", "body"]
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["comment_id"] for r in rows] == ["1", "2", "3", "4", "5", "6", "7"]
    first, second, third = rows[0], rows[1], rows[2]
    assert first["topics"] == "gold" and float(first["score_gold"]) == 0.9
    assert first["score_russia"] == ""
    assert third["topics"] == "russia"  # gold scored but not assigned
    assert float(third["score_gold"]) == 0.1 and float(third["score_russia"]) == 0.7
    assert first["article_title"] == "Gold “reserves” & the Fed"
    assert first["article_url"] == "https://example.org/gold"
    assert first["posted_at"] == "2014-11-04T03:32:00Z"
    assert first["parent_id"] == "" and second["parent_id"] == "1"
    assert second["body"] == "Second line\nwith a newline"
    assert rows[2]["author_name"] == 'O\'Brien "Ed"'
    assert rows[3]["status"] == "spam" and rows[3]["kind"] == "pingback"
    assert float(first["sentiment"]) == -0.75


def test_csv_moderator_label_overrides_the_automatic_one(new_db: Callable[[], Engine]) -> None:
    from threads.models import LabelSource

    data = sample_data()
    data.labels.append(
        {
            "comment": 0,
            "topic_id": "gold",
            "score": 1.0,
            "assigned": False,
            "source": LabelSource.MODERATOR,
            "labeler": "mod",
            "taxonomy_version": "v1",
            "created_at": data.labels[0]["created_at"],
        }
    )
    engine = new_db()
    build(engine, data)
    first = csv_rows(engine)[0]
    assert first["topics"] == "" and float(first["score_gold"]) == 0.9


def test_csv_with_pandas_when_installed(new_db: Callable[[], Engine]) -> None:
    pd = pytest.importorskip("pandas")
    engine = _sample(new_db)
    out = io.StringIO()
    dump_csv(engine, out)
    frame = pd.read_csv(io.StringIO(out.getvalue()))
    assert len(frame) == 7 and list(frame["comment_id"]) == [1, 2, 3, 4, 5, 6, 7]


FORMULAS = ['=HYPERLINK("http://x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_csv_neutralises_spreadsheet_formulas(new_db: Callable[[], Engine]) -> None:
    """OWASP's CSV-injection rule: text a spreadsheet would run starts with a single quote;
    numbers (a negative sentiment, a body that is only "-5") stay numbers."""
    data = sample_data()
    for comment, formula in zip(data.comments, FORMULAS, strict=False):
        comment["author_name"] = formula
        comment["body"] = formula
    data.comments[-1]["body"] = "-5"
    engine = new_db()
    build(engine, data)
    rows = csv_rows(engine)
    for row, formula in zip(rows, FORMULAS, strict=False):
        assert row["author_name"] == row["body"] == "'" + formula
    assert rows[-1]["body"] == "-5"
    assert float(rows[0]["sentiment"]) == -0.75


# --------------------------------------------------------------------------- any data


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=datasets())
def test_every_export_of_any_database_is_well_formed_and_complete(
    new_db: Callable[[], Engine], data: Data
) -> None:
    engine = new_db()
    build(engine, data)
    n = len(data.comments)
    root = parse(wxr(engine))
    assert len(root.findall("channel/item")) == len(data.articles)
    assert len(root.findall(f"channel/item/{WP}comment")) == n
    root = parse(disqus(engine))
    assert len(root.findall(f"{DQ}post")) == n
    rows = csv_rows(engine)
    assert len(rows) == n
    # Bodies come back as written, except that one which a spreadsheet would run as a formula
    # starts with a single quote.
    assert sorted(r["body"] for r in rows) == sorted(format_cell(c["body"]) for c in data.comments)
    for fmt in ("jsonl", "wxr", "disqus", "csv"):
        first, second = io.StringIO(), io.StringIO()
        export(engine, fmt, first)
        export(engine, fmt, second)
        assert first.getvalue() == second.getvalue()


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "export.csv"
    target.write_text("old\n", encoding="utf-8")

    def half_then_fail(handle: TextIO) -> int:
        handle.write("half a fi")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_atomically(target, half_then_fail)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["export.csv"]
    assert write_atomically(target, lambda h: h.write("new\n")) == 4
    assert target.read_bytes() == b"new\n"


# --------------------------------------------------------------------------- read back


WXR_STATUS = {
    "approved": "approved",
    "pending": "pending",
    "flagged": "pending",
    "spam": "spam",
    "deleted": "deleted",
    "rejected": "deleted",
}
DISQUS_STATUS = {**WXR_STATUS, "pending": "approved", "flagged": "approved"}


def _threads_and_comments(engine: Engine) -> tuple[list[Any], list[Any]]:
    with Session(engine) as session:
        threads = list(session.exec(select(Thread).order_by(Thread.id)))
        comments = list(session.exec(select(Comment).order_by(Comment.id)))
        for row in (*threads, *comments):
            session.expunge(row)
    return threads, comments


@pytest.mark.parametrize("fmt", ["wxr", "disqus"])
def test_our_wxr_and_disqus_exports_import_back_with_our_importers(
    new_db: Callable[[], Engine], tmp_path: Path, fmt: str
) -> None:
    from threads.ingest.service import ingest_paths

    data = sample_data()
    data.comments[1]["extra"] = {"meta": {"akismet_result": "false"}, "author_ip": "192.0.2.7"}
    source = new_db()
    build(source, data)
    path = tmp_path / f"export-{fmt}.xml"
    with path.open("w", encoding="utf-8", newline="") as handle:
        export(source, fmt, handle)
    target = new_db()
    report = ingest_paths(target, [path])  # the format is detected from the content
    (result,) = report.files
    assert result.status == "ok", result.error
    assert result.format == fmt

    src_threads, src_comments = _threads_and_comments(source)
    new_threads, new_comments = _threads_and_comments(target)
    assert [t.state for t in new_threads] == [t.state for t in src_threads]
    assert len(new_comments) == len(src_comments)
    src_by_id = {c.id: c for c in src_comments}
    new_by_id = {c.id: c for c in new_comments}
    thread_of = {t.id: i for i, t in enumerate(src_threads)}
    new_thread_of = {t.id: i for i, t in enumerate(new_threads)}
    statuses = WXR_STATUS if fmt == "wxr" else DISQUS_STATUS
    for comment in new_comments:
        original = src_by_id[int(comment.external_id or 0)]
        assert html.unescape(comment.body) == original.body
        assert comment.author_name == original.author_name
        assert comment.author_email == original.author_email
        assert comment.posted_at == original.posted_at
        assert comment.status.value == statuses[original.status.value]
        assert new_thread_of[comment.thread_id] == thread_of[original.thread_id]
        parent = new_by_id[comment.parent_id] if comment.parent_id is not None else None
        assert (parent.external_id if parent else None) == (
            str(original.parent_id) if original.parent_id is not None else None
        )
        if fmt == "wxr":
            assert comment.kind == original.kind
            assert comment.author_url == original.author_url
    reimported = {c.external_id: c for c in new_comments}["2"]
    assert reimported.extra.get("author_ip") == "192.0.2.7"
    if fmt == "wxr":
        assert reimported.extra["meta"] == {"akismet_result": "false"}
        assert {c.external_id: c for c in new_comments}["1"].extra["meta"] == {
            "wp:meta": '{"akismet": "ok"}'
        }
