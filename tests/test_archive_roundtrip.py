"""The archive is a function of the data: export -> restore -> export gives the same bytes, on
SQLite, on PostgreSQL and from one to the other and back, for a database filled the way people
fill it (imports of several corpus files, a recovered one among them, classification, moderator
labels, moderation actions, a closed thread), all through the real CLI."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from typer.testing import CliRunner

from cli.app import app
from tests.conftest import PgDatabases
from threads.db import make_engine
from threads.models import ArchiveLoad
from threads.moderation.authors import author_of_comment

runner = CliRunner()

#: the corpus files the database is filled from (one per kind of source)
SEEDS = (
    "wxr/isso-wordpress.xml",
    "wxr/pelican-wordpressexport.xml",
    "disqus/isso-disqus.xml",
    "html/trafilatura-helge.at.mahu.html",
    "blogger/gbc-blogger-sample2.xml",
)
#: a saved page whose comments the shipped codebook classifies
PAGE = (
    Path(__file__).resolve().parent.parent
    / "fixtures"
    / ("consortiumnews-us-policy-unites-iran-and-china.txt")
)
#: a damaged file, salvaged with --recover
RECOVERED = "disqus/remark42-disqus.xml"


def threads(url: str, *args: str, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, ["--database-url", url, *args], env=env or {})
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def fill(url: str, corpora: Path) -> None:
    threads(url, "ingest", *(str(corpora / name) for name in SEEDS), str(PAGE))
    threads(url, "ingest", "--recover", str(corpora / RECOVERED))
    threads(url, "classify")
    threads(url, "moderate", "1", "spam", "--by", "ann", "--reason", "link farm")
    threads(url, "moderate", "2", "reject", "--by", "ann", "--reason", "off topic")
    threads(url, "moderate", "3", "delete", "--by", "bob")
    threads(url, "label", "4", "--add", "gold_reserves", "--by", "ann")
    threads(url, "label", "5", "--remove", "p5plus1_unity", "--by", "bob")
    threads(url, "close", "1", "--by", "ann", "--reason", "archived")
    # an author's standing and its audit event (archive version 4)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            site, author = author_of_comment(session, 4)
    finally:
        engine.dispose()
    threads(
        url,
        "author",
        "standing",
        site,
        author,
        "--set",
        "banned",
        "--reason",
        "flood",
        "--by",
        "ann",
    )


def archive_of(url: str, path: Path, env: dict[str, str] | None = None) -> bytes:
    threads(url, "export", "--format", "jsonl", "--out", str(path), env=env)
    return path.read_bytes()


@pytest.fixture
def sqlite_urls(sqlite_template: Path, tmp_path: Path) -> Iterator[Iterator[str]]:
    """Fresh migrated SQLite databases, one per ``next()``."""

    def make() -> Iterator[str]:
        while True:
            path = tmp_path / f"db-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(sqlite_template, path)
            yield f"sqlite:///{path}"

    yield make()


@pytest.fixture
def pg_urls(pg_databases: PgDatabases) -> Iterator[Iterator[str]]:
    """Fresh migrated PostgreSQL databases, one per ``next()``, dropped at the end."""
    made: list[str] = []

    def make() -> Iterator[str]:
        while True:
            url = pg_databases.migrated()
            made.append(url)
            yield url

    try:
        yield make()
    finally:
        for url in made:
            pg_databases.drop(url)


def loads(url: str) -> list[tuple[str, str]]:
    engine = make_engine(url)
    try:
        table: sa.Table = ArchiveLoad.__table__  # type: ignore[attr-defined]
        with engine.connect() as conn:
            return [(r.source_name, r.mode) for r in conn.execute(sa.select(table))]
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_export_restore_export_is_byte_identical_on_each_backend(
    request: pytest.FixtureRequest, corpora: Path, tmp_path: Path, backend_name: str
) -> None:
    urls: Iterator[str] = request.getfixturevalue(
        "sqlite_urls" if backend_name == "sqlite" else "pg_urls"
    )
    source, target = next(urls), next(urls)
    fill(source, corpora)
    first = archive_of(source, tmp_path / "first.jsonl")
    assert archive_of(source, tmp_path / "again.jsonl") == first
    assert b'{"type":"author_standing"' in first and b'"standing":"banned"' in first
    header = json.loads(first.split(b"\n", 1)[0])
    counts = header["counts"]
    assert counts["import_batch"] == len(SEEDS) + 2
    assert counts["event"] >= 6 and counts["topic_label"] > 2 and counts["comment"] > 30
    threads(target, "ingest", str(tmp_path / "first.jsonl"))
    assert archive_of(target, tmp_path / "second.jsonl") == first
    assert loads(target) == [("first.jsonl", "restore")]
    # the recovered batch travels with its mark
    batches = [json.loads(line) for line in first.splitlines() if b'"import_batch"' in line[:30]]
    assert [b["counts"].get("recovered") for b in batches].count(True) == 1


def test_sqlite_to_postgresql_to_sqlite_is_byte_identical(
    sqlite_urls: Iterator[str], pg_urls: Iterator[str], corpora: Path, tmp_path: Path
) -> None:
    sqlite_a, postgres, sqlite_b = next(sqlite_urls), next(pg_urls), next(sqlite_urls)
    fill(sqlite_a, corpora)
    first = archive_of(sqlite_a, tmp_path / "a.jsonl")
    threads(postgres, "ingest", str(tmp_path / "a.jsonl"))
    second = archive_of(postgres, tmp_path / "b.jsonl")
    assert second == first
    threads(sqlite_b, "ingest", str(tmp_path / "b.jsonl"))
    assert archive_of(sqlite_b, tmp_path / "c.jsonl") == first


def test_postgresql_to_sqlite_is_byte_identical(
    sqlite_urls: Iterator[str], pg_urls: Iterator[str], corpora: Path, tmp_path: Path
) -> None:
    postgres, sqlite = next(pg_urls), next(sqlite_urls)
    fill(postgres, corpora)
    first = archive_of(postgres, tmp_path / "a.jsonl")
    threads(sqlite, "ingest", str(tmp_path / "a.jsonl"))
    assert archive_of(sqlite, tmp_path / "b.jsonl") == first


def test_source_date_epoch_fixes_the_header_time_and_nothing_else(
    sqlite_urls: Iterator[str], corpora: Path, tmp_path: Path
) -> None:
    url = next(sqlite_urls)
    threads(url, "ingest", str(corpora / SEEDS[0]))
    plain = archive_of(url, tmp_path / "plain.jsonl")
    fixed = archive_of(url, tmp_path / "fixed.jsonl", env={"SOURCE_DATE_EPOCH": "1700000000"})
    plain_header, plain_rest = plain.split(b"\n", 1)
    fixed_header, fixed_rest = fixed.split(b"\n", 1)
    assert fixed_rest == plain_rest
    assert json.loads(fixed_header)["as_of"] == "2023-11-14T22:13:20Z"
    # without it, the header time is the newest time in the data, never the time of the export
    rows = [json.loads(line) for line in plain_rest.splitlines()]
    times = [v for r in rows for k, v in r.items() if k.endswith("_at") and isinstance(v, str)]
    assert json.loads(plain_header)["as_of"] == max(times)
    restored = next(sqlite_urls)
    threads(restored, "ingest", str(tmp_path / "fixed.jsonl"))
    assert (
        archive_of(restored, tmp_path / "again.jsonl", env={"SOURCE_DATE_EPOCH": "1700000000"})
        == fixed
    )
