"""Role checks on every protected endpoint: 401 without a valid key, 403 below the role."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.api_fixtures import Keys, Seed, assert_problem, client, keys, seed  # noqa: F401

ROLES = ["viewer", "moderator", "admin"]

#: (method, path template, minimum role, JSON body)
PROTECTED: list[tuple[str, str, str, Any]] = [
    ("GET", "/api/queue", "viewer", None),
    ("GET", "/api/comments/{pending}/history", "viewer", None),
    ("GET", "/api/threads/{thread}/history", "viewer", None),
    ("POST", "/api/comments/{pending}/actions", "moderator", {"action": "approve"}),
    ("POST", "/api/actions/bulk", "moderator", {"ids": ["{pending}"], "action": "approve"}),
    ("POST", "/api/threads/{thread}/close", "moderator", {"reason": "heated"}),
    ("POST", "/api/threads/{closed}/reopen", "moderator", {}),
    ("PUT", "/api/threads/{thread}/policy", "admin", {"premoderation": "all"}),
    ("GET", "/api/keys", "admin", None),
    ("POST", "/api/keys", "admin", {"name": "new-one", "role": "viewer"}),
    ("DELETE", "/api/keys/viewer-key", "admin", None),
]


def _fill(value: Any, seed: Seed) -> Any:
    names = {
        "{pending}": seed.by_status["pending"],
        "{thread}": seed.thread_id,
        "{closed}": seed.closed_thread_id,
    }
    if isinstance(value, str):
        if value in names:
            return names[value]
        for name, number in names.items():
            value = value.replace(name, str(number))
        return value
    if isinstance(value, list):
        return [_fill(v, seed) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, seed) for k, v in value.items()}
    return value


def _call(
    client: TestClient[Any], method: str, path: str, body: Any, headers: dict[str, str]
) -> Any:
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    return client.request(method, path, **kwargs)


CASES = [(m, p, r, b) for m, p, r, b in PROTECTED]
IDS = [f"{m} {p}" for m, p, _, _ in PROTECTED]


@pytest.mark.parametrize(("method", "path", "minimum", "body"), CASES, ids=IDS)
def test_protected_endpoint_refuses_requests_without_a_valid_key(
    client: TestClient[Any], keys: Keys, seed: Seed, method: str, path: str, minimum: str, body: Any
) -> None:
    url, data = _fill(path, seed), _fill(body, seed)
    bad_headers = {
        "missing_key": {},
        "invalid_key": Keys.header("thr_" + "x" * 43),
        "revoked_key": Keys.header(keys.revoked),
        "invalid_authorization": {"Authorization": "Basic dXNlcjpwYXNz"},
    }
    for code, headers in bad_headers.items():
        response = _call(client, method, url, data, headers)
        assert_problem(response, 401, code)
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "minimum", "body"), CASES, ids=IDS)
def test_protected_endpoint_checks_the_role(
    client: TestClient[Any], keys: Keys, seed: Seed, method: str, path: str, minimum: str, body: Any
) -> None:
    url, data = _fill(path, seed), _fill(body, seed)
    rank = ROLES.index(minimum)
    for role in ROLES[:rank]:
        response = _call(client, method, url, data, Keys.header(keys.of(role)))
        body_ = assert_problem(response, 403, "forbidden")
        assert body_["required_role"] == minimum
    response = _call(client, method, url, data, Keys.header(keys.of(minimum)))
    assert 200 <= response.status_code < 300, response.text


def test_purge_needs_an_admin_key(client: TestClient[Any], keys: Keys, seed: Seed) -> None:
    url = f"/api/comments/{seed.by_status['spam']}/actions"
    refused = client.post(url, json={"action": "purge"}, headers=Keys.header(keys.moderator))
    assert_problem(refused, 403, "forbidden")
    done = client.post(url, json={"action": "purge"}, headers=Keys.header(keys.admin))
    assert done.status_code == 200, done.text
    assert done.json()["purged"] is True


def test_a_bad_key_on_a_public_endpoint_is_refused_not_ignored(
    client: TestClient[Any], seed: Seed
) -> None:
    response = client.get(
        f"/api/threads/{seed.thread_id}/comments", headers=Keys.header("thr_nope_nope_nope_nope_x")
    )
    assert_problem(response, 401, "invalid_key")
