"""The JSONL archive: byte-reproducible export, lossless restore, idempotent merge, clear errors."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.archive_builders import Data, build, datasets, sample_data, table_rows
from threads.archive.jsonl import dump_archive, is_archive_header, load_archive
from threads.db import session_scope
from threads.errors import InvalidInput, NotFound
from threads.models import (
    DEFAULT_CODEBOOK,
    Comment,
    CommentClassification,
    CommentStatus,
    CommentTopic,
    ImportBatch,
    Thread,
)


def export(engine: Engine, thread_ids: list[int] | None = None) -> str:
    out = io.StringIO()
    dump_archive(engine, out, thread_ids=thread_ids)
    return out.getvalue()


def restore(engine: Engine, text: str, batch: ImportBatch | None = None) -> dict[str, int]:
    with session_scope(engine) as session:
        return load_archive(session, io.StringIO(text), batch=batch)


def records(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def new_batch(name: str = "archive.jsonl") -> ImportBatch:
    return ImportBatch(source_name=name, sha256="f" * 64, format="jsonl")


# --------------------------------------------------------------------------- the law


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=datasets())
def test_restoring_an_export_into_an_empty_database_gives_the_same_data_and_bytes(
    new_db: Callable[[], Engine], data: Data
) -> None:
    source = new_db()
    build(source, data)
    archive = export(source)
    assert export(source) == archive

    target = new_db()
    restore(target, archive)
    assert table_rows(target) == table_rows(source)
    assert export(target) == archive


def test_restore_through_an_import_batch_keeps_every_id_and_adds_only_that_batch(
    new_db: Callable[[], Engine],
) -> None:
    source = new_db()
    build(source, sample_data())
    archive = export(source)
    target = new_db()
    with session_scope(target) as session:
        batch = new_batch()
        session.add(batch)
        session.flush()  # the importer's batch takes id 1, which the archive's batch holds
        counts = load_archive(session, io.StringIO(archive), batch=batch)
        batch_id = batch.id
    assert (
        counts["comment"] == 7
        and counts["inserted"]
        == sum(
            counts[t]
            for t in ("import_batch", "site", "article", "thread", "comment", "topic_label")
        )
        + counts["topic_model"]
        + counts["event"]
        + counts["report"]
    )
    before, after = table_rows(source), table_rows(target)
    assert batch_id == 2
    assert [r for r in after.pop("import_batch") if r["id"] != batch_id] == before.pop(
        "import_batch"
    )
    assert after == before
    # sequences follow the restored ids: new rows get fresh ids
    with session_scope(target) as session:
        thread = session.exec(select(Thread)).first()
        assert thread is not None and thread.id is not None
        comment = Comment(thread_id=thread.id, key="new", content_hash="x")
        session.add(comment)
        session.flush()
        assert comment.id == 8


def test_export_is_byte_reproducible_and_documented_fields_are_there(
    new_db: Callable[[], Engine],
) -> None:
    engine = new_db()
    build(engine, sample_data())
    text = export(engine)
    assert text == export(engine)
    assert text.endswith("\n") and "\r" not in text
    lines = records(text)
    header = lines[0]
    assert header["type"] == "archive"
    assert header["format"] == "threads-archive" and header["version"] == 4
    assert header["as_of"] == "2014-11-04T09:32:00Z"  # the newest time held, not "now"
    assert header["counts"] == {
        "import_batch": 1,
        "site": 1,
        "author_standing": 0,
        "article": 2,
        "thread": 2,
        "comment": 7,
        "topic_label": 3,
        "topic_model": 1,
        "event": 1,
        "report": 1,
    }
    types = [r["type"] for r in lines[1:]]
    assert types == sorted(types, key=list(header["counts"]).index)
    thread = next(r for r in lines if r["type"] == "thread")
    assert {"id", "article_id", "state"} <= set(thread)
    comments = [r for r in lines if r["type"] == "comment"]
    assert [c["id"] for c in comments] == sorted(c["id"] for c in comments)
    first, reply = comments[0], comments[1]
    assert reply["parent_id"] == first["id"]
    assert first["author_name"] == "Zoë" and first["status"] == "approved"
    assert first["posted_at"] == "2014-11-04T03:32:00Z"
    assert first["body"] == "Gold is <b>back</b> & ]]> here"
    assert "Zoë" in text  # UTF-8 kept, not \u escapes
    assert is_archive_header(text.splitlines()[0])
    assert not is_archive_header('{"type": "comment"}')


def test_line_separators_inside_text_never_split_a_record(new_db: Callable[[], Engine]) -> None:
    data = sample_data()
    data.comments[0]["body"] = "a\u2028b\u2029c\u0085d\re"
    engine = new_db()
    build(engine, data)
    text = export(engine)
    assert len(text.splitlines()) == len(text.split("\n")) - 1
    target = new_db()
    restore(target, text)
    body = target.connect().execute(sa.text("SELECT body FROM comment WHERE id = 1")).scalar()
    assert body == "a\u2028b\u2029c\u0085d\re"


def test_export_of_some_threads_holds_only_what_belongs_to_them(
    new_db: Callable[[], Engine],
) -> None:
    engine = new_db()
    build(engine, sample_data())
    lines = records(export(engine, thread_ids=[2]))
    assert lines[0]["scope"] == {"threads": [2]}
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in lines[1:]:
        by_type.setdefault(r["type"], []).append(r)
    assert [t["id"] for t in by_type["thread"]] == [2]
    assert [a["id"] for a in by_type["article"]] == [2]
    assert {c["thread_id"] for c in by_type["comment"]} == {2}
    assert len(by_type["comment"]) == 2
    assert [r["comment_id"] for r in by_type["report"]] == [6]
    assert "event" not in by_type and "topic_model" not in by_type
    assert [b["id"] for b in by_type["import_batch"]] == [1]  # the comments reference it
    target = new_db()
    restore(target, export(engine, thread_ids=[2]))
    assert len(table_rows(target)["comment"]) == 2


def test_export_of_an_unknown_thread_names_it(new_db: Callable[[], Engine]) -> None:
    engine = new_db()
    build(engine, sample_data())
    with pytest.raises(NotFound, match="no thread with id 77"):
        export(engine, thread_ids=[1, 77])


# --------------------------------------------------------------------------- merging


def test_loading_into_a_non_empty_database_merges_idempotently(
    new_db: Callable[[], Engine],
) -> None:
    source = new_db()
    build(source, sample_data())
    archive = export(source)
    target = new_db()
    other = sample_data()
    other.batches = []
    other.articles = [
        dict(
            other.articles[1],
            key="url:https://example.org/other",
            thread=other.articles[1]["thread"],
        )
    ]
    other.comments = [dict(other.comments[5], thread=0, parent=None)]
    other.labels, other.events, other.models = [], [], []
    other.reports = [dict(other.reports[0], comment=0)]
    build(target, other)

    first = restore(target, archive, new_batch())
    # both databases hold the site example.org: matched by its key, not added again
    assert first["inserted"] == 18 and first["unchanged"] == 1
    rows = table_rows(target)
    assert len(rows["comment"]) == 8 and len(rows["thread"]) == 3
    assert len(rows["import_batch"]) == 2  # the archived batch, and this load's
    second = restore(target, archive, new_batch())
    assert second["inserted"] == 0 and second["updated"] == 0
    assert second["unchanged"] == first["inserted"] + first["unchanged"]
    again = table_rows(target)
    again["import_batch"] = [b for b in again["import_batch"] if b["id"] != 3]
    assert again == rows

    # ids were remapped, reply links and labels follow the comments
    with Session(target) as session:
        by_key = {c.key: c for c in session.exec(select(Comment))}
        assert by_key["id:101"].parent_id == by_key["id:100"].id
        assert by_key["id:102"].parent_id == by_key["id:101"].id
        assert by_key["id:100"].id != 1


def test_a_newer_archived_version_updates_the_older_row(new_db: Callable[[], Engine]) -> None:
    engine = new_db()
    build(engine, sample_data())
    archive = records(export(engine))
    for r in archive:
        if r["type"] == "comment" and r["key"] == "id:102":
            r["status"] = "approved"
            r["updated_at"] = "2020-01-01T00:00:00Z"
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in archive)
    counts = restore(engine, text, new_batch())
    assert counts["updated"] == 1 and counts["inserted"] == 0
    with Session(engine) as session:
        comment = session.exec(select(Comment).where(Comment.key == "id:102")).one()
        assert comment.status is CommentStatus.APPROVED


# --------------------------------------------------------------------------- errors


def _sample_archive(new_db: Callable[[], Engine]) -> list[str]:
    engine = new_db()
    build(engine, sample_data())
    return export(engine).splitlines(keepends=True)


def _fails(new_db: Callable[[], Engine], lines: list[str], *fragments: str) -> InvalidInput:
    target = new_db()
    with pytest.raises(InvalidInput) as info, session_scope(target) as session:
        load_archive(session, lines, batch=new_batch("dump.jsonl"))
    for fragment in fragments:
        assert fragment in info.value.detail, info.value.detail
    assert table_rows(target) == {k: [] for k in table_rows(target)}  # nothing half-written
    return info.value


def test_bad_json_names_the_line(new_db: Callable[[], Engine]) -> None:
    lines = _sample_archive(new_db)
    lines[3] = lines[3][:-5] + "\n"
    _fails(new_db, lines, "dump.jsonl line 4", "not valid JSON")


def test_unknown_version_is_refused(new_db: Callable[[], Engine]) -> None:
    lines = _sample_archive(new_db)
    lines[0] = lines[0].replace('"version":4', '"version":5')
    error = _fails(new_db, lines, "line 1", "unsupported archive version 5")
    assert error.field == "version"


def test_a_version_2_archive_loads_its_labels_into_the_shipped_codebook(
    new_db: Callable[[], Engine],
) -> None:
    """Before codebooks side by side (version 2) labels named no codebook and comments carried
    their classification mark: the labels go to the shipped codebook, the marks are dropped."""
    source = new_db()
    build(source, sample_data())
    old = []
    for record in records(export(source)):
        if record["type"] == "archive":
            record["version"] = 2
        elif record["type"] == "topic_label":
            del record["codebook"]
        elif record["type"] == "comment":
            record["classified_version"] = "0123456789abcdef"
            record["classified_hash"] = record["content_hash"]
        old.append(json.dumps(record) + "\n")
    target = new_db()
    restore(target, "".join(old))
    with Session(target) as session:
        labels = list(session.exec(select(CommentTopic)))
        marks = list(session.exec(select(CommentClassification)))
    assert labels and {label.codebook for label in labels} == {DEFAULT_CODEBOOK}
    assert marks == []
    # the restored database exports as the source did, in today's version
    assert export(target) == export(source)


def test_a_version_2_field_is_unknown_in_a_version_3_archive(
    new_db: Callable[[], Engine],
) -> None:
    lines = _sample_archive(new_db)
    at = next(i for i, line in enumerate(lines) if '"type":"comment"' in line)
    lines[at] = lines[at].replace('"type":"comment",', '"type":"comment","classified_hash":"x",')
    _fails(new_db, lines, f"line {at + 1}", "classified_hash", "unknown field")


def test_missing_required_field_is_named(new_db: Callable[[], Engine]) -> None:
    lines = _sample_archive(new_db)
    index = next(i for i, line in enumerate(lines) if '"type":"comment"' in line)
    record = json.loads(lines[index])
    del record["thread_id"]
    lines[index] = json.dumps(record) + "\n"
    error = _fails(new_db, lines, f"line {index + 1}", "comment 1", "'thread_id'", "missing")
    assert error.field == "thread_id"


def test_wrong_value_type_says_what_was_expected(new_db: Callable[[], Engine]) -> None:
    lines = _sample_archive(new_db)
    index = next(i for i, line in enumerate(lines) if '"type":"comment"' in line)
    lines[index] = lines[index].replace('"posted_at":"2014-11-04T03:32:00Z"', '"posted_at":"soon"')
    _fails(new_db, lines, "'posted_at'", "expected an ISO 8601 time")
    lines = _sample_archive(new_db)
    lines[index] = lines[index].replace('"status":"approved"', '"status":"hidden"')
    _fails(new_db, lines, "'status'", "one of pending, approved")


def test_reference_to_an_id_not_in_the_archive_is_refused(new_db: Callable[[], Engine]) -> None:
    lines = _sample_archive(new_db)
    index = next(i for i, line in enumerate(lines) if '"type":"comment"' in line)
    record = json.loads(lines[index])
    record["thread_id"] = 99
    lines[index] = json.dumps(record) + "\n"
    _fails(new_db, lines, "'thread_id'", "refers to thread 99")
    lines = _sample_archive(new_db)
    record = json.loads(lines[index])
    record["parent_id"] = 42
    lines[index] = json.dumps(record) + "\n"
    _fails(new_db, lines, f"line {index + 1}", "'parent_id'", "comment 42")


def test_truncated_archive_and_disordered_sections_are_refused(
    new_db: Callable[[], Engine],
) -> None:
    lines = _sample_archive(new_db)
    _fails(new_db, lines[:-3], "truncated")
    lines = _sample_archive(new_db)
    model = next(i for i, line in enumerate(lines) if '"type":"topic_model"' in line)
    lines.append(lines.pop(model))
    _fails(new_db, lines, "sections must come in the order")
    _fails(new_db, [], "empty archive")
    _fails(new_db, lines[1:], "line 1", "expected the archive header")
    lines = _sample_archive(new_db)
    lines.insert(2, '{"type":"vote","id":1}\n')
    _fails(new_db, lines, "line 3", "unknown record type 'vote'")


def test_replies_before_their_parent_are_linked(new_db: Callable[[], Engine]) -> None:
    lines = _sample_archive(new_db)
    comments = [i for i, line in enumerate(lines) if '"type":"comment"' in line]
    # swap the first comment's id with the last so the root comes after its reply
    recs = [json.loads(lines[i]) for i in comments]
    first = recs[0]
    renumber = {first["id"]: 50}
    for rec in recs:
        rec["id"] = renumber.get(rec["id"], rec["id"])
        if rec["parent_id"] in renumber:
            rec["parent_id"] = renumber[rec["parent_id"]]
    recs.append(recs.pop(0))
    for i, rec in zip(comments, recs, strict=True):
        lines[i] = json.dumps(rec, ensure_ascii=False) + "\n"
    rest = [json.loads(line) for line in lines[comments[-1] + 1 :]]
    for rec in rest:
        for name in ("comment_id", "target_id"):
            if rec.get(name) == 1 and (name == "comment_id" or rec.get("target_type") == "comment"):
                rec[name] = 50
    lines[comments[-1] + 1 :] = [json.dumps(r, ensure_ascii=False) + "\n" for r in rest]
    target = new_db()
    with session_scope(target) as session:
        load_archive(session, lines, batch=None)
    with Session(target) as session:
        by_key = {c.key: c for c in session.exec(select(Comment))}
        assert by_key["id:100"].id == 50
        assert by_key["id:101"].parent_id == 50


# ------------------------------------------------------------------- through `threads ingest`


def test_threads_ingest_restores_an_archive_file(
    new_db: Callable[[], Engine], tmp_path: Path
) -> None:
    from threads.ingest.service import ingest_paths

    source = new_db()
    build(source, sample_data())
    path = tmp_path / "backup.jsonl"
    with path.open("w", encoding="utf-8", newline="") as handle:
        dump_archive(source, handle)
    target = new_db()
    report = ingest_paths(target, [path])  # recognised by its header line
    (result,) = report.files
    assert result.status == "ok", result.error
    assert result.format == "jsonl"
    before, after = table_rows(source), table_rows(target)
    # the load is recorded apart from the archived tables, which hold exactly the archive
    (load,) = after.pop("archive_load")
    assert before.pop("archive_load") == []
    assert load["source_name"] == "backup.jsonl" and load["mode"] == "restore"
    assert load["sha256"] == result.sha256 and load["counts"]["comment"] == 7
    assert load["archive_as_of"] is not None
    assert result.counts["archive_load"] == load["id"] and result.batch_id is None
    assert after == before
    # so the export of the restored database is the archive, byte for byte
    assert export(target) == path.read_text(encoding="utf-8")
    again = ingest_paths(target, [path]).files[0]
    assert again.status == "unchanged" and table_rows(target)["comment"] == after["comment"]


def test_threads_ingest_reports_a_broken_archive_and_writes_nothing(
    new_db: Callable[[], Engine], tmp_path: Path
) -> None:
    from threads.ingest.service import ingest_paths

    source = new_db()
    build(source, sample_data())
    lines = export(source).splitlines(keepends=True)
    path = tmp_path / "broken.jsonl"
    path.write_text("".join(lines[:5]) + '{"type":"comment","id":"x"}\n', encoding="utf-8")
    target = new_db()
    (result,) = ingest_paths(target, [path], fmt="jsonl").files
    assert result.status == "failed"
    assert result.error is not None and "broken.jsonl line 6" in result.error
    assert all(rows == [] for rows in table_rows(target).values())
