"""Campaigns over a real database (SQLite and PostgreSQL): streamed from the comment table,
listed by the CLI and the API without a raw e-mail, and acted on from the console and the API
through the one bulk action service (audited with the campaign id, compare-and-set on
versions)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.api_fixtures import Keys, assert_problem, make_keys
from tests.campaign_builders import Corpus, build_corpus, load
from tests.moderation_support import events, get_comment
from threads.api import create_app
from threads.config import Settings
from threads.db import session_scope
from threads.keys import create_key
from threads.models import CommentStatus, Role
from threads.moderation.audit import Actor
from threads.moderation.campaigns import CampaignQuery, list_campaigns
from threads.moderation.service import apply_action

runner = CliRunner()
TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
EMAIL = "sock@puppet.example"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build_corpus(ordinary=300)


@pytest.fixture
def loaded(engine: Engine, corpus: Corpus) -> dict[int, int]:
    return load(engine, corpus, status=CommentStatus.PENDING)


def _planted(corpus: Corpus, ids: dict[int, int], kind: str) -> list[set[int]]:
    return [{ids[n] for n in group} for group in corpus.truth[kind]]


def test_database_scan_finds_the_planted_campaigns(
    engine: Engine, corpus: Corpus, loaded: dict[int, int]
) -> None:
    views = list_campaigns(engine, CampaignQuery(site="example.org"))
    aliases = [set(v.members) for v in views if v.kind == "alias"]
    for group in _planted(corpus, loaded, "alias"):
        assert group in aliases
    for group in _planted(corpus, loaded, "burst"):
        assert any(group <= set(v.members) for v in views if v.kind == "burst")
    dups = [set(v.members) for v in views if v.kind == "dup"]
    light = _planted(corpus, loaded, "dup")[0]  # 2 % of the words rewritten
    assert light in dups
    view = next(v for v in views if set(v.members) == light)
    assert view.pending == {i: 1 for i in sorted(light)}
    assert len(view.samples) == 3 and all(s.excerpt for s in view.samples)


def _run(db_url: str, *args: str) -> Any:
    return runner.invoke(app, list(args), env={"THREADS_DATABASE_URL": db_url, "COLUMNS": "160"})


def test_cli_lists_campaigns_without_raw_emails(db_url: str, loaded: dict[int, int]) -> None:
    shown = _run(db_url, "campaigns", "--kind", "alias")
    assert shown.exit_code == 0, shown.output
    assert EMAIL not in shown.output and "s***@puppet.example" in shown.output
    assert "patriot joe" in shown.output and "0 dup, 0 burst, 2 alias" in shown.output
    as_json = _run(db_url, "campaigns", "--format", "json", "--site", "example.org")
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    kinds = [c["kind"] for c in data["items"]]
    assert kinds.count("alias") == 2 and kinds.count("dup") >= 1 and data["total"] == len(kinds)
    assert EMAIL not in as_json.output
    assert not re.search(r"[\w.]@", as_json.output)  # every e-mail masked: "c***@..."


def test_cli_refuses_an_unknown_kind_and_site(db_url: str, loaded: dict[int, int]) -> None:
    bad_kind = _run(db_url, "campaigns", "--kind", "spam")
    assert bad_kind.exit_code != 0
    bad_site = _run(db_url, "campaigns", "--site", "nowhere.example")
    assert bad_site.exit_code == 1 and "no site with key 'nowhere.example'" in bad_site.output
    bad_since = _run(db_url, "campaigns", "--since", "yesterday")
    assert bad_since.exit_code == 1 and "--since" in bad_since.output


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_api_lists_and_acts_on_a_campaign(
    client: TestClient[Any], engine: Engine, corpus: Corpus, loaded: dict[int, int]
) -> None:
    keys: Keys = make_keys(engine)
    answer = client.get(
        "/api/campaigns", params={"kind": "alias"}, headers=Keys.header(keys.viewer)
    )
    assert answer.status_code == 200, answer.text
    assert EMAIL not in answer.text and not re.search(r"[\w.]@", answer.text)
    campaign = next(c for c in answer.json()["items"] if len(c["members"]) == 6)
    body = {
        "action": "spam",
        "members": campaign["members"],
        "versions": campaign["pending"],
        "reason": "one person, three names",
    }
    url = f"/api/campaigns/{campaign['id']}/actions"
    assert client.post(url, json=body, headers=Keys.header(keys.viewer)).status_code == 403
    done = client.post(url, json=body, headers=Keys.header(keys.moderator))
    assert done.status_code == 200, done.text
    assert done.json()["ok_count"] == 6
    for comment_id in campaign["members"]:
        assert get_comment(engine, comment_id).status is CommentStatus.SPAM
        [event] = events(engine, comment_id)
        assert (
            event.extra["campaign"] == campaign["id"] and event.reason == "one person, three names"
        )
    stale = client.post(
        url, json={**body, "members": campaign["members"][:-1]}, headers=Keys.header(keys.moderator)
    )
    assert_problem(stale, 409, "campaign_changed")
    no_reason = client.post(url, json={**body, "reason": " "}, headers=Keys.header(keys.moderator))
    assert_problem(no_reason, 422)
    assert_problem(
        client.get("/api/campaigns", params={"kind": "x"}, headers=Keys.header(keys.viewer)), 422
    )


def _token(client: TestClient[Any], path: str) -> str:
    match = TOKEN.search(client.get(path).text)
    assert match, path
    return match.group(1)


def _sign_in(client: TestClient[Any], role: Role) -> None:
    with session_scope(client.app.state.engine) as session:
        key = create_key(session, role.value, role, actor=Actor.system("test")).secret
    answer = client.post(
        "/console/signin",
        data={"key": key, "_csrf_token": _token(client, "/console/signin")},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def _form(page: str, campaign: str) -> dict[str, Any]:
    start = page.index(f'action="/console/campaigns/{campaign}"')
    form = page[start : page.index("</form>", start)]
    return {
        "members": re.search(r'name="members" value="([^"]+)"', form).group(1),  # type: ignore[union-attr]
        "pick": re.findall(r'name="pick" value="([^"]+)"', form),
    }


def test_console_rejects_a_campaign_and_reports_a_stale_member(
    client: TestClient[Any], engine: Engine, corpus: Corpus, loaded: dict[int, int]
) -> None:
    _sign_in(client, Role.MODERATOR)
    page = client.get("/console/campaigns?kind=dup")
    assert page.status_code == 200
    light = sorted(_planted(corpus, loaded, "dup")[0])
    views = list_campaigns(engine, CampaignQuery(kind="dup"))
    campaign = next(v.id for v in views if v.members == light)
    assert campaign in page.text and "Apply to 6 waiting" in page.text
    form = _form(page.text, campaign)
    # someone approves one member after the page was made: it is left alone, the rest rejected
    with session_scope(engine) as session:
        apply_action(session, light[0], "approve", actor=Actor.user("eve"), role=Role.MODERATOR)
    done = client.post(
        f"/console/campaigns/{campaign}",
        data={
            **form,
            "action": "reject",
            "reason": "copy-paste campaign",
            "_csrf_token": _token(client, "/console/campaigns"),
        },
    )
    assert done.status_code == 200
    assert "5 done" in done.text and "version_conflict" in done.text
    assert get_comment(engine, light[0]).status is CommentStatus.APPROVED
    for comment_id in light[1:]:
        assert get_comment(engine, comment_id).status is CommentStatus.REJECTED
        [event] = events(engine, comment_id)
        assert event.extra == {"campaign": campaign, "campaign_kind": "dup", "version": 2}


def test_console_campaigns_need_a_moderator(
    client: TestClient[Any], engine: Engine, loaded: dict[int, int]
) -> None:
    _sign_in(client, Role.VIEWER)
    page = client.get("/console/campaigns")
    assert page.status_code == 403


def test_corpus_report_has_a_campaigns_section_in_every_format(
    db_url: str, corpus: Corpus, loaded: dict[int, int]
) -> None:
    base = ("report", "--all", "--status", "all", "--no-terms")
    as_json = _run(db_url, *base, "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    section = json.loads(as_json.output)["campaigns"]
    assert section["computed"] and section["counts"]["alias"] == 2
    assert section["counts"]["dup"] >= 1 and section["counts"]["burst"] >= 2
    assert len(section["rows"]) == 10 and section["comments"] >= 40
    assert not re.search(r"[\w.]@", json.dumps(section))
    markdown = _run(db_url, *base, "--format", "markdown")
    assert "## Campaigns" in markdown.output
    assert "| campaign | comments | threads | authors |" in markdown.output
    rich = _run(db_url, *base, "--anonymize")
    assert "Campaigns" in rich.output and "first-time authors within 60 minutes" in rich.output
    assert "patriot joe" not in rich.output.lower()
    skipped = _run(db_url, *base, "--format", "json", "--no-campaigns")
    assert json.loads(skipped.output)["campaigns"]["computed"] is False
    table = _run(db_url, *base, "--format", "csv")
    rows = list(csv.DictReader(line for line in table.output.splitlines() if line[:2] != "# "))
    alias = sorted(_planted(corpus, loaded, "alias")[0])
    marked = {int(r["comment_id"]): r["campaigns"] for r in rows}
    assert all(marked[i].startswith("alias-") for i in alias)
    assert sum(1 for v in marked.values() if v) == section["comments"]


def test_api_takes_a_naive_since_as_utc(
    client: TestClient[Any], engine: Engine, loaded: dict[int, int]
) -> None:
    keys: Keys = make_keys(engine)
    naive = client.get(
        "/api/campaigns",
        params={"since": "2014-11-12T00:00:00", "kind": "alias"},
        headers=Keys.header(keys.viewer),
    )
    aware = client.get(
        "/api/campaigns",
        params={"since": "2014-11-12T00:00:00Z", "kind": "alias"},
        headers=Keys.header(keys.viewer),
    )
    assert naive.status_code == 200, naive.text
    assert naive.json() == aware.json()
