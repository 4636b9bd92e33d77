"""The rate limit on public writes: Litestar's middleware over a memory store by default, over a
real Redis-compatible server when THREADS_STORE_URL is set."""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

import socket
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.api_fixtures import Seed, assert_problem, seed  # noqa: F401
from tests.redis_server import RedisServer
from threads.api import create_app
from threads.config import Settings
from threads.errors import InvalidInput


def _post(client: TestClient[Any], seed: Seed, n: int) -> Any:
    return client.post(
        f"/api/threads/{seed.thread_id}/comments",
        json={"author_name": f"Reader {n}", "body": f"comment number {n} here"},
    )


def test_two_apps_over_one_store_share_one_limit(
    settings: Settings, seed: Seed, store: RedisServer
) -> None:
    shared = settings.with_(rate_limit_per_minute=3, store_url=store.url)
    with TestClient(create_app(shared)) as first, TestClient(create_app(shared)) as second:
        answers = [_post(client, seed, n) for n, client in enumerate([first, second, first])]
        assert [a.status_code for a in answers] == [201, 201, 201], answers[-1].text
        assert answers[-1].headers["ratelimit-remaining"] == "0"
        for client in (second, first):
            refused = assert_problem(_post(client, seed, 9), 429, "rate_limited")
            assert 1 <= refused["retry_after"] <= 60
        # the report route counts in the same limit; reads are not limited
        report = second.post(
            f"/api/comments/{seed.by_status['approved']}/reports", json={"reason": "spam"}
        )
        assert_problem(report, 429, "rate_limited")
        assert second.get(f"/api/threads/{seed.thread_id}").status_code == 200


def test_memory_stores_of_two_apps_count_apart(settings: Settings, seed: Seed) -> None:
    """Without a shared store each process counts on its own (why THREADS_STORE_URL exists)."""
    alone = settings.with_(rate_limit_per_minute=1)
    with TestClient(create_app(alone)) as first, TestClient(create_app(alone)) as second:
        assert _post(first, seed, 1).status_code == 201
        assert_problem(_post(first, seed, 2), 429, "rate_limited")
        assert _post(second, seed, 3).status_code == 201


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_store_refuses_public_writes_with_503_and_reads_go_on(
    settings: Settings, seed: Seed
) -> None:
    gone = settings.with_(store_url=f"redis://127.0.0.1:{_closed_port()}/0")
    with TestClient(create_app(gone)) as client:
        response = _post(client, seed, 1)
        assert_problem(response, 503, "unavailable")
        assert int(response.headers["retry-after"]) >= 1
        assert client.get(f"/api/threads/{seed.thread_id}").status_code == 200


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("THREADS_STORE_URL", "memcached://127.0.0.1:11211"),
        ("THREADS_STORE_URL", "127.0.0.1:6379"),
        ("THREADS_FORWARDED_ALLOW_IPS", "127.0.0.1,proxy.example"),
        ("THREADS_FORWARDED_ALLOW_IPS", "10.0.0.0/33"),
    ],
)
def test_bad_store_or_proxy_setting_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        Settings.from_env({variable: value})
    assert raised.value.field == variable
    assert "expected" in raised.value.detail


def test_proxy_setting_takes_addresses_networks_or_any() -> None:
    given = {"THREADS_FORWARDED_ALLOW_IPS": " 127.0.0.1, 10.0.0.0/8,::1 "}
    assert Settings.from_env(given).forwarded_allow_ips == "127.0.0.1,10.0.0.0/8,::1"
    assert Settings.from_env({"THREADS_FORWARDED_ALLOW_IPS": "*"}).forwarded_allow_ips == "*"
    assert Settings.from_env({}).forwarded_allow_ips == ""
    assert Settings.from_env({"THREADS_STORE_URL": ""}).store_url is None
