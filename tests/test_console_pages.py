"""The console's pages through Litestar's test client: limits, sessions and headers that a
browser test would check slowly (the browser tests are in test_console_browser.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from tests.moderation_support import get_comment, make_comment, make_thread
from threads.api import create_app
from threads.config import Settings
from threads.db import session_scope
from threads.keys import create_key, revoke_key
from threads.models import CommentStatus, Role
from threads.moderation.audit import Actor

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
    buttons = re.findall(r'name="action" value="(\w+)"', card)
    assert buttons == ["reject", "spam", "delete"]
