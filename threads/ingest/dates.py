"""Human timestamps as saved pages show them, turned into aware UTC datetimes.

Pages print dates in many shapes and languages ("November 4, 2014 at 03:32", "26. März 2004,
16:19", "06.11.2023, 13.47 Uhr", "29 november 2010 om 12:35", ISO 8601, ...). The readers keep the
original text beside the parsed value, so this module only has to be right or say ``None``; it
never guesses a day/month order it cannot justify.

A time without a zone is taken as UTC (:attr:`ParsedTime.timezone_assumed` says so); a date
without a year only parses when the caller gives ``default_year``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

__all__ = [
    "ParsedTime",
    "as_utc",
    "epoch_from_show_comment",
    "looks_like_timestamp",
    "parse_timestamp",
    "parse_iso_utc",
    "parse_timestamp_info",
]

_MONTHS: dict[str, int] = {}


def as_utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive value is taken to be UTC already."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def parse_iso_utc(text: str) -> datetime | None:
    """An ISO 8601 time (a ``Z``, an offset, or none: then UTC) in UTC; None if it is not one.

    Once per comment of a Disqus or Blogger export: the usual ``2014-02-01T00:00:00Z`` is parsed
    in one call (Python 3.11's ``fromisoformat`` takes the ``Z``)."""
    text = text.strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    return value if value.tzinfo is UTC else as_utc(value)


def _add_months(names: str) -> None:
    for number, group in enumerate(names.split(), start=1):
        for name in group.split("|"):
            _MONTHS[name] = number


# English, German (incl. Austrian "jänner"), Dutch, French, Spanish, Italian; abbreviations too.
_add_months(
    "january|jan february|feb march|mar april|apr may june|jun july|jul august|aug "
    "september|sep|sept october|oct november|nov december|dec"
)
_add_months(
    "januar|jänner|jaenner februar|feb märz|maerz|mär|mrz april mai juni july|juli august "
    "september oktober|okt november dezember|dez"
)
_add_months(
    "januari februari maart|mrt april mei juni juli augustus september oktober november december"
)
_add_months(
    "janvier|janv février|fevrier|févr|fevr mars avril|avr mai juin juillet|juil août|aout "
    "septembre octobre novembre décembre|decembre|déc"
)
_add_months(
    "enero febrero marzo abril mayo junio julio agosto septiembre|setiembre octubre noviembre "
    "diciembre"
)
_add_months(
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre"
)

_MONTH_RE = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th|er|e|de|ste|º)?"

# Words that may surround a date and time without changing its meaning ("at", "um", "om", ...).
_FILLER_WORDS = " ".join(
    (
        "at on um om à a las alle le den der de del the el uhr h hrs o'clock posted am",
        "monday tuesday wednesday thursday friday saturday sunday",
        "mon tue tues wed thu thur thurs fri sat sun",
        "montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag",
        "mo di mi do fr sa so",
        "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag",
        "lundi mardi mercredi jeudi vendredi samedi dimanche",
        # links printed next to a comment's date in copied pages
        "permalink link reply edit antworten bearbeiten beantwoorden répondre",
    )
).split()
_SEPARATORS = r"[\s,;|/\-–—·:@.()\[\]#]*"
_FILLER_RE = re.compile(
    rf"^{_SEPARATORS}(?:(?:" + "|".join(map(re.escape, _FILLER_WORDS)) + rf")\b{_SEPARATORS})*$",
    re.IGNORECASE,
)

_ISO_RE = re.compile(
    r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?"
    r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?(?![\d:])",
    re.IGNORECASE,
)
_DAY_MONTH_YEAR_RE = re.compile(
    rf"(?<![\w.])(?P<d>\d{{1,2}}){_ORD}\.?\s*(?:de\s+|of\s+)?(?P<mon>{_MONTH_RE})\.?"
    rf"(?:,?\s*(?:de\s+)?(?P<y>\d{{4}}))?(?!\w)",
    re.IGNORECASE,
)
_MONTH_DAY_YEAR_RE = re.compile(
    rf"(?<!\w)(?P<mon>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}}){_ORD}(?!\d)"
    rf"(?:,?\s*(?P<y>\d{{4}}))?(?![\d:.]\d)",
    re.IGNORECASE,
)
_NUMERIC_DMY_RE = re.compile(
    r"(?<![\d.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4}|\d{2})(?![\d])"
)
_NUMERIC_YMD_RE = re.compile(
    r"(?<![\d/.])(?P<y>\d{4})[/.](?P<m>\d{1,2})[/.](?P<d>\d{1,2})(?![\d/.])"
)
_LATE_YEAR_RE = re.compile(r"(?<![\d:.])((?:1[89]|2[01])\d{2})(?![\d:])")
_NUMERIC_SLASH_RE = re.compile(r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})(?![\d/])")
_TIME_RE = re.compile(
    r"(?<![\d:.])(?P<H>\d{1,2})(?:[:.h](?P<M>\d{2}))(?:[:.](?P<S>\d{2}))?(?![\d])"
    r"(?:\s*(?P<ampm>[ap]\.?\s?m\.?)(?!\w))?"
    r"|(?<![\d:.])(?P<H2>\d{1,2})\s*(?P<ampm2>[ap]\.?m\.?)(?!\w)",
    re.IGNORECASE,
)
_TZ_RE = re.compile(
    r"(?<!\w)(?P<tz>Z|UTC|GMT|[A-Z]{3,4}|(?:UTC|GMT)?[+-]\d{1,2}(?::?\d{2})?)(?!\w)"
)
_NAMED_ZONES = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "CET": 60,
    "MEZ": 60,
    "CEST": 120,
    "MESZ": 120,
    "EET": 120,
    "EEST": 180,
    "BST": 60,
    "EST": -300,
    "EDT": -240,
    "CST": -360,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
}
# A line that is only a timestamp is short ("Tuesday, 4 November 2014 at 3:32 pm CET" is 8 words).
_STRICT_MAX_CHARS = 120
_STRICT_MAX_WORDS = 14
_SHOW_COMMENT_RE = re.compile(r"showComment=(\d{10,13})(?!\d)")


@dataclass(frozen=True)
class ParsedTime:
    """A parsed timestamp: aware UTC ``value`` and what had to be assumed to get it."""

    value: datetime
    timezone_assumed: bool = False
    year_assumed: bool = False
    time_missing: bool = False

    def notes(self) -> dict[str, object]:
        """The assumptions as ``extra`` entries (empty when nothing was assumed)."""
        notes: dict[str, object] = {}
        if self.timezone_assumed:
            notes["timezone_assumed"] = "UTC"
        if self.year_assumed:
            notes["year_assumed"] = self.value.year
        return notes


def parse_timestamp(text: str, *, default_year: int | None = None) -> datetime | None:
    """Aware UTC datetime for a human or ISO timestamp text, or ``None`` when unparseable.

    Times without a zone are taken as UTC. Surrounding words ("wrote on", "at") are ignored.
    """
    parsed = parse_timestamp_info(text, default_year=default_year)
    return parsed.value if parsed else None


def looks_like_timestamp(text: str) -> bool:
    """True when ``text`` is a timestamp and nothing else (used to classify lines of a page)."""
    return parse_timestamp_info(text, strict=True) is not None


def parse_timestamp_info(
    text: str, *, strict: bool = False, default_year: int | None = None
) -> ParsedTime | None:
    """Like :func:`parse_timestamp`, but also says what was assumed.

    ``strict`` requires the text to hold only a date, a time, a zone and filler words.
    """
    if not text or len(text) > (_STRICT_MAX_CHARS if strict else 1000):
        return None
    if not any(ch.isdigit() for ch in text):
        return None  # every shape we read has a day or a year: a cheap early exit
    cleaned = " ".join(text.replace("\u00a0", " ").split())
    if strict and cleaned.count(" ") >= _STRICT_MAX_WORDS:
        return None
    epoch = epoch_from_show_comment(cleaned)
    if epoch is not None and not strict:
        return ParsedTime(epoch)
    for finder in (_find_iso, _find_named, _find_numeric):
        found = finder(cleaned, default_year)
        if found is None:
            continue
        result, rest = found
        if strict and not _FILLER_RE.match(rest):
            return None
        return result
    return None


def epoch_from_show_comment(url: str) -> datetime | None:
    """The time Blogger encodes in ``?showComment=<epoch ms>`` permalinks (aware UTC)."""
    match = _SHOW_COMMENT_RE.search(url or "")
    if not match:
        return None
    digits = match.group(1)
    seconds = int(digits) / 1000 if len(digits) == 13 else int(digits)
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


# --------------------------------------------------------------------------- finders

_Found = tuple[ParsedTime, str]


def _find_iso(text: str, _default_year: int | None) -> _Found | None:
    match = _ISO_RE.search(text)
    if not match:
        return None
    g = match.groupdict()
    fraction = (g["f"] or "0")[:6].ljust(6, "0")
    rest = text[: match.start()] + " " + text[match.end() :]
    offset = _offset_minutes(g["tz"]) if g["tz"] else None
    if offset is None:
        offset, rest = _zone_in(rest)
    return _build(
        int(g["y"]),
        int(g["m"]),
        int(g["d"]),
        (int(g["H"] or 0), int(g["M"] or 0), int(g["S"] or 0), int(fraction)),
        offset,
        rest,
        time_missing=g["H"] is None,
    )


def _find_named(text: str, default_year: int | None) -> _Found | None:
    candidates = [m for r in (_DAY_MONTH_YEAR_RE, _MONTH_DAY_YEAR_RE) if (m := r.search(text))]
    # Prefer a match that carries a year, then the earliest one.
    candidates.sort(key=lambda m: (m.group("y") is None, m.start()))
    for match in candidates:
        month = _MONTHS.get(match.group("mon").lower().rstrip("."))
        if month is None:
            continue
        year_text = match.group("y")
        rest = text[: match.start()] + " " + text[match.end() :]
        if year_text is None:
            # "Tue Nov 04 03:32:00 2014": the year may come after the time
            late = _LATE_YEAR_RE.search(rest)
            if late is not None:
                year_text = late.group(1)
                rest = rest[: late.start()] + " " + rest[late.end() :]
        if year_text is None and default_year is None:
            continue
        year = int(year_text) if year_text else int(default_year or 0)
        found = _with_time(year, month, int(match.group("d")), rest)
        if found is not None:
            parsed, rest = found
            if year_text is None:
                parsed = ParsedTime(
                    parsed.value, parsed.timezone_assumed, True, parsed.time_missing
                )
            return parsed, rest
    return None


def _find_numeric(text: str, _default_year: int | None) -> _Found | None:
    match = _NUMERIC_DMY_RE.search(text)
    if match:
        year = int(match.group("y"))
        year += 2000 if year < 70 else 1900 if year < 100 else 0
        rest = text[: match.start()] + " " + text[match.end() :]
        return _with_time(year, int(match.group("m")), int(match.group("d")), rest)
    match = _NUMERIC_YMD_RE.search(text)
    if match:
        rest = text[: match.start()] + " " + text[match.end() :]
        return _with_time(int(match.group("y")), int(match.group("m")), int(match.group("d")), rest)
    match = _NUMERIC_SLASH_RE.search(text)
    if match:
        a, b = int(match.group("a")), int(match.group("b"))
        # US order (month first) unless the first number cannot be a month.
        month, day = (b, a) if a > 12 else (a, b)
        rest = text[: match.start()] + " " + text[match.end() :]
        return _with_time(int(match.group("y")), month, day, rest)
    return None


def _with_time(year: int, month: int, day: int, rest: str) -> _Found | None:
    clock = (0, 0, 0, 0)
    time_missing = True
    match = _TIME_RE.search(rest)
    if match:
        parsed_clock = _clock(match)
        if parsed_clock is None:
            return None
        clock, time_missing = parsed_clock, False
        rest = rest[: match.start()] + " " + rest[match.end() :]
    offset, rest = _zone_in(rest)
    return _build(year, month, day, clock, offset, rest, time_missing=time_missing)


def _clock(match: re.Match[str]) -> tuple[int, int, int, int] | None:
    if match.group("H2") is not None:
        hour, minute, second, ampm = int(match.group("H2")), 0, 0, match.group("ampm2")
    else:
        hour, minute = int(match.group("H")), int(match.group("M"))
        second, ampm = int(match.group("S") or 0), match.group("ampm")
    if ampm:
        if not 1 <= hour <= 12:
            return None
        is_pm = ampm.lower().startswith("p")
        hour = hour % 12 + (12 if is_pm else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second, 0


def _zone_in(rest: str) -> tuple[int | None, str]:
    for match in _TZ_RE.finditer(rest):
        offset = _offset_minutes(match.group("tz"))
        if offset is not None:
            return offset, rest[: match.start()] + " " + rest[match.end() :]
    return None, rest


def _offset_minutes(zone: str) -> int | None:
    upper = zone.upper()
    if upper in _NAMED_ZONES:
        return _NAMED_ZONES[upper]
    match = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?", upper)
    if not match:
        return None
    minutes = int(match.group(2)) * 60 + int(match.group(3) or 0)
    if minutes > 14 * 60:
        return None
    return -minutes if match.group(1) == "-" else minutes


def _build(
    year: int,
    month: int,
    day: int,
    clock: tuple[int, int, int, int],
    offset: int | None,
    rest: str,
    *,
    time_missing: bool,
) -> _Found | None:
    if not 1000 <= year <= 9999:
        return None
    zone = timezone(timedelta(minutes=offset)) if offset is not None else UTC
    try:
        value = datetime(year, month, day, *clock, tzinfo=zone)
    except ValueError:
        return None
    return (
        ParsedTime(
            value.astimezone(UTC), timezone_assumed=offset is None, time_missing=time_missing
        ),
        rest,
    )
