"""Laws of the API's small parts: cursors round-trip, any string is a cursor or a clear error,
the shared rate-limit count lets the first requests of each window through and no more."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from litestar.stores.redis import RedisStore

from tests.redis_server import RedisServer
from threads.api.ratelimit import count_shared, rate_limit_store
from threads.config import Settings
from threads.cursor import MAX_HEX, MAX_INT, Part, decode_cursor, encode_cursor
from threads.errors import InvalidInput

ints = st.integers(min_value=0, max_value=MAX_INT)
times = st.datetimes(timezones=st.timezones(), allow_imaginary=False)


@given(st.sampled_from(["t", "f", "r"]), st.lists(ints, min_size=1, max_size=3))
def test_cursor_round_trips(kind: str, values: list[int]) -> None:
    parts = [Part.INT] * len(values)
    assert decode_cursor(encode_cursor(kind, *values), kind, *parts) == tuple(values)


@given(st.sampled_from(["oldest", "newest"]), st.none() | times, ints)
def test_queue_cursor_round_trips(sort: str, when: datetime | None, last_id: int) -> None:
    cursor = encode_cursor(sort, when, last_id)
    decoded, decoded_id = decode_cursor(cursor, sort, Part.TIME_OR_NONE, Part.INT)
    # the same instant (== between time zones is False for an ambiguous local time, PEP 495)
    assert (decoded and decoded.timestamp(), decoded_id) == (when and when.timestamp(), last_id)


@given(st.text(max_size=200), st.sampled_from(["t", "f"]), st.integers(1, 3))
def test_any_string_is_a_cursor_or_an_invalid_input_on_field_cursor(
    text: str, kind: str, size: int
) -> None:
    try:
        values = decode_cursor(text, kind, *[Part.INT] * size)
    except InvalidInput as exc:
        assert exc.field == "cursor"
    else:
        assert len(values) == size and all(0 <= v <= MAX_INT for v in values)


@given(ints, st.text("0123456789abcdef", min_size=1, max_size=MAX_HEX))
def test_hex_cursor_round_trips(size: int, digest: str) -> None:
    cursor = encode_cursor("cg", 0, size, digest)
    assert decode_cursor(cursor, "cg", Part.INT, Part.INT, Part.HEX) == (0, size, digest)


@pytest.mark.parametrize("value", ["", "ABC", "12g4", "a" * (MAX_HEX + 1), 12, None, ["a"]])
def test_a_cursor_with_no_hex_string_where_one_is_due_is_refused(value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_cursor(_forged(["cg", value]), "cg", Part.HEX)
    assert caught.value.field == "cursor"


def _forged(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


@given(st.lists(json_values, max_size=4))
def test_any_forged_list_is_a_cursor_or_an_invalid_input(values: list[object]) -> None:
    for kind, parts in (("f", (Part.INT, Part.INT)), ("oldest", (Part.TIME_OR_NONE, Part.INT))):
        try:
            decoded = decode_cursor(_forged([kind, *values]), kind, *parts)
        except InvalidInput as exc:
            assert exc.field == "cursor"
        else:
            assert isinstance(decoded[-1], int) and 0 <= decoded[-1] <= MAX_INT


@pytest.mark.parametrize(
    "data",
    [
        ["t", 9223372036854775808],
        ["t", 2**31],
        ["t", -1],
        ["t", 1.5],
        ["t", True],
        ["oldest", {"t": "2024-01-01T00:00:00"}, 1],  # a time without an offset
        ["oldest", {"t": "yesterday"}, 1],
        ["oldest", {"t": "2024-01-01T00:00:00+00:00", "x": 1}, 1],
    ],
    ids=str,
)
def test_forged_values_are_refused(data: list[object]) -> None:
    parts = [Part.INT] if data[0] == "t" else [Part.TIME_OR_NONE, Part.INT]
    with pytest.raises(InvalidInput) as caught:
        decode_cursor(_forged(data), str(data[0]), *parts)
    assert caught.value.field == "cursor"


def test_a_deeply_nested_or_long_cursor_is_refused() -> None:
    for cursor in (_forged(["t", 1]) * 50, _forged([[[[[[[[[[]]]]]]]]]]), "[" * 100_000):
        with pytest.raises(InvalidInput):
            decode_cursor(cursor, "t", Part.INT)


def test_a_cursor_of_another_listing_is_refused() -> None:
    try:
        decode_cursor(encode_cursor("t", 5), "f", Part.INT)
    except InvalidInput as exc:
        assert exc.field == "cursor"
    else:
        raise AssertionError("a thread-list cursor must not page comments")


@settings(max_examples=60, deadline=None, database=None)
@given(
    st.integers(min_value=1, max_value=6),
    st.lists(st.integers(min_value=0, max_value=300), max_size=40),
)
def test_shared_count_allows_the_first_requests_of_each_window(
    redis_session: RedisServer, limit: int, offsets: list[int]
) -> None:
    """A window opens at the first request after the last one ended and lasts a minute; in it
    the first ``limit`` requests pass and the rest are refused (real server, given times)."""
    times = sorted(offsets)
    key = f"law-{uuid.uuid4().hex}"

    async def count_all() -> list[tuple[bool, int]]:
        store = rate_limit_store(Settings(store_url=redis_session.url))
        assert isinstance(store, RedisStore)
        async with store:
            answers = []
            for now in times:
                allowed, record = await count_shared(store, key, now=now, duration=60, limit=limit)
                answers.append((allowed, record.reset))
            return answers

    expected: list[tuple[bool, int]] = []
    reset, used = -1, 0
    for now in times:
        if now >= reset:
            reset, used = now + 60, 0
        allowed = used < limit
        expected.append((allowed, reset))
        used += int(allowed)
    assert asyncio.run(count_all()) == expected
