"""`threads ingest` through the real CLI on both backends."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.conftest import FIXTURES
from tests.ingest_support import batches, counts, snapshot
from threads.archive.jsonl import dump_archive

runner = CliRunner()
SEEDS = [
    FIXTURES / "consortiumnews-us-policy-unites-iran-and-china.txt",
    FIXTURES / "blogger-china-iran-relationship.txt",
]


def ingest(db_url: str, *args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(
        app, ["ingest", *map(str, args)], env={"THREADS_DATABASE_URL": db_url, "NO_COLOR": "1"}
    )
    return result.exit_code, result.stdout, result.stderr


def test_seed_fixtures_import_exactly(db_url: str, engine: Engine) -> None:
    code, out, err = ingest(db_url, *SEEDS)
    assert code == 0, out + err
    db = snapshot(engine)
    assert len(db.threads) == 2
    closed = [t for t in db.threads if t["state"].value == "closed"]
    opened = [t for t in db.threads if t["state"].value == "open"]
    assert len(closed) == 1 and len(opened) == 1
    comments = db.comments_of(closed[0]["id"])
    assert [(c["author_name"], c["posted_text"]) for c in comments] == [
        ("Ahmad Mondegaran", "November 4, 2014 at 03:32"),
        ("nmb", "November 3, 2014 at 17:34"),
        ("Zachary Smith", "November 3, 2014 at 17:12"),
        ("Mujib Ahmed", "November 1, 2014 at 22:12"),
    ]
    assert comments[0]["posted_at"] == datetime(2014, 11, 4, 3, 32, tzinfo=UTC)
    assert all(c["body"].strip() for c in comments)
    assert db.comments_of(opened[0]["id"]) == []
    assert "Imported" in out and "threads closed" in out
    for batch in batches(engine):
        assert (batch["status"], batch["format"], batch["encoding"]) == ("ok", "text", "utf-8")
        assert len(batch["sha256"]) == 64 and batch["finished_at"] is not None
        assert batch["counts"]["comments"] in (0, 4)


def test_importing_twice_changes_nothing(db_url: str, engine: Engine, corpora: Path) -> None:
    paths = [*SEEDS, corpora / "wxr" / "isso-wordpress.xml"]
    code, _, _ = ingest(db_url, *paths)
    assert code == 0
    before, rows = counts(engine), snapshot(engine)
    code, out, _ = ingest(db_url, *paths)
    assert code == 0
    assert out.count("unchanged") >= 3
    assert counts(engine) == before
    assert snapshot(engine).comments == rows.comments


def test_failing_file_leaves_the_database_as_it_was(
    db_url: str, engine: Engine, corpora: Path, tmp_path: Path
) -> None:
    code, _, _ = ingest(db_url, *SEEDS)
    assert code == 0
    before = counts(engine)
    bad = corpora / "disqus" / "remark42-disqus.xml"
    code, out, err = ingest(db_url, bad)
    assert code == 1
    assert "remark42-disqus.xml" in err and "line 147, column 24" in err
    assert counts(engine) == before
    # a folder with a good and a bad file: the good one still imports
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(bad, folder / "a-bad.xml")
    shutil.copy(corpora / "disqus" / "isso-disqus.xml", folder / "b-good.xml")
    (folder / ".hidden.xml").write_text("not even xml", encoding="utf-8")
    code, out, err = ingest(db_url, folder)
    assert code == 1
    assert "a-bad.xml" in err and "b-good.xml" not in err and ".hidden" not in out + err
    assert counts(engine)["comment"] == before["comment"] + 6


def test_missing_path_is_named(db_url: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope.xml"
    code, out, err = ingest(db_url, missing)
    assert code == 1
    assert str(missing) in err


def test_unknown_json_is_refused_with_supported_formats(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    unknown = tmp_path / "settings.json"
    unknown.write_text('{"theme": "dark", "comments": false}\n')
    before = counts(engine)
    code, _, err = ingest(db_url, unknown)
    assert code == 1
    assert "settings.json" in err and "JSON that no reader recognises" in err
    assert "wxr" in err and "reddit" in err and "pushshift" in err
    assert counts(engine) == before


def test_updated_export_adds_only_new_comments_and_updates_state(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    def export(closed: bool, posts: int) -> str:
        items = "".join(
            f'<post dsq:id="{i}"><message>m{i}</message><author><name>a{i}</name></author>'
            f'<thread dsq:id="1"/></post>'
            for i in range(1, posts + 1)
        )
        return (
            '<?xml version="1.0"?><disqus xmlns="http://disqus.com" '
            'xmlns:dsq="http://disqus.com/disqus-internals">'
            f'<thread dsq:id="1"><id>t</id><link>https://e.org/t</link><title>T</title>'
            f"<isClosed>{'true' if closed else 'false'}</isClosed></thread>{items}</disqus>"
        )

    path = tmp_path / "export.xml"
    path.write_text(export(False, 3), encoding="utf-8")
    assert ingest(db_url, path)[0] == 0
    path.write_text(export(True, 5), encoding="utf-8")
    code, out, err = ingest(db_url, path)
    assert code == 0, out + err
    db = snapshot(engine)
    assert len(db.comments) == 5
    assert db.threads[0]["state"].value == "closed"
    last = batches(engine)[-1]
    assert last["counts"]["comments_new"] == 2
    assert last["counts"]["comments_unchanged"] == 3
    assert last["counts"]["threads_updated"] == 1


def test_forced_format_and_archive_round_trip(
    db_url: str, engine: Engine, corpora: Path, tmp_path: Path
) -> None:
    code, _, err = ingest(db_url, "--format", "wxr", corpora / "disqus" / "isso-disqus.xml")
    # read as WXR, a <disqus> document has no items: an error, not an import of nothing
    assert code == 1 and "isso-disqus.xml: read as a WordPress export (WXR)" in err
    assert "no thread or comment was found" in err
    assert counts(engine)["comment"] == 0 and batches(engine) == []
    assert ingest(db_url, corpora / "wxr" / "isso-wordpress.xml")[0] == 0
    archive = tmp_path / "archive.jsonl"
    with archive.open("w", encoding="utf-8") as out:
        dump_archive(engine, out)
    before = counts(engine)
    code, out, err = ingest(db_url, archive)
    assert code == 0, out + err
    after = counts(engine)
    assert {k: after[k] for k in ("article", "thread", "comment")} == {
        k: before[k] for k in ("article", "thread", "comment")
    }
    # the load is recorded apart from the import batches (see test_archive_roundtrip.py)
    assert [b["format"] for b in batches(engine)] == ["wxr"]
    assert "merge, archive load #1" in " ".join(out.split())


def test_bad_format_option_is_refused(db_url: str) -> None:
    code, _, err = ingest(db_url, "--format", "csv", *SEEDS)
    assert code == 1 and "csv" in err


def test_saved_pages_import_with_detected_encodings(
    db_url: str, engine: Engine, corpora: Path
) -> None:
    code, out, err = ingest(db_url, corpora / "html")
    assert code == 0, out + err
    by_name = {b["source_name"]: b for b in batches(engine)}
    assert len(by_name) == len(list((corpora / "html").iterdir()))
    assert all(b["format"] == "html" for b in by_name.values())
    assert by_name["trafilatura-nnz-online.de-Quantensprung.html"]["encoding"] == "iso8859-1"
    assert by_name["trafilatura-lemire.me.json.html"]["encoding"] == "utf-8"
    texts = [a["title"] + a["body"] for a in snapshot(engine).articles]
    assert any("für" in t for t in texts)


def test_summary_names_each_file_whole_at_80_columns(db_url: str, tmp_path: Path) -> None:
    deep = tmp_path / "archives" / "2014" / "november" / "saved-pages-from-the-browser"
    deep.mkdir(parents=True)
    page = deep / "consortiumnews-us-policy-unites-iran-and-china.txt"
    shutil.copyfile(FIXTURES / "consortiumnews-us-policy-unites-iran-and-china.txt", page)
    result = runner.invoke(
        app, ["ingest", str(page)], env={"THREADS_DATABASE_URL": db_url, "COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    # the file column folds long names: its cells, line after line, spell them out whole
    first_cells = "".join(re.split(r"\s{3,}", line.strip())[0] for line in lines)
    assert "saved-pages-from-the-browser/" in first_cells
    assert page.name in first_cells
