"""`threads report --format html`: one self-contained page (structure, no script, no external
asset, everything escaped, evidence marked, coder agreement when two coders labelled), and the
same report as the console's /reports page under the console's Content-Security-Policy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from cli.app import app
from tests.report_builders import Builder, Built, build_dataset
from threads.analysis.html_report import highlight
from threads.api import create_app
from threads.config import Settings
from threads.db import session_scope
from threads.keys import create_key
from threads.models import Role
from threads.moderation.audit import Actor

runner = CliRunner()
SECTIONS = ["summary", "charts", "topics", "representative", "manifest"]
HOSTILE = '<script>alert(1)</script><img src="http://evil.example/x.png">'


@pytest.fixture
def built(engine: Engine) -> Built:
    return build_dataset(engine)


def _env(db_url: str) -> dict[str, str]:
    return {"THREADS_DATABASE_URL": db_url, "THREADS_REPORT_TIME": "2024-01-01T00:00:00Z"}


def _hostile_thread(engine: Engine) -> None:
    with Session(engine) as session:
        b = Builder(session)
        b.built.threads.update({"gold": 1})
        b.thread("evil", "Gold " + HOSTILE)
        b.comment(
            "e1",
            "evil",
            "Gold reserves " + HOSTILE,
            author="<b>Mallory</b>",
            posted_at=datetime(2014, 11, 5, tzinfo=UTC),
        )
        session.commit()


def _html(db_url: str, tmp_path: Path, *args: str) -> lxml.html.HtmlElement:
    out = tmp_path / "report.html"
    result = runner.invoke(
        app, ["report", *args, "--format", "html", "--out", str(out)], env=_env(db_url)
    )
    assert result.exit_code == 0, result.output
    return lxml.html.fromstring(out.read_text(encoding="utf-8"))


def _self_contained(doc: lxml.html.HtmlElement) -> None:
    assert not doc.xpath("//script"), "a script"
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        for attr in ("src", "href", "xlink:href", "{http://www.w3.org/1999/xlink}href", "action"):
            value = (element.get(attr) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//", "javascript:")), (attr, value)
        for attr in element.attrib:
            assert not str(attr).lower().startswith("on"), f"event handler {attr}"
    for style in doc.xpath("//style"):
        assert "@import" not in (style.text or "") and "url(" not in (style.text or "")


def test_the_html_report_has_every_section_and_nothing_external(
    db_url: str, engine: Engine, built: Built, tmp_path: Path
) -> None:
    doc = _html(db_url, tmp_path, "--all")
    assert doc.xpath("string(//title)") == "Corpus report: 3 threads, 7 comments"
    assert [s.get("id") for s in doc.xpath("//main/section")] == SECTIONS
    headings = [" ".join(h.text_content().split()) for h in doc.xpath("//section/h2")]
    assert headings == [
        "Summary",
        "Charts",
        "Topics and distinctive terms",
        "Representative comments",
        "Run manifest",
    ]
    _self_contained(doc)
    assert len(doc.xpath("//style")) == 1  # the stylesheet, inline
    figures = doc.xpath("//section[@id='charts']/figure")
    assert [f.get("id") for f in figures] == [
        "chart-prevalence",
        "chart-comments",
        "chart-threads",
        "chart-cooccurrence",
        "chart-sentiment",
    ]
    for figure in figures:
        assert len(figure.xpath(".//*[local-name()='svg']")) == 1
        assert "Codebook iran-china-2014" in figure.xpath("string(.//figcaption)")
    assert not doc.xpath("//*[@style]")
    ids = doc.xpath("//@id")
    assert len(ids) == len(set(ids)), "duplicate ids across the inline charts"
    rows = doc.xpath("//table[@class='threads']/tbody/tr")
    cells = [[" ".join(td.text_content().split()) for td in tr.xpath("td")] for tr in rows]
    assert cells[1][:5] == ["2", "Iran talks: the P5+1 at the table", "example.org", "closed", "3"]
    assert cells[0][2:4] == ["example.org", "open"]
    marks = [m.text_content() for m in doc.xpath("//section[@id='representative']//mark")]
    assert "gold reserves" in marks and "P5+1" in marks
    terms = doc.xpath("string(//table[@class='topics']/tbody/tr[1]/td[5])")
    assert "vaults" in terms
    manifest = {
        th.text_content(): th.getnext().text_content()
        for th in doc.xpath("//table[@class='manifest']//th")
    }
    assert manifest["generated"] == "2024-01-01T00:00:00Z" and manifest["comments"] == "7"
    assert not doc.xpath("//section[@id='agreement']")  # one coder only


def test_text_from_outside_is_escaped(
    db_url: str, engine: Engine, built: Built, tmp_path: Path
) -> None:
    _hostile_thread(engine)
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--all", "-f", "html", "-o", str(out)], env=_env(db_url))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    doc = lxml.html.fromstring(text)
    _self_contained(doc)
    assert not doc.xpath("//img") and not doc.xpath("//b")


def test_coder_agreement_appears_when_two_coders_labelled(
    db_url: str, engine: Engine, built: Built, tmp_path: Path
) -> None:
    with Session(engine) as session:
        b = Builder(session)
        b.built.comments.update({"c2": 2, "c3": 3, "c7": 8})
        # the shipped codebook's "russia": mod-anna labelled c3 (and took gold off c2)
        b.label("c2", "russia", 1.0, moderator="mod-ben")
        b.label("c3", "russia", 1.0, moderator="mod-ben")
        b.label("c2", "russia", 0.0, assigned=False, moderator="mod-anna")
        session.commit()
    doc = _html(db_url, tmp_path, "--all")
    section = doc.xpath("//section[@id='agreement']")
    assert section, "no agreement section"
    rows = {
        tr.xpath("string(td[1])"): [td.text_content() for td in tr.xpath("td")]
        for tr in section[0].xpath(".//tbody/tr")
    }
    assert rows["russia"][1:4] == ["2", "2", "1"]  # 2 items, 2 coders, 1 pair
    assert "all topics" in rows


def test_highlight_marks_each_term_once_longest_first() -> None:
    pieces = highlight("Gold reserves and gold.", ["gold", "gold reserves"])
    assert pieces == [("Gold reserves", True), (" and ", False), ("gold", True), (".", False)]
    assert highlight("nothing here", []) == [("nothing here", False)]


def test_report_out_with_rich_format_is_refused(db_url: str, built: Built, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["report", "--all", "--out", str(tmp_path / "r.txt")], env=_env(db_url)
    )
    assert result.exit_code == 1 and "--out writes json, csv, markdown or html" in result.output


# --------------------------------------------------------------------------- the console page


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _sign_in(client: TestClient, role: Role) -> None:
    page = client.get("/console/signin").text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert token
    with session_scope(client.app.state.engine) as session:
        key = create_key(session, role.value, role, actor=Actor.system("test")).secret
    answer = client.post(
        "/console/signin",
        data={"key": key, "_csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_the_console_report_page_is_for_signed_in_viewers(client: TestClient) -> None:
    build_dataset(client.app.state.engine)
    answer = client.get("/console/reports", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/signin"
    _sign_in(client, Role.VIEWER)
    page = client.get("/console/reports")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "style-src 'self'" in csp and "unsafe-inline" not in csp
    doc = lxml.html.fromstring(page.text)
    assert [s.get("id") for s in doc.xpath("//div[@class='report']/section")] == SECTIONS
    # nothing the CSP would block: no inline style element or attribute, no inline script
    assert not doc.xpath("//style") and not doc.xpath("//*[@style]")
    assert all(s.get("src") for s in doc.xpath("//script"))
    assert len(doc.xpath("//*[local-name()='svg']")) == 5
    sheet = doc.xpath("//link[@rel='stylesheet']/@href")
    assert "/console/reports/report.css" in sheet
    css = client.get("/console/reports/report.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "mark" in css.text
    assert doc.xpath("//nav//a[@href='/console/reports']")
    narrowed = client.get("/console/reports", params={"site": "example.org", "since": "2014-12-01"})
    assert narrowed.status_code == 200
    assert "2 counted comments" in " ".join(
        lxml.html.fromstring(narrowed.text).text_content().split()
    )


def test_the_console_report_page_says_what_is_wrong_with_a_filter(client: TestClient) -> None:
    _sign_in(client, Role.VIEWER)
    page = client.get("/console/reports", params={"site": "nowhere.example"})
    assert page.status_code == 400
    assert "nowhere.example" in page.text
    page = client.get("/console/reports", params={"since": "yesterday"})
    assert page.status_code == 400 and "since must be a date" in page.text
