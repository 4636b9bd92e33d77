"""Site filters: two WordPress blogs imported side by side, and every report, queue, export and
listing narrowed to one site gives exactly that site's threads and comments (library, CLI, API).
"""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.api_fixtures import assert_problem, client, make_keys  # noqa: F401
from threads.analysis.common import ReportQuery
from threads.analysis.data import CorpusReport, ThreadReport
from threads.analysis.report import build_report, comment_table
from threads.archive import EXPORT_FORMATS, export
from threads.db import session_scope
from threads.errors import InvalidInput, NotFound
from threads.ingest.service import ingest_paths
from threads.models import Article, Comment, CommentStatus, Role, Site, Thread
from threads.moderation.audit import Actor
from threads.moderation.queue import QueueFilter, list_queue
from threads.moderation.service import apply_action, bulk_action
from threads.site_directory import find_site, list_sites

SLASHES = "wxr/wpimporter-slashes.xml"
VALID = "wxr/wpimporter-valid-wxr-1.0.xml"
TRUNK = "localhost:trunk"  # the "Slashes" blog: 1 post, 1 comment
DATASET = "localhost:export-dataset"  # the other blog: 6 posts, 1 comment
EVERY_STATUS = tuple(CommentStatus)
EVERY_STATUS_NAME = tuple(s.value for s in CommentStatus)
MOD = Actor.user("site-tester")


@dataclass(frozen=True)
class Own:
    """What one site holds, read straight from the tables."""

    threads: list[int]
    comments: list[int]


@pytest.fixture
def two_blogs(engine: Engine, corpora: Path) -> dict[str, Own]:
    """Both exports imported side by side; the trunk blog's comment flagged by a moderator
    (so the queue and the moderation summary have something of one site only)."""
    report = ingest_paths(engine, [corpora / SLASHES, corpora / VALID])
    assert [f.status for f in report.files] == ["ok", "ok"]
    own = own_rows(engine)
    assert sorted(own) == [DATASET, TRUNK]
    assert (len(own[TRUNK].threads), len(own[TRUNK].comments)) == (1, 1)
    assert (len(own[DATASET].threads), len(own[DATASET].comments)) == (6, 1)
    with session_scope(engine) as session:
        apply_action(session, own[TRUNK].comments[0], "flag", actor=MOD, role=Role.ADMIN)
    return own


def own_rows(engine: Engine) -> dict[str, Own]:
    site, article = Site.__table__, Article.__table__  # type: ignore[attr-defined]
    thread, comment = Thread.__table__, Comment.__table__  # type: ignore[attr-defined]
    threads: dict[str, list[int]] = {}
    comments: dict[str, list[int]] = {}
    with engine.connect() as conn:
        for key, tid in conn.execute(
            sa.select(site.c.key, thread.c.id)
            .join(article, article.c.site_id == site.c.id)
            .join(thread, thread.c.article_id == article.c.id)
            .order_by(thread.c.id)
        ):
            threads.setdefault(key, []).append(tid)
        for key, cid in conn.execute(
            sa.select(site.c.key, comment.c.id)
            .join(article, article.c.site_id == site.c.id)
            .join(thread, thread.c.article_id == article.c.id)
            .join(comment, comment.c.thread_id == thread.c.id)
            .order_by(comment.c.id)
        ):
            comments.setdefault(key, []).append(cid)
    return {key: Own(ids, comments.get(key, [])) for key, ids in threads.items()}


def exported_ids(fmt: str, text: str) -> tuple[list[int], list[int]]:
    """(thread ids, comment ids) an export holds, read from its own format."""
    if fmt == "jsonl":
        records = [json.loads(line) for line in text.splitlines()]
        return (
            [r["id"] for r in records if r["type"] == "thread"],
            [r["id"] for r in records if r["type"] == "comment"],
        )
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        return (
            sorted({int(r["thread_id"]) for r in rows}),
            [int(r["comment_id"]) for r in rows],
        )
    if fmt == "wxr":  # an item per thread, carrying its article id
        return (
            [int(i) for i in re.findall(r"<wp:post_id>(\d+)</wp:post_id>", text)],
            [int(i) for i in re.findall(r"<wp:comment_id>(\d+)</wp:comment_id>", text)],
        )
    assert fmt == "disqus"
    return (
        [int(i) for i in re.findall(r'^  <thread dsq:id="(\d+)">', text, re.M)],
        [int(i) for i in re.findall(r'^  <post dsq:id="(\d+)">', text, re.M)],
    )


def thread_articles(engine: Engine) -> dict[int, int]:
    thread = Thread.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return {tid: aid for tid, aid in conn.execute(sa.select(thread.c.id, thread.c.article_id))}


# --------------------------------------------------------------------------- library


def test_sites_are_listed_with_their_counts(engine: Engine, two_blogs: dict[str, Own]) -> None:
    listed = {s.key: s for s in list_sites(engine)}
    assert sorted(listed) == [DATASET, TRUNK]
    assert (listed[TRUNK].name, listed[TRUNK].articles, listed[TRUNK].comments) == ("trunk", 1, 1)
    assert (listed[DATASET].articles, listed[DATASET].comments) == (6, 1)
    assert listed[TRUNK].base_url == "http://localhost/"
    with engine.connect() as conn:
        assert find_site(conn, "  LocalHost:Trunk ").key == TRUNK  # any case, as ingest takes it


def test_report_of_a_site_covers_its_threads_only(
    engine: Engine, two_blogs: dict[str, Own]
) -> None:
    for key, own in two_blogs.items():
        query = ReportQuery(site=key, statuses=EVERY_STATUS_NAME, terms=False)
        report = build_report(engine, query)
        assert isinstance(report, CorpusReport)
        assert [t.thread_id for t in report.threads] == own.threads
        assert report.manifest.comments == len(own.comments)
        assert report.manifest.filters["site"] == key
        assert report.manifest.filters["threads"] == "all"
        records, _, _ = comment_table(engine, query)
        assert [r.comment_id for r in records] == own.comments
    # the moderator's flag is on the trunk blog: only its report shows it
    trunk = build_report(engine, ReportQuery(site=TRUNK, terms=False))
    other = build_report(engine, ReportQuery(site=DATASET, terms=False))
    assert isinstance(trunk, CorpusReport) and isinstance(other, CorpusReport)
    assert [a.actor for a in trunk.moderation.actions_by_actor] == ["site-tester"]
    assert other.moderation.actions_by_actor == [] and other.moderation.last_actions == []
    assert trunk.moderation.queue["flagged"] == 1 and other.moderation.queue["flagged"] == 0


def test_report_of_threads_within_a_site(engine: Engine, two_blogs: dict[str, Own]) -> None:
    [trunk_thread] = two_blogs[TRUNK].threads
    one = build_report(engine, ReportQuery(thread_ids=(trunk_thread,), site=TRUNK, terms=False))
    assert isinstance(one, ThreadReport) and one.header.id == trunk_thread
    everything = build_report(engine, ReportQuery(all_threads=True, site=DATASET, terms=False))
    assert isinstance(everything, CorpusReport)
    assert [t.thread_id for t in everything.threads] == two_blogs[DATASET].threads
    foreign = two_blogs[DATASET].threads[:2]
    with pytest.raises(InvalidInput, match=r"threads \d+, \d+ are not in site 'localhost:trunk'"):
        build_report(engine, ReportQuery(thread_ids=(trunk_thread, *foreign), site=TRUNK))


def test_queue_of_a_site_lists_its_comments_only(engine: Engine, two_blogs: dict[str, Own]) -> None:
    with session_scope(engine) as session:
        for key, own in two_blogs.items():
            page = list_queue(session, QueueFilter(statuses=EVERY_STATUS, site=key), limit=500)
            assert sorted(i.comment.id or 0 for i in page.items) == own.comments
            assert page.total == len(own.comments)
        # the default queue (pending and flagged) holds the trunk blog's flagged comment only
        assert list_queue(session, QueueFilter(site=DATASET)).total == 0
        flagged = list_queue(session, QueueFilter(site=TRUNK.upper()))
        assert [i.comment.id for i in flagged.items] == two_blogs[TRUNK].comments
        # filters combine: a thread of the other site gives nothing
        other_thread = QueueFilter(
            statuses=EVERY_STATUS, site=TRUNK, thread_id=two_blogs[DATASET].threads[0]
        )
        assert list_queue(session, other_thread).total == 0


def test_bulk_action_on_a_site_filter_touches_that_site_only(
    engine: Engine, two_blogs: dict[str, Own]
) -> None:
    flt = QueueFilter(statuses=(CommentStatus.APPROVED,), site=DATASET)
    results = bulk_action(engine, None, "flag", actor=MOD, role=Role.ADMIN, filter=flt)
    assert [r.comment_id for r in results if r.ok] == two_blogs[DATASET].comments
    with session_scope(engine) as session:
        flagged = list_queue(session, QueueFilter(statuses=(CommentStatus.FLAGGED,)), limit=500)
    assert sorted(i.comment.id or 0 for i in flagged.items) == sorted(
        two_blogs[DATASET].comments + two_blogs[TRUNK].comments
    )


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_export_of_a_site_holds_its_threads_only(
    engine: Engine, two_blogs: dict[str, Own], fmt: str
) -> None:
    articles = thread_articles(engine)
    for key, own in two_blogs.items():
        out = io.StringIO()
        counts = export(engine, fmt, out, site=key)
        threads, comments = exported_ids(fmt, out.getvalue())
        expected_threads = [articles[t] for t in own.threads] if fmt == "wxr" else own.threads
        if fmt != "csv":  # the CSV has a row per comment, so only threads with comments
            assert threads == expected_threads
        assert comments == own.comments
        assert counts["comment"] == len(own.comments)
    archive = io.StringIO()
    export(engine, "jsonl", archive, site=TRUNK)
    records = [json.loads(line) for line in archive.getvalue().splitlines()]
    assert records[0]["scope"] == {"site": TRUNK}
    assert [r["key"] for r in records if r["type"] == "site"] == [TRUNK]
    assert [r["type"] for r in records].count("event") == 1  # the flag, on this site


def test_export_of_threads_within_a_site(engine: Engine, two_blogs: dict[str, Own]) -> None:
    [trunk_thread] = two_blogs[TRUNK].threads
    out = io.StringIO()
    export(engine, "jsonl", out, thread_ids=[trunk_thread], site=TRUNK)
    header = json.loads(out.getvalue().splitlines()[0])
    assert header["scope"] == {"site": TRUNK, "threads": [trunk_thread]}
    with pytest.raises(InvalidInput, match=r"thread \d+ is not in site 'localhost:trunk'"):
        export(engine, "csv", io.StringIO(), thread_ids=two_blogs[DATASET].threads[:1], site=TRUNK)


def test_an_unknown_site_key_is_refused_naming_the_known_ones(
    engine: Engine, two_blogs: dict[str, Own]
) -> None:
    message = re.escape(f"no site with key 'nope' (known: {DATASET}, {TRUNK})")
    with pytest.raises(NotFound, match=message) as caught:
        build_report(engine, ReportQuery(site="nope"))
    assert caught.value.code == "site_not_found"
    assert caught.value.extra["known_sites"] == [DATASET, TRUNK]
    with pytest.raises(NotFound, match=message):
        export(engine, "wxr", io.StringIO(), site="nope")
    with session_scope(engine) as session, pytest.raises(NotFound, match=message):
        list_queue(session, QueueFilter(site="nope"))
    with pytest.raises(NotFound, match=message):
        bulk_action(
            engine, None, "flag", actor=MOD, role=Role.ADMIN, filter=QueueFilter(site="nope")
        )
    with pytest.raises(InvalidInput, match="site contains a NUL character"):
        QueueFilter(site="a\x00b")
    with pytest.raises(InvalidInput, match="site must be a site key"):
        QueueFilter(site="  ")


def test_an_unknown_site_in_an_empty_database_says_there_are_none(engine: Engine) -> None:
    with pytest.raises(NotFound, match="there are no sites yet"):
        export(engine, "jsonl", io.StringIO(), site="nope")


# --------------------------------------------------------------------------- CLI


def _cli(db_url: str, *args: str) -> Any:
    env = {"THREADS_DATABASE_URL": db_url, "COLUMNS": "200", "NO_COLOR": "1"}
    return CliRunner().invoke(app, list(args), env=env)


def test_cli_site_filters(db_url: str, two_blogs: dict[str, Own]) -> None:
    for key, own in two_blogs.items():
        result = _cli(db_url, "report", "--site", key, "--status", "all", "--format", "json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert [t["thread_id"] for t in report["threads"]] == own.threads
        assert report["manifest"]["filters"]["site"] == key

        result = _cli(db_url, "report", "--site", key, "--status", "all", "--format", "csv")
        assert result.exit_code == 0, result.output
        rows = [line for line in result.stdout.splitlines() if not line.startswith("# ")]
        assert [int(r["comment_id"]) for r in csv.DictReader(rows)] == own.comments

        result = _cli(db_url, "queue", "--site", key, "--status", "all", "--json")
        assert result.exit_code == 0, result.output
        assert [i["comment"]["id"] for i in json.loads(result.stdout)["items"]] == own.comments

        result = _cli(db_url, "export", "--site", key, "--format", "csv")
        assert result.exit_code == 0, result.output
        assert exported_ids("csv", result.stdout)[1] == own.comments

    result = _cli(db_url, "report", "--site", TRUNK, "--width", "100")
    assert result.exit_code == 0, result.output
    assert f"threads all; site {TRUNK}; statuses" in result.stdout


def test_cli_unknown_site_is_one_line_and_exit_1(db_url: str, two_blogs: dict[str, Own]) -> None:
    expected = f"error: no site with key 'nope' (known: {DATASET}, {TRUNK})\n"
    for args in (
        ["report", "--site", "nope"],
        ["queue", "--site", "nope"],
        ["export", "--site", "nope", "--format", "wxr"],
    ):
        result = _cli(db_url, *args)
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr == expected, args
        assert result.stdout == ""
    [trunk_thread] = two_blogs[TRUNK].threads
    other = two_blogs[DATASET].threads[0]
    result = _cli(db_url, "report", str(trunk_thread), str(other), "--site", TRUNK)
    assert result.exit_code == 1
    assert result.stderr == f"error: thread {other} is not in site '{TRUNK}'\n"


def test_cli_sites_lists_every_site_as_plain_text(
    db_url: str, engine: Engine, two_blogs: dict[str, Own]
) -> None:
    with session_scope(engine) as session:
        session.add(
            Site(key="odd.example", name="[bold]Odd[/bold] \x1b[31mred", base_url="[link]x")
        )
    result = _cli(db_url, "sites")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].strip() == "sites (3)"
    trunk = next(line for line in lines if TRUNK in line)
    assert re.search(r"trunk\s.*http://localhost/\s.*\s1\s.*\s1\s", trunk), trunk
    dataset = next(line for line in lines if DATASET in line)
    assert re.search(r"Export Dataset\s.*\s6\s.*\s1\s", dataset), dataset
    odd = next(line for line in lines if "odd.example" in line)
    assert "[bold]Odd[/bold] \\x1b[31mred" in odd and "[link]x" in odd
    assert "\x1b" not in result.stdout


def test_cli_sites_of_an_empty_database(db_url: str) -> None:
    result = _cli(db_url, "sites")
    assert result.exit_code == 0, result.output
    assert result.stdout == "no sites yet: import a file with `threads ingest PATH`\n"


# --------------------------------------------------------------------------- API


def test_api_site_filters(
    client: TestClient[Any], engine: Engine, two_blogs: dict[str, Own]
) -> None:
    keys = make_keys(engine)
    viewer = keys.header(keys.viewer)
    sites = client.get("/api/sites")
    assert sites.status_code == 200, sites.text
    assert sites.json() == {
        "items": [
            {
                "key": DATASET,
                "name": "Export Dataset",
                "base_url": "http://localhost/",
                "articles": 6,
                "comments": 1,
            },
            {
                "key": TRUNK,
                "name": "trunk",
                "base_url": "http://localhost/",
                "articles": 1,
                "comments": 0,  # readers see approved comments only: this one is flagged
            },
        ],
        "total": 2,
        "next_cursor": None,
    }
    for key, own in two_blogs.items():
        threads = client.get(f"/api/threads?site={key}&limit=2")
        assert threads.status_code == 200, threads.text
        ids = [t["id"] for t in threads.json()["items"]]
        assert threads.json()["total"] == len(own.threads)
        cursor = threads.json()["next_cursor"]
        while cursor is not None:
            more = client.get(f"/api/threads?site={key}&limit=2&cursor={cursor}").json()
            ids += [t["id"] for t in more["items"]]
            cursor = more["next_cursor"]
        assert ids == own.threads

        statuses = "&".join(f"status={s}" for s in EVERY_STATUS_NAME)
        queue = client.get(f"/api/queue?site={key}&{statuses}", headers=viewer)
        assert queue.status_code == 200, queue.text
        assert [i["comment"]["id"] for i in queue.json()["items"]] == own.comments
        assert queue.json()["total"] == len(own.comments)
    flagged = client.get(f"/api/queue?site={TRUNK.upper()}", headers=viewer).json()
    assert [i["comment"]["id"] for i in flagged["items"]] == two_blogs[TRUNK].comments

    bulk = client.post(
        "/api/actions/bulk",
        json={"action": "approve", "filter": {"site": TRUNK}},
        headers=keys.header(keys.moderator),
    )
    assert bulk.status_code == 200, bulk.text
    assert [r["comment_id"] for r in bulk.json()["results"]] == two_blogs[TRUNK].comments


def test_api_unknown_site_is_a_problem(
    client: TestClient[Any], engine: Engine, two_blogs: dict[str, Own]
) -> None:
    keys = make_keys(engine)
    for response in (
        client.get("/api/threads?site=nope"),
        client.get("/api/queue?site=nope", headers=keys.header(keys.viewer)),
        client.post(
            "/api/actions/bulk",
            json={"action": "approve", "filter": {"site": "nope"}},
            headers=keys.header(keys.moderator),
        ),
    ):
        body = assert_problem(response, 404, "site_not_found")
        assert body["detail"] == f"no site with key 'nope' (known: {DATASET}, {TRUNK})"
        assert body["known_sites"] == [DATASET, TRUNK] and body["field"] == "site"
    body = assert_problem(
        client.get("/api/queue?site=a%00b", headers=keys.header(keys.viewer)), 422
    )
    assert body["field"] == "site"
    assert_problem(client.get("/api/threads?site=a%00b"), 422)
    assert client.get("/api/threads?site=" + "x" * 256).status_code == 400
