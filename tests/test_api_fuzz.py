"""Hostile input on every route of the OpenAPI document: never a 5xx, every refusal a problem.

Schemathesis turns our own schema into requests (valid and schema-violating ones); each is then
given hostile values in some of its path and query parameters, body fields or the whole body:
integers beyond 32 and 64 bits, NUL and other control characters, invalid UTF-8 and lone
surrogates, long strings, unusual Unicode, times at the ends of the calendar, forged cursors,
JSON nested 1,000 and 10,000 levels deep, bodies that are not JSON at all. Some requests carry
the admin key (so that they reach the handlers), some none (public input), some a malformed one.

The run is seeded (hypothesis ``@seed``, no example database): the same requests every time, at
least :data:`MIN_REQUESTS` of them on each backend. The hostile values are picked by a
``random.Random`` that hypothesis seeds for each example, so that every value of the catalogue
is as likely as the others (hypothesis's own choices lean on the first of each list).
"""
# ruff: noqa: F811  (pytest fixtures imported from tests.api_fixtures are used as arguments)

from __future__ import annotations

import base64
import json
import math
import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient
from schemathesis import GenerationMode

from tests.api_fixtures import make_keys, seed_data
from threads.api import create_app
from threads.config import Settings
from threads.db import make_engine

SEED = 170_003
MIN_REQUESTS = 2_000
PROBLEM_FIELDS = ("type", "title", "status", "detail", "code")


class Raw(str):
    """A value already percent-encoded for a URL (invalid UTF-8, a lone surrogate, ...)."""


# --------------------------------------------------------------------------- hostile values

HUGE_INTS = [
    2**31 - 1,
    2**31,
    2**32,
    2**53 + 1,
    2**63 - 1,
    2**63,
    2**64,
    -(2**31) - 1,
    -(2**63) - 1,
    -1,
    0,
    10**100,
]
ODD_TIMES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59.999999Z",
    "1970-01-01T00:00:00+23:59",
    "2024-02-30T00:00:00Z",
    "2024-01-01T24:00:00Z",
    "2024-01-01T00:00:00",
    "2024-01-01",
    "0000-00-00T00:00:00Z",
    "+275760-09-13T00:00:00Z",
    "2024-01-01T00:00:00.99999999999Z",
    "2024-W01-1",
    "now",
]
ODD_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "x" * 10_000,
    "é" * 3_000,
    "😀" * 600,
    "\ud800",
    "a\udfffb",
    "\u202egnp.exe",
    "\u200b\ufeff\u2028\u2029",
    "\r\n\t\x7f\x1b[2J\x1b]0;title\x07",
    "[/oops][link=http://evil.test]x[/link]",
    "<script>alert(1)</script>",
    "'; DROP TABLE comment; --",
    '=HYPERLINK("http://evil.test")',
    "../../etc/passwd",
    "%00",
    "null",
    "NaN",
    "-0",
    "1e309",
    "ǅ\u0345\u0130ﬀ",  # case folding that changes the length
]
RAW_ESCAPES = [
    Raw("%00"),
    Raw("%FF%FE"),
    Raw("%ED%A0%80"),  # a UTF-16 surrogate written as UTF-8
    Raw("%E2%82"),  # a truncated sequence
    Raw("%C0%80"),  # an over-long NUL
    Raw("a%00b"),
]
NUMBER_WORDS = ["1.5", "1e3", "0x10", "+1", " 1", "1 ", "١٢", "true", "[]", "{}", "-0"]
CURSOR_KINDS = ["t", "f", "r", "oldest", "newest", "most_reported", "x", ""]
#: code points to build random text from: controls, ASCII, Latin, combining marks,
#: right-to-left, surrogates, private use, non-characters, emoji
CODE_POINT_RANGES = [
    (0, 0x1F),
    (0x20, 0x7E),
    (0x7F, 0x9F),
    (0xA0, 0x24F),
    (0x300, 0x36F),
    (0x590, 0x6FF),
    (0xD800, 0xDFFF),
    (0xE000, 0xE0FF),
    (0xFFF0, 0xFFFF),
    (0x1F300, 0x1FAFF),
]


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def _deep_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


#: whole bodies that no route expects, as bytes
RAW_BODIES = [
    _deep(1_000).encode(),  # 2 KB, nested 1,000 levels
    _deep(10_000).encode(),  # deeper than any recursion limit (hypothesis raises Python's)
    _deep_object(1_000).encode(),
    _deep_object(10_000).encode(),
    ('{"author_name":"x","body":' + _deep(10_000) + "}").encode(),
    ('{"action":"approve","filter":{"statuses":' + _deep(10_000) + "}}").encode(),
    _deep(33).encode(),
    b"",
    b"null",
    b"[]",
    b"{",
    b'{"a":1,}',
    b"\xff\xfe{\x00}\x00",
    b"\xef\xbb\xbf{}",
    b"1" * 5_000,
    b"1e999999",
    b'"\\ud800"',
    b'{"a":NaN}',
    b"{}" * 1_000,
    b'{"a":1,"a":2}',
]
BAD_AUTHORIZATION = [
    "Bearer ",
    "Bearer garbage",
    "Bearer thr_" + "A" * 43,
    "Bearer thr_" + "x" * 4_000,
    "Basic YWRtaW46YWRtaW4=",
    "bearer\tthr_\x7f",
    "Token abc",
]
CONTENT_TYPES = ["text/plain", "application/json; charset=utf-16", "multipart/form-data", ""]


def _huge_int(rng: random.Random) -> int:
    if rng.random() < 0.6:
        return rng.choice(HUGE_INTS)
    return rng.choice([1, -1]) * rng.getrandbits(rng.choice([31, 32, 63, 64, 65, 300]))


def _random_text(rng: random.Random) -> str:
    ranges = rng.sample(CODE_POINT_RANGES, rng.randint(1, 3))
    return "".join(chr(rng.randint(*rng.choice(ranges))) for _ in range(rng.randint(1, 300)))


def _odd_text(rng: random.Random) -> str:
    return rng.choice(ODD_TEXT) if rng.random() < 0.6 else _random_text(rng)


def _odd_time(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return rng.choice(ODD_TIMES)
    numbers = [rng.randint(0, 9999), rng.randint(0, 13), rng.randint(0, 32)]
    numbers += [rng.randint(0, 25), rng.randint(0, 61), rng.randint(0, 61)]
    offset = rng.choice(["Z", "", "+14:00", "-14:00", "+23:59", "-99:99", "+00:00:01"])
    return "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}".format(*numbers) + offset


def _cursor(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return rng.choice(
            [
                base64.urlsafe_b64encode(_deep(1_000).encode()).decode(),
                base64.urlsafe_b64encode(b"\xff\xfe").decode(),
                "!!!",
                "=" * 50,
                "A" * 5_000,
            ]
        )
    values: list[Any] = []
    for _ in range(rng.randint(0, 4)):
        values.append(
            rng.choice(
                [
                    _huge_int(rng),
                    {"t": _odd_time(rng)},
                    rng.choice([None, True, 1.5, "1", [1], {}]),
                    json.loads(_deep(rng.randint(2, 60))),
                ]
            )
        )
    data = json.dumps([rng.choice(CURSOR_KINDS), *values]).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=" if rng.random() < 0.5 else "")


def _param(rng: random.Random) -> str:
    """A hostile value for a path or query parameter."""
    kind = rng.randrange(6)
    if kind == 0:
        return str(_huge_int(rng))
    if kind == 1:
        return _odd_time(rng)
    if kind == 2:
        return _odd_text(rng)
    if kind == 3:
        return rng.choice(RAW_ESCAPES)
    if kind == 4:
        return _cursor(rng)
    return rng.choice(NUMBER_WORDS)


def _json_value(rng: random.Random) -> Any:
    """A hostile value for a JSON field."""
    kind = rng.randrange(8)
    if kind == 0:
        return _huge_int(rng)
    if kind == 1:
        return _odd_time(rng)
    if kind == 2:
        return _odd_text(rng)
    if kind == 3:
        return rng.choice([None, True, False, 1.5, -0.0, 1e308, math.inf, math.nan, [], {}])
    if kind == 4:
        return [_huge_int(rng) for _ in range(rng.randint(0, 5))]
    if kind == 5:
        return [_odd_text(rng) for _ in range(rng.randint(0, 3))]
    if kind == 6:
        return json.loads(_deep(rng.randint(2, 40)))
    return {_odd_text(rng): _huge_int(rng) for _ in range(rng.randint(0, 3))}


# --------------------------------------------------------------------------- requests


@dataclass
class Outcome:
    requests: int = 0
    per_operation: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None


def _url_part(value: Any) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value)
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _query_string(query: dict[str, Any]) -> str:
    pairs: list[str] = []
    for name, value in query.items():
        for item in value if isinstance(value, list) else [value]:
            if item is not None:
                pairs.append(f"{_url_part(str(name))}={_url_part(item)}")
    return "&".join(pairs)


def _mutated(data: Any, rng: random.Random) -> Any:
    """A JSON body with some of its fields (one level down too) swapped for hostile values."""
    if not isinstance(data, dict):
        return _json_value(rng) if rng.random() < 0.5 else data
    out = dict(data)
    for name in list(out):
        if isinstance(out[name], dict) and rng.random() < 0.5:
            out[name] = _mutated(out[name], rng)
        elif rng.random() < 0.4:
            out[name] = _json_value(rng)
    if rng.random() < 0.15:
        out[_odd_text(rng)] = _json_value(rng)
    return out


def _body(case: Any, rng: random.Random) -> bytes | None:
    choice = rng.random()
    if choice < 0.15:
        return rng.choice(RAW_BODIES)
    if choice < 0.2:
        return None
    body = None if case.body is schemathesis.core.NOT_SET else case.body
    if isinstance(body, bytes):  # schemathesis's negative mode sends bytes at times
        return body
    if choice < 0.75:
        body = _mutated(body, rng)
    # NaN and infinities go out as the non-JSON words Python writes for them: hostile too;
    # lone surrogates either as \\u escapes or as invalid UTF-8
    text = json.dumps(body, ensure_ascii=rng.random() < 0.5)
    return text.encode("utf-8", "surrogatepass")


def _request(
    operation: Any, case: Any, rng: random.Random, ids: dict[str, Any], key: str
) -> Request:
    path = operation.path
    for name, generated in case.path_parameters.items():
        chosen = rng.choice([_param(rng), generated, ids.get(name, generated)])
        path = path.replace("{" + name + "}", _url_part(chosen))
    query = dict(case.query or {})
    for param in operation.query:
        if rng.random() < 0.4:
            query[param.name] = _param(rng)
    if rng.random() < 0.15:
        query[rng.choice(["api_key", "status", "codebook", _odd_text(rng)])] = _param(rng)
    url = path + ("?" + qs if (qs := _query_string(query)) else "")
    headers: dict[str, str] = {}
    auth = rng.random()
    if auth < 0.55:
        headers["Authorization"] = f"Bearer {key}"
    elif auth > 0.85:
        headers["Authorization"] = rng.choice(BAD_AUTHORIZATION)
    content = None
    if operation.body:
        content = _body(case, rng)
        if content is not None:
            json_type = rng.random() < 0.85
            headers["Content-Type"] = "application/json" if json_type else rng.choice(CONTENT_TYPES)
    return Request(operation.method.upper(), url, headers, content)


def _check(response: Any, request: Request) -> str | None:
    """What is wrong with the answer to a hostile request, or None."""
    where = f"{request.method} {request.url[:300]} (body {(request.content or b'')[:200]!r})"
    if response.status_code >= 500:
        return f"{where}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        if not response.headers.get("content-type", "").startswith("application/problem+json"):
            return f"{where}: {response.status_code} without problem details: {response.text[:300]}"
        body = response.json()
        missing = [name for name in PROBLEM_FIELDS if name not in body]
        if missing or body["status"] != response.status_code:
            return f"{where}: problem without {missing} or with another status: {body}"
    return None


# --------------------------------------------------------------------------- the run


@pytest.fixture
def fuzzed_app(db_url: str) -> Any:
    engine = make_engine(db_url)
    try:
        seeded = seed_data(engine)
        keys = make_keys(engine)
    finally:
        engine.dispose()
    # A generous rate limit: the fuzzer is one address sending many submissions.
    app: Litestar = create_app(Settings(database_url=db_url, rate_limit_per_minute=1_000_000))
    ids = {
        "thread_id": seeded.thread_id,
        "comment_id": seeded.by_status["pending"],
        "name": "viewer-key",
    }
    return app, keys.admin, ids


def _fuzz(
    client: TestClient[Any],
    operation: Any,
    examples: int,
    key: str,
    ids: dict[str, Any],
    outcome: Outcome,
) -> None:
    """Send ``examples`` seeded hostile requests to one operation, noting every bad answer."""
    cases = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
        GenerationMode.NEGATIVE
    )

    @seed(SEED)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    @given(case=cases, rng=st.randoms(use_true_random=True))
    def run(case: Any, rng: random.Random) -> None:
        request = _request(operation, case, rng, ids, key)
        response = client.request(
            request.method, request.url, headers=request.headers, content=request.content
        )
        outcome.requests += 1
        label = operation.label
        outcome.per_operation[label] = outcome.per_operation.get(label, 0) + 1
        outcome.statuses[response.status_code] = outcome.statuses.get(response.status_code, 0) + 1
        if (problem := _check(response, request)) is not None:
            outcome.failures.append(problem)

    run()


def test_no_hostile_request_gets_a_5xx(fuzzed_app: Any) -> None:
    app, admin_key, ids = fuzzed_app
    outcome = Outcome()
    with TestClient(app, raise_server_exceptions=False) as client:
        # the document as served; every request goes through this one client (and lifespan)
        schema = schemathesis.openapi.from_dict(client.get("/schema/openapi.json").json())
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 14
        examples = math.ceil(MIN_REQUESTS / len(operations)) + 5
        for operation in operations:
            _fuzz(client, operation, examples, admin_key, ids, outcome)
    assert set(outcome.per_operation) == {operation.label for operation in operations}
    assert outcome.requests >= MIN_REQUESTS, outcome.per_operation
    # the hostile values reached the handlers too, not only the key check and the parsers
    assert outcome.statuses.get(200, 0) > 100 and outcome.statuses.get(422, 0) > 50, outcome
    assert not outcome.failures, f"{len(outcome.failures)} bad answers:\n" + "\n".join(
        outcome.failures[:20]
    )
