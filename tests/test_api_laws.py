"""Laws of the API's small parts: cursors round-trip, any string is a cursor or a clear error,
the rate limiter never lets more than its limit through in any window."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from threads.api.ratelimit import SlidingWindowLimiter
from threads.api.views import decode_cursor, encode_cursor
from threads.errors import InvalidInput

ints = st.integers(min_value=-(2**62), max_value=2**62)


@given(st.sampled_from(["t", "f", "r"]), st.lists(ints, min_size=1, max_size=3))
def test_cursor_round_trips(kind: str, values: list[int]) -> None:
    assert decode_cursor(encode_cursor(kind, *values), kind, len(values)) == values


@given(st.text(max_size=200), st.sampled_from(["t", "f"]), st.integers(1, 3))
def test_any_string_is_a_cursor_or_an_invalid_input_on_field_cursor(
    text: str, kind: str, size: int
) -> None:
    try:
        values = decode_cursor(text, kind, size)
    except InvalidInput as exc:
        assert exc.field == "cursor"
    else:
        assert len(values) == size and all(isinstance(v, int) for v in values)


def test_a_cursor_of_another_listing_is_refused() -> None:
    try:
        decode_cursor(encode_cursor("t", 5), "f", 1)
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
