"""Time series as marks: day and month series grouped into at most ``width`` marks, every period
counted, empty ones included, so that a sparkline never hides a silence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from threads.analysis.data import DayCount, MonthPrevalence

#: a timeline longer than this many days is not gap-filled in the report data (it would only
#: add zeros); :func:`day_marks` places each day by its date, filled or not
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


@dataclass
class Marks:
    """A series cut into consecutive marks of ``per`` periods (``unit``: "day" or "month").

    ``starts[i]`` is the first period of mark i; ``totals[i]`` its comments; ``topics[t][i]``
    the comments of topic t in it (month series only). The last mark may cover fewer periods
    (up to ``last``)."""

    unit: str
    per: int
    starts: list[str]
    totals: list[int]
    topics: dict[str, list[int]]
    last: str

    @property
    def label(self) -> str:
        """What one mark is: "one mark per day", "one mark per 3 months"."""
        if self.per == 1:
            return f"one mark per {self.unit}"
        return f"one mark per {self.per} {self.unit}s"

    def shares(self, topic: str) -> list[float | None]:
        """The topic's share of each mark's comments; None for a mark without comments (a gap,
        not a zero)."""
        counts = self.topics.get(topic, [0] * len(self.totals))
        return [n / total if total else None for n, total in zip(counts, self.totals, strict=True)]


def _per(periods: int, width: int) -> int:
    return max(1, -(-periods // max(1, width)))


def day_marks(days: list[DayCount], width: int) -> Marks:
    """Days grouped into at most ``width`` marks, by date: a day that is not listed (filled or
    not) counts as zero, so years of silence are years of empty marks."""
    if not days:
        return Marks("day", 1, [], [], {}, "")
    first = date.fromisoformat(days[0].day)
    last = date.fromisoformat(days[-1].day)
    span = (last - first).days + 1
    per = _per(span, width)
    totals = [0] * (-(-span // per))
    for d in days:
        totals[(date.fromisoformat(d.day) - first).days // per] += d.comments
    starts = [(first + timedelta(days=i * per)).isoformat() for i in range(len(totals))]
    return Marks("day", per, starts, totals, {}, last.isoformat())


def month_marks(months: list[MonthPrevalence], width: int) -> Marks:
    """Months (consecutive, as the corpus report lists them) grouped into at most ``width``
    marks; topic counts and totals are summed per mark, so a share is of the mark's comments."""
    if not months:
        return Marks("month", 1, [], [], {}, "")
    per = _per(len(months), width)
    groups = [months[i : i + per] for i in range(0, len(months), per)]
    topic_ids: list[str] = []
    for m in months:
        topic_ids += [t for t in m.topics if t not in topic_ids]
    return Marks(
        unit="month",
        per=per,
        starts=[g[0].month for g in groups],
        totals=[sum(m.comments for m in g) for g in groups],
        topics={t: [sum(m.topics.get(t, 0) for m in g) for g in groups] for t in topic_ids},
        last=months[-1].month,
    )
