"""The loader: stable keys, idempotency, updates, reply links, orphans, streaming batches."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from tests.ingest_support import snapshot
from threads.db import session_scope
from threads.identity import author_key
from threads.ingest.loader import Loader, LoadStats
from threads.ingest.parsed import ParsedArticle, ParsedComment, ParsedThread
from threads.ingest.rows import article_key, comment_row, normalise_url, sha256
from threads.ingest.stream import Item, MoreComments
from threads.models import CommentKind, CommentStatus, ImportBatch, ThreadState


def load(engine: Engine, items: Iterable[Item], *, flush: int = 5000) -> tuple[LoadStats, int]:
    with session_scope(engine, write=True) as session:
        batch = ImportBatch(source_name="test", sha256="0" * 64, format="test")
        session.add(batch)
        session.flush()
        assert batch.id is not None
        loader = Loader(
            session,
            batch_id=batch.id,
            source_format="test",
            source_name="test",
            flush_comments=flush,
        )
        return loader.load(items), batch.id


def thread(*comments: ParsedComment, **kwargs: object) -> ParsedThread:
    article = ParsedArticle(title="T", source_url="https://Example.org/a/", body="b")
    return ParsedThread(article=article, comments=list(comments), **kwargs)  # type: ignore[arg-type]


def test_keys_are_stable_and_documented() -> None:
    t = thread()
    assert article_key(t) == "url:https://example.org/a"
    t.article.key = "wxr:guid-1"
    assert article_key(t) == "wxr:guid-1"
    bare = ParsedThread(article=ParsedArticle(title="x", body="y"))
    assert article_key(bare) == "hash:" + sha256("x\x1fy")
    assert normalise_url("HTTP://Host.EXAMPLE:80/p/#frag") == "http://host.example/p"
    c = ParsedComment(body="hi", external_id="42")
    assert comment_row(c).key == "id:42"
    c2 = ParsedComment(body="hi", author_name="A", posted_text="today")
    assert comment_row(c2).key == "hash:" + sha256("A\x1ftoday\x1fhi")
    assert author_key(None, "  Ann   Lee ") == "ann lee"
    assert author_key("A@X.org", "A") == "a@x.org"


def test_identical_comments_without_ids_both_stay(engine: Engine) -> None:
    same = dict(body="First!", author_name="Bob", posted_text="Monday")
    stats, _ = load(engine, [thread(ParsedComment(**same), ParsedComment(**same))])  # type: ignore[arg-type]
    db = snapshot(engine)
    assert sorted(c["key"] for c in db.comments) == sorted(
        [
            "hash:" + sha256("Bob\x1fMonday\x1fFirst!"),
            "hash:" + sha256("Bob\x1fMonday\x1fFirst!") + "#2",
        ]
    )
    assert all(c["content_hash"] == sha256("First!") for c in db.comments)
    again, _ = load(engine, [thread(ParsedComment(**same), ParsedComment(**same))])  # type: ignore[arg-type]
    assert again.comments_new == 0 and again.comments_unchanged == 2
    assert len(snapshot(engine).comments) == 2


def test_state_none_is_open_with_note_and_closed_keeps_source_time(engine: Engine) -> None:
    closed_at = datetime(2020, 5, 1, 12, tzinfo=UTC)
    a = thread()
    b = ParsedThread(
        article=ParsedArticle(title="B", key="k:b"),
        state=ThreadState.CLOSED,
        state_note='page says "Comments are closed."',
        closed_at=closed_at,
    )
    stats, _ = load(engine, [a, b])
    db = snapshot(engine)
    first, second = db.threads
    assert first["state"] == ThreadState.OPEN and "does not say" in first["state_note"]
    assert second["state"] == ThreadState.CLOSED
    assert second["closed_at"] == closed_at
    assert second["close_reason"] == 'page says "Comments are closed."'
    assert stats.threads_closed == 1


def test_parent_index_links_and_bad_index_is_an_orphan(engine: Engine) -> None:
    t = thread(
        ParsedComment(body="root"),
        ParsedComment(body="reply", parent_index=0),
        ParsedComment(body="lost", parent_index=7),
    )
    stats, _ = load(engine, [t])
    db = snapshot(engine)
    root, reply, lost = sorted(db.comments, key=lambda c: c["id"])
    assert reply["parent_id"] == root["id"]
    assert lost["parent_id"] is None and lost["extra"]["orphan_parent"] == "#7"
    assert (stats.replies, stats.orphans) == (1, 1)


def test_comments_stream_in_batches_across_flushes(engine: Engine) -> None:
    head = ParsedThread(article=ParsedArticle(title="S", key="s:1"), external_id="s1")
    posts = [
        ParsedComment(
            body=f"c{i}",
            external_id=str(i),
            parent_external_id=str(i + 1) if i % 5 == 0 else (str(i - 1) if i % 3 == 0 else None),
            status=CommentStatus.SPAM if i % 7 == 0 else CommentStatus.APPROVED,
            posted_at=datetime(2020, 1, 1, tzinfo=UTC),
        )
        for i in range(1, 60)
    ]
    items: list[Item] = [head]
    items += [MoreComments("s1", posts[i : i + 4]) for i in range(0, len(posts), 4)]
    stats, batch_id = load(engine, items, flush=6)
    db = snapshot(engine)
    assert len(db.comments) == 59
    by_ext = {c["external_id"]: c for c in db.comments}
    for i in range(1, 60):
        parent = by_ext[str(i)]["parent_id"]
        if i % 5 == 0 and i + 1 < 60:
            assert parent == by_ext[str(i + 1)]["id"]  # parent came later: second pass
        elif i % 5 == 0:
            assert parent is None and by_ext[str(i)]["extra"]["orphan_parent"] == "60"
        elif i % 3 == 0:
            assert parent == by_ext[str(i - 1)]["id"]
        else:
            assert parent is None
    assert stats.by_status["spam"] == 8
    assert all(c["import_batch_id"] == batch_id for c in db.comments)
    # the whole stream again: nothing new, nothing changed, links intact
    again, _ = load(engine, items, flush=6)
    assert again.comments_new == 0 and again.comments_updated == 0
    assert snapshot(engine).comments == db.comments


def test_changed_fields_update_in_place_and_bump_version(engine: Engine) -> None:
    c = ParsedComment(body="old", external_id="1", kind=CommentKind.COMMENT)
    load(engine, [thread(c)])
    changed = ParsedComment(body="new", external_id="1", status=CommentStatus.SPAM)
    stats, batch_id = load(engine, [thread(changed)])
    [row] = snapshot(engine).comments
    assert (row["body"], row["status"], row["version"]) == ("new", CommentStatus.SPAM, 2)
    assert row["content_hash"] == sha256("new")
    assert row["import_batch_id"] == batch_id
    assert stats.comments_updated == 1


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    bodies=st.lists(st.sampled_from(["a", "b", "same", ""]), min_size=0, max_size=12),
    parents=st.lists(st.integers(min_value=-1, max_value=12), min_size=12, max_size=12),
)
def test_any_parsed_thread_loads_idempotently(
    engine: Engine, bodies: list[str], parents: list[int]
) -> None:
    comments = [
        ParsedComment(body=b, parent_index=parents[i] if parents[i] >= 0 else None, position=i)
        for i, b in enumerate(bodies)
    ]
    key = f"prop:{sha256(repr((bodies, parents)))}"
    t = ParsedThread(article=ParsedArticle(title="P", key=key), comments=comments)
    first, _ = load(engine, [t])
    assert first.comments == len(bodies)
    rows = [c for c in snapshot(engine).comments]
    second, _ = load(engine, [t])
    assert second.comments_new == 0 and second.comments_updated == 0
    assert [c for c in snapshot(engine).comments] == rows


# ---------------------------------------------------------------- input handling (sniff, detect)


def test_decode_prefers_utf8_then_declared_charset_then_cp1252() -> None:
    from threads.ingest.sniff import decode

    assert decode("für".encode()) == ("für", "utf-8")
    assert decode(b"\xef\xbb\xbfhi") == ("hi", "utf-8-sig")
    assert decode('<meta charset="iso-8859-1"><p>f\xfcr'.encode("latin-1"))[1] == "iso8859-1"
    declared = b'<?xml version="1.0" encoding="windows-1252"?><a>\x93q\x94</a>'
    text, encoding = decode(declared, xml=True)
    assert (text[-10:], encoding) == ("<a>\u201cq\u201d</a>", "cp1252")
    assert decode(b"caf\xe9 \x80") == ("café €", "cp1252")
    text, _ = decode(b'`<?xml version="1.0"?><a/>', xml=True)
    assert text == '<?xml version="1.0"?><a/>'


def test_detect_format_from_content_not_name() -> None:
    from threads.errors import InvalidInput
    from threads.ingest.registry import detect_format

    assert detect_format(b"`<?xml version='1.0'?>\n<disqus>", "x.txt") == "disqus"
    assert detect_format("<rss xmlns:wp='http://wordpress.org/export/1.2/'>", "a.json") == "wxr"
    atom = "<ns0:feed xmlns:ns0='http://www.w3.org/2005/Atom'><ns0:id>tag:blogger.com,1999"
    assert detect_format(atom, "feed") == "blogger"
    assert detect_format('{"type": "archive", "version": 1}\n{"type": "article"}', "a") == "jsonl"
    assert detect_format("<!DOCTYPE html><html>", "page.xml") == "html"
    assert detect_format("Title\n\n4 comments for “Title”", "page.html") == "text"
    for bad in ('{"kind": "Listing"}', "[1, 2]", "<?xml version='1.0'?><rss><channel/></rss>"):
        try:
            detect_format(bad, "dump.json")
        except InvalidInput as exc:
            assert "dump.json" in exc.detail and "wxr" in exc.detail
        else:
            raise AssertionError(f"{bad!r} was accepted")


def test_prolog_with_doctype_uses_the_defused_parser() -> None:
    from threads.ingest.stream import prolog_has_doctype

    assert not prolog_has_doctype('<?xml version="1.0"?>\n<!-- c --><rss>')
    assert prolog_has_doctype('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>')
    assert prolog_has_doctype("<!-- a comment that never ends")


def test_entity_bomb_is_refused(engine: Engine, tmp_path: Path) -> None:
    from tests.ingest_support import counts, ingest_one

    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE disqus [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<disqus><thread dsq:id="1" xmlns:dsq="http://disqus.com/disqus-internals">'
        "<id>&b;</id></thread></disqus>",
        encoding="utf-8",
    )
    before = counts(engine)
    result = ingest_one(engine, bomb)
    assert result.status == "failed"
    assert result.error is not None and "bomb.xml" in result.error and "unsafe" in result.error
    assert counts(engine) == before


def _comment_indexes(engine: Engine) -> list[dict[str, object]]:
    import sqlalchemy as sa

    return sorted(sa.inspect(engine).get_indexes("comment"), key=lambda i: str(i["name"]))


def _disqus_export(path: Path, posts: int, *, tail: str = "</disqus>\n") -> Path:
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" '
        'xmlns:dsq="http://disqus.com/disqus-internals">\n'
        '<thread dsq:id="1"><link>https://example.org/a</link><title>A</title></thread>\n'
    ]
    for n in range(posts):
        parent = f'<parent dsq:id="{n - 1}"/>' if n % 3 else ""
        lines.append(
            f'<post dsq:id="{n}"><message>post {n}</message><thread dsq:id="1"/>{parent}</post>\n'
        )
    path.write_text("".join(lines) + tail, encoding="utf-8")
    return path


def test_import_into_empty_database_leaves_the_comment_indexes_as_migrated(
    engine: Engine, tmp_path: Path
) -> None:
    from tests.ingest_support import ingest_one

    before = _comment_indexes(engine)
    assert ingest_one(engine, _disqus_export(tmp_path / "a.xml", 7000)).status == "ok"
    assert _comment_indexes(engine) == before
    again = ingest_one(engine, _disqus_export(tmp_path / "b.xml", 7001))
    assert again.status == "ok" and again.counts["comments_new"] == 1
    assert _comment_indexes(engine) == before
    assert len(snapshot(engine).comments) == 7001


def test_failed_import_into_empty_database_keeps_the_comment_indexes(
    engine: Engine, tmp_path: Path
) -> None:
    from tests.ingest_support import counts, ingest_one

    before, rows = _comment_indexes(engine), counts(engine)
    # fails after the first batches of comments are written
    broken = _disqus_export(tmp_path / "broken.xml", 12000, tail="<post></disqus>\n")
    result = ingest_one(engine, broken)
    assert result.status == "failed" and result.error is not None
    assert _comment_indexes(engine) == before
    assert counts(engine) == rows


def test_bulk_insert_refuses_a_value_outside_the_enum_and_checks_again_after(
    engine: Engine,
) -> None:
    import pytest
    import sqlalchemy as sa
    from sqlmodel import Session

    from threads.db.queries import ingest as q

    load(engine, [thread(ParsedComment(body="x", external_id="1"))])
    row = {k: v for k, v in snapshot(engine).comments[0].items() if k in q.COMMENT.c}
    row.update(id=row["id"] + 1, key="id:2", status="bogus")
    with Session(engine) as session:
        with pytest.raises(ValueError, match="bogus"):
            q.insert_rows(session, q.COMMENT, [row])
        row["status"] = CommentStatus.SPAM
        q.insert_rows(session, q.COMMENT, [row])
        # the database's own CHECK guards every other statement, as before
        with pytest.raises(sa.exc.IntegrityError):
            session.connection().exec_driver_sql(
                f"UPDATE comment SET status = 'bogus' WHERE id = {int(row['id'])}"
            )
        session.rollback()
    assert len(snapshot(engine).comments) == 1


def test_bulk_insert_writes_json_and_enums_as_the_column_types_do() -> None:
    import json

    from threads.db.queries.ingest import COMMENT, stored_form

    for backend in ("sqlite", "postgresql"):
        write = stored_form(COMMENT.c.extra, backend)
        for value in ({"a": 1, "b": [1, 2.5, None, True], "é": 'ü\u2028"'}, ["x"], {"p": True}):
            assert json.loads(write(value)) == value
        assert write(None) is None
        status = stored_form(COMMENT.c.status, backend)
        assert type(status(CommentStatus.SPAM)) is str and status(CommentStatus.SPAM) == "spam"
        assert status("pending") == "pending" and status(None) is None
        with pytest.raises(ValueError, match=r"^comment\.status: 'hidden' is not one of"):
            status("hidden")


#: naive, UTC and fixed-offset datetimes, any year
ANY_TIME = st.datetimes(
    timezones=st.one_of(
        st.none(),
        st.just(UTC),
        st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))),
    )
)


@settings(max_examples=300, deadline=None)
@given(value=ANY_TIME)
def test_stored_timestamps_are_what_sqlalchemy_stores(value: datetime) -> None:
    from sqlalchemy.dialects import sqlite

    from threads.db.queries import ingest as q

    column = q.COMMENT.c.posted_at
    dialect = sqlite.dialect()
    try:
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        expected = process(value) if process else value
    except OverflowError:  # an instant before year 1 or after 9999 in UTC: no text either
        with pytest.raises(OverflowError):
            q.stored_form(column, "sqlite")(value)
        return
    # the text SQLAlchemy's own processing of the column writes on SQLite
    assert q.stored_form(column, "sqlite")(value) == expected
    # PostgreSQL takes the instant, a naive time being UTC
    as_utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    assert q.stored_form(column, "postgresql")(value) == as_utc


def test_into_an_empty_table_the_secondary_indexes_wait_for_the_end(engine: Engine) -> None:
    from threads.db.queries import ingest as q

    with session_scope(engine, write=True) as session:
        rebuild = q.drop_indexes_if_empty(session, q.COMMENT)
        left = {i["name"] for i in sa.inspect(session.connection()).get_indexes("comment")}
        session.rollback()
    assert sorted(str(i.name) for i in rebuild) == sorted(str(i.name) for i in q.COMMENT.indexes)
    assert not left & {str(i.name) for i in rebuild}
    load(engine, [thread(ParsedComment(body="x"))])
    with session_scope(engine) as session:
        assert q.drop_indexes_if_empty(session, q.COMMENT) == []  # rows: indexes stay
