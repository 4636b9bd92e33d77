"""Keys only in the Authorization header; no credential from a URL in the access log."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from tests.api_fixtures import Keys, assert_problem, client, keys  # noqa: F401
from tests.serve_process import THREADS, free_port, wait_until_serving
from threads.api.access_log import REDACTED, is_credential_name, redact

KEY = "thr_" + "Ab3_-x" * 7
CREDENTIAL_NAMES = [
    "key",
    "api_key",
    "API_KEY",
    "apiKey",
    "api-key",
    "x.api.key",
    "api%5Fkey",
    "token",
    "access_token",
    "accessToken",
    "refresh_token",
    "password",
    "passwd",
    "secret",
    "client_secret",
    "auth",
    "auth_token",
    "authorization",
    "session",
    "signature",
]
PLAIN_NAMES = ["author", "since", "until", "cursor", "text", "topic", "status", "site", "limit"]


@pytest.mark.parametrize("name", CREDENTIAL_NAMES)
def test_a_credential_named_parameter_is_redacted(name: str) -> None:
    assert is_credential_name(name)
    line = f'127.0.0.1:5 - "GET /api/queue?author=bob&{name}=hunter2&sort=newest HTTP/1.1" 401'
    assert redact(line) == line.replace("hunter2", REDACTED)


@pytest.mark.parametrize("name", PLAIN_NAMES)
def test_other_parameters_are_logged_as_they_are(name: str) -> None:
    assert not is_credential_name(name)
    assert redact(f"/api/queue?{name}=x%20y&sort=newest") == f"/api/queue?{name}=x%20y&sort=newest"


def test_anything_shaped_like_a_key_is_redacted_wherever_it_is() -> None:
    assert redact(f"/api/keys/{KEY}") == f"/api/keys/{REDACTED}"
    assert (
        redact(f"/api/queue?q={KEY}&author={KEY}") == f"/api/queue?q={REDACTED}&author={REDACTED}"
    )
    assert redact(f"/api/queue?{KEY}") == f"/api/queue?{REDACTED}"


@pytest.mark.parametrize("name", ["api_key", "key", "token", "access_token", "apiKey"])
def test_a_key_in_the_query_string_is_not_accepted(
    client: TestClient[Any], keys: Keys, name: str
) -> None:
    response = client.get(f"/api/queue?{name}={keys.admin}")
    assert_problem(response, 401, "missing_key")
    response = client.post(f"/api/keys?{name}={keys.admin}", json={"name": "from-url"})
    assert_problem(response, 401, "missing_key")


def test_the_access_log_of_serve_never_shows_a_key_from_the_url(tmp_path: Path) -> None:
    """A real `threads serve` with its access log on (SQLite: the log does not depend on the
    database). The key is refused and appears nowhere in what the server printed."""
    env = {**os.environ, "THREADS_DATABASE_URL": f"sqlite:///{tmp_path / 'logged.db'}"}
    created = subprocess.run(
        [THREADS, "keys", "create", "--name", "admin", "--role", "admin"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = created.stdout.strip().splitlines()[0]
    assert key.startswith("thr_")
    port = free_port()
    process = subprocess.Popen(
        [THREADS, "serve", "--port", str(port), "--access-log"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, f"{base}/api/threads")
        statuses = [
            httpx.get(f"{base}{target}", timeout=10).status_code
            for target in (
                f"/api/queue?author=bob&api_key={key}",
                f"/api/queue?access_token={key}&sort=newest",
                f"/api/queue?apiKey={key[:20]}",  # a part of a key is still a credential
                f"/api/keys/{key}",
            )
        ]
        keyed = httpx.get(f"{base}/api/queue", headers={"Authorization": f"Bearer {key}"})
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert statuses == [401, 401, 401, 405]  # no GET on /api/keys/{name}
    assert keyed.status_code == 200
    printed = out + err
    assert "/api/queue?author=bob&api_key=[redacted]" in printed
    assert "/api/queue?access_token=[redacted]&sort=newest" in printed
    assert "/api/queue?apiKey=[redacted]" in printed
    assert key[4:20] not in printed
