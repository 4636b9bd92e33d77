"""The console's pages are accessible: axe-core (shipped inside axe-playwright-python, nothing
downloaded) finds no serious or critical violation on the sign-in, queue, thread, comment and
audit pages, nor on the admins' webhooks page (before and after adding a hook); at 360 px wide
no page scrolls sideways; the keyboard reaches a visible skip link. A real `threads serve` over
SQLite and PostgreSQL, seeded through the importers, in Debian's chromium."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.serve_process import console_server
from threads import Database
from threads.config import Settings
from threads.db import session_scope
from threads.keys import create_key
from threads.models import Comment, Role, Thread, ThreadState
from threads.moderation.audit import Actor
from threads.moderation.threads import close_thread, reopen_thread
from threads.webhooks.service import add_hook

playwright_sync = pytest.importorskip("playwright.sync_api")
axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright")

CHROMIUM = Path("/usr/bin/chromium")
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEEDS = [
    FIXTURES / "blogger-china-iran-relationship.txt",
    FIXTURES / "consortiumnews-us-policy-unites-iran-and-china.txt",
]
#: what axe may find and we still ship: nothing above "moderate"
REFUSED_IMPACTS = {"serious", "critical"}
NARROW = 360
#: the server secret of the webhooks page's hooks (the server's worker is off: nothing is sent)
WEBHOOKS = {"THREADS_WEBHOOK_SECRET": "a11y-test-secret", "THREADS_WEBHOOK_WORKER": "false"}


@dataclass
class Served:
    base: str
    moderator_key: str
    thread_id: int
    comment_id: int
    admin_key: str

    def pages(self) -> dict[str, str]:
        """The pages a signed-in moderator checks: name -> path."""
        return {
            "queue": "/console",
            "queue, all": "/console?tab=all",
            "thread": f"/console/threads/{self.thread_id}",
            "comment": f"/console/comments/{self.comment_id}",
            "audit": "/console/audit",
            "dry-run": f"/console/policy/dry-run?thread={self.thread_id}&premoderation=all&run=1",
            "snapshot": f"/console/threads/{self.thread_id}/snapshot",
        }


def _seed(url: str) -> tuple[str, int, int, str]:
    """Import the seed pages, then give the first comments some history: a flag, a rejection
    with a reason, and a pending comment (so that cards show every kind of control); and a
    webhook with a delivery waiting (the last thread closed), for the admin's webhooks page."""
    with Database(url) as db:
        report = db.ingest(SEEDS)
        assert report is not None
        with session_scope(db.engine) as session:
            first = session.execute(
                sa.select(Comment.id, Comment.thread_id).order_by(Comment.id).limit(1)
            ).one()
            key = create_key(session, "mod", Role.MODERATOR, actor=Actor.system("test")).secret
        comment_id, thread_id = int(first[0]), int(first[1])
        db.moderate(comment_id, "flag", by="reader-desk")
        db.moderate(comment_id + 1, "reject", by="alice", reason="personal attack")
        db.moderate(comment_id + 2, "flag", by="reader-desk")
        db.moderate(comment_id + 2, "approve", by="alice")
    with session_scope(db.engine) as session:
        admin = create_key(session, "admin", Role.ADMIN, actor=Actor.system("test")).secret
        settings = Settings(database_url=url, webhook_secret=WEBHOOKS["THREADS_WEBHOOK_SECRET"])
        add_hook(session, "http://127.0.0.1:9/hook", settings=settings, actor=Actor.user("test"))
        last = int(session.execute(sa.select(sa.func.max(Thread.id))).scalar_one())
        if session.get(Thread, last).state is ThreadState.CLOSED:  # old pages come closed
            reopen_thread(session, last, actor=Actor.user("alice"))
        close_thread(session, last, actor=Actor.user("alice"), reason="enough")
    return key, thread_id, comment_id, admin


@pytest.fixture
def served(db_url: str) -> Iterator[Served]:
    key, thread_id, comment_id, admin = _seed(db_url)
    with console_server(db_url, WEBHOOKS) as base:
        yield Served(base, key, thread_id, comment_id, admin)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert CHROMIUM.exists(), "Debian's chromium is needed: run scripts/ensure-chromium.sh"
    with playwright_sync.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def _context(browser: Any, width: int) -> Any:
    return browser.new_context(viewport={"width": width, "height": 800})


def _sign_in(page: Any, served: Served, key: str | None = None) -> None:
    page.goto(f"{served.base}/console/signin")
    page.get_by_label("API key").fill(key or served.moderator_key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("text=signed in as")


def _serious(page: Any) -> list[str]:
    """axe's serious and critical violations on the page, one line each (rule, impact, where)."""
    results = axe_playwright.Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in REFUSED_IMPACTS:
            targets = [", ".join(map(str, node["target"])) for node in violation["nodes"]][:5]
            found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found


def _scroll_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_axe_finds_no_serious_violation_on_any_console_page(served: Served, browser: Any) -> None:
    context = _context(browser, 1100)
    page = context.new_page()
    try:
        page.goto(f"{served.base}/console/signin")
        problems = {"sign-in": _serious(page)}
        _sign_in(page, served)
        for name, path in served.pages().items():
            page.goto(f"{served.base}{path}")
            assert page.locator("main h1").count() == 1, name
            problems[name] = _serious(page)
        assert {name: found for name, found in problems.items() if found} == {}
    finally:
        context.close()


def test_every_console_page_fits_a_360_px_screen(served: Served, browser: Any) -> None:
    context = _context(browser, NARROW)
    page = context.new_page()
    try:
        page.goto(f"{served.base}/console/signin")
        widths = {"sign-in": _scroll_width(page)}
        _sign_in(page, served)
        for name, path in served.pages().items():
            page.goto(f"{served.base}{path}")
            widths[name] = _scroll_width(page)
        assert {name: w for name, w in widths.items() if w > NARROW} == {}
        # and axe still finds nothing serious in the narrow layout
        page.goto(f"{served.base}/console?tab=all")
        assert _serious(page) == []
    finally:
        context.close()


def test_the_keyboard_reaches_a_visible_skip_link_and_every_focus_shows(
    served: Served, browser: Any
) -> None:
    context = _context(browser, NARROW)
    page = context.new_page()
    try:
        _sign_in(page, served)
        page.goto(f"{served.base}/console?tab=all")
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(() => { const e = document.activeElement; const r = e.getBoundingClientRect();"
            " return {text: e.textContent.trim(), top: r.top, bottom: r.bottom,"
            " outline: getComputedStyle(e).outlineStyle}; })()"
        )
        assert focused["text"] == "Skip to content"
        assert focused["top"] >= 0 and focused["bottom"] > focused["top"]  # on screen
        assert focused["outline"] != "none"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        # every control the keyboard reaches next shows where the focus is
        for _ in range(12):
            page.keyboard.press("Tab")
            outline = page.evaluate(
                "(() => { const s = getComputedStyle(document.activeElement);"
                " return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]; })()"
            )
            assert outline[1] != "none" and outline[2] != "0px", outline
    finally:
        context.close()


def test_the_webhooks_page_is_accessible_and_fits_a_narrow_screen(
    served: Served, browser: Any
) -> None:
    """An admin's webhooks page, then the answer that shows a new hook's secret, wide and narrow."""
    for width in (1100, NARROW):
        context = _context(browser, width)
        page = context.new_page()
        try:
            _sign_in(page, served, served.admin_key)
            page.goto(f"{served.base}/console/hooks")
            assert page.locator("main h1").count() == 1
            problems = {"webhooks": _serious(page)}
            widths = {"webhooks": _scroll_width(page)}
            page.get_by_label("URL (http:// or https://)").fill(f"https://{width}.example/hook")
            page.get_by_role("button", name="Add webhook").click()
            page.wait_for_selector("#hook-secret")
            problems["webhook added"] = _serious(page)
            widths["webhook added"] = _scroll_width(page)
            assert {name: found for name, found in problems.items() if found} == {}
            assert {name: w for name, w in widths.items() if w > width} == {}
        finally:
            context.close()
