"""Author standing in a real Chromium (Debian's package) against a real `threads serve` process,
on SQLite and PostgreSQL: a moderator follows a card's author name to the author page, bans the
author with a reason, and that author's next public submission is refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from tests.moderation_support import count, events, make_comment, make_thread
from tests.serve_process import console_server
from threads.db import make_engine, session_scope
from threads.keys import create_key
from threads.models import Comment, EventTarget, Role
from threads.moderation.audit import Actor

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")


@dataclass
class Served:
    base: str
    engine: Engine
    moderator_key: str
    thread_id: int
    comment_id: int


@pytest.fixture
def served(db_url: str) -> Iterator[Served]:
    engine = make_engine(db_url)
    thread_id = make_thread(engine, title="Gold reserves and the central banks")
    comment_id = make_comment(
        engine,
        thread_id,
        body="Cheap watches, follow the link!",
        author="Spammy Sam",
        email="sam@example.net",
    )
    with session_scope(engine) as session:
        moderator = create_key(session, "mod", Role.MODERATOR, actor=Actor.system("test")).secret
    try:
        with console_server(db_url, {"THREADS_PREMODERATION": "none"}) as base:
            yield Served(base, engine, moderator, thread_id, comment_id)
    finally:
        engine.dispose()


@pytest.fixture
def page() -> Iterator[object]:
    assert CHROMIUM.exists(), "Debian's chromium is needed: run scripts/ensure-chromium.sh"
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            context = browser.new_context(viewport={"width": 1100, "height": 900})
            yield context.new_page()
        finally:
            browser.close()


def test_moderator_bans_an_author_and_their_submission_is_refused(
    served: Served, page: object
) -> None:
    submit = f"{served.base}/api/threads/{served.thread_id}/comments"
    before = httpx.post(
        submit,
        json={"author_name": "Sam", "author_email": "sam@example.net", "body": "First, fine."},
    )
    assert before.status_code == 201 and before.json()["status"] == "approved"

    page.goto(f"{served.base}/console")  # type: ignore[attr-defined]
    page.get_by_label("API key").fill(served.moderator_key)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.wait_for_selector("text=signed in as")  # type: ignore[attr-defined]
    card = page.locator(f"#comment-{served.comment_id}")  # type: ignore[attr-defined]
    card.get_by_role("link", name="Spammy Sam").click()
    page.wait_for_selector("h1:has-text('sam@example.net')")  # type: ignore[attr-defined]
    assert page.locator(".standing").inner_text() == "normal"  # type: ignore[attr-defined]
    page.get_by_label("Standing").select_option("banned")  # type: ignore[attr-defined]
    page.locator(".standing-form").get_by_label("Reason").fill("watch spam")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Set standing").click()  # type: ignore[attr-defined]
    page.wait_for_selector("text=standing set to banned")  # type: ignore[attr-defined]
    assert page.locator(".standing").inner_text() == "banned"  # type: ignore[attr-defined]
    assert "watch spam" in page.locator(".trail").inner_text()  # type: ignore[attr-defined]
    [event] = events(served.engine, target=EventTarget.AUTHOR)
    assert (event.actor, event.to_state, event.reason) == ("key:mod", "banned", "watch spam")

    stored = count(served.engine, Comment)
    refused = httpx.post(
        submit,
        json={"author_name": "Sam Again", "author_email": "SAM@example.net", "body": "Buy now!"},
    )
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "author_banned"
    assert count(served.engine, Comment) == stored
