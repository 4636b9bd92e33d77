"""``threads ingest --recover``: damaged XML is salvaged, each repair a warning with its line,
and the batch says it was recovered; without the option the error says the option exists."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.ingest_support import BATCH, counts, snapshot
from threads.ingest.service import ingest_paths

REMARK42 = (
    "remark42-disqus.xml",
    "remark42-disqus-deleted-post.xml",
    "remark42-disqus-deleted-thread.xml",
)
#: what lxml's recovery parser says about ``<thread dsq:id=247937687/>`` on line 147
REPAIRS = [
    "line 147, column 24: repaired: AttValue: \" or ' expected",
    "line 147, column 24: repaired: attributes construct error",
    "line 147, column 24: repaired: Couldn't find end of Start Tag thread line 147",
]


@pytest.mark.parametrize("name", REMARK42)
def test_recover_salvages_every_post_of_the_remark42_samples(
    engine: Engine, corpora: Path, name: str
) -> None:
    path = corpora / "disqus" / name
    report = ingest_paths(engine, [path], recover=True)
    result = report.files[0]
    assert result.status == "ok", result.error
    assert result.counts["recovered"] is True and result.counts["repairs"] == 3
    assert [w.removeprefix(f"{name}: ") for w in result.warnings if "repaired" in w] == REPAIRS
    db = snapshot(engine)
    # the two threads of the file, and the placeholder that keeps the post whose thread
    # reference was the broken attribute (nothing is dropped)
    assert sorted(a["key"] for a in db.articles) == [
        "disqus:(none)",
        "disqus:247918464",
        "disqus:247937687",
    ]
    assert len(db.comments) == 6
    assert db.statuses["spam"] == 1
    assert db.statuses["deleted"] == (1 if name == "remark42-disqus-deleted-post.xml" else 0)
    assert db.statuses["approved"] == (4 if name == "remark42-disqus-deleted-post.xml" else 5)
    assert db.closed == 1
    garbage = db.comment("x299986073")
    assert garbage["body"] == "some bad comment"
    assert garbage["author_name"] == "Noname"
    placeholder = db.thread_of(db.article(key="disqus:(none)")["id"])
    assert garbage["thread_id"] == placeholder["id"]
    assert any("post x299986073 names no thread" in w for w in result.warnings)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(BATCH.c.counts, BATCH.c.warnings)).one()
    assert stored.counts["recovered"] is True and stored.counts["repairs"] == 3
    assert sum("repaired" in w for w in stored.warnings) == 3


@pytest.mark.parametrize("name", REMARK42)
def test_without_recover_the_error_names_the_option(
    engine: Engine, corpora: Path, name: str
) -> None:
    before = counts(engine)
    result = ingest_paths(engine, [corpora / "disqus" / name]).files[0]
    assert result.status == "failed"
    assert result.error is not None
    assert "line 147, column 24" in result.error and "--recover" in result.error
    assert counts(engine) == before


def test_recover_on_a_well_formed_file_changes_nothing_but_the_mark(
    engine: Engine, corpora: Path
) -> None:
    result = ingest_paths(engine, [corpora / "disqus" / "isso-disqus.xml"], recover=True).files[0]
    assert result.status == "ok", result.error
    assert result.counts["recovered"] is True and result.counts["repairs"] == 0
    assert not [w for w in result.warnings if "repaired" in w]
    assert result.counts["comments"] == 6


def test_recover_repairs_an_unclosed_wxr_comment_and_names_its_line(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "broken.xml"
    path.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Blog</title><link>https://blog.example</link>
<item><title>Post</title><link>https://blog.example/p</link><wp:post_id>1</wp:post_id>
<wp:post_type>post</wp:post_type><wp:status>publish</wp:status>
<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_author>Ann</wp:comment_author>
<wp:comment_content>first & only</wp:comment_content>
<wp:comment_approved>1</wp:comment_approved></wp:comment>
<wp:comment><wp:comment_id>2</wp:comment_id><wp:comment_author>Bob</wp:comment_author>
<wp:comment_content>a reply</wp:comment_content><wp:comment_parent>1</wp:comment_parent>
<wp:comment_approved>1</wp:comment_approved></wp:comment>
</item></channel>
""",
        encoding="utf-8",
    )
    failed = ingest_paths(engine, [path]).files[0]
    assert failed.status == "failed" and failed.error is not None
    assert "line 7" in failed.error and "--recover" in failed.error
    result = ingest_paths(engine, [path], recover=True).files[0]
    assert result.status == "ok", result.error
    # the bare "&" is the repair lxml reports; the missing </rss> at the end it closes silently
    assert [w for w in result.warnings if "repaired" in w] == [
        "broken.xml: line 7, column 28: repaired: xmlParseEntityRef: no name"
    ]
    assert result.counts["repairs"] == 1
    db = snapshot(engine)
    assert sorted(c["author_name"] for c in db.comments) == ["Ann", "Bob"]
    assert db.replies == 1
    assert db.comment("1")["body"].startswith("first")


def test_cli_recover_marks_the_batch_in_the_files_table(db_url: str, corpora: Path) -> None:
    runner = CliRunner()
    path = corpora / "disqus" / "remark42-disqus.xml"
    refused = runner.invoke(app, ["--database-url", db_url, "ingest", str(path)])
    assert refused.exit_code == 1
    assert "--recover" in refused.stderr
    done = runner.invoke(app, ["--database-url", db_url, "ingest", "--recover", str(path)])
    assert done.exit_code == 0, done.output
    assert "recovered (3 repairs)" in " ".join(done.stdout.split())
    assert "repaired: AttValue" in done.stdout


def test_threads_imports_lists_the_recovered_batch_and_archive_loads(
    db_url: str, corpora: Path, tmp_path: Path
) -> None:
    runner = CliRunner()

    def threads(*args: str) -> str:
        done = runner.invoke(app, ["--database-url", db_url, *args], env={"COLUMNS": "200"})
        assert done.exit_code == 0, done.output
        return " ".join(done.stdout.split())

    assert "no imports yet" in threads("imports")
    threads("ingest", str(corpora / "disqus" / "isso-disqus.xml"))
    threads("ingest", "--recover", str(corpora / "disqus" / "remark42-disqus.xml"))
    archive = tmp_path / "backup.jsonl"
    threads("export", "--out", str(archive))
    listed = threads("imports")
    assert "batch #2 │ remark42-disqus.xml │ disqus │ ok" in listed
    assert "│ 6 │ 8 │ yes (3 repairs)" in listed
    assert "batch #1 │ isso-disqus.xml │ disqus │ ok" in listed
    # an archive loaded into a database that has rows is a merge, listed apart from batches
    threads("ingest", str(archive))
    listed = threads("imports", "--limit", "1")
    assert "archive load #1 │ backup.jsonl │ jsonl │ merge" in listed
    assert "batch #" not in listed
