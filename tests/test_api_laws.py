"""Laws of the API's small parts: cursors round-trip, any string is a cursor or a clear error,
the rate limiter never lets more than its limit through in any window."""

from __future__ import annotations

import base64
import json
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threads.api.ratelimit import SlidingWindowLimiter
from threads.cursor import MAX_INT, Part, decode_cursor, encode_cursor
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


@given(
    st.integers(min_value=1, max_value=10),
    st.lists(st.floats(min_value=0, max_value=300, allow_nan=False), max_size=80),
)
def test_limiter_never_allows_more_than_the_limit_in_any_window(
    limit: int, offsets: list[float]
) -> None:
    limiter = SlidingWindowLimiter(limit, window=60.0)
    allowed: list[float] = []
    for moment in sorted(offsets):
        wait = limiter.hit("198.51.100.7", now=moment)
        if wait is None:
            allowed.append(moment)
        else:
            assert 0 < wait <= 60.0
    for start in allowed:
        assert sum(1 for t in allowed if start <= t < start + 60.0) <= limit


def test_limiter_counts_addresses_apart() -> None:
    limiter = SlidingWindowLimiter(1)
    assert limiter.hit("a", now=0.0) is None
    assert limiter.hit("b", now=0.0) is None
    assert limiter.hit("a", now=1.0) == 59.0
    assert limiter.hit("a", now=60.0) is None
