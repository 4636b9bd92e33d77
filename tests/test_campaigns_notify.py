"""`campaign.found` fires once per campaign: `threads campaigns --notify` and
`POST /api/campaigns/scan` announce the clusters never announced before (a `campaign_notice` row
each, in the transaction that queues the deliveries), and listings write nothing. Deliveries go
to a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.api_fixtures import Keys, assert_problem, make_keys
from tests.campaign_builders import Corpus, build_corpus, load, plant_alias
from tests.webhook_receiver import HANG_GUARD, receiver
from threads.api import create_app
from threads.config import Settings
from threads.db import session_scope
from threads.models import CampaignNotice, CommentStatus, WebhookDelivery
from threads.moderation.audit import Actor
from threads.moderation.campaigns import CampaignQuery, list_campaigns, notify_campaigns
from threads.webhooks.delivery import deliver_due
from threads.webhooks.service import add_hook
from threads.webhooks.signing import verify

runner = CliRunner()
SECRET = "test-server-secret"
KINDS = {"dup", "burst", "alias"}


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build_corpus(ordinary=300)


@pytest.fixture
def loaded(engine: Engine, corpus: Corpus) -> dict[int, int]:
    return load(engine, corpus, status=CommentStatus.PENDING)


@pytest.fixture
def hook_settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, webhook_secret=SECRET, webhook_timeout_seconds=5)


@pytest.fixture
def client(hook_settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(hook_settings)) as test_client:
        yield test_client


def _hook(engine: Engine, settings: Settings, url: str) -> str:
    with session_scope(engine) as session:
        created = add_hook(
            session, url, settings=settings, actor=Actor.user("test"), events=["campaign.found"]
        )
    return created.secret


def _count(engine: Engine, table: Any) -> int:
    with session_scope(engine) as session:
        return int(session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _notices(engine: Engine) -> dict[str, CampaignNotice]:
    with session_scope(engine) as session:
        return {n.campaign_id: n for n in session.scalars(sa.select(CampaignNotice))}


def _verified(secret: str, got: Any) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert verify(
        secret,
        got.body,
        headers["x-threads-timestamp"],
        headers["x-threads-signature"],
        now=time.time(),
    )
    assert headers["x-threads-event"] == "campaign.found"
    body: dict[str, Any] = json.loads(got.body)
    return body


def test_api_scan_announces_each_campaign_once_signed_and_delivered(
    client: TestClient[Any], engine: Engine, hook_settings: Settings, loaded: dict[int, int]
) -> None:
    keys = make_keys(engine)
    with receiver() as rec:
        secret = _hook(engine, hook_settings, rec.url)
        listed = client.get("/api/campaigns", headers=Keys.header(keys.viewer))
        assert listed.status_code == 200, listed.text
        ids = {c["id"] for c in listed.json()["items"]}
        assert ids and {i.split("-")[0] for i in ids} == KINDS
        # a listing (API, console page) announces nothing and writes nothing
        page = client.get("/console/campaigns", headers=Keys.header(keys.moderator))
        assert page.status_code in (200, 303)
        assert _count(engine, CampaignNotice) == 0 and _count(engine, WebhookDelivery) == 0

        refused = client.post("/api/campaigns/scan", headers=Keys.header(keys.viewer))
        assert_problem(refused, 403)
        scanned = client.post("/api/campaigns/scan", headers=Keys.header(keys.moderator))
        assert scanned.status_code == 200, scanned.text
        announced = scanned.json()
        assert {c["id"] for c in announced["items"]} == ids
        assert announced["total"] == len(ids) and announced["next_cursor"] is None
        notices = _notices(engine)
        assert set(notices) == ids
        for c in announced["items"]:
            notice = notices[c["id"]]
            assert notice.kind == c["kind"] and notice.members == len(c["members"])
            assert notice.site_id is not None  # every planted thread is on example.org

        run = deliver_due(engine, hook_settings)
        assert (run.delivered, run.failed) == (len(ids), 0)
        received = rec.wait_for(len(ids))
        bodies = [_verified(secret, got) for got in received]
        assert sorted(b["data"]["campaign"]["id"] for b in bodies) == sorted(ids)
        by_id = {c["id"]: c for c in announced["items"]}
        for body in bodies:
            campaign = body["data"]["campaign"]
            assert campaign["kind"] in KINDS and body["site"]["key"] == "example.org"
            assert campaign["comment_ids"] == by_id[campaign["id"]]["members"]
            assert campaign["thread_ids"] == by_id[campaign["id"]]["threads"]
            assert campaign["size"] == len(campaign["comment_ids"])
            assert campaign["evidence"] == by_id[campaign["id"]]["evidence"]
        assert not any(re.search(r"[\w.]@", got.body.decode()) for got in received)

        # nothing new: the second scan announces nothing and queues nothing
        again = client.post("/api/campaigns/scan", headers=Keys.header(keys.moderator))
        assert again.status_code == 200 and again.json()["items"] == []
        assert _count(engine, WebhookDelivery) == len(ids)

        # a campaign that appears later is announced, alone
        members = plant_alias(
            engine,
            "late@puppet.example",
            ("Late One", "Late Two"),
            [
                f"Comment number {k} from {name} about the sanctions and the oil price."
                for k, name in enumerate(("Late One", "Late Two"))
            ],
            tag="late",
            day=40,
        )
        later = client.post(
            "/api/campaigns/scan", params={"kind": "alias"}, headers=Keys.header(keys.moderator)
        )
        assert later.status_code == 200, later.text
        [new] = later.json()["items"]
        assert set(new["members"]) == members and new["id"] not in ids
        assert deliver_due(engine, hook_settings).delivered == 1
        last = _verified(secret, rec.wait_for(len(ids) + 1)[-1])
        assert last["data"]["campaign"]["id"] == new["id"]
        assert "late@puppet.example" not in json.dumps(last)


def test_api_scan_refuses_bad_filters_with_problem_details(
    client: TestClient[Any], engine: Engine, loaded: dict[int, int]
) -> None:
    keys = make_keys(engine)
    moderator = Keys.header(keys.moderator)
    bad_kind = client.post("/api/campaigns/scan", params={"kind": "spam"}, headers=moderator)
    problem = assert_problem(bad_kind, 422, "invalid_input")
    assert problem["field"] == "kind" and "dup, burst, alias" in problem["detail"]
    nowhere = client.post(
        "/api/campaigns/scan", params={"site": "nowhere.example"}, headers=moderator
    )
    assert assert_problem(nowhere, 404, "site_not_found")["field"] == "site"
    bad_since = client.post("/api/campaigns/scan", params={"since": "yesterday"}, headers=moderator)
    assert assert_problem(bad_since, 400, "invalid_request")["field"] == "since"
    assert client.post("/api/campaigns/scan").status_code == 401
    assert _count(engine, CampaignNotice) == 0 and _count(engine, WebhookDelivery) == 0


def _run(db_url: str, *args: str) -> Any:
    return runner.invoke(app, list(args), env={"THREADS_DATABASE_URL": db_url, "COLUMNS": "160"})


def test_cli_notify_announces_once_and_a_plain_listing_writes_nothing(
    db_url: str, engine: Engine, hook_settings: Settings, loaded: dict[int, int]
) -> None:
    with receiver() as rec:
        secret = _hook(engine, hook_settings, rec.url)
        listed = _run(db_url, "campaigns", "--format", "json")
        assert listed.exit_code == 0, listed.output
        ids = {c["id"] for c in json.loads(listed.output)["items"]}
        assert _count(engine, CampaignNotice) == 0 and _count(engine, WebhookDelivery) == 0

        first = _run(db_url, "campaigns", "--notify", "--kind", "alias")
        assert first.exit_code == 0, first.output
        assert "Announced 2 new campaigns" in first.output
        aliases = {i for i in ids if i.startswith("alias-")}
        assert set(_notices(engine)) == aliases
        second = _run(db_url, "campaigns", "--notify", "--kind", "alias")
        assert second.exit_code == 0 and "No new campaigns to announce." in second.output
        rest = _run(db_url, "campaigns", "--notify", "--format", "json")
        assert rest.exit_code == 0, rest.output
        assert {c["id"] for c in json.loads(rest.output)["items"]} == ids - aliases
        assert set(_notices(engine)) == ids

        assert deliver_due(engine, hook_settings).delivered == len(ids)
        got = [_verified(secret, r) for r in rec.wait_for(len(ids))]
        assert sorted(b["data"]["campaign"]["id"] for b in got) == sorted(ids)

        bad = _run(db_url, "campaigns", "--notify", "--site", "nowhere.example")
        assert bad.exit_code == 1 and "no site with key 'nowhere.example'" in bad.output


def test_concurrent_scans_announce_each_campaign_once(
    engine: Engine, hook_settings: Settings, loaded: dict[int, int]
) -> None:
    with receiver() as rec:
        _hook(engine, hook_settings, rec.url)
        expected = {v.id for v in list_campaigns(engine, CampaignQuery())}
        start = threading.Barrier(2, timeout=HANG_GUARD)
        results: list[list[str]] = []
        errors: list[BaseException] = []

        def scan() -> None:
            try:
                start.wait()
                results.append([v.id for v in notify_campaigns(engine, CampaignQuery())])
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        workers = [threading.Thread(target=scan) for _ in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(HANG_GUARD)
        assert not errors, errors
        a, b = results
        assert not set(a) & set(b) and set(a) | set(b) == expected
        assert _count(engine, WebhookDelivery) == len(expected)
