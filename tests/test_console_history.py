"""The console's comment page and audit log page through Litestar's test client: what they show,
their filters and pages, their links, and who may act from them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from litestar.testing import TestClient

from tests.moderation_support import get_comment, make_comment, make_thread
from threads.api import create_app
from threads.config import Settings
from threads.db import session_scope
from threads.keys import create_key
from threads.models import CommentStatus, Role
from threads.moderation.audit import Actor
from threads.moderation.service import apply_action

ADMIN = Actor.system("test")
TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
HOSTILE = '<p>hi <script>alert(1)</script><img src=x onerror="alert(2)"></p>'


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _token(client: TestClient, path: str) -> str:
    match = TOKEN.search(client.get(path).text)
    assert match, path
    return match.group(1)


def _sign_in(client: TestClient, role: Role) -> None:
    with session_scope(client.app.state.engine) as session:
        key = create_key(session, role.value, role, actor=ADMIN).secret
    answer = client.post(
        "/console/signin",
        data={"key": key, "_csrf_token": _token(client, "/console/signin")},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def _act(client: TestClient, comment: int, action: str, actor: str, reason: str | None) -> None:
    with session_scope(client.app.state.engine) as session:
        apply_action(
            session, comment, action, actor=Actor.user(actor), role=Role.ADMIN, reason=reason
        )


def _rows(html: str, table: str) -> list[str]:
    """The rows of a table's body as plain text, one string each."""
    body = html[html.index(f'class="trail {table}"') :]
    body = body[body.index("<tbody>") : body.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", r)).split()) for r in rows]


def test_the_comment_page_shows_the_comment_its_thread_and_its_whole_history(
    client: TestClient,
) -> None:
    engine = client.app.state.engine
    thread = make_thread(engine, title="Gold <b>reserves</b>")
    comment = make_comment(engine, thread, body=HOSTILE, author="Mallory", body_format="html")
    _act(client, comment, "approve", "alice", None)
    _act(client, comment, "reject", "bob", "insults & threats")
    _sign_in(client, Role.MODERATOR)
    page = client.get(f"/console/comments/{comment}")
    assert page.status_code == 200
    html = page.text
    assert "<script>alert" not in html and "onerror" not in html
    assert f'href="/console/threads/{thread}"' in html
    assert "Gold &lt;b&gt;reserves&lt;/b&gt;" in html
    assert 'class="comment-status">rejected<' in html
    rows = _rows(html, "history")
    assert len(rows) == 2
    assert "alice approve pending → approved" in rows[0]
    assert "bob reject approved → rejected insults & threats" in rows[1]
    # a moderator gets the card's controls, and comes back here after acting
    assert f'name="back" value="/console/comments/{comment}"' in html
    buttons = re.findall(r'name="action" value="(\w+)"', html)
    assert buttons == ["approve", "spam", "delete"]
    acted = client.post(
        f"/console/comments/{comment}/action",
        data={
            "action": "approve",
            "version": str(get_comment(engine, comment).version),
            "back": f"/console/comments/{comment}",
            "_csrf_token": _token(client, f"/console/comments/{comment}"),
        },
        follow_redirects=False,
    )
    assert acted.headers["location"] == f"/console/comments/{comment}"
    assert get_comment(engine, comment).status is CommentStatus.APPROVED
    assert len(_rows(client.get(f"/console/comments/{comment}").text, "history")) == 3


def test_a_stale_action_on_the_comment_page_says_who_acted_first(client: TestClient) -> None:
    engine = client.app.state.engine
    comment = make_comment(engine, make_thread(engine))
    _sign_in(client, Role.MODERATOR)
    token = _token(client, f"/console/comments/{comment}")
    _act(client, comment, "spam", "carol", None)
    client.post(
        f"/console/comments/{comment}/action",
        data={
            "action": "approve",
            "version": "1",
            "back": f"/console/comments/{comment}",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    html = client.get(f"/console/comments/{comment}").text
    assert get_comment(engine, comment).status is CommentStatus.SPAM
    assert "Not changed: someone acted first" in html
    assert "<strong>carol</strong> did <strong>spam</strong>" in html
    assert 'class="comment-status">spam<' in html


def test_a_viewer_reads_the_comment_page_without_controls(client: TestClient) -> None:
    engine = client.app.state.engine
    comment = make_comment(engine, make_thread(engine))
    _sign_in(client, Role.VIEWER)
    html = client.get(f"/console/comments/{comment}").text
    assert 'class="comment-status">pending<' in html and 'name="do"' not in html


def test_an_unknown_comment_is_a_404_page(client: TestClient) -> None:
    _sign_in(client, Role.VIEWER)
    page = client.get("/console/comments/999999")
    assert page.status_code == 404 and "comment 999999" in page.text
    assert client.get("/console/comments/1?cursor=nonsense").status_code in (400, 404)


def test_history_pages_ask_for_a_session(client: TestClient) -> None:
    for path in ("/console/audit", "/console/comments/1"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/signin"


def test_the_audit_log_page_lists_newest_first_with_filters_links_and_pages(
    client: TestClient,
) -> None:
    engine = client.app.state.engine
    thread = make_thread(engine)
    comments = [make_comment(engine, thread, body=f"comment {n}") for n in range(3)]
    for n, comment in enumerate(comments):
        _act(client, comment, "approve", "alice", None)
        _act(client, comment, "reject", "bob" if n else "alice", f"reason {n}")
    _sign_in(client, Role.VIEWER)
    html = client.get("/console/audit").text
    rows = _rows(html, "audit")
    # the viewer's key being created (by "test"), newest, then the 6 moderation events
    assert "7 events, newest first" in html
    assert "test create_key" in rows[0]
    assert "bob reject" in rows[1] and "reason 2" in rows[1] and "alice approve" in rows[6]
    assert f'href="/console/comments/{comments[2]}"' in html
    assert f'href="/console/threads/{thread}"' in html
    only = _rows(client.get("/console/audit?actor=alice").text, "audit")
    assert len(only) == 4 and all(" alice " in f" {r} " for r in only)
    rejects = _rows(client.get("/console/audit?actor=bob&action=reject").text, "audit")
    assert len(rejects) == 2
    assert _rows(client.get("/console/audit?until=2000-01-01").text, "audit") == [
        "Nothing recorded that matches."
    ]
    bad = client.get("/console/audit?since=yesterday").text
    assert "since must be a date (YYYY-MM-DD)" in bad


def test_the_audit_log_page_walks_its_pages(client: TestClient) -> None:
    engine = client.app.state.engine
    thread = make_thread(engine)
    comment = make_comment(engine, thread)
    for n in range(60):
        _act(client, comment, "flag" if n % 2 == 0 else "approve", "dora", None)
    _sign_in(client, Role.VIEWER)
    first = client.get("/console/audit?actor=dora").text
    assert len(_rows(first, "audit")) == 50
    link = re.search(r'class="next" href="([^"]+)"', first)
    assert link and "actor=dora" in unescape(link.group(1))
    second = client.get(unescape(link.group(1))).text
    assert len(_rows(second, "audit")) == 10 and 'class="next"' not in second
