"""`GET /api/campaigns` and `threads campaigns` in pages (SQLite and PostgreSQL): campaigns are
computed again for every page, in a stable order (kind, largest first, id), and a cursor is the
place of the last campaign shown, so a walk lists each campaign once, even when a campaign
appears between two pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.api_fixtures import Keys, assert_problem, make_keys
from tests.campaign_builders import Corpus, build_corpus, load, plant_alias
from threads.analysis.campaigns import KINDS
from threads.api import create_app
from threads.config import Settings
from threads.cursor import encode_cursor
from threads.errors import InvalidInput
from threads.models import CommentStatus
from threads.moderation.campaigns import CampaignQuery, page_campaigns

runner = CliRunner()


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build_corpus(ordinary=300)


@pytest.fixture
def loaded(engine: Engine, corpus: Corpus) -> dict[int, int]:
    return load(engine, corpus, status=CommentStatus.PENDING)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _place(c: dict[str, Any]) -> tuple[int, int, str]:
    return (KINDS.index(c["kind"]), -c["size"], c["id"])


def _walk(client: TestClient[Any], header: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = params | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/campaigns", params=query, headers=header)
        assert page.status_code == 200, page.text
        seen += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return seen


def test_pages_walk_every_campaign_once_in_the_listing_order(
    client: TestClient[Any], engine: Engine, loaded: dict[int, int]
) -> None:
    viewer = Keys.header(make_keys(engine).viewer)
    whole = client.get("/api/campaigns", params={"limit": 500}, headers=viewer).json()
    assert whole["next_cursor"] is None and whole["total"] == len(whole["items"]) >= 4
    assert whole["items"] == sorted(whole["items"], key=_place)
    assert {c["kind"] for c in whole["items"]} == set(KINDS)
    assert _walk(client, viewer, limit=3) == whole["items"]
    first = client.get("/api/campaigns", params={"limit": 3}, headers=viewer).json()
    assert first["total"] == whole["total"] and len(first["items"]) == 3
    # per kind: the kind filter's totals add up, and its pages are the kind's part of the order
    totals = 0
    for kind in KINDS:
        of_kind = _walk(client, viewer, kind=kind, limit=1)
        assert of_kind == [c for c in whole["items"] if c["kind"] == kind]
        totals += len(of_kind)
    assert totals == whole["total"]


#: unrelated texts, so that the planted comments are an alias campaign and nothing else
BODIES = (
    "The harbour authority published new tanker schedules for the winter months today.",
    "My grandmother grew tomatoes on a balcony facing the river every single summer.",
    "Several economists doubt that currency swaps can replace the reserve holdings soon.",
)


def test_a_cursor_still_works_when_the_campaigns_are_computed_again(
    client: TestClient[Any], engine: Engine, loaded: dict[int, int]
) -> None:
    viewer = Keys.header(make_keys(engine).viewer)
    before = _walk(client, viewer, limit=500)
    first = client.get("/api/campaigns", params={"limit": 2}, headers=viewer).json()
    assert [c["kind"] for c in first["items"]] == ["dup", "dup"]
    # a new campaign appears between two pages; it belongs after the first page (an alias)
    members = plant_alias(
        engine,
        "new@puppet.example",
        ("New One", "New Two", "New Three"),
        BODIES,
        tag="page",
        day=50,
        first_position=20_000,
    )
    rest = _walk(client, viewer, limit=2, cursor=first["next_cursor"])
    walked = first["items"] + rest
    ids = [c["id"] for c in walked]
    assert len(ids) == len(set(ids))
    assert {c["id"] for c in before} <= set(ids)
    [new] = [c for c in walked if c["id"] not in {b["id"] for b in before}]
    assert set(new["members"]) == members and new["kind"] == "alias"
    again = client.get("/api/campaigns", params={"limit": 500}, headers=viewer).json()
    assert again["total"] == len(before) + 1 and again["items"] == walked


def test_bad_pages_are_refused_with_problem_details(
    client: TestClient[Any], engine: Engine, loaded: dict[int, int]
) -> None:
    viewer = Keys.header(make_keys(engine).viewer)
    for limit in (0, 501):
        bad = client.get("/api/campaigns", params={"limit": limit}, headers=viewer)
        assert assert_problem(bad, 400)["field"] == "limit"
    audit = client.get("/api/audit", params={"limit": 1}, headers=viewer).json()
    for cursor in (audit["next_cursor"], "not-a-cursor", encode_cursor("cg", 0, 1, "XYZ")):
        refused = client.get("/api/campaigns", params={"cursor": cursor}, headers=viewer)
        assert assert_problem(refused, 422, "invalid_input")["field"] == "cursor", cursor
    with pytest.raises(InvalidInput) as raised:
        page_campaigns(engine, CampaignQuery(), limit=0)
    assert raised.value.field == "limit"


def _run(db_url: str, *args: str) -> Any:
    return runner.invoke(app, list(args), env={"THREADS_DATABASE_URL": db_url, "COLUMNS": "160"})


def test_cli_pages_with_the_printed_cursor(db_url: str, loaded: dict[int, int]) -> None:
    first = _run(db_url, "campaigns", "-n", "2")
    assert first.exit_code == 0, first.output
    assert first.stdout.count(" comments, ") == 2 and "more: threads campaigns" in first.stdout
    whole = _run(db_url, "campaigns")
    counts = [line for line in whole.stdout.splitlines() if line.endswith(" alias")]
    # the counts are of every campaign, not of the page
    assert counts and counts[-1] in first.stdout
    cursor = first.stdout.split("--cursor ")[1].split()[0]
    second = _run(db_url, "campaigns", "-n", "2", "--cursor", cursor)
    assert second.exit_code == 0, second.output
    shown = [line.split()[0] for line in first.stdout.splitlines() if " comments, " in line]
    assert not any(f"{i} " in second.stdout for i in shown)
    refused = _run(db_url, "campaigns", "--notify", "--limit", "1")
    assert refused.exit_code == 1 and "--notify" in refused.output
    bad = _run(db_url, "campaigns", "--cursor", "nonsense")
    assert bad.exit_code == 1 and "cursor" in bad.output
