"""Day-by-day series: gaps filled with zeros so that a timeline reads at a glance."""

from __future__ import annotations

from datetime import date, timedelta

from threads.analysis.data import DayCount

#: a timeline longer than this many days is not gap-filled (it would only add zeros)
MAX_FILLED_DAYS = 3660


def fill_days(days: list[DayCount]) -> list[DayCount]:
    """``days`` (sorted, "YYYY-MM-DD") with the missing days in between added as zero."""
    if not days:
        return []
    first = date.fromisoformat(days[0].day)
    last = date.fromisoformat(days[-1].day)
    if (last - first).days > MAX_FILLED_DAYS:
        return days
    known = {d.day: d.comments for d in days}
    out: list[DayCount] = []
    current = first
    while current <= last:
        key = current.isoformat()
        out.append(DayCount(day=key, comments=known.get(key, 0)))
        current += timedelta(days=1)
    return out
