"""Human timestamps from saved pages: the shapes pages print, in several languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threads.ingest.dates import (
    epoch_from_show_comment,
    looks_like_timestamp,
    parse_timestamp,
    parse_timestamp_info,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("November 4, 2014 at 03:32", utc(2014, 11, 4, 3, 32)),
        ("March 5, 2021 at 10:14 AM", utc(2021, 3, 5, 10, 14)),
        ("March 5, 2021 at 12:14 AM", utc(2021, 3, 5, 0, 14)),
        ("March 5, 2021 at 12:14 PM", utc(2021, 3, 5, 12, 14)),
        ("Nov. 4, 2014", utc(2014, 11, 4)),
        ("4 November 2014 at 3:32 pm", utc(2014, 11, 4, 15, 32)),
        ("2014-11-04T03:32:00+01:00", utc(2014, 11, 4, 2, 32)),
        ("2014-11-04T03:32:00Z", utc(2014, 11, 4, 3, 32)),
        ("2023-11-06T11:41:00+0100", utc(2023, 11, 6, 10, 41)),
        ("2014-11-04 03:32", utc(2014, 11, 4, 3, 32)),
        ("26. März 2004, 16:19", utc(2004, 3, 26, 16, 19)),
        ("11. Dezember 2012 um 11:07", utc(2012, 12, 11, 11, 7)),
        ("06.11.2023, 13.47 Uhr", utc(2023, 11, 6, 13, 47)),
        ("29 november 2010 om 12:35", utc(2010, 11, 29, 12, 35)),
        ("March 11th, 2015 at 02:57", utc(2015, 3, 11, 2, 57)),
        ("wrote on March 11th, 2015 at 02:57:", utc(2015, 3, 11, 2, 57)),
        ("Tuesday, November 4, 2014 10:00 PM EST", utc(2014, 11, 5, 3, 0)),
        ("Samstag, 5. Oktober 2013", utc(2013, 10, 5)),
        ("1er janvier 2020 à 9h30", utc(2020, 1, 1, 9, 30)),
        ("2014/11/04 03:32", utc(2014, 11, 4, 3, 32)),
        ("11/04/2014 3:32 PM", utc(2014, 11, 4, 15, 32)),
        ("Tue Nov 04 03:32:00 2014", utc(2014, 11, 4, 3, 32)),
        ("Tue, 04 Nov 2014 03:32:00 +0100", utc(2014, 11, 4, 2, 32)),
        ("Sun, 09/13/2020 - 12:26", utc(2020, 9, 13, 12, 26)),
    ],
)
def test_parse_timestamp_reads_the_shapes_pages_print(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected


def test_naive_times_are_taken_as_utc_and_say_so() -> None:
    parsed = parse_timestamp_info("November 4, 2014 at 03:32")
    assert parsed is not None
    assert parsed.value.tzinfo is not None
    assert parsed.timezone_assumed
    assert parsed.notes() == {"timezone_assumed": "UTC"}


def test_times_with_an_offset_are_not_assumed() -> None:
    parsed = parse_timestamp_info("2012-12-11T11:07:17+01:00")
    assert parsed is not None
    assert not parsed.timezone_assumed
    assert parsed.value == utc(2012, 12, 11, 10, 7, 17)
    assert parsed.notes() == {}


def test_date_without_year_needs_a_default_year() -> None:
    assert parse_timestamp("Jun 20th at 2:41 am") is None
    parsed = parse_timestamp_info("Jun 20th at 2:41 am", default_year=2019)
    assert parsed is not None
    assert parsed.value == utc(2019, 6, 20, 2, 41)
    assert parsed.notes() == {"timezone_assumed": "UTC", "year_assumed": 2019}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "12:35",
        "2. we should go",
        "1. Ahmad",
        "February 30, 2020",
        "99.99.2020",
        "x" * 500,
    ],
)
def test_unparseable_text_gives_none(text: str) -> None:
    assert parse_timestamp(text) is None


def test_blogger_show_comment_links_carry_epoch_milliseconds() -> None:
    url = "https://example.blogspot.com/2013/10/post.html?showComment=1381172401460#c4265"
    assert epoch_from_show_comment(url) == datetime(2013, 10, 7, 19, 0, 1, 460000, tzinfo=UTC)
    assert parse_timestamp(url) == epoch_from_show_comment(url)
    assert epoch_from_show_comment("https://example.com/?p=1") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("November 4, 2014 at 03:32", True),
        ("  March 5, 2021 at 10:14 AM", True),
        ("Tuesday, 4 November 2014 - 15:32", True),
        ("November 4, 2014 at 3:32 am | Permalink", True),
        ("4. November 2014 um 15:32 | Antworten", True),
        ("Small correction: the transfer was announced on November 21, 2014", False),
        ("2. we should not forget 2014", False),
        ("Posted on March 5, 2021 by Anna", False),
    ],
)
def test_looks_like_timestamp_requires_nothing_but_a_timestamp(text: str, expected: bool) -> None:
    assert looks_like_timestamp(text) is expected


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(2200, 1, 1),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5))]
        ),
    )
)
def test_iso_8601_round_trips(moment: datetime) -> None:
    moment = moment.replace(microsecond=0)
    assert parse_timestamp(moment.isoformat()) == moment.astimezone(UTC)


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from(["%B %-d, %Y at %H:%M", "%-d %B %Y at %-I:%M %p", "%d.%m.%Y, %H.%M Uhr"]),
)
def test_printed_dates_round_trip(moment: datetime, pattern: str) -> None:
    moment = moment.replace(second=0, microsecond=0)
    parsed = parse_timestamp(moment.strftime(pattern))
    assert parsed == moment.replace(tzinfo=UTC)


@given(st.text(max_size=300))
def test_parse_timestamp_never_raises(text: str) -> None:
    result = parse_timestamp(text)
    assert result is None or result.tzinfo is not None
