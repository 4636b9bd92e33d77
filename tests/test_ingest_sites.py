"""Sites: an article's identity is unique within its site; re-imports say what they change."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.archive_builders import table_rows
from tests.ingest_support import ingest_one
from threads.db import downgrade, make_engine, upgrade
from threads.errors import InvalidInput
from threads.ingest.service import ingest_paths
from threads.models import Article, Comment, Site, Thread

SLASHES = "wxr/wpimporter-slashes.xml"
VALID = "wxr/wpimporter-valid-wxr-1.0.xml"


def by_site(engine: Engine) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """Per site key: its articles (key, title, body) and comments (article key, key, body)."""
    site, article = Site.__table__, Article.__table__  # type: ignore[attr-defined]
    thread, comment = Thread.__table__, Comment.__table__  # type: ignore[attr-defined]
    out: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
    with engine.connect() as conn:
        for row in conn.execute(
            sa.select(site.c.key, article.c.key, article.c.title, article.c.body)
            .join(article, article.c.site_id == site.c.id)
            .order_by(site.c.key, article.c.key)
        ):
            out.setdefault(row[0], {"articles": [], "comments": []})["articles"].append(row[1:])
        for row in conn.execute(
            sa.select(site.c.key, article.c.key, comment.c.key, comment.c.body)
            .join(article, article.c.site_id == site.c.id)
            .join(thread, thread.c.article_id == article.c.id)
            .join(comment, comment.c.thread_id == thread.c.id)
            .order_by(site.c.key, article.c.key, comment.c.key)
        ):
            out[row[0]]["comments"].append(row[1:])
    return out


def test_two_wordpress_blogs_with_the_same_guids_import_side_by_side(
    new_db: Callable[[], Engine], corpora: Path
) -> None:
    # both exports come from http://localhost/ and both have the post guid ?p=1
    alone_a, alone_b, both = new_db(), new_db(), new_db()
    assert ingest_one(alone_a, corpora / SLASHES).status == "ok"
    assert ingest_one(alone_b, corpora / VALID).status == "ok"
    report = ingest_paths(both, [corpora / SLASHES, corpora / VALID])
    assert [f.status for f in report.files] == ["ok", "ok"]
    assert [f.counts["articles_updated"] for f in report.files] == [0, 0]
    sites = by_site(both)
    assert sorted(sites) == ["localhost:export-dataset", "localhost:trunk"]
    assert sites["localhost:trunk"] == by_site(alone_a)["localhost:trunk"]
    assert sites["localhost:export-dataset"] == by_site(alone_b)["localhost:export-dataset"]
    slashes = sites["localhost:trunk"]
    assert len(slashes["articles"]) == 1 and len(slashes["comments"]) == 1
    # the same files again: unchanged, nothing written
    rows = table_rows(both)
    again = ingest_paths(both, [corpora / SLASHES, corpora / VALID])
    assert [f.status for f in again.files] == ["unchanged", "unchanged"]
    assert table_rows(both) == rows


def test_a_renamed_copy_matches_every_row_and_says_unchanged(
    engine: Engine, corpora: Path, tmp_path: Path
) -> None:
    assert ingest_one(engine, corpora / VALID).status == "ok"
    copy = tmp_path / "copy.xml"
    copy.write_bytes((corpora / VALID).read_bytes() + b"\n<!-- saved again -->\n")
    result = ingest_one(engine, copy)
    assert result.status == "ok"
    counts = result.counts
    assert counts["articles_new"] == 0 and counts["articles_updated"] == 0
    assert counts["articles_unchanged"] == counts["articles"] > 0
    assert counts["comments_new"] == counts["comments_updated"] == 0
    assert counts["comments_unchanged"] == counts["comments"] > 0
    assert counts["sites_new"] == 0 and counts["site_keys"] == ["localhost:export-dataset"]


def test_every_format_names_its_site(engine: Engine, corpora: Path) -> None:
    files = {
        "disqus/isso-disqus.xml": None,
        "blogger/pelican-bloggerexport.xml": "blogger:6303278419262689239",
        "blogger/gbc-blogger-sample.xml": "jlueck.wordpress.com",
        "html/trafilatura-lemire.me.json.html": "lemire.me",
    }
    for name, expected in files.items():
        result = ingest_one(engine, corpora / name)
        assert result.status == "ok", result.error
        if expected is not None:
            assert result.counts["site_keys"] == [expected], name
    seed = (
        Path(__file__).parent.parent / "fixtures/consortiumnews-us-policy-unites-iran-and-china.txt"
    )
    assert ingest_one(engine, seed).counts["site_keys"] == ["unknown"]  # a page without address


def test_disqus_threads_go_to_their_forum(engine: Engine, tmp_path: Path) -> None:
    export = tmp_path / "two-forums.xml"
    export.write_text(
        '<?xml version="1.0"?><disqus xmlns="http://disqus.com" '
        'xmlns:dsq="http://disqus.com/disqus-internals">'
        '<thread dsq:id="1"><forum>Radiot</forum><link>https://a.org/1</link></thread>'
        '<thread dsq:id="2"><forum>other</forum><link>https://a.org/1</link></thread>'
        '<post dsq:id="9"><message>hi</message><thread dsq:id="1"/></post>'
        '<post dsq:id="9"><message>hi</message><thread dsq:id="2"/></post>'
        "</disqus>",
        encoding="utf-8",
    )
    result = ingest_one(engine, export)
    assert result.status == "ok" and result.counts["site_keys"] == ["disqus:other", "disqus:radiot"]
    assert sorted(by_site(engine)) == ["disqus:other", "disqus:radiot"]


def test_site_option_puts_every_thread_in_that_site(
    engine: Engine, corpora: Path, tmp_path: Path
) -> None:
    assert ingest_one(engine, corpora / SLASHES).status == "ok"
    copy = tmp_path / "slashes-copy.xml"
    copy.write_bytes((corpora / SLASHES).read_bytes() + b"\n")
    report = ingest_paths(engine, [copy], site="Mirror.example")
    [result] = report.files
    assert result.status == "ok" and result.counts["site_keys"] == ["mirror.example"]
    assert result.counts["articles_new"] == 1 and result.counts["sites_new"] == 1
    sites = by_site(engine)
    assert sites["mirror.example"]["articles"] == sites["localhost:trunk"]["articles"]
    with engine.connect() as conn:
        name = conn.execute(sa.select(Site.name).where(Site.key == "mirror.example")).scalar()
    assert name == "trunk"  # named as the file names its blog
    with pytest.raises(InvalidInput, match="site key 'no spaces please' is not valid"):
        ingest_paths(engine, [copy], site="no spaces please")


def _edited_copy(source: Path, target: Path) -> Path:
    text = source.read_text(encoding="utf-8")
    text = text.replace("Hi, this is a comment.", "Hi, this comment was edited.", 1)
    text = text.replace(
        "<wp:comment_approved>1</wp:comment_approved>",
        "<wp:comment_approved>spam</wp:comment_approved>",
        1,
    )
    target.write_text(text, encoding="utf-8")
    return target


def test_an_import_that_changes_existing_comments_says_which(
    engine: Engine, corpora: Path, tmp_path: Path
) -> None:
    assert ingest_one(engine, corpora / VALID).status == "ok"
    with engine.connect() as conn:
        [comment_id] = conn.execute(sa.select(Comment.id)).scalars().all()
    result = ingest_one(engine, _edited_copy(corpora / VALID, tmp_path / "edited.xml"))
    assert result.status == "ok"
    assert result.counts["comments_text_changed"] == 1
    assert result.counts["comments_status_changed"] == 1
    assert result.counts["changed"] == [
        {
            "id": comment_id,
            "changed": ["body", "status", "content_hash"],
            "status": ["approved", "spam"],
        }
    ]


def test_dry_run_reports_everything_and_writes_nothing(
    engine: Engine, corpora: Path, tmp_path: Path
) -> None:
    empty = table_rows(engine)
    dry = ingest_paths(engine, [corpora / VALID], dry_run=True)
    [result] = dry.files
    assert dry.dry_run and result.status == "ok" and result.batch_id is None
    assert result.counts["articles_new"] == 6 and result.counts["comments_new"] == 1
    assert table_rows(engine) == empty
    assert ingest_one(engine, corpora / VALID).status == "ok"  # not taken for imported
    rows = table_rows(engine)
    edited = ingest_paths(engine, [_edited_copy(corpora / VALID, tmp_path / "e.xml")], dry_run=True)
    counts = edited.files[0].counts
    assert counts["comments_text_changed"] == counts["comments_status_changed"] == 1
    assert table_rows(engine) == rows


def test_cli_dry_run_and_site(db_url: str, corpora: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"THREADS_DATABASE_URL": db_url, "COLUMNS": "120"}
    result = runner.invoke(app, ["ingest", "--dry-run", str(corpora / SLASHES)], env=env)
    assert result.exit_code == 0, result.output
    assert "dry run: nothing was written" in result.output and "Would import" in result.output
    result = runner.invoke(app, ["ingest", "--site", "blog-a", str(corpora / SLASHES)], env=env)
    assert result.exit_code == 0, result.output
    assert "blog-a" in result.output and "+1 ~0 =0" in result.output
    result = runner.invoke(app, ["ingest", "--site", "Bad Key", str(corpora / SLASHES)], env=env)
    assert result.exit_code == 1 and "site key 'Bad Key' is not valid" in result.output


def test_migration_moves_existing_articles_to_derived_sites(empty_db_url: str) -> None:
    from tests.moderation_support import make_thread_before_sites

    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0003")
        make_thread_before_sites(engine)
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE article SET source_format = 'disqus', extra = :extra "
                    "WHERE key = 'test:old'"
                ),
                {"extra": json.dumps({"forum": "Radiot"})},
            )
        upgrade(engine)
        with engine.connect() as conn:
            sites = conn.execute(sa.text("SELECT key, name FROM site")).all()
            [site_id] = conn.execute(sa.text("SELECT site_id FROM article")).scalars().all()
        assert [tuple(s) for s in sites] == [("disqus:radiot", "Radiot")]
        assert site_id is not None
        downgrade(engine, "0003")
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT key FROM article")).scalars().all() == ["test:old"]
        upgrade(engine)
    finally:
        engine.dispose()


def test_downgrade_below_sites_refuses_keys_two_sites_share(
    new_db: Callable[[], Engine], corpora: Path
) -> None:
    engine = new_db()
    ingest_paths(engine, [corpora / SLASHES, corpora / VALID])
    with pytest.raises(Exception, match="several sites have an article with the key"):
        downgrade(engine, "0003")
    assert sorted(by_site(engine)) == ["localhost:export-dataset", "localhost:trunk"]


def test_a_version_1_archive_loads_into_the_sites_of_its_addresses(
    new_db: Callable[[], Engine], corpora: Path, tmp_path: Path
) -> None:
    from threads.archive.jsonl import dump_archive

    source = new_db()
    assert ingest_one(source, corpora / "disqus/remark42-disqus.xml").status != "ok"  # broken
    assert ingest_one(source, corpora / "html/trafilatura-lemire.me.json.html").status == "ok"
    archive = tmp_path / "v2.jsonl"
    with archive.open("w", encoding="utf-8") as out:
        dump_archive(source, out)
    # the same archive as version 1 wrote it: no site records, articles without site_id
    old = []
    for line in archive.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["type"] == "archive":
            record["version"] = 1
            record["counts"].pop("site")
        elif record["type"] == "site":
            continue
        elif record["type"] == "article":
            record.pop("site_id")
        old.append(json.dumps(record, ensure_ascii=False))
    v1 = tmp_path / "v1.jsonl"
    v1.write_text("\n".join(old) + "\n", encoding="utf-8")
    target = new_db()
    result = ingest_one(target, v1)
    assert result.status == "ok", result.error
    assert sorted(by_site(target)) == ["lemire.me"]
    assert by_site(target) == by_site(source)


def test_site_keys_of_another_copy_do_not_depend_on_file_order(
    new_db: Callable[[], Engine], corpora: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in (SLASHES, VALID):
        shutil.copy(corpora / name, folder / Path(name).name)
    one, two = new_db(), new_db()
    ingest_paths(one, [folder / Path(VALID).name, folder / Path(SLASHES).name])
    ingest_paths(two, [folder])
    assert by_site(one) == by_site(two)
