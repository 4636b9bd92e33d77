"""The console's pages through Litestar's test client: limits, sessions and headers that a
browser test would check slowly (the browser tests are in test_console_browser.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from litestar.testing import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.moderation_support import events, get_comment, make_comment, make_thread
from tests.sites import site_id
from threads.api import create_app
from threads.config import Settings
from threads.db import session_scope
from threads.keys import create_key, revoke_key
from threads.models import (
    DEFAULT_CODEBOOK,
    Article,
    CommentStatus,
    CommentTopic,
    LabelSource,
    Role,
    Thread,
)
from threads.moderation.audit import Actor
from threads.moderation.reports import report_comment
from threads.moderation.service import apply_action
from threads.topics.service import classify_stored
from threads.topics.taxonomy import load_taxonomy

ADMIN = Actor.system("test")
TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings.with_(signin_attempts_per_minute=3))
    with TestClient(app) as test_client:
        yield test_client


def _token(client: TestClient, path: str) -> str:
    match = TOKEN.search(client.get(path).text)
    assert match, path
    return match.group(1)


def _sign_in(client: TestClient, key: str) -> None:
    answer = client.post(
        "/console/signin",
        data={"key": key, "_csrf_token": _token(client, "/console/signin")},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def _key(client: TestClient, name: str, role: Role) -> str:
    with session_scope(client.app.state.engine) as session:
        return create_key(session, name, role, actor=ADMIN).secret


def test_pages_forbid_inline_script_and_the_session_cookie_is_strict(client: TestClient) -> None:
    page = client.get("/console/signin")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    scripts = re.findall(r"<script[^>]*>", page.text)  # ours, from a file: none inline
    assert scripts == ['<script src="/console/static/console.js" defer>']
    assert " style=" not in page.text
    key = _key(client, "mod", Role.MODERATOR)
    answer = client.post(
        "/console/signin",
        data={"key": key, "_csrf_token": _token(client, "/console/signin")},
        follow_redirects=False,
    )
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=28800" in cookie
    assert key not in cookie and key not in answer.headers["location"]


def test_sign_in_attempts_are_limited_per_address(client: TestClient) -> None:
    wrong = "thr_" + "y" * 43
    for _ in range(3):
        client.post(
            "/console/signin",
            data={"key": wrong, "_csrf_token": _token(client, "/console/signin")},
        )
    key = _key(client, "mod", Role.MODERATOR)
    refused = client.post(
        "/console/signin",
        data={"key": key, "_csrf_token": _token(client, "/console/signin")},
        follow_redirects=False,
    )
    assert refused.headers["location"] == "/console/signin"
    assert "too many sign-in attempts" in client.get("/console/signin").text
    assert client.get("/console", follow_redirects=False).status_code == 303  # not signed in


def test_revoking_the_key_ends_its_session(client: TestClient) -> None:
    key = _key(client, "mod", Role.MODERATOR)
    _sign_in(client, key)
    assert "signed in as" in client.get("/console").text
    with session_scope(client.app.state.engine) as session:
        revoke_key(session, "mod", actor=ADMIN)
    answer = client.get("/console", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/signin"


def test_an_action_returns_only_to_a_console_page(client: TestClient) -> None:
    engine = client.app.state.engine
    comment = make_comment(engine, make_thread(engine))
    _sign_in(client, _key(client, "mod", Role.MODERATOR))
    answer = client.post(
        f"/console/comments/{comment}/action",
        data={
            "action": "approve",
            "version": "1",
            "back": "https://elsewhere.example/",
            "_csrf_token": _token(client, "/console"),
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/console"
    assert get_comment(engine, comment).status is CommentStatus.APPROVED


def test_a_card_offers_only_the_actions_its_status_allows(client: TestClient) -> None:
    engine = client.app.state.engine
    comment = make_comment(engine, make_thread(engine), status=CommentStatus.APPROVED)
    _sign_in(client, _key(client, "mod", Role.MODERATOR))
    page = client.get("/console?tab=all").text
    card = page[page.index(f'id="comment-{comment}"') :]
    buttons = re.findall(rf'name="do" value="{comment}:1:(\w+)"', card)
    assert buttons == ["reject", "spam", "delete"]


def _card_html(page: str, comment_id: int) -> str:
    """The HTML of one card on a page (up to the next card or the end of the list)."""
    start = page.index(f'id="comment-{comment_id}"')
    end = page.find("<article", start)
    return page[start : end if end > 0 else len(page)]


def _other_site_thread(engine: Engine) -> int:
    with session_scope(engine) as session:
        article = Article(
            site_id=site_id(session, "other.example"),
            key="other:1",
            title="Elsewhere",
            source_format="test",
            content_hash="o" * 64,
        )
        session.add(article)
        session.flush()
        thread = Thread(article_id=article.id or 0)
        session.add(thread)
        session.flush()
        return thread.id or 0


def test_a_card_shows_evidence_sentiment_reports_and_the_authors_record(
    client: TestClient,
) -> None:
    engine = client.app.state.engine
    thread = make_thread(engine, title="Gold & <reserves>")
    comment = make_comment(
        engine,
        thread,
        body="Central banks keep buying gold. Great news!",
        author="Alice",
        posted_at=datetime(2026, 3, 4, 5, 6, tzinfo=UTC),
    )
    for status in (CommentStatus.APPROVED, CommentStatus.APPROVED, CommentStatus.SPAM):
        make_comment(engine, thread, body="older", author="alice ", status=status)
    make_comment(engine, thread, body="no", author="Alice", status=CommentStatus.REJECTED)
    make_comment(engine, _other_site_thread(engine), body="other site", author="Alice")
    classify_stored(engine, load_taxonomy())
    with session_scope(engine) as session:
        for reporter, reason in (
            ("1.1.1.1", "spam"),
            ("2.2.2.2", "off_topic"),
            ("3.3.3.3", "spam"),
        ):
            report_comment(session, comment, reason, reporter=reporter)
    _sign_in(client, _key(client, "mod", Role.MODERATOR))
    card = _card_html(client.get("/console?tab=all").text, comment)
    assert (
        f'<a class="author" href="/console/comments/{comment}/author"><strong>Alice</strong></a>'
        in card
    )
    assert '<time datetime="2026-03-04T05:06:00+00:00">2026-03-04 05:06 UTC</time>' in card
    assert (
        f'<a class="thread" href="/console/threads/{thread}">Gold &amp; &lt;reserves&gt;</a>'
        in card
    )
    # the codebook's entries, then the words the shipped learned layer weighed most
    assert (
        '<span class="chip topic" data-topic="gold_reserves">gold_reserves: '
        '<span class="terms">central bank, gold, buying, keep</span></span>'
    ) in card
    assert (
        '<p><mark data-topic="gold_reserves">Central banks</mark> '
        '<mark data-topic="gold_reserves">keep</mark> '
        '<mark data-topic="gold_reserves">buying</mark> '
    ) in card
    assert '<mark data-topic="gold_reserves">gold</mark>. Great news!</p>' in card
    assert re.search(r'sentiment <span class="pos">\+0\.\d\d</span>', card)
    assert (
        '<span class="reports">3</span> <span class="reasons">(spam ×2, off_topic ×1)</span>'
        in card
    )
    # the author's comments on this site (the comment itself included), not on other sites
    assert "author: 5 comments, 2 approved, 1 rejected, 1 spam" in card


def test_cards_cost_the_same_queries_for_two_comments_or_twenty(client: TestClient) -> None:
    engine = client.app.state.engine
    thread = make_thread(engine)
    _sign_in(client, _key(client, "mod", Role.MODERATOR))
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    def queries_for_page() -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/console").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    for i in range(2):
        make_comment(engine, thread, body=f"gold {i}", author=f"author {i}")
    few = queries_for_page()
    for i in range(2, 20):
        make_comment(engine, thread, body=f"gold {i}", author=f"author {i}")
    assert queries_for_page() == few


def test_highlighting_keeps_a_hostile_body_inert(client: TestClient) -> None:
    engine = client.app.state.engine
    hostile = (
        "<p>Gold <script>alert('gold')</script>"
        '<img src="x" onerror="alert(1)"> vaults '
        "<a href=\"javascript:alert('gold')\">gold</a> &lt;b onmouseover=alert(1)&gt;gold</p>"
    )
    comment = make_comment(engine, make_thread(engine), body=hostile, body_format="html")
    classify_stored(engine, load_taxonomy())
    with session_scope(engine) as session:  # evidence that is itself hostile stays text
        session.add(
            CommentTopic(
                comment_id=comment,
                codebook=DEFAULT_CODEBOOK,
                topic_id='x"><script>alert(2)</script>',
                evidence=[{"term": "<img src=x onerror=alert(3)>", "text": "vaults"}],
                source=LabelSource.MODERATOR,
                labeler="mod",
                taxonomy_version="1",
            )
        )
    _sign_in(client, _key(client, "mod", Role.MODERATOR))
    card = _card_html(client.get("/console").text, comment)
    assert card.count("<mark ") >= 3
    assert '<mark data-topic="gold_reserves">gold</mark></a>' in card
    assert "&lt;b onmouseover=alert(1)&gt;<mark" in card
    assert "<script" not in card and "<img" not in card
    assert "onerror=" not in card.replace("onerror=alert(3)&gt;", "")
    assert "javascript:" not in card
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in card  # the hostile topic, as text
    assert "&lt;img src=x onerror=alert(3)&gt;" in card  # the hostile term, as text


def _pick_and_post(
    client: TestClient, picks: list[str], action: str, reason: str = ""
) -> httpx.Response:
    return client.post(
        "/console/actions",
        data={
            "pick": picks,
            "bulk": action,
            "reason": reason,
            "back": "/console?tab=all",
            "_csrf_token": _token(client, "/console"),
        },
        follow_redirects=False,
    )


def test_a_bulk_form_acts_on_the_ticked_cards_and_reports_each_conflict(
    client: TestClient,
) -> None:
    engine = client.app.state.engine
    thread = make_thread(engine)
    first, second, stale = (make_comment(engine, thread, author=n) for n in ("A", "B", "C"))
    _sign_in(client, _key(client, "mod", Role.MODERATOR))
    page = client.get("/console").text
    assert '<form id="queue" method="post" action="/console/actions">' in page
    assert f'name="pick" value="{first}:1"' in page
    with Session(engine) as session:  # another moderator acts first on one of them
        apply_action(session, stale, "approve", actor=Actor.api_key("bob"), role=Role.MODERATOR)
        session.commit()
    answer = _pick_and_post(client, [f"{first}:1", f"{second}:1", f"{stale}:1"], "spam")
    assert answer.status_code == 303 and answer.headers["location"] == "/console?tab=all"
    assert get_comment(engine, first).status is CommentStatus.SPAM
    assert get_comment(engine, second).status is CommentStatus.SPAM
    assert get_comment(engine, stale).status is CommentStatus.APPROVED
    for comment_id in (first, second):
        trail = events(engine, target_id=comment_id)
        assert trail[-1].action == "spam" and trail[-1].actor.endswith("mod")
    report = client.get("/console?tab=all").text
    report = " ".join(report[report.index('class="bulk-report"') :].split())
    assert f"2 done: #{first}, #{second}." in report
    assert f"#{stale} (version_conflict)" in report
    assert (
        "Latest: <strong>key:bob</strong> did <strong>approve</strong> (pending → approved)"
        in report
    )


def test_a_bulk_reject_needs_a_reason_and_a_viewer_may_not_bulk(client: TestClient) -> None:
    engine = client.app.state.engine
    comment = make_comment(engine, make_thread(engine))
    _sign_in(client, _key(client, "mod", Role.MODERATOR))
    answer = _pick_and_post(client, [f"{comment}:1"], "reject")
    assert answer.status_code == 303
    assert "bulk reject: a reason is required" in client.get("/console").text
    assert get_comment(engine, comment).status is CommentStatus.PENDING
    answer = _pick_and_post(client, [f"{comment}:1"], "reject", reason="rude")
    assert get_comment(engine, comment).status is CommentStatus.REJECTED
    assert events(engine, target_id=comment)[-1].reason == "rude"
    forged = client.post(
        "/console/actions",
        data={"pick": [f"{comment}:2"], "bulk": "spam", "back": "/console"},
        follow_redirects=False,
    )
    assert forged.status_code == 403  # no CSRF token
    assert get_comment(engine, comment).status is CommentStatus.REJECTED
    _pick_and_post(client, ["12x"], "spam")
    assert "pick must be comment-id:version" in client.get("/console").text
    client.post("/console/signout", data={"_csrf_token": _token(client, "/console")})
    _sign_in(client, _key(client, "look", Role.VIEWER))
    other = make_comment(engine, make_thread(engine))
    assert _pick_and_post(client, [f"{other}:1"], "spam").status_code == 403
    assert get_comment(engine, other).status is CommentStatus.PENDING


def test_the_date_filter_keeps_both_days(client: TestClient) -> None:
    engine = client.app.state.engine
    thread = make_thread(engine)
    days = {
        d: make_comment(
            engine, thread, body=f"day {d}", posted_at=datetime(2026, 5, d, 23, 59, tzinfo=UTC)
        )
        for d in (1, 2, 3, 4)
    }
    _sign_in(client, _key(client, "mod", Role.MODERATOR))
    page = client.get("/console?from=2026-05-02&to=2026-05-03").text
    shown = {d for d, c in days.items() if f'id="comment-{c}"' in page}
    assert shown == {2, 3}
    assert '<input type="date" name="from" value="2026-05-02">' in page
    assert "from=2026-05-02" in page and "to=2026-05-03" in page  # the tabs keep the filter
    assert {
        d
        for d, c in days.items()
        if f'id="comment-{c}"' in client.get("/console?to=2026-05-01").text
    } == {1}
    wrong = client.get("/console?from=May+2nd").text
    assert "from must be a date as YYYY-MM-DD, got &#39;May 2nd&#39;" in wrong
    api = client.get(
        "/api/queue",
        params={"since": "2026-05-02T00:00:00Z", "until": "2026-05-04T00:00:00Z"},
        headers={"Authorization": f"Bearer {_key(client, 'reader', Role.VIEWER)}"},
    )
    assert [i["comment"]["id"] for i in api.json()["items"]] == [days[2], days[3]]


def test_an_action_asked_by_our_script_answers_the_fresh_card(client: TestClient) -> None:
    engine = client.app.state.engine
    thread = make_thread(engine)
    comment = make_comment(engine, thread)
    _sign_in(client, _key(client, "mod", Role.MODERATOR))
    token = _token(client, "/console")

    def act(action: str, version: int) -> httpx.Response:
        return client.post(
            f"/console/comments/{comment}/action",
            data={
                "action": action,
                "version": str(version),
                "back": "/console",
                "_csrf_token": token,
            },
            headers={"X-Threads-Fragment": "1"},
            follow_redirects=False,
        )

    done = act("approve", 1)
    assert done.status_code == 200 and done.text.lstrip().startswith("<article")
    assert f'<article class="card status-approved" id="comment-{comment}"' in done.text
    assert "<html" not in done.text and 'value="2"' in done.text
    stale = act("spam", 1)
    assert stale.status_code == 409
    assert (
        '<section class="conflict"' in stale.text and "did <strong>approve</strong>" in stale.text
    )
    assert get_comment(engine, comment).status is CommentStatus.APPROVED
    refused = act("reject", 2)  # no reason
    assert refused.status_code == 422 and "a reason is required" in refused.text


def test_a_card_button_in_the_queue_form_acts_on_its_own_comment(client: TestClient) -> None:
    engine = client.app.state.engine
    thread = make_thread(engine)
    first, second = make_comment(engine, thread), make_comment(engine, thread)
    _sign_in(client, _key(client, "mod", Role.MODERATOR))
    token = _token(client, "/console")
    answer = client.post(  # the whole form comes along: picks and other cards' reasons too
        "/console/actions",
        data={
            "do": f"{second}:1:reject",
            f"reason-{first}": "not this one",
            f"reason-{second}": "off topic",
            "pick": [f"{first}:1"],
            "back": "/console",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/console"
    assert get_comment(engine, first).status is CommentStatus.PENDING
    assert get_comment(engine, second).status is CommentStatus.REJECTED
    assert events(engine, target_id=second)[-1].reason == "off topic"
    assert f"comment {second}: reject done" in client.get("/console").text
    fragment = client.post(
        "/console/actions",
        data={"do": f"{first}:1:approve", "back": "/console", "_csrf_token": token},
        headers={"X-Threads-Fragment": "1"},
    )
    assert fragment.status_code == 200
    assert f'name="do" value="{first}:2:reject"' in fragment.text  # still in the queue's form
    assert "<form" not in fragment.text
    stale = client.post(
        "/console/actions",
        data={"do": f"{first}:1:spam", "back": "/console", "_csrf_token": token},
        headers={"X-Threads-Fragment": "1"},
    )
    assert stale.status_code == 409 and "key:mod</strong> did <strong>approve" in stale.text
    nonsense = client.post(
        "/console/actions",
        data={"do": "x:y:z", "back": "/console", "_csrf_token": token},
        headers={"X-Threads-Fragment": "1"},
    )
    assert nonsense.status_code in (404, 422)
