"""The OpenAPI pages at /schema work with no network: every script, style sheet and icon they
load is served by the app itself, from the installed openapi-ui-bundles package."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from litestar.testing import TestClient

from threads.api import create_app
from threads.config import Settings

PAGES = {
    "/schema": "Redoc.init(",
    "/schema/redoc": "Redoc.init(",
    "/schema/swagger": "SwaggerUIBundle(",
}
#: what each kind of asset must be served as, and a name its file must hold
ASSET_TYPES = {
    "script": ("text/javascript", None),
    "stylesheet": ("text/css", ".swagger-ui"),
    "icon": ("image/", None),
}


class _Assets(HTMLParser):
    """Every URL the page loads: script src, link href (style sheets, icons), img src."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        if tag == "script" and given.get("src"):
            self.found.append(("script", str(given["src"])))
        elif tag == "link" and given.get("href"):
            rel = (given.get("rel") or "").lower()
            self.found.append(("icon" if "icon" in rel else "stylesheet", str(given["href"])))
        elif tag in ("img", "iframe", "source") and given.get("src"):
            self.found.append((tag, str(given["src"])))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient[Any]]:
    """The pages do not depend on the database: one app over an embedded SQLite file."""
    path = tmp_path_factory.mktemp("docs") / "threads.db"
    with TestClient(create_app(Settings(database_url=f"sqlite:///{path}"))) as test_client:
        yield test_client


@pytest.mark.parametrize("page", sorted(PAGES))
def test_schema_page_loads_only_assets_served_here(client: TestClient[Any], page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert PAGES[page] in html  # the page starts its viewer on the schema inlined in it
    assert '"openapi":"3.1.0"' in html
    parser = _Assets()
    parser.feed(html)
    kinds = {kind for kind, _ in parser.found}
    assert {"script", "icon"} <= kinds
    for kind, url in parser.found:
        assert url.startswith("/schema/assets/"), f"{page} loads {url} from elsewhere"
        asset = client.get(url)
        assert asset.status_code == 200, url
        media_type, marker = ASSET_TYPES[kind]
        assert asset.headers["content-type"].startswith(media_type), url
        assert len(asset.content) > 100, url
        if marker is not None:
            assert marker in asset.text, url
    # no other address anywhere in the page's markup (fonts, CDNs, trackers)
    markup = html.split("<script type='text/javascript'>", 1)[0]
    assert "http://" not in markup and "https://" not in markup and "//cdn" not in markup
