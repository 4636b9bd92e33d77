"""The moderation console in a real Chromium (Debian's package) against a real `threads serve`
process, on SQLite and PostgreSQL: sign in and out, actions, conflicts, roles, CSRF, hostile
bodies. The screenshots in docs/ are taken here."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.moderation_support import events, get_comment, get_thread, make_comment, make_thread
from tests.serve_process import console_server
from threads.db import make_engine, session_scope
from threads.enums import ThreadState
from threads.keys import create_key
from threads.models import CommentStatus, Role
from threads.moderation.audit import Actor
from threads.moderation.service import apply_action
from threads.topics.service import classify_stored
from threads.topics.taxonomy import load_taxonomy

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(tempfile.gettempdir())
DOCS = Path(__file__).resolve().parent.parent / "docs"


def _shot(name: str, tmp: Path) -> str:
    """Where a screenshot goes: docs/ (the README's pictures) when THREADS_UPDATE_SCREENSHOTS=1,
    else a temporary folder, so that a test run leaves the checkout as it was."""
    folder = DOCS if os.environ.get("THREADS_UPDATE_SCREENSHOTS") == "1" else tmp
    return str(folder / name)


HOSTILE = (
    '<p>Hello <script>alert("script")</script>'
    '<img src="x" onerror="alert(\'onerror\')">'
    "<a href=\"javascript:alert('link')\">click me</a></p>"
)


@dataclass
class Served:
    base: str
    engine: Engine
    moderator_key: str
    viewer_key: str
    #: a second moderator, for two people acting on the same comment
    bob_key: str
    thread_id: int
    first: int
    second: int
    hostile: int


def _seed(engine: Engine) -> tuple[int, int, int, int, str, str, str]:
    thread_id = make_thread(engine, title="Gold reserves and the central banks")
    first = make_comment(engine, thread_id, body="Central banks keep buying gold.", author="Alice")
    second = make_comment(
        engine, thread_id, body="Spam spam, cheap watches here.", author="Bob", report_count=2
    )
    hostile = make_comment(engine, thread_id, body=HOSTILE, author="Mallory", body_format="html")
    with session_scope(engine) as session:
        admin = Actor.system("test")
        moderator = create_key(session, "mod", Role.MODERATOR, actor=admin).secret
        viewer = create_key(session, "look", Role.VIEWER, actor=admin).secret
        bob = create_key(session, "bob", Role.MODERATOR, actor=admin).secret
    classify_stored(engine, load_taxonomy())  # topics, their evidence and sentiment
    return thread_id, first, second, hostile, moderator, viewer, bob


@pytest.fixture
def served(db_url: str) -> Iterator[Served]:
    engine = make_engine(db_url)
    thread_id, first, second, hostile, moderator, viewer, bob = _seed(engine)
    try:
        with console_server(db_url) as base:
            yield Served(base, engine, moderator, viewer, bob, thread_id, first, second, hostile)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    assert CHROMIUM.exists(), "Debian's chromium is needed: run scripts/ensure-chromium.sh"
    with playwright_sync.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})  # type: ignore[attr-defined]
    pg = context.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs
    try:
        yield pg
    finally:
        assert dialogs == [], f"a dialog fired: {dialogs}"
        context.close()


@pytest.fixture
def plain_page(browser: object) -> Iterator[object]:
    """A page without JavaScript: every action a form that POSTs and redirects."""
    context = browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: object, served: Served, key: str) -> None:
    page.goto(f"{served.base}/console")  # type: ignore[attr-defined]
    page.get_by_label("API key").fill(key)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.wait_for_selector("text=signed in as")  # type: ignore[attr-defined]


def card(page: object, comment_id: int) -> object:
    return page.locator(f"#comment-{comment_id}")  # type: ignore[attr-defined]


def test_sign_in_and_out_with_a_key_that_never_shows(served: Served, page: object) -> None:
    page.goto(f"{served.base}/console")  # type: ignore[attr-defined]
    assert page.url.endswith("/console/signin")  # type: ignore[attr-defined]
    sign_in(page, served, served.moderator_key)
    html = page.content()  # type: ignore[attr-defined]
    assert served.moderator_key not in html and served.moderator_key not in page.url  # type: ignore[attr-defined]
    cookie = next(c for c in page.context.cookies() if c["name"] == "threads_console")  # type: ignore[attr-defined]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    assert served.moderator_key not in cookie["value"]
    page.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]
    page.wait_for_selector("text=signed out")  # type: ignore[attr-defined]
    page.goto(f"{served.base}/console")  # type: ignore[attr-defined]
    assert page.url.endswith("/console/signin")  # type: ignore[attr-defined]


def test_a_wrong_key_is_refused_without_repeating_it(served: Served, page: object) -> None:
    page.goto(f"{served.base}/console/signin")  # type: ignore[attr-defined]
    wrong = "thr_" + "x" * 43
    page.get_by_label("API key").fill(wrong)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.wait_for_selector("text=not signed in")  # type: ignore[attr-defined]
    assert wrong not in page.content()  # type: ignore[attr-defined]


def test_approve_and_reject_with_a_reason_without_javascript(
    served: Served, plain_page: object
) -> None:
    page = plain_page
    sign_in(page, served, served.moderator_key)
    assert "Pending 3" in " ".join(page.locator("nav.tabs").inner_text().split())  # type: ignore[attr-defined]
    card(page, served.first).get_by_role("button", name="Approve").click()  # type: ignore[attr-defined]
    page.wait_for_selector(f"text=comment {served.first}: approve done")  # type: ignore[attr-defined]
    assert card(page, served.first).count() == 0  # type: ignore[attr-defined]
    assert get_comment(served.engine, served.first).status is CommentStatus.APPROVED
    rejecting = card(page, served.second)
    rejecting.get_by_label("Reason").fill("advertising")  # type: ignore[attr-defined]
    rejecting.get_by_role("button", name="Reject").click()  # type: ignore[attr-defined]
    page.wait_for_selector(f"text=comment {served.second}: reject done")  # type: ignore[attr-defined]
    assert get_comment(served.engine, served.second).status is CommentStatus.REJECTED
    trail = events(served.engine, target_id=served.second)
    assert trail[-1].action == "reject" and trail[-1].reason == "advertising"
    assert trail[-1].actor.endswith("mod")
    assert "Pending 1" in " ".join(page.locator("nav.tabs").inner_text().split())  # type: ignore[attr-defined]


def test_a_stale_version_shows_who_changed_it_and_changes_nothing(
    served: Served, plain_page: object
) -> None:
    page = plain_page
    sign_in(page, served, served.moderator_key)
    with Session(served.engine) as session:  # another moderator acts first
        apply_action(
            session, served.first, "approve", actor=Actor.api_key("bob"), role=Role.MODERATOR
        )
        session.commit()
    card(page, served.first).get_by_role("button", name="Spam").click()  # type: ignore[attr-defined]
    conflict = page.locator("section.conflict")  # type: ignore[attr-defined]
    conflict.wait_for()
    text = " ".join(conflict.inner_text().split())
    assert "bob" in text and "approve" in text and "pending → approved" in text
    assert conflict.locator(".status").inner_text() == "approved"
    comment = get_comment(served.engine, served.first)
    assert comment.status is CommentStatus.APPROVED and comment.version == 2


def test_closing_a_thread_refuses_public_submissions(served: Served, page: object) -> None:
    sign_in(page, served, served.moderator_key)
    page.locator(f"#comment-{served.first} a.thread").click()  # type: ignore[attr-defined]
    page.wait_for_selector("h2:has-text('Audit trail')")  # type: ignore[attr-defined]
    page.get_by_label("Reason").first.fill("off-topic flood")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Close thread").click()  # type: ignore[attr-defined]
    page.wait_for_selector(f"text=thread {served.thread_id}: close done")  # type: ignore[attr-defined]
    assert page.locator(".thread-state").inner_text() == "closed"  # type: ignore[attr-defined]
    assert "off-topic flood" in page.locator("table.trail").inner_text()  # type: ignore[attr-defined]
    assert get_thread(served.engine, served.thread_id).state is ThreadState.CLOSED
    refused = httpx.post(
        f"{served.base}/api/threads/{served.thread_id}/comments",
        json={"author_name": "Zed", "body": "Is anyone still here?"},
        timeout=10,
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "thread_closed"
    if "sqlite" in str(served.engine.url):
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=_shot("console-thread.png", SHOTS), full_page=True)  # type: ignore[attr-defined]


def _csrf_token(page: object) -> str:
    return str(page.locator("input[name=_csrf_token]").first.get_attribute("value"))  # type: ignore[attr-defined]


def test_a_viewer_sees_no_controls_and_a_forged_post_is_refused(
    served: Served, page: object
) -> None:
    sign_in(page, served, served.viewer_key)
    assert card(page, served.first).count() == 1  # type: ignore[attr-defined]
    assert page.locator(".actions").count() == 0  # type: ignore[attr-defined]
    page.goto(f"{served.base}/console/threads/{served.thread_id}")  # type: ignore[attr-defined]
    assert page.get_by_role("button", name="Close thread").count() == 0  # type: ignore[attr-defined]
    forged = page.request.post(  # type: ignore[attr-defined]
        f"{served.base}/console/comments/{served.first}/action",
        form={"action": "approve", "version": "1", "_csrf_token": _csrf_token(page)},
        max_redirects=0,
    )
    assert forged.status == 403
    closing = page.request.post(  # type: ignore[attr-defined]
        f"{served.base}/console/threads/{served.thread_id}/close",
        form={"reason": "x", "_csrf_token": _csrf_token(page)},
        max_redirects=0,
    )
    assert closing.status == 403
    assert get_comment(served.engine, served.first).status is CommentStatus.PENDING
    assert get_thread(served.engine, served.thread_id).state is ThreadState.OPEN


def test_a_post_without_the_csrf_token_is_refused(served: Served, page: object) -> None:
    sign_in(page, served, served.moderator_key)
    forged = page.request.post(  # type: ignore[attr-defined]
        f"{served.base}/console/comments/{served.first}/action",
        form={"action": "approve", "version": "1"},
        max_redirects=0,
    )
    assert forged.status == 403
    assert get_comment(served.engine, served.first).status is CommentStatus.PENDING


def test_a_hostile_body_renders_inert(served: Served, page: object) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))  # type: ignore[attr-defined]
    sign_in(page, served, served.moderator_key)
    body = card(page, served.hostile).locator(".body")  # type: ignore[attr-defined]
    assert "click me" in body.inner_text()
    assert body.locator("script").count() == 0
    assert body.locator("[onerror]").count() == 0
    assert body.locator("a[href^='javascript']").count() == 0
    assert body.locator("img").count() == 0
    page.get_by_text("click me").click()  # type: ignore[attr-defined]
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert all(url.startswith(served.base) for url in requests), requests
    if "sqlite" in str(served.engine.url):
        DOCS.mkdir(exist_ok=True)
        page.goto(f"{served.base}/console")  # type: ignore[attr-defined]
        page.screenshot(path=_shot("console-queue.png", SHOTS), full_page=True)  # type: ignore[attr-defined]


# --- our script: actions without a reload, keys ------------------------------------------------


def _stay(page: object) -> None:
    """Mark the loaded page: the mark survives only while no full page load happens."""
    page.evaluate("window.threadsStayed = 'yes'")  # type: ignore[attr-defined]


def _stayed(page: object) -> bool:
    return page.evaluate("window.threadsStayed") == "yes"  # type: ignore[attr-defined]


def _focused_card(page: object) -> str | None:
    return page.evaluate("document.activeElement && document.activeElement.id")  # type: ignore[attr-defined,no-any-return]


def test_approve_with_the_keyboard_without_a_reload(served: Served, page: object) -> None:
    sign_in(page, served, served.moderator_key)
    _stay(page)
    page.keyboard.press("j")  # type: ignore[attr-defined]
    assert _focused_card(page) == f"comment-{served.first}"
    page.keyboard.press("j")  # type: ignore[attr-defined]
    page.keyboard.press("k")  # type: ignore[attr-defined]
    assert _focused_card(page) == f"comment-{served.first}"
    page.keyboard.press("a")  # type: ignore[attr-defined]
    card(page, served.first).wait_for(state="detached")  # type: ignore[attr-defined]
    assert get_comment(served.engine, served.first).status is CommentStatus.APPROVED
    assert page.locator("#live").inner_text() == f"comment {served.first}: approve done"  # type: ignore[attr-defined]
    assert _focused_card(page) == f"comment-{served.second}"  # on to the next one
    assert _stayed(page)
    trail = events(served.engine, target_id=served.first)
    assert trail[-1].action == "approve" and trail[-1].actor == "key:mod"


def test_reject_with_a_reason_from_the_keyboard(served: Served, page: object) -> None:
    sign_in(page, served, served.moderator_key)
    _stay(page)
    for key in ("j", "j", "r"):
        page.keyboard.press(key)  # type: ignore[attr-defined]
    assert _focused_card(page) == f"reason-{served.second}"
    page.keyboard.type("advertising, a/s/j typed here are text")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    card(page, served.second).wait_for(state="detached")  # type: ignore[attr-defined]
    comment = get_comment(served.engine, served.second)
    assert comment.status is CommentStatus.REJECTED
    assert events(served.engine, target_id=served.second)[-1].reason == (
        "advertising, a/s/j typed here are text"
    )
    assert get_comment(served.engine, served.first).status is CommentStatus.PENDING
    assert _stayed(page)


def test_reject_without_a_reason_is_not_sent(served: Served, page: object) -> None:
    sign_in(page, served, served.moderator_key)
    for key in ("j", "r", "Enter"):
        page.keyboard.press(key)  # type: ignore[attr-defined]
    live = page.locator("#live")  # type: ignore[attr-defined]
    assert live.inner_text() == f"comment {served.first}: a reason is required to reject"
    assert _focused_card(page) == f"reason-{served.first}"
    assert get_comment(served.engine, served.first).status is CommentStatus.PENDING


def test_bulk_spam_of_two_selected_comments(served: Served, page: object) -> None:
    sign_in(page, served, served.moderator_key)
    for key in ("j", "x", "j", "x"):
        page.keyboard.press(key)  # type: ignore[attr-defined]
    assert page.locator("input.pick:checked").count() == 2  # type: ignore[attr-defined]
    page.locator(".bulk button[value=spam]").click()  # type: ignore[attr-defined]
    report = page.locator("section.bulk-report")  # type: ignore[attr-defined]
    report.wait_for()
    assert f"2 done: #{served.first}, #{served.second}." in " ".join(report.inner_text().split())
    for comment_id in (served.first, served.second):
        assert get_comment(served.engine, comment_id).status is CommentStatus.SPAM
        assert events(served.engine, target_id=comment_id)[-1].action == "spam"
    assert get_comment(served.engine, served.hostile).status is CommentStatus.PENDING
    assert card(page, served.hostile).count() == 1  # type: ignore[attr-defined]


def test_two_moderators_on_one_comment_through_the_script(
    served: Served, page: object, browser: object
) -> None:
    sign_in(page, served, served.moderator_key)
    _stay(page)
    other = browser.new_context()  # type: ignore[attr-defined]
    try:
        bob = other.new_page()
        sign_in(bob, served, served.bob_key)
        bob.keyboard.press("j")
        bob.keyboard.press("a")
        card(bob, served.first).wait_for(state="detached")  # type: ignore[attr-defined]
    finally:
        other.close()
    page.keyboard.press("j")  # type: ignore[attr-defined]
    page.keyboard.press("s")  # type: ignore[attr-defined]
    conflict = page.locator("section.conflict")  # type: ignore[attr-defined]
    conflict.wait_for()
    text = " ".join(conflict.inner_text().split())
    assert "key:bob did approve (pending → approved)" in text
    assert conflict.locator(".status").inner_text() == "approved"
    assert conflict.get_by_role("button", name="Spam").count() == 1  # acting again is offered
    comment = get_comment(served.engine, served.first)
    assert comment.status is CommentStatus.APPROVED and comment.version == 2
    assert _stayed(page)


def test_a_topic_chip_term_is_marked_in_the_body(served: Served, page: object) -> None:
    sign_in(page, served, served.moderator_key)
    chip = card(page, served.first).locator(".chip.topic[data-topic=gold_reserves]")  # type: ignore[attr-defined]
    # the codebook's entries, then the words the shipped learned layer weighed most
    assert chip.inner_text() == "gold_reserves: central bank, gold, buying, keep"
    marks = card(page, served.first).locator(".body mark[data-topic=gold_reserves]")  # type: ignore[attr-defined]
    assert marks.all_inner_texts() == ["Central banks", "keep", "buying", "gold"]
    assert marks.first.is_visible()
    colour = marks.first.evaluate("m => getComputedStyle(m).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")


def test_question_mark_shows_the_keys(served: Served, page: object) -> None:
    sign_in(page, served, served.moderator_key)
    page.get_by_label("Text").fill("what?")  # type: ignore[attr-defined]
    assert not page.locator("#keys").is_visible()  # type: ignore[attr-defined]
    page.get_by_label("Text").press("Escape")  # type: ignore[attr-defined]
    page.locator("h1").click()  # type: ignore[attr-defined]
    page.keyboard.press("?")  # type: ignore[attr-defined]
    help_box = page.locator("#keys")  # type: ignore[attr-defined]
    help_box.wait_for(state="visible")
    assert "reject" in help_box.inner_text() and "next / previous card" in help_box.inner_text()
    page.keyboard.press("a")  # type: ignore[attr-defined]  # no action while the help is open
    page.keyboard.press("Escape")  # type: ignore[attr-defined]
    help_box.wait_for(state="hidden")
    assert get_comment(served.engine, served.first).status is CommentStatus.PENDING


def test_a_queue_page_of_fifty_cards_loads_under_100_kb(served: Served, page: object) -> None:
    for i in range(50):
        make_comment(
            served.engine,
            served.thread_id,
            body=(
                f"Comment {i}: the gold reserves of the central banks, and Moscow's vaults. "
                "Whether any of it is audited is another question; I doubt it."
            ),
            author=f"Reader {i % 7}",
            report_count=i % 3,
        )
    classify_stored(served.engine, load_taxonomy())
    sign_in(page, served, served.moderator_key)
    loaded: list[object] = []
    page.on("requestfinished", lambda request: loaded.append(request))  # type: ignore[attr-defined]
    page.reload(wait_until="load")  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    assert page.locator("main .card").count() == 50  # type: ignore[attr-defined]
    assert page.locator("main mark").count() >= 100  # type: ignore[attr-defined]
    sizes = [request.sizes() for request in loaded]  # type: ignore[attr-defined]
    total = sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes)
    urls = {request.url.split("?")[0] for request in loaded}  # type: ignore[attr-defined]
    assert f"{served.base}/console/static/console.js" in urls
    assert f"{served.base}/console/static/console.css" in urls
    assert 20_000 < total < 100_000, total
