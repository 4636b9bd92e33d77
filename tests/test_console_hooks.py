"""The console's webhooks page (admin only) through Litestar's test client: the hooks and their
deliveries, adding one (the secret shown once, on the answer itself), removing one and retrying
a failed delivery with the console's CSRF forms; SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.engine import Engine

from tests.api_fixtures import seed_data
from tests.sites import site_id
from tests.webhook_receiver import refused_url
from threads.api import create_app
from threads.config import Settings
from threads.db import session_scope
from threads.keys import create_key
from threads.models import DeliveryStatus, Role, WebhookDelivery
from threads.moderation.audit import Actor
from threads.moderation.threads import close_thread
from threads.webhooks.delivery import deliver_due
from threads.webhooks.service import add_hook, list_deliveries, list_hooks

ADMIN = Actor.system("test")
TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
SECRET = re.compile(r'<code class="secret" id="hook-secret">([^<]+)</code>')


@pytest.fixture
def hook_settings(db_url: str) -> Settings:
    # no worker in the app: the tests send deliveries themselves, when they choose
    return Settings(
        database_url=db_url,
        webhook_secret="console-test-secret",
        webhook_worker=False,
        webhook_max_attempts=1,
    )


@pytest.fixture
def client(hook_settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(hook_settings)) as test_client:
        yield test_client


def _engine(client: TestClient[Any]) -> Engine:
    engine: Engine = client.app.state.engine
    return engine


def _token(client: TestClient[Any], path: str) -> str:
    match = TOKEN.search(client.get(path).text)
    assert match, path
    return match.group(1)


def _sign_in(client: TestClient[Any], role: Role) -> None:
    with session_scope(_engine(client)) as session:
        key = create_key(session, f"{role.value}-key", role, actor=ADMIN).secret
    answer = client.post(
        "/console/signin",
        data={"key": key, "_csrf_token": _token(client, "/console/signin")},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def _add(client: TestClient[Any], **form: Any) -> Any:
    return client.post(
        "/console/hooks",
        data={**form, "_csrf_token": _token(client, "/console/hooks")},
        follow_redirects=False,
    )


def _hooks(engine: Engine) -> list[Any]:
    with session_scope(engine) as session:
        return list_hooks(session, include_removed=True)


def test_an_admin_sees_the_page_and_its_link_and_others_are_refused(
    client: TestClient[Any],
) -> None:
    _sign_in(client, Role.MODERATOR)
    refused = client.get("/console/hooks")
    assert refused.status_code == 403 and "needs an admin key" in refused.text
    assert 'href="/console/hooks"' not in client.get("/console").text
    token = _token(client, "/console")
    posted = client.post("/console/hooks", data={"url": "https://a.example/", "_csrf_token": token})
    assert posted.status_code == 403 and _hooks(_engine(client)) == []
    client.post("/console/signout", data={"_csrf_token": token})
    _sign_in(client, Role.VIEWER)
    assert client.get("/console/hooks").status_code == 403
    client.post("/console/signout", data={"_csrf_token": _token(client, "/console")})
    assert client.get("/console/hooks", follow_redirects=False).headers["location"] == (
        "/console/signin"
    )
    _sign_in(client, Role.ADMIN)
    page = client.get("/console/hooks")
    assert page.status_code == 200 and "<h1>Webhooks</h1>" in page.text
    assert "No webhook yet." in page.text and "No delivery yet." in page.text
    assert 'href="/console/hooks"' in client.get("/console").text


def test_adding_a_hook_shows_its_secret_once_and_stores_no_secret(
    client: TestClient[Any],
) -> None:
    engine = _engine(client)
    with session_scope(engine) as session:
        site_id(session, "news.example")
    _sign_in(client, Role.ADMIN)
    answer = _add(
        client,
        url="https://hooks.example/threads",
        events=["thread.closed", "comment.reported"],
        site="news.example",
        report_threshold="5",
    )
    assert answer.status_code == 201 and "location" not in answer.headers
    assert answer.headers["cache-control"] == "no-store"
    match = SECRET.search(answer.text)
    assert match and match.group(1).startswith("whsec_")
    secret = match.group(1)
    [hook] = _hooks(engine)
    assert hook.url == "https://hooks.example/threads" and hook.site == "news.example"
    assert hook.events == ["thread.closed", "comment.reported"] and hook.report_threshold == 5
    assert hook.created_by == "key:admin-key" and hook.removed_at is None
    with engine.connect() as conn:
        stored = " ".join(str(v) for r in conn.execute(sa.text("SELECT * FROM webhook")) for v in r)
    assert secret not in stored and secret.removeprefix("whsec_") not in stored
    again = client.get("/console/hooks")  # the page after: the hook, never its secret
    assert "https://hooks.example/threads" in again.text and secret not in again.text
    assert 'id="hook-secret"' not in again.text


def test_a_hook_with_no_event_ticked_gets_every_event(client: TestClient[Any]) -> None:
    _sign_in(client, Role.ADMIN)
    assert _add(client, url="http://127.0.0.1:9/all").status_code == 201
    [hook] = _hooks(_engine(client))
    assert set(hook.events) == {
        "comment.held",
        "comment.reported",
        "thread.closed",
        "campaign.found",
    }
    assert hook.site is None and hook.report_threshold == 3


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"url": "ftp://files.example/x"}, "url scheme &#39;ftp&#39; is not allowed"),
        ({"url": "https://user:pw@hooks.example/"}, "must not carry a user name or password"),
        ({"url": "https://hooks.example/", "events": ["nope"]}, "unknown event &#39;nope&#39;"),
        ({"url": "https://hooks.example/", "report_threshold": "0"}, "report_threshold must"),
        ({"url": "https://hooks.example/", "report_threshold": "x"}, "report threshold must"),
        ({"url": "https://hooks.example/", "site": "nowhere"}, "no site with key"),
    ],
)
def test_a_refused_hook_is_explained_on_the_page_and_nothing_is_written(
    client: TestClient[Any], form: dict[str, Any], said: str
) -> None:
    _sign_in(client, Role.ADMIN)
    answer = _add(client, **form)
    assert answer.status_code in (400, 404, 422)
    assert "webhook not added" in answer.text and said in answer.text
    assert 'id="hook-secret"' not in answer.text
    assert f'value="{form["url"]}"' in answer.text  # the form comes back as it was sent
    assert _hooks(_engine(client)) == []


def test_without_a_server_secret_the_page_says_so_and_adds_nothing(
    hook_settings: Settings,
) -> None:
    with TestClient(create_app(hook_settings.with_(webhook_secret=None))) as client:
        _sign_in(client, Role.ADMIN)
        assert "THREADS_WEBHOOK_SECRET is not set" in client.get("/console/hooks").text
        answer = _add(client, url="https://hooks.example/")
        assert answer.status_code == 422 and "webhook not added" in answer.text
        assert _hooks(_engine(client)) == []


def test_removing_a_hook_needs_the_csrf_token_and_is_shown(client: TestClient[Any]) -> None:
    engine = _engine(client)
    _sign_in(client, Role.ADMIN)
    _add(client, url="https://hooks.example/gone")
    [hook] = _hooks(engine)
    forged = client.post(f"/console/hooks/{hook.id}/remove", follow_redirects=False)
    assert forged.status_code == 403 and _hooks(engine)[0].removed_at is None
    answer = client.post(
        f"/console/hooks/{hook.id}/remove",
        data={"_csrf_token": _token(client, "/console/hooks")},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/console/hooks"
    assert _hooks(engine)[0].removed_at is not None
    page = client.get("/console/hooks").text
    assert f"removed webhook {hook.id}" in page and "removed on" in page
    assert f'action="/console/hooks/{hook.id}/remove"' not in page
    twice = client.post(
        f"/console/hooks/{hook.id}/remove",
        data={"_csrf_token": _token(client, "/console/hooks")},
    )
    assert "was already removed" in twice.text


def _failed_delivery(engine: Engine, settings: Settings) -> str:
    """A thread.closed delivery to a port where nothing listens, sent once (max attempts 1)."""
    seed = seed_data(engine)
    with session_scope(engine) as session:
        add_hook(
            session,
            refused_url(),
            settings=settings,
            actor=Actor.user("test"),
            events=["thread.closed"],
        )
        close_thread(session, seed.thread_id, actor=Actor.user("mod"), reason="enough")
    assert deliver_due(engine, settings).failed == 1
    with session_scope(engine) as session:
        [row] = list_deliveries(session).rows
        return row.uid


def _delivery(engine: Engine, uid: str) -> WebhookDelivery:
    with session_scope(engine) as session:
        return session.scalars(sa.select(WebhookDelivery).where(WebhookDelivery.uid == uid)).one()


def test_a_failed_delivery_is_listed_and_retried_with_the_csrf_token(
    client: TestClient[Any], hook_settings: Settings
) -> None:
    engine = _engine(client)
    uid = _failed_delivery(engine, hook_settings)
    _sign_in(client, Role.ADMIN)
    page = client.get("/console/hooks").text
    row = page[page.index(f'id="delivery-{uid}"') :]
    row = row[: row.index("</tr>")]
    assert "thread.closed" in row and "failed" in row and "ConnectError" in row
    retry = f"/console/hooks/deliveries/{uid}/retry"
    assert f'action="{retry}"' in row
    forged = client.post(retry, follow_redirects=False)
    assert forged.status_code == 403
    assert _delivery(engine, uid).status == DeliveryStatus.FAILED
    answer = client.post(
        retry,
        data={"_csrf_token": _token(client, "/console/hooks"), "back": "https://evil.example/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/console/hooks"
    again = _delivery(engine, uid)
    assert again.status == DeliveryStatus.PENDING and again.attempts == 0
    page = client.get("/console/hooks").text
    assert "will be sent again" in page and f'action="{retry}"' not in page
    refused = client.post(retry, data={"_csrf_token": _token(client, "/console/hooks")})
    assert "only failed or cancelled deliveries are retried" in refused.text


def test_deliveries_are_paged_with_the_listings_cursor(
    client: TestClient[Any], hook_settings: Settings
) -> None:
    engine = _engine(client)
    seed = seed_data(engine)
    with session_scope(engine) as session:
        for n in range(51):  # one more than a page
            add_hook(
                session,
                f"http://127.0.0.1:9/{n}",
                settings=hook_settings,
                actor=Actor.user("test"),
                events=["thread.closed"],
            )
        close_thread(session, seed.thread_id, actor=Actor.user("mod"), reason="enough")
    _sign_in(client, Role.ADMIN)
    first = client.get("/console/hooks").text
    assert "51 deliveries, newest first" in first
    assert first.count('<tr id="delivery-') == 50
    link = re.search(r'<a class="next" href="([^"]+)"', first)
    assert link
    second = client.get(link.group(1).replace("&amp;", "&")).text
    assert second.count('<tr id="delivery-') == 1 and 'class="next"' not in second
    bad = client.get("/console/hooks", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 200 and "cursor" in bad.text


def test_hostile_url_text_is_escaped(client: TestClient[Any], hook_settings: Settings) -> None:
    hostile = 'https://x.example/"><script>alert(1)</script>'
    with session_scope(_engine(client)) as session:
        add_hook(session, hostile, settings=hook_settings, actor=Actor.user('<b>"me"</b>'))
    _sign_in(client, Role.ADMIN)
    page = client.get("/console/hooks").text
    assert "<script>alert" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;" in page
    refused = _add(client, url="javascript:<img/src=x/onerror=alert(1)>")
    assert refused.status_code == 422 and "webhook not added" in refused.text
    assert "<img" not in refused.text and "&lt;img/src=x" in refused.text
