"""Every list of the API has one shape, ``{"items", "total", "next_cursor"}``: read from the
OpenAPI document of the real app, then called on both backends and walked page by page."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import Engine

from tests.api_fixtures import Keys, Seed, client, keys, plant_aliases, seed  # noqa: F401
from threads.api import create_app
from threads.config import Settings

PAGE_FIELDS = {"items", "total", "next_cursor"}


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Webhooks can be registered (a server secret) and nothing sends them (no worker): the
    hook lists have rows to page through."""
    return Settings(database_url=db_url, webhook_secret="s" * 32, webhook_worker=False)


#: the list endpoints there are; a new one must be added here (and be a Page)
LISTS = {
    "/api/threads",
    "/api/sites",
    "/api/threads/{thread_id}/comments",
    "/api/threads/{thread_id}/history",
    "/api/comments/{comment_id}/history",
    "/api/queue",
    "/api/keys",
    "/api/authors",
    "/api/audit",
    "/api/hooks",
    "/api/hooks/deliveries",
    "/api/campaigns",
}


def _openapi(client: TestClient[Any]) -> dict[str, Any]:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = document["components"]["schemas"][name]
    return schema


def _alternatives(document: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema itself, or each branch of a oneOf/anyOf, resolved."""
    schema = _resolve(document, schema)
    branches = schema.get("oneOf") or schema.get("anyOf")
    return [_resolve(document, b) for b in branches] if branches else [schema]


def _get_answers(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Path -> the JSON schemas of the 2xx answers of its GET operation."""
    found: dict[str, list[dict[str, Any]]] = {}
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        schemas = []
        for status, response in get["responses"].items():
            if not status.startswith("2"):
                continue
            for media, content in response.get("content", {}).items():
                if media.endswith("json") and "schema" in content:
                    schemas += _alternatives(document, content["schema"])
        found[path] = schemas
    return found


def _is_page(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    properties = schema.get("properties", {})
    if set(properties) != PAGE_FIELDS:
        return False
    items = _resolve(document, properties["items"])
    next_cursor = {
        branch.get("type") for branch in _alternatives(document, properties["next_cursor"])
    }
    return (
        items.get("type") == "array"
        and _resolve(document, properties["total"]).get("type") == "integer"
        and next_cursor == {"string", "null"}
        and {"items", "total"} <= set(schema.get("required", []))
    )


def test_every_list_in_the_openapi_document_is_a_page(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'schema.db'}"))
    with TestClient(app) as test_client:
        document = _openapi(test_client)
    answers = _get_answers(document)
    assert set(answers) >= LISTS, sorted(LISTS - set(answers))
    pages = set()
    for path, schemas in answers.items():
        assert schemas, f"GET {path} documents no JSON answer"
        for schema in schemas:
            assert schema.get("type") != "array", f"GET {path} answers a bare array"
            if "items" in schema.get("properties", {}) or _is_page(document, schema):
                assert _is_page(document, schema), f"GET {path} answers a list that is no Page"
                pages.add(path)
    assert pages == LISTS


def _fill(path: str, seed: Seed) -> str:
    return path.replace("{thread_id}", str(seed.thread_id)).replace(
        "{comment_id}", str(seed.by_status["pending"])
    )


def _with_limit(document: dict[str, Any], path: str) -> bool:
    parameters = document["paths"][path]["get"].get("parameters", [])
    return any(p["name"] == "limit" and p["in"] == "query" for p in parameters)


def _history(client: TestClient[Any], keys: Keys, seed: Seed) -> None:
    """A few audit events on the thread and its pending comment, so that history lists hold
    more than one page of one."""
    moderator = Keys.header(keys.moderator)
    for n in range(2):  # closing the thread below queues a delivery to each
        hook = {"url": f"http://127.0.0.1:9/hook{n}", "events": ["thread.closed"]}
        added = client.post("/api/hooks", json=hook, headers=Keys.header(keys.admin))
        assert added.status_code == 201, added.text
    pending = seed.by_status["pending"]
    for action in ("approve", "flag", "reject"):
        body = {"action": action, "reason": "test"}
        done = client.post(f"/api/comments/{pending}/actions", json=body, headers=moderator)
        assert done.status_code == 200, done.text
    for author, standing in [("a0@example.org", "trusted"), ("a1@example.org", "banned")]:
        body = {"standing": standing, "reason": "test"}
        put = client.put(f"/api/authors/example.org/{author}", json=body, headers=moderator)
        assert put.status_code == 200, put.text
    closed = client.post(
        f"/api/threads/{seed.thread_id}/close", json={"reason": "done"}, headers=moderator
    )
    assert closed.status_code == 200, closed.text


def test_every_list_endpoint_answers_pages_that_walk_to_the_total(
    client: TestClient[Any], keys: Keys, seed: Seed, engine: Engine
) -> None:
    _history(client, keys, seed)
    plant_aliases(engine, seed.thread_id)  # three campaigns (computed on each page)
    document = _openapi(client)
    admin = Keys.header(keys.admin)
    for template in sorted(LISTS):
        path = _fill(template, seed)
        whole = client.get(path, headers=admin)
        assert whole.status_code == 200, (path, whole.text)
        page = whole.json()
        assert set(page) == PAGE_FIELDS, (path, page)
        assert isinstance(page["items"], list) and isinstance(page["total"], int)
        assert page["items"], f"{path}: the seeded database should list something"
        if not _with_limit(document, template):
            assert page["next_cursor"] is None and page["total"] == len(page["items"])
            continue
        # one item per page, following next_cursor: each item once, as many as the total
        seen: list[str] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 1} | ({"cursor": cursor} if cursor else {})
            one = client.get(path, params=params, headers=admin).json()
            assert set(one) == PAGE_FIELDS and one["total"] == page["total"], (path, one)
            seen += [json.dumps(item, sort_keys=True) for item in one["items"]]
            cursor = one["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == page["total"], path
        if page["next_cursor"] is None:  # the whole list fit in the default page
            assert seen == [json.dumps(item, sort_keys=True) for item in page["items"]], path
