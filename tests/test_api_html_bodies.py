"""Bodies imported as HTML are served with a sanitised HTML field beside the text, never raw
script (issue 17, finding 11); text bodies come escaped."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient
from sqlalchemy.engine import Engine

from tests.moderation_support import make_comment, make_thread
from threads.api import create_app
from threads.body_text import safe_html
from threads.config import Settings
from threads.models import CommentStatus

HOSTILE = (
    '<p onclick="steal()">Gold <b>reserves</b><script>alert(1)</script>'
    '<img src=x onerror="alert(2)"><a href="JaVaScRiPt:alert(3)">x</a>'
    '<a href="https://example.org/" target="_blank">source</a>'
    '<iframe src="https://evil.test"></iframe><style>body{display:none}</style></p>'
)


def _comments(client: TestClient[Any], thread_id: int) -> list[dict[str, Any]]:
    response = client.get(f"/api/threads/{thread_id}/comments?view=flat")
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_html_bodies_are_served_sanitised_beside_the_raw_and_plain_text(
    engine: Engine, db_url: str
) -> None:
    tid = make_thread(engine)
    make_comment(engine, tid, body=HOSTILE, body_format="html", status=CommentStatus.APPROVED)
    make_comment(engine, tid, body="a <b>text</b> body\nline two", status=CommentStatus.APPROVED)
    with TestClient(app=create_app(Settings(database_url=db_url))) as client:
        html_comment, text_comment = _comments(client, tid)
    safe = html_comment["body_html"]
    for bad in ("<script", "onclick", "onerror", "javascript:", "<iframe", "<style", "<img"):
        assert bad not in safe.lower(), (bad, safe)
    assert "<b>reserves</b>" in safe
    assert 'href="https://example.org/"' in safe and "nofollow" in safe
    assert html_comment["body"] == HOSTILE  # the data itself, as imported
    assert html_comment["body_text"].startswith("Gold reserves")
    assert "<" not in html_comment["body_text"]
    assert text_comment["body_html"] == "<p>a &lt;b&gt;text&lt;/b&gt; body<br>line two</p>"


def test_text_bodies_become_paragraphs_and_nothing_is_markup() -> None:
    assert safe_html("one\n\ntwo & <three>", "text") == "<p>one</p><p>two &amp; &lt;three&gt;</p>"
    assert safe_html("", "html") == ""
    assert safe_html('<a href="vbscript:x" onmouseover="y">z</a>', "html") == (
        '<a rel="nofollow noopener noreferrer">z</a>'
    )
