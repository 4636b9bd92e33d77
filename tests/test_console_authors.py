"""The console's author page through Litestar's test client: the record, the standing form, the
reject-all-pending form, roles and CSRF (a real browser bans an author in
test_console_standing_browser.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import Engine

from tests.moderation_support import events, get_comment, make_comment, make_thread
from threads.api import create_app
from threads.config import Settings
from threads.db import session_scope
from threads.keys import create_key
from threads.models import CommentStatus, EventTarget, Role
from threads.moderation.audit import Actor

TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
PAGE = "/console/authors/example.org/zoe@example.net"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.with_(premoderation="none"))) as test_client:
        yield test_client


def _token(client: TestClient, path: str) -> str:
    match = TOKEN.search(client.get(path).text)
    assert match, path
    return match.group(1)


def _sign_in(client: TestClient, role: Role) -> None:
    with session_scope(client.app.state.engine) as session:
        key = create_key(session, role.value, role, actor=Actor.system("test")).secret
    answer = client.post(
        "/console/signin",
        data={"key": key, "_csrf_token": _token(client, "/console/signin")},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def _zoe(engine: Engine) -> tuple[int, list[int]]:
    thread = make_thread(engine)
    pending = [
        make_comment(engine, thread, author="Zoe", email="zoe@example.net", body=f"Gold {n}")
        for n in (1, 2)
    ]
    make_comment(engine, thread, author="Zoe", email="zoe@example.net", status=CommentStatus.SPAM)
    return thread, pending


def test_card_author_links_to_the_author_page_with_the_record(
    client: TestClient, engine: Engine
) -> None:
    _, pending = _zoe(engine)
    _sign_in(client, Role.MODERATOR)
    queue = client.get("/console")
    assert f'href="/console/comments/{pending[0]}/author"' in queue.text
    page = client.get(f"/console/comments/{pending[0]}/author")
    assert page.status_code == 200 and str(page.url).endswith(PAGE)
    assert "zoe@example.net" in page.text and "3 comments" in page.text
    assert "pending 2" in page.text and "spam 1" in page.text
    assert 'class="standing standing-normal"' in page.text
    assert "Set standing" in page.text and "Reject all 2 pending" in page.text


def test_moderator_bans_in_the_console_and_the_submission_is_refused(
    client: TestClient, engine: Engine
) -> None:
    thread, _ = _zoe(engine)
    _sign_in(client, Role.MODERATOR)
    missing_reason = client.post(
        PAGE, data={"do": "standing", "standing": "banned", "_csrf_token": _token(client, PAGE)}
    )
    assert "a reason is required to make an author banned" in missing_reason.text
    answer = client.post(
        PAGE,
        data={
            "do": "standing",
            "standing": "banned",
            "reason": "pill spam",
            "_csrf_token": _token(client, PAGE),
        },
    )
    assert answer.status_code == 200 and "standing set to banned" in answer.text
    assert 'class="standing standing-banned"' in answer.text and "pill spam" in answer.text
    assert "key:moderator" in answer.text  # who set it, on the page and in its history
    [event] = events(engine, target=EventTarget.AUTHOR)
    assert (event.actor, event.to_state, event.reason) == ("key:moderator", "banned", "pill spam")
    refused = client.post(
        f"/api/threads/{thread}/comments",
        json={"author_name": "Z", "author_email": "zoe@example.net", "body": "Buy my pills"},
    )
    assert refused.status_code == 403 and refused.json()["code"] == "author_banned"


def test_reject_all_pending_from_the_console(client: TestClient, engine: Engine) -> None:
    _, pending = _zoe(engine)
    _sign_in(client, Role.MODERATOR)
    answer = client.post(
        PAGE,
        data={"do": "reject_pending", "reason": "flood", "_csrf_token": _token(client, PAGE)},
    )
    assert "rejected 2 pending comments" in answer.text and "Nothing pending." in answer.text
    assert [get_comment(engine, i).status for i in pending] == [CommentStatus.REJECTED] * 2
    assert [e.action for e in events(engine, target=EventTarget.AUTHOR)] == ["reject_pending"]


def test_viewer_sees_no_controls_and_a_forged_post_is_refused(
    client: TestClient, engine: Engine
) -> None:
    _, pending = _zoe(engine)
    _sign_in(client, Role.VIEWER)
    page = client.get(PAGE)
    assert page.status_code == 200 and "pending 2" in page.text
    assert page.text.count("<form") == 1  # sign out only
    assert "Set standing" not in page.text and "Reject all" not in page.text
    token = _token(client, PAGE)
    for data in (
        {"do": "standing", "standing": "banned", "reason": "x"},
        {"do": "reject_pending", "reason": "x"},
    ):
        forged = client.post(PAGE, data={**data, "_csrf_token": token})
        assert forged.status_code == 403 and "needs a moderator key" in forged.text
    assert events(engine, target=EventTarget.AUTHOR) == []
    assert get_comment(engine, pending[0]).status is CommentStatus.PENDING


def test_a_post_without_the_csrf_token_is_refused(client: TestClient, engine: Engine) -> None:
    _zoe(engine)
    _sign_in(client, Role.MODERATOR)
    forged = client.post(PAGE, data={"do": "standing", "standing": "banned", "reason": "x"})
    assert forged.status_code == 403
    assert events(engine, target=EventTarget.AUTHOR) == []


def test_an_unknown_site_or_a_bad_standing_says_why(client: TestClient, engine: Engine) -> None:
    _zoe(engine)
    _sign_in(client, Role.MODERATOR)
    nowhere = client.get("/console/authors/nowhere/zoe")
    assert "no site with key" in nowhere.text and str(nowhere.url).endswith("/console")
    bad = client.post(
        PAGE,
        data={"do": "standing", "standing": "exiled", "_csrf_token": _token(client, PAGE)},
    )
    assert "standing must be one of: trusted, normal, premoderated, banned" in bad.text
